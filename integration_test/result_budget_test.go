package integration_test

import (
	"strings"
	"testing"
)

// budgetTrivialRun is what a trivial run's result may cost a model, in
// bytes of structuredContent (issue 10): clients hand exactly this JSON to
// the model on every call.
const budgetTrivialRun = 300

// TestTrivialResultBudget: the result of `run echo hi` is at most
// budgetTrivialRun bytes on the wire, and its job object carries what a
// model acts on, not the definition (that is observe detail's). The
// size is printed either way.
func TestTrivialResultBudget(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob("echo hi", nil)
	if env.Job.State != "exited" || env.Output.Text != "hi\n" {
		t.Fatalf("run echo hi = %s %q", env.Job.State, env.Output.Text)
	}
	var run string
	for _, r := range s.rawResults() {
		if strings.Contains(r, `"type":"run"`) {
			run = r
		}
	}
	t.Logf("trivial run result: %d B of structuredContent (budget %d B): %s", len(run), budgetTrivialRun, run)
	if len(run) > budgetTrivialRun {
		t.Errorf("trivial run result is %d B, budget %d B", len(run), budgetTrivialRun)
	}
	for _, detail := range []string{`"command"`, `"cwd"`, `"tags"`, `"created_at"`, `"output_log"`, `"tty"`, `"stream"`, `"truncated"`} {
		if strings.Contains(run, detail) {
			t.Errorf("trivial run result has %s: %s", detail, run)
		}
	}
}
