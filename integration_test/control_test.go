package integration_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// askScreens asks for job id's screen in a loop, as a client polling a
// full-screen program would, until the returned stop is called.
func askScreens(s *server, id string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				cctx, ccancel := context.WithTimeout(ctx, callTimeout)
				_, _ = s.invoke(cctx, &mcp.CallToolParams{Name: "observe", Arguments: obj{"job_id": id, "view": "screen"}})
				ccancel()
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}

// TestScreenRequestsNeverStallTheSupervisor (issue 8 A1): a tty job that
// floods a large terminal, with screen requests in a loop, still times out
// and is killed on time, and nothing of it is left.
func TestScreenRequestsNeverStallTheSupervisor(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	big := obj{"tty": true, "cols": 500, "rows": 200, "until": 0}
	t.Run("timeout", func(t *testing.T) {
		args := obj{"timeout": 3, "kill_after": 2}
		for k, v := range big {
			args[k] = v
		}
		began := time.Now()
		id := s.runJob("yes", args).Job.JobID
		stop := askScreens(s, id)
		defer stop()
		// timeout + kill_after is 5 s. A stalled supervisor never ends the
		// job: the waits' bound catches that, and is generous because a
		// loaded machine is slow, which is not what this test measures.
		// The answer's output is not: compress off spares compressing the
		// last MiBs of `y` lines (seconds with the race detector).
		wait := obj{"job_id": id, "until": 50, "compress": "off"}
		env := s.ok("observe", wait)
		for env.Job.State == "running" && time.Since(began) < 3*time.Minute {
			env = s.ok("observe", wait) // a wait is capped at 50 s
		}
		took := time.Since(began)
		t.Logf("the 3 s timeout ended the job after %v", took)
		if j := env.Job; j.State != "killed" || j.Reason != "timeout" {
			t.Fatalf("after %v: job %s/%s, want killed by its 3 s timeout", took, j.State, j.Reason)
		}
		if procs := jobProcs(id); len(procs) != 0 {
			t.Errorf("processes remain: %v", procs)
		}
	})
	t.Run("kill", func(t *testing.T) {
		id := s.runJob("yes", big).Job.JobID
		stop := askScreens(s, id)
		defer stop()
		// Let a few screen requests start drawing first.
		t0 := time.Now()
		s.ok("observe", obj{"job_id": id, "view": "screen"})
		t.Logf("first screen after %v", time.Since(t0))
		began := time.Now()
		k := s.ok("kill", obj{"job_id": id, "grace": 1})
		took := time.Since(began)
		t.Logf("kill took %v", took)
		// A stalled supervisor does not end the job within the kill's own
		// wait (grace + slack): it then answers with the job running.
		if k.Job.State != "killed" || k.Job.Reason != "kill" {
			t.Fatalf("kill after %v: job %s/%s, want killed", took, k.Job.State, k.Job.Reason)
		}
		if procs := jobProcs(id); len(procs) != 0 {
			t.Errorf("processes remain: %v", procs)
		}
		// The screen of the finished job is still there.
		if scr := s.ok("observe", obj{"job_id": id, "view": "screen"}).Screen; scr == nil || len(scr.Lines) != 200 {
			t.Errorf("screen after the kill = %+v", scr)
		}
	})
}

// TestKillOfAStoppedSupervisor (issue 8 F3): a kill whose supervisor is
// stopped answers supervisor_unresponsive, saying the kill is queued; the
// kill happens once the supervisor resumes.
func TestKillOfAStoppedSupervisor(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	id := s.started([]string{"sleep", "600"}, "", nil).Job.JobID
	sup, ok := supervisorOf(s.jobDir(id))
	if !ok {
		t.Fatal("no supervisor found")
	}
	var once sync.Once
	resume := func() { once.Do(func() { _ = syscall.Kill(sup.pid, syscall.SIGCONT) }) }
	t.Cleanup(resume)
	// Every thread stopped: none can take the kill and answer it.
	stopStopped(t, sup, 60*time.Second)
	e := s.fail("kill", obj{"job_id": id, "grace": 1}, "supervisor_unresponsive")
	if e.Details["queued"] != true || e.Details["supervisor_stopped"] != true || !e.Retryable {
		t.Errorf("error = %+v, want queued, supervisor_stopped, retryable", e)
	}
	resume()
	if j := s.ok("observe", obj{"job_id": id, "until": 30}).Job; j.State != "killed" || j.Reason != "kill" {
		t.Errorf("after SIGCONT: job %s/%s, want killed by the queued kill", j.State, j.Reason)
	}
}

// TestDiskFullAtTheEndKeepsTheStatus (issue 8 F1): a run that ends on a
// full disk, where state.json cannot be replaced, is recorded with its real
// exit status (kept in the end record), not as a lost supervisor, and the
// status survives once space is freed.
func TestDiskFullAtTheEndKeepsTheStatus(t *testing.T) {
	t.Parallel()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the disk-full test (needs root and mount rights): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			if out2, err2 := exec.Command("umount", "-l", mnt).CombinedOutput(); err2 != nil {
				t.Errorf("umount %s: %v: %s; umount -l: %v: %s", mnt, err, out, err2, out2)
			}
		}
	})
	r := &root{dir: filepath.Join(mnt, "jobs"), ids: make(map[string]bool)}
	t.Cleanup(func() { r.cleanup(t) })
	s := startServer(t, onRoot(r))

	env := s.runJob(`head -c 4194304 /dev/zero | tr '\0' x; exit 3`, obj{"until": 40})
	id := env.Job.JobID
	if j := env.Job; j.State != "exited" || j.Reason != "exit" || j.ExitCode == nil || *j.ExitCode != 3 {
		t.Fatalf("job that filled the disk = %s/%s exit %v error %q, want exited 3", j.State, j.Reason, j.ExitCode, j.Error)
	}
	// Free the space: the status is still there, and now in state.json.
	if err := os.Truncate(filepath.Join(r.dir, id, "output.log"), 0); err != nil {
		t.Fatal(err)
	}
	if j := s.ok("observe", obj{"job_id": id}).Job; j.State != "exited" || j.ExitCode == nil || *j.ExitCode != 3 {
		t.Errorf("observe after freeing space = %s/%s exit %v", j.State, j.Reason, j.ExitCode)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, id, "state.json"))
	if err != nil || !strings.Contains(string(b), `"exited"`) {
		t.Errorf("state.json after freeing space = %s, %v; want the exited state", b, err)
	}

	// A supervisor that really dies on a full disk: the loss says the disk
	// is full.
	live := s.started([]string{"sleep", "600"}, "", nil).Job.JobID
	sup, ok := supervisorOf(s.jobDir(live))
	if !ok {
		t.Fatal("no supervisor found")
	}
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // ENOSPC
		}
	}
	f.Close()
	if err := syscall.Kill(sup.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, sup, 20*time.Second)
	j := s.ok("observe", obj{"job_id": live}).Job
	if j.State != "failed" || j.Reason != "supervisor_lost" || !strings.Contains(j.Error, "disk_full") {
		t.Errorf("lost supervisor on a full disk = %s/%s %q, want supervisor_lost saying disk_full", j.State, j.Reason, j.Error)
	}
	os.Remove(filler)
}
