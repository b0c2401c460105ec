package tools

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobs"
)

// TestResultKeepsEnvelopeOrder: structuredContent, which clients hand to
// the model as it is, has the envelope's fields in the envelope's order,
// not sorted.
func TestResultKeepsEnvelopeOrder(t *testing.T) {
	code := 0
	env := &jobs.Envelope{SchemaVersion: jobs.SchemaVersion, OK: true, Type: "run",
		Job:    &jobs.Job{JobID: "01a", State: "exited", ExitCode: &code, Command: []string{"true"}, Tags: []string{}},
		Wait:   &jobs.WaitView{Reason: jobs.WaitExited},
		Output: &jobs.OutputView{Stream: "output"}}
	b, err := json.Marshal(result(env).StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, `{"schema_version":"2","ok":true,"type":"run","job":{"job_id":"01a"`) {
		t.Fatalf("structuredContent starts %.80s", s)
	}
	if w, o := strings.Index(s, `"wait":`), strings.Index(s, `"output":`); w < 0 || o < w {
		t.Fatalf("wait at %d, output at %d: want wait before output in %s", w, o, s)
	}
	errEnv, _ := json.Marshal(result(jobs.ErrorEnvelope(&jobs.Error{Code: jobs.CodeNotFound, Message: "x"})).StructuredContent)
	if !strings.HasPrefix(string(errEnv), `{"schema_version":"2","ok":false,"type":"error","error":{`) {
		t.Fatalf("error structuredContent = %s", errEnv)
	}
}
