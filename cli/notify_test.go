package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

// readNotify returns the notify of job id's meta.json.
func readNotify(t *testing.T, root, id string) *jobstore.Notify {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, id, jobstore.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	var m jobstore.Meta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Notify
}

// TestNotifySet: create takes --notify-* flags, notify set replaces the
// notifications (no flag removes them), and bad ones are usage errors.
func TestNotifySet(t *testing.T) {
	root := newRoot(t)
	dir := t.TempDir()
	f1, f2 := filepath.Join(dir, "a.ndjson"), filepath.Join(dir, "b.ndjson")
	id := agentExec(t, root, exitOK, "create", "--notify-file", f1, "--notify-match", "ERROR", "--", "true").envelope(t).Job.JobID
	if n := readNotify(t, root, id); n == nil || n.File != f1 || len(n.Match) != 1 || n.Match[0] != (jobstore.NotifyMatch{Pattern: "ERROR", Match: "contains"}) {
		t.Fatalf("after create: %+v", n)
	}
	if env := agentExec(t, root, exitOK, "notify", "set", id, "--file", f2, "--command", "true", "--regex", "^E"); env.envelope(t).Type != "update" {
		t.Fatalf("notify set: %+v", env.envelope(t))
	}
	if n := readNotify(t, root, id); n == nil || n.File != f2 || n.Command != "true" || len(n.Match) != 1 || n.Match[0].Match != "regex" {
		t.Fatalf("after notify set: %+v", n)
	}
	agentExec(t, root, exitOK, "notify", "set", id)
	if n := readNotify(t, root, id); n != nil {
		t.Fatalf("after notify set without flags: %+v", n)
	}
	agentExec(t, root, exitUsage, "notify", id)
	agentExec(t, root, exitUsage, "notify", "set")
	if code := errorCode(t, agentExec(t, root, exitUsage, "notify", "set", id, "--regex", "(")); code != "invalid_input" {
		t.Fatalf("a bad regex: %s", code)
	}
}
