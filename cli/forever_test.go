package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobs"
)

// TestObserveForever: observe --forever waits for the end however long
// (a finished job answers at once with its status), refuses --until, and an
// interrupt ends the wait as cancelled, leaving the job running.
func TestObserveForever(t *testing.T) {
	root := newRoot(t)
	done := agentExec(t, root, 3, "run", "--", "exit 3").envelope(t).Job.JobID
	env := agentExec(t, root, 3, "observe", "--forever", done).envelope(t)
	if env.Wait.Reason != jobs.WaitExited {
		t.Fatalf("observe --forever of a finished job: %+v", env.Wait)
	}
	agentExec(t, root, exitUsage, "observe", "--forever", "--until", "5", done)

	id := agentExec(t, root, exitOK, "run", "--until", "0", "--", "sleep 60").envelope(t).Job.JobID
	killAtEnd(t, root, id)
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // as if ctrl-c came at once
	r := invoke(t, ctx, root, nil, "observe", "--forever", id)
	if r.code != exitInterrupted {
		t.Fatalf("interrupted observe --forever: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if env := r.envelope(t); env.Wait.Reason != jobs.WaitCancelled || env.Job.State != "running" {
		t.Fatalf("interrupted observe --forever: job %+v wait %+v", env.Job, env.Wait)
	}
}

// TestLogRotateFlag: --log_rotate takes a size with a unit.
func TestLogRotateFlag(t *testing.T) {
	root := newRoot(t)
	id := agentExec(t, root, exitOK, "create", "--log-rotate", "64K", "--", "true").envelope(t).Job.JobID
	b, err := os.ReadFile(filepath.Join(root, id, "meta.json"))
	if err != nil || !strings.Contains(string(b), `"log_rotate": 65536`) {
		t.Fatalf("meta.json (%v): %s", err, b)
	}
	if code := errorCode(t, agentExec(t, root, exitUsage, "create", "--log_rotate", "1000", "--", "true")); code != jobs.CodeInvalidInput {
		t.Fatalf("--log_rotate 1000: %s", code)
	}
	agentExec(t, root, exitUsage, "create", "--log_rotate", "lots", "--", "true")
}
