package cli

import (
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// ageCLIJob makes job id of root look finished 40 days ago.
func ageCLIJob(t *testing.T, root, id string) {
	t.Helper()
	st, err := jobstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	state, err := st.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	fin := jobstore.Time{Time: time.Now().Add(-40 * 24 * time.Hour)}
	state.FinishedAt = &fin
	if err := st.WriteState(id, state); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, root, id string) bool {
	t.Helper()
	st, err := jobstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	return st.Exists(id)
}

func TestGCVerb(t *testing.T) {
	root := newRoot(t)
	old := agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true").envelope(t).Job.JobID
	ageCLIJob(t, root, old)
	keep := agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true").envelope(t).Job.JobID

	env := agentExec(t, root, 0, "gc", "--dry-run", "--older-than", "30d").envelope(t)
	if env.Type != "gc" || !env.GC.DryRun || len(env.GC.Deleted) != 1 || env.GC.Deleted[0].ID != old || !exists(t, root, old) {
		t.Fatalf("gc --dry-run = %+v, want job %s listed and kept", env.GC, old)
	}
	env = agentExec(t, root, 0, "gc", "--older_than", "30d").envelope(t)
	if len(env.GC.Deleted) != 1 || exists(t, root, old) || !exists(t, root, keep) {
		t.Fatalf("gc = %+v, want job %s removed and %s kept", env.GC, old, keep)
	}
	if env.GC.OlderThanS != 30*86400 || env.GC.MaxJobs != 1000 || env.GC.MaxBytes != 2<<30 {
		t.Errorf("limits = %d s, %d jobs, %d bytes; want the defaults 30d, 1000, 2GiB", env.GC.OlderThanS, env.GC.MaxJobs, env.GC.MaxBytes)
	}

	if code := errorCode(t, agentExec(t, root, exitFailed, "gc", "--older-than", "soon")); code != "invalid_input" {
		t.Errorf("gc --older-than soon: code %s, want invalid_input", code)
	}
	agentExec(t, root, exitUsage, "gc", "--max-jobs", "many")
	agentExec(t, root, exitUsage, "gc", "extra")
}

func TestRunCollectsOldJobs(t *testing.T) {
	root := newRoot(t)
	old := agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true").envelope(t).Job.JobID
	ageCLIJob(t, root, old)
	agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true")
	if !exists(t, root, old) {
		t.Fatal("run --no-auto-gc removed an old job")
	}
	// The command returns once its collection is done.
	agentExec(t, root, 0, "run", "--", "true")
	if exists(t, root, old) {
		t.Fatal("run did not collect the 40-day-old job")
	}
}
