package jobs

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
	"golang.org/x/sys/unix"
)

// runSleeper starts a job that runs until killed and returns its id and
// the workload's pid and start time.
func runSleeper(t *testing.T, s *Service) (string, int, uint64) {
	t.Helper()
	zero := 0.0
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"exec sleep 1000"}}, Observation: Observation{Until: &zero}})
	if env.Job.State != jobstore.StateRunning {
		t.Fatalf("sleeper = %s", env.Job.State)
	}
	st, err := s.store.ReadState(env.Job.JobID)
	if err != nil {
		t.Fatal(err)
	}
	return env.Job.JobID, st.PID, st.PIDStart
}

func corrupt(t *testing.T, s *Service, id, file string) {
	t.Helper()
	if err := os.WriteFile(s.store.Path(id, file), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitExit waits until process pid (started at start) is gone.
func waitExit(t *testing.T, pid int, start uint64) {
	t.Helper()
	gone, stop := supervisor.WatchExit(pid, start)
	defer stop()
	select {
	case <-gone:
	case <-time.After(20 * time.Second):
		t.Fatalf("process %d still runs", pid)
	}
}

func listSkipped(t *testing.T, s *Service, id string) string {
	t.Helper()
	env, err := s.List(t.Context(), &ListRequest{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range env.Jobs {
		if j.JobID == id {
			t.Errorf("list shows unreadable job %s as %+v", id, j)
		}
	}
	for _, sk := range env.Skipped {
		if sk.JobID == id {
			return sk.Reason
		}
	}
	t.Errorf("list skipped = %+v, want job %s in it", env.Skipped, id)
	return ""
}

// TestUnreadableStateKill: a running job whose state.json is corrupt is
// listed as skipped; kill stops it through its supervisor, which records
// the end, so the job reads again.
func TestUnreadableStateKill(t *testing.T) {
	s := newService(t)
	id, pid, start := runSleeper(t, s)
	corrupt(t, s, id, jobstore.StateFile)
	if r := listSkipped(t, s, id); !strings.Contains(r, "state.json") {
		t.Errorf("skip reason = %q, want it to name state.json", r)
	}
	env, err := s.Kill(t.Context(), &KillRequest{JobID: id})
	if err != nil {
		t.Fatalf("Kill of a job with a corrupt state = %v, want success", err)
	}
	if env.Job.State != jobstore.StateKilled {
		t.Errorf("killed job = %s/%s, want killed", env.Job.State, env.Job.Reason)
	}
	waitExit(t, pid, start)
}

// TestUnreadableMetaKillDelete: a running job whose meta.json is corrupt:
// kill stops it (and says the job cannot be read); delete removes it.
func TestUnreadableMetaKillDelete(t *testing.T) {
	s := newService(t)
	id, pid, start := runSleeper(t, s)
	corrupt(t, s, id, jobstore.MetaFile)
	if r := listSkipped(t, s, id); !strings.Contains(r, "meta.json") {
		t.Errorf("skip reason = %q, want it to name meta.json", r)
	}
	_, err := s.Kill(t.Context(), &KillRequest{JobID: id})
	e := AsError(err)
	if e.Code != CodeIO || e.Details["supervised"] != true {
		t.Errorf("Kill of a job with a corrupt meta = %v %v, want io_error saying the supervisor ended the run", err, e.Details)
	}
	waitExit(t, pid, start)
	if _, err := s.Delete(t.Context(), &DeleteRequest{JobID: id}); err != nil {
		t.Fatalf("Delete of an unreadable, stopped job = %v, want success", err)
	}
	if s.store.Exists(id) {
		t.Errorf("job %s still exists after delete", id)
	}
}

// TestUnreadableOrphanDeleteForce: the supervisor of a job with a corrupt
// meta.json is gone and its workload runs on: delete --force stops the
// workload (found by the job id it carries) and removes the job.
func TestUnreadableOrphanDeleteForce(t *testing.T) {
	s := newService(t)
	id, pid, start := runSleeper(t, s)
	st, err := s.store.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	corrupt(t, s, id, jobstore.MetaFile)
	if err := unix.Kill(st.SupervisorPID, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(t, st.SupervisorPID, st.SupervisorStart)
	if !supervisor.Alive(pid, start) {
		t.Fatal("the workload died with its supervisor; the test needs it running")
	}
	if _, err := s.Delete(t.Context(), &DeleteRequest{JobID: id, Force: true}); err != nil {
		t.Fatalf("Delete --force of an unreadable job = %v, want success", err)
	}
	waitExit(t, pid, start)
	if s.store.Exists(id) {
		t.Errorf("job %s still exists after delete", id)
	}
}

// TestUnreadableEmptyDir: an empty job directory (what a failed create
// used to leave) is listed as skipped and deleted.
func TestUnreadableEmptyDir(t *testing.T) {
	s := newService(t)
	id := jobstore.NewID()
	if err := os.Mkdir(s.store.Dir(id), 0o700); err != nil {
		t.Fatal(err)
	}
	if r := listSkipped(t, s, id); !strings.Contains(r, "missing") {
		t.Errorf("skip reason = %q, want it to say a file is missing", r)
	}
	if _, err := s.Delete(t.Context(), &DeleteRequest{JobID: id}); err != nil {
		t.Fatalf("Delete of an empty job dir = %v, want success", err)
	}
	if s.store.Exists(id) {
		t.Errorf("job %s still exists after delete", id)
	}
}
