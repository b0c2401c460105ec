package integration_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sys/unix"
)

// awaitProgress waits for a progress notification with token: the proof
// that the call carrying it is inside the server, waiting.
func (s *server) awaitProgress(token string, d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		if len(s.progressFor(token)) > 0 {
			return
		}
		select {
		case <-s.progressCh:
		case <-deadline:
			s.t.Fatalf("no progress notification for %s within %v", token, d)
		}
	}
}

// callAsync starts a tool call with a progress token on its own goroutine.
func (s *server) callAsync(tool string, args obj, token string) <-chan asyncResult {
	ch := make(chan asyncResult, 1)
	p := &mcp.CallToolParams{Name: tool, Arguments: args}
	if token != "" {
		p.SetProgressToken(token)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		rep, err := s.invoke(ctx, p)
		ch <- asyncResult{rep, err}
	}()
	return ch
}

type asyncResult struct {
	rep *reply
	err error
}

func receive(t *testing.T, ch <-chan asyncResult, d time.Duration) asyncResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(d):
		t.Fatalf("call did not return within %v", d)
	}
	panic("unreachable")
}

// TestDurableAcrossServers: a job outlives the server that started it (the
// client closed the session); a new server on the same root finds it
// running and can kill it, leaving no process behind.
func TestDurableAcrossServers(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	s1 := startServer(t, onRoot(r))
	env := s1.runJob("echo up; sleep 600", obj{"until": 1})
	id := env.Job.JobID
	if env.Job.State != "running" || env.Wait.Reason != "deadline" {
		t.Fatalf("run = %s / %s", env.Job.State, env.Wait.Reason)
	}
	pid := s1.detail(id).PID
	procs := jobProcs(id)
	sv, ok := supervisorOf(s1.jobDir(id))
	if len(procs) == 0 || !ok {
		t.Fatalf("job processes %v, supervisor found %v", procs, ok)
	}
	s1.stop() // closes stdin; the server must exit by itself, status 0

	for _, p := range append(slices.Clone(procs), sv) {
		if !p.alive() {
			t.Fatalf("%s died with the server", p)
		}
	}
	s2 := startServer(t, onRoot(r))
	obs := s2.ok("observe", obj{"job_id": id, "detail": true})
	if obs.Job.State != "running" || obs.Job.PID != pid || obs.Output.Text != "up\n" {
		t.Fatalf("observe from a new server = %s pid %d %q, want running pid %d", obs.Job.State, obs.Job.PID, obs.Output.Text, pid)
	}
	k := s2.ok("kill", obj{"job_id": id})
	if k.Job.State != "killed" || k.Job.Reason != "kill" {
		t.Fatalf("kill = %+v", k.Job)
	}
	for _, p := range procs {
		if p.alive() {
			t.Errorf("%s alive after kill", p)
		}
	}
	waitGone(t, sv, 10*time.Second)
	if left := jobProcs(id); len(left) != 0 {
		t.Errorf("processes of the job remain: %v", left)
	}
}

// TestServerKilledMidWait: SIGKILL of the server in the middle of a long
// observe leaves the job untouched; a new server sees it running.
func TestServerKilledMidWait(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	s1 := startServer(t, onRoot(r))
	env := s1.started("sleep 600", "", nil)
	id := env.Job.JobID
	pid := s1.detail(id).PID
	procs := jobProcs(id)
	sv, ok := supervisorOf(s1.jobDir(id))
	if !ok {
		t.Fatal("no supervisor")
	}
	call := s1.callAsync("observe", obj{"job_id": id, "until": 30}, "long-observe")
	s1.awaitProgress("long-observe", 20*time.Second)
	s1.kill9()
	if res := receive(t, call, 20*time.Second); res.err == nil {
		t.Errorf("observe returned %s from a killed server", res.rep.text)
	}

	for _, p := range append(slices.Clone(procs), sv) {
		if !p.alive() {
			t.Fatalf("%s died with the server", p)
		}
	}
	s2 := startServer(t, onRoot(r))
	obs := s2.ok("observe", obj{"job_id": id, "detail": true})
	if obs.Job.State != "running" || obs.Job.PID != pid {
		t.Fatalf("observe from a new server = %s pid %d", obs.Job.State, obs.Job.PID)
	}
	if k := s2.ok("kill", obj{"job_id": id}); k.Job.State != "killed" {
		t.Errorf("kill = %+v", k.Job)
	}
}

// TestSupervisorLost: when a job's supervisor dies, the next reader records
// failed / supervisor_lost and stops what is left of the workload.
func TestSupervisorLost(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	t.Run("observe after the loss", func(t *testing.T) {
		env := s.started("sleep 600", "", nil)
		id := env.Job.JobID
		procs := jobProcs(id)
		sv, ok := supervisorOf(s.jobDir(id))
		if !ok || len(procs) == 0 {
			t.Fatalf("supervisor found %v, workload %v", ok, procs)
		}
		if err := unix.Kill(sv.pid, unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitGone(t, sv, 10*time.Second)
		obs := s.ok("observe", obj{"job_id": id})
		if obs.Job.State != "failed" || obs.Job.Reason != "supervisor_lost" || obs.Job.Error == "" {
			t.Fatalf("observe = %s/%s %q, want failed/supervisor_lost", obs.Job.State, obs.Job.Reason, obs.Job.Error)
		}
		for _, p := range procs {
			waitGone(t, p, 10*time.Second)
		}
		if left := jobProcs(id); len(left) != 0 {
			t.Errorf("workload processes remain: %v", left)
		}
		// The loss is recorded, not just reported.
		if l := s.ok("list", obj{"state": "failed"}).Jobs; len(l) != 1 || l[0].JobID != id || l[0].Reason != "supervisor_lost" {
			t.Errorf("list state failed = %+v", l)
		}
	})
	t.Run("while a wait is on", func(t *testing.T) {
		env := s.started("sleep 600", "", nil)
		id := env.Job.JobID
		procs := jobProcs(id)
		sv, ok := supervisorOf(s.jobDir(id))
		if !ok {
			t.Fatal("no supervisor")
		}
		call := s.callAsync("observe", obj{"job_id": id, "until": 30}, "lost-wait")
		s.awaitProgress("lost-wait", 20*time.Second)
		if err := unix.Kill(sv.pid, unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
		res := receive(t, call, 20*time.Second)
		if res.err != nil {
			t.Fatal(res.err)
		}
		if j := res.rep.env.Job; j.State != "failed" || j.Reason != "supervisor_lost" || res.rep.env.Wait.Reason != "exited" {
			t.Errorf("waiting observe = %s/%s, wait %s; want failed/supervisor_lost, exited", j.State, j.Reason, res.rep.env.Wait.Reason)
		}
		for _, p := range procs {
			waitGone(t, p, 10*time.Second)
		}
	})
}
