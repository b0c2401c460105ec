package integration_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-exec/agent-exec/schemas"
)

// toolNames are the tools of DESIGN.md §4.
var toolNames = []string{"run", "create", "start", "restart", "kill", "observe", "input", "list", "update", "delete", "gc"}

// rawMessages returns every JSON-RPC message the server wrote so far,
// failing the test on anything on its stdout that is not one.
func (s *server) rawMessages() []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(s.raw.String(), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			s.t.Fatalf("server stdout has a line that is not JSON (%v): %.300q", err, line)
		}
		if m["jsonrpc"] != "2.0" {
			s.t.Fatalf("server stdout has a message without jsonrpc 2.0: %.300q", line)
		}
		out = append(out, m)
	}
	return out
}

func TestToolsList(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	init := s.cs.InitializeResult()
	if init.ProtocolVersion != protocolLatest {
		t.Errorf("negotiated protocol %q, want %q", init.ProtocolVersion, protocolLatest)
	}
	if strings.TrimSpace(init.Instructions) == "" {
		t.Error("initialize result has no instructions")
	}
	if init.ServerInfo == nil || init.ServerInfo.Name != "agent-exec" {
		t.Errorf("serverInfo = %+v, want name agent-exec", init.ServerInfo)
	}

	res, err := s.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	if !reflect.DeepEqual(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(toolNames))) {
		t.Fatalf("tools = %v, want %v", names, toolNames)
	}

	// The annotations must be set explicitly: look at the wire, where an
	// absent hint and a false one differ.
	var wire []any
	for _, m := range s.rawMessages() {
		if r, ok := m["result"].(map[string]any); ok && r["tools"] != nil {
			wire = r["tools"].([]any)
		}
	}
	if len(wire) != len(toolNames) {
		t.Fatalf("tools/list on the wire has %d tools, want %d", len(wire), len(toolNames))
	}
	readOnly := map[string]bool{"observe": true, "list": true}
	for _, w := range wire {
		tool := w.(map[string]any)
		name := tool["name"].(string)
		if d, _ := tool["description"].(string); strings.TrimSpace(d) == "" {
			t.Errorf("%s: no description", name)
		}
		for _, key := range []string{"inputSchema", "outputSchema"} {
			if _, ok := tool[key].(map[string]any); !ok {
				t.Errorf("%s: %s missing or not an object", name, key)
			}
		}
		var wantIn, wantOut any
		if err := json.Unmarshal(schemas.Input(name), &wantIn); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tool["inputSchema"], wantIn) {
			t.Errorf("%s: inputSchema differs from schemas.Input", name)
		}
		if err := json.Unmarshal(schemas.Output(name), &wantOut); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tool["outputSchema"], wantOut) {
			t.Errorf("%s: outputSchema differs from schemas.Output", name)
		}
		ann, _ := tool["annotations"].(map[string]any)
		for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := ann[hint].(bool); !ok {
				t.Errorf("%s: annotation %s not set explicitly (annotations %v)", name, hint, ann)
			}
		}
		if ann["readOnlyHint"] != readOnly[name] {
			t.Errorf("%s: readOnlyHint = %v, want %v", name, ann["readOnlyHint"], readOnly[name])
		}
		if readOnly[name] && ann["destructiveHint"] != false {
			t.Errorf("%s: read-only tool with destructiveHint %v", name, ann["destructiveHint"])
		}
	}
}

// TestSmokeProtocol20250618 runs the basic path on the older protocol
// version real clients still send.
func TestSmokeProtocol20250618(t *testing.T) {
	t.Parallel()
	s := startServer(t, withProtocol("2025-06-18"), withRootEnv())
	if v := s.cs.InitializeResult().ProtocolVersion; v != "2025-06-18" {
		t.Fatalf("negotiated protocol %q, want 2025-06-18", v)
	}
	res, err := s.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) != len(toolNames) {
		t.Errorf("%d tools, want %d", len(res.Tools), len(toolNames))
	}
	env := s.runJob("echo hello", nil)
	if env.Job.State != "exited" || env.Output.Text != "hello\n" {
		t.Errorf("run echo hello: state %s, output %q", env.Job.State, env.Output.Text)
	}
	// AGENT_EXEC_ROOT put the job in the test's root.
	if dirs := s.root.jobDirs(t); len(dirs) != 1 || dirs[0] != env.Job.JobID {
		t.Errorf("root holds %v, want [%s]", dirs, env.Job.JobID)
	}
	s.fail("observe", obj{"job_id": "nosuchjob"}, "job_not_found")
}

// TestUnknownTool: calling a tool that does not exist fails (as a
// protocol error or an isError result) and the server keeps serving.
func TestUnknownTool(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	res, err := s.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "no_such_tool", Arguments: obj{}})
	if err == nil && !res.IsError {
		t.Fatal("calling an unknown tool succeeded")
	}
	s.ok("list", obj{})
}
