package cli

import (
	"slices"
	"testing"
)

// TestTagSet: tag set replaces a job's tags (none removes them), and list
// --tag takes a trailing * as a prefix.
func TestTagSet(t *testing.T) {
	root := newRoot(t)
	id := agentExec(t, root, exitOK, "create", "--tag", "old", "--", "true").envelope(t).Job.JobID
	env := agentExec(t, root, exitOK, "tag", "set", id, "ns.web", "ns.db").envelope(t)
	if env.Type != "update" || !slices.Equal(env.Job.Tags, []string{"ns.web", "ns.db"}) {
		t.Fatalf("tag set: %+v", env.Job)
	}
	if n := len(agentExec(t, root, exitOK, "list", "--all", "--tag", "ns.*").envelope(t).Jobs); n != 1 {
		t.Fatalf("list --tag ns.*: %d jobs, want 1", n)
	}
	if n := len(agentExec(t, root, exitOK, "list", "--all", "--tag", "old").envelope(t).Jobs); n != 0 {
		t.Fatalf("list --tag old: %d jobs, want 0 (replaced)", n)
	}
	if env := agentExec(t, root, exitOK, "tag", "set", id).envelope(t); len(env.Job.Tags) != 0 {
		t.Fatalf("tag set without tags: %v, want none", env.Job.Tags)
	}
	agentExec(t, root, exitUsage, "tag", id, "x")
	agentExec(t, root, exitUsage, "tag", "set")
	if code := errorCode(t, agentExec(t, root, exitUsage, "tag", "set", id, "bad tag")); code != "invalid_input" {
		t.Fatalf("a bad tag: %s", code)
	}
}
