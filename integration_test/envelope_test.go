package integration_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// rawResults returns the raw structuredContent of every tools/call result
// the server wrote so far, as the bytes on the wire: clients hand exactly
// this JSON to the model, so its key order is part of what the model reads.
func (s *server) rawResults() []string {
	s.t.Helper()
	var out []string
	for _, line := range strings.Split(s.raw.String(), "\n") {
		var m struct {
			Result struct {
				StructuredContent json.RawMessage `json:"structuredContent"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Result.StructuredContent != nil {
			out = append(out, string(m.Result.StructuredContent))
		}
	}
	return out
}

// TestEnvelopeOrder: on the wire, an envelope's fields come in the
// envelope's order (ok and type, then error or job, the wait, the output),
// for a success and for an error.
func TestEnvelopeOrder(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.runJob("echo envelope-order", nil)
	s.fail("observe", obj{"job_id": "no-such-job"}, "job_not_found")
	var run, fail string
	for _, r := range s.rawResults() {
		switch {
		case strings.Contains(r, `"type":"run"`):
			run = r
		case strings.Contains(r, `"type":"error"`):
			fail = r
		}
	}
	if !strings.HasPrefix(run, `{"schema_version":"2","ok":true,"type":"run","job":{"job_id":`) {
		t.Fatalf("run result on the wire starts %.120s", run)
	}
	if w, o := strings.Index(run, `"wait":{`), strings.Index(run, `"output":{`); w < 0 || o < w {
		t.Errorf("run result: wait at %d, output at %d; want the wait first: %.300s", w, o, run)
	}
	if !strings.HasPrefix(fail, `{"schema_version":"2","ok":false,"type":"error","error":{"code":"job_not_found"`) {
		t.Errorf("error result on the wire starts %.120s", fail)
	}
}
