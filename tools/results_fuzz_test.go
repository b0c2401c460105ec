package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/schemas"
)

// resultService is a service with short waits and three jobs to act on:
// "done" (finished), "made" (created, never started) and "live" (a tty cat
// that runs until it is stopped or five minutes pass).
func resultService(t testing.TB) (*jobs.Service, map[string]callFunc) {
	t.Helper()
	st, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobs.New(st, jobs.Options{Cwd: t.TempDir(), MaxUntil: 2 * time.Second, RunUntil: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ids, _ := st.IDs()
		for _, id := range ids {
			if s, err := st.ReadState(id); err == nil && s.State == jobstore.StateRunning {
				svc.Kill(context.Background(), &jobs.KillRequest{JobID: id, Signal: []byte("9")})
			}
			if l, err := st.LockSupervisor(id); err == nil {
				l.Unlock()
			}
		}
		svc.Close()
	})
	ctx := context.Background()
	ten := 10.0
	if _, err := svc.Run(ctx, &jobs.RunRequest{Definition: jobs.Definition{Command: jobs.Command{"echo hi"}, Name: "done"},
		Observation: jobs.Observation{Until: &ten}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, &jobs.Definition{Command: jobs.Command{"true"}, Name: "made"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Run(ctx, &jobs.RunRequest{Definition: jobs.Definition{Command: jobs.Command{"cat"}, Name: "live",
		TTY: true, Timeout: 300}}, nil); err != nil {
		t.Fatal(err)
	}
	handlers := map[string]callFunc{}
	for _, d := range definitions(svc) {
		handlers[d.tool.Name] = callFunc(d.handler)
	}
	return svc, handlers
}

type callFunc func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)

// safeCommand is what every fuzzed run and create runs: the fuzzer chooses
// every other argument, never the program.
var safeCommand = []any{"true"}

// FuzzToolResults calls every tool with arguments built from the fuzzer's
// bytes and checks the promise of the published schemas: a call whose
// arguments the input schema accepts gets a result the output schema
// accepts, and so does every other call (with an invalid_input error).
// Arguments naming a job may name the fixtures done, made and live.
func FuzzToolResults(f *testing.F) {
	seeds := []struct{ tool, args string }{
		{"run", `{"command":"x"}`},
		{"run", `{"command":"x","until":31622400}`},
		{"run", `{"command":"x","until":1e12}`},
		{"run", `{"command":"x","until":0}`},
		{"run", `{"command":"x","timeout":31622400,"kill_after":3600}`},
		{"run", `{"command":"x","kill_after":1e10,"timeout":0.001}`},
		{"run", `{"command":"x","tty":true,"cols":500,"rows":200}`},
		{"run", `{"command":"x","tty":true,"cols":1000,"rows":1000}`},
		{"run", `{"command":"x","idle_ms":3600000,"max_bytes":256,"compress":"always","raw":true}`},
		{"run", `{"command":"x","streams":"separate","stream":"stderr","wait_for":"never","wait_for_port":1}`},
		{"run", `{"command":"x","name":"done","if_running":"attach","tags":["a"]}`},
		{"run", `{"command":"x","name":"live","if_running":"attach","until":0}`},
		{"create", `{"command":"x","log_limit":1099511627776,"env":{"A":"b"},"mask":["A"],"stdin":"hi"}`},
		{"create", `{"command":"x","interactive":true,"inherit_env":false}`},
		{"start", `{"job_id":"made","until":31622400}`},
		{"start", `{"job_id":"done"}`},
		{"restart", `{"job_id":"done","signal":"KILL","grace":3600,"until":0}`},
		{"restart", `{"job_id":"done","grace":1e10}`},
		{"kill", `{"job_id":"done","signal":64,"grace":0}`},
		{"kill", `{"job_id":"live","signal":"RTMIN+6","grace":0}`},
		{"kill", `{"job_id":"made"}`},
		{"observe", `{"job_id":"done","until":1e12}`},
		{"observe", `{"job_id":"done","until":31622400,"offset":9007199254740991}`},
		{"observe", `{"job_id":"live","view":"screen","max_bytes":1048576}`},
		{"observe", `{"job_id":"live","until":0.5,"idle_ms":1,"wait_for":"x","stream":"output"}`},
		{"input", `{"job_id":"live","text":"hi\r","keys":["enter","ctrl-c"],"until":0.5}`},
		{"input", `{"job_id":"live","cols":500,"rows":200,"until":0}`},
		{"input", `{"job_id":"done","eof":true}`},
		{"list", `{"all":true,"limit":1000,"state":"running"}`},
		{"list", `{"name":"live","tag":"a","cwd":"/"}`},
		{"delete", `{"job_id":"made"}`},
		{"delete", `{"job_id":"done","force":true}`},
		{"observe", `{"job_id":"nosuchjob"}`},
		{"gc", `{"dry_run":true,"older_than":"1h","max_jobs":0,"max_bytes":"2GiB"}`},
		{"gc", `{"older_than":0,"max_jobs":1,"unreadable":true}`},
		{"kill", `{"job_id":"live","signal":"TERM"}`},
	}
	for _, s := range seeds {
		f.Add(s.tool, []byte(s.args))
	}
	_, handlers := resultService(f)
	f.Fuzz(func(t *testing.T, tool string, data []byte) {
		h, ok := handlers[tool]
		if !ok {
			return
		}
		var args map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&args) != nil || args == nil {
			return
		}
		if _, ok := args["command"]; ok {
			args["command"] = safeCommand
		}
		raw, err := json.Marshal(args)
		if err != nil {
			return
		}
		inErr := schemas.ValidateInput(tool, args)
		var req mcp.CallToolRequest
		req.Params.Name = tool
		req.Params.RawArguments = json.RawMessage(raw)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		res, err := h(ctx, req)
		if err != nil {
			t.Fatalf("%s %s: Go error %v", tool, raw, err)
		}
		content, err := structured(res)
		if err != nil {
			t.Fatalf("%s %s: %v", tool, raw, err)
		}
		if err := schemas.ValidateOutput(tool, content); err != nil {
			t.Fatalf("%s %s: result breaks the output schema: %v\nresult: %s", tool, raw, err, content)
		}
		if inErr != nil {
			var env struct {
				Error struct{ Code string } `json:"error"`
			}
			_ = json.Unmarshal(content, &env)
			if !res.IsError || env.Error.Code != string(jobs.CodeInvalidInput) {
				t.Fatalf("%s %s: the input schema refuses it (%v), but the call answered %s", tool, raw, inErr, content)
			}
		}
	})
}

// structured returns a result's structuredContent as JSON.
func structured(res *mcp.CallToolResult) (json.RawMessage, error) {
	if res == nil || res.StructuredContent == nil {
		return nil, fmt.Errorf("no structuredContent")
	}
	return json.Marshal(res.StructuredContent)
}
