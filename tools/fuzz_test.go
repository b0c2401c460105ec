package tools

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agent-exec/agent-exec/jobs"
)

// decoders are every tool's argument decoding path, as handle runs it.
var decoders = []struct {
	tool   string
	decode func(mcp.CallToolRequest) (any, error)
}{
	{"run", decodeAs[jobs.RunRequest]("run")},
	{"create", decodeAs[jobs.Definition]("create")},
	{"start", decodeAs[jobs.StartRequest]("start")},
	{"restart", decodeAs[jobs.RestartRequest]("restart")},
	{"kill", decodeAs[jobs.KillRequest]("kill")},
	{"observe", decodeAs[jobs.StartRequest]("observe")},
	{"input", decodeAs[jobs.InputRequest]("input")},
	{"list", decodeAs[jobs.ListRequest]("list")},
	{"delete", decodeAs[jobs.DeleteRequest]("delete")},
}

func decodeAs[T any](tool string) func(mcp.CallToolRequest) (any, error) {
	return func(req mcp.CallToolRequest) (any, error) {
		a, err := decodeArgs[T](tool, req)
		if a == nil {
			return nil, err
		}
		return a, err
	}
}

// FuzzToolArguments feeds arbitrary bytes as a call's raw arguments to
// every tool's decoding path (schema validation, then the strict decode).
// It never panics; it either returns the arguments or an invalid_input
// error with a message, which names the argument whenever the arguments
// are a JSON object.
func FuzzToolArguments(f *testing.F) {
	for _, seed := range []string{
		`{}`, ``, `null`, `[]`, `"x"`, `5`, `{`, `{"command":"true"}`, `{"command":["ls","-l"]}`,
		`{"command":""}`, `{"command":[]}`, `{"command":5}`, `{"command":"true","foo":1}`,
		`{"job_id":"01aaaaaaaaaaaaaaaaaaaaaaaa"}`, `{"job_id":"../x"}`, `{"job_id":"*"}`, `{"job_id":""}`,
		`{"job_id":"a","signal":"TERM","grace":1.5}`, `{"job_id":"a","signal":9}`, `{"job_id":"a","signal":-1}`,
		`{"job_id":"a","idle_ms":1.0}`, `{"job_id":"a","offset":1e20}`, `{"command":"x","timeout":1e400}`,
		`{"job_id":"a","max_bytes":256}`, `{"job_id":"a","until":-0}`, `{"job_id":"a","until":1e-400}`,
		`{"command":"x","env":{"A":"\u0000"}}`, `{"command":"\ud800"}`, `{"Command":"x"}`,
		`{"command":"x","command":5}`, `{"command":"x","tags":["a","b"],"name":"n"}`,
		`{"job_id":"a","keys":["enter","ctrl-c"],"text":"hi","cols":80,"rows":24}`,
		`{"state":"running","limit":1000,"all":true,"cwd":"/"}`, `{"limit":0}`, `{"limit":1.5}`,
		`{"job_id":"a","force":true}`, `{"command":"x","stdin":"a","stdin_file":"/b"}`,
		"{\"command\":\"x\"}\n{}", `{"command":"x"} trailing`, "\xff", `{"job_id":"a","view":"screen"}`,
	} {
		for i := range decoders {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		d := decoders[int(which)%len(decoders)]
		var req mcp.CallToolRequest
		req.Params.Name = d.tool
		req.Params.RawArguments = json.RawMessage(data)
		args, err := d.decode(req)
		if err == nil {
			if args == nil {
				t.Fatalf("%s %q: no arguments and no error", d.tool, data)
			}
			return
		}
		var e *jobs.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s %q: error %T %v, want *jobs.Error", d.tool, data, err, err)
		}
		if e.Code != jobs.CodeInvalidInput || e.Message == "" {
			t.Fatalf("%s %q: error %s %q, want invalid_input with a message", d.tool, data, e.Code, e.Message)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) == nil && m != nil {
			// An argument may be called "" ({"":1}); it is then named as "".
			if _, blank := m[""]; e.Field == "" && !blank {
				t.Fatalf("%s %q: error %q names no argument", d.tool, data, e.Message)
			}
			// An odd name is quoted Go-style (%q).
			if !strings.Contains(e.Message, e.Field) && !strings.Contains(e.Message, strconv.Quote(e.Field)) {
				t.Fatalf("%s %q: message %q does not name %s", d.tool, data, e.Message, e.Field)
			}
		}
	})
}
