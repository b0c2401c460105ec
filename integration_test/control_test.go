package integration_test

import (
	"context"
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
		// timeout + kill_after is 5 s; a generous ceiling for a loaded machine.
		env := s.ok("observe", obj{"job_id": id, "until": 40})
		took := time.Since(began)
		if j := env.Job; j.State != "killed" || j.Reason != "timeout" {
			t.Fatalf("after %v: job %s/%s, want killed by its 3 s timeout", took, j.State, j.Reason)
		}
		if took > 30*time.Second {
			t.Errorf("the 3 s timeout ended the job after %v", took)
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
		if k.Job.State != "killed" || k.Job.Reason != "kill" {
			t.Fatalf("kill after %v: job %s/%s, want killed", took, k.Job.State, k.Job.Reason)
		}
		if took > 20*time.Second {
			t.Errorf("kill took %v", took)
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
	if err := syscall.Kill(sup.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	resume := func() { once.Do(func() { _ = syscall.Kill(sup.pid, syscall.SIGCONT) }) }
	t.Cleanup(resume)
	e := s.fail("kill", obj{"job_id": id, "grace": 1}, "supervisor_unresponsive")
	if e.Details["queued"] != true || e.Details["supervisor_stopped"] != true || !e.Retryable {
		t.Errorf("error = %+v, want queued, supervisor_stopped, retryable", e)
	}
	resume()
	if j := s.ok("observe", obj{"job_id": id, "until": 30}).Job; j.State != "killed" || j.Reason != "kill" {
		t.Errorf("after SIGCONT: job %s/%s, want killed by the queued kill", j.State, j.Reason)
	}
}
