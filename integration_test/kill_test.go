package integration_test

import (
	"testing"
)

func TestTimeout(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	t.Run("TERM ends it", func(t *testing.T) {
		env := s.runJob("sleep 60", obj{"timeout": 1, "until": 30})
		j := env.Job
		if j.State != "killed" || j.Reason != "timeout" || j.Signal != "SIGTERM" || env.Wait.Reason != "exited" {
			t.Errorf("job = %s/%s/%s, wait %s; want killed/timeout/SIGTERM", j.State, j.Reason, j.Signal, env.Wait.Reason)
		}
		if d := s.detail(j.JobID); d.TimeoutS != 1 || j.ExitCode != nil {
			t.Errorf("job.timeout_s = %v, exit_code %v", d.TimeoutS, j.ExitCode)
		}
	})
	t.Run("TERM ignored: KILL after kill_after", func(t *testing.T) {
		env := s.runJob("trap '' TERM; sleep 60", obj{"timeout": 1, "kill_after": 1, "until": 30})
		j := env.Job
		if j.State != "killed" || j.Reason != "timeout" || j.Signal != "SIGKILL" {
			t.Errorf("job = %s/%s/%s; want killed/timeout/SIGKILL", j.State, j.Reason, j.Signal)
		}
		if j.DurationMS == nil || *j.DurationMS < 2000 {
			t.Errorf("duration_ms = %v, want at least timeout + kill_after (2000)", j.DurationMS)
		}
		if procs := jobProcs(j.JobID); len(procs) != 0 {
			t.Errorf("processes of the timed-out job remain: %v", procs)
		}
	})
}

func TestKill(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	t.Run("SIGTERM", func(t *testing.T) {
		env := s.started("sleep 600", "", nil)
		id := env.Job.JobID
		procs := jobProcs(id)
		k := s.ok("kill", obj{"job_id": id})
		if k.AlreadyDone == nil || *k.AlreadyDone {
			t.Errorf("kill of a running job: already_finished %v, want false", k.AlreadyDone)
		}
		if k.Job.State != "killed" || k.Job.Reason != "kill" || k.Job.Signal != "SIGTERM" || k.Signal != "SIGTERM" || k.Escalated == nil || *k.Escalated {
			t.Errorf("kill = job %s/%s/%s, signal %s, escalated %v; want killed/kill/SIGTERM, not escalated",
				k.Job.State, k.Job.Reason, k.Job.Signal, k.Signal, k.Escalated)
		}
		for _, p := range procs {
			if p.alive() {
				t.Errorf("%s still alive after kill reported the job killed", p)
			}
		}
		// Killing a finished job does nothing and says so.
		again := s.ok("kill", obj{"job_id": id})
		if again.Job.State != "killed" || *again.Escalated {
			t.Errorf("second kill = %+v", again.Job)
		}
		obs := s.ok("observe", obj{"job_id": id, "detail": true})
		if obs.Job.State != "killed" || obs.Job.FinishedAt == "" {
			t.Errorf("observe after kill: %+v", obs.Job)
		}
	})
	t.Run("TERM ignored escalates", func(t *testing.T) {
		env := s.started("trap '' TERM; echo ready; sleep 600", "ready", nil)
		k := s.ok("kill", obj{"job_id": env.Job.JobID, "grace": 1})
		if k.Job.State != "killed" || k.Job.Reason != "kill" || k.Job.Signal != "SIGKILL" || k.Escalated == nil || !*k.Escalated {
			t.Errorf("kill = job %s/%s/%s, escalated %v; want killed/kill/SIGKILL, escalated", k.Job.State, k.Job.Reason, k.Job.Signal, k.Escalated)
		}
		if procs := jobProcs(env.Job.JobID); len(procs) != 0 {
			t.Errorf("processes remain: %v", procs)
		}
	})
	t.Run("other signal", func(t *testing.T) {
		// No shell here: dash sometimes survives a SIGINT that arrives
		// while it starts its command (seen outside agent-exec too).
		env := s.started([]string{"sleep", "600"}, "", nil)
		k := s.ok("kill", obj{"job_id": env.Job.JobID, "signal": "INT"})
		if k.Job.State != "killed" || k.Signal != "SIGINT" || k.Job.Signal != "SIGINT" {
			t.Errorf("kill INT = job %s/%s, signal %s", k.Job.State, k.Job.Signal, k.Signal)
		}
		env = s.started("sleep 600", "", nil)
		k = s.ok("kill", obj{"job_id": env.Job.JobID, "signal": 9})
		if k.Job.State != "killed" || k.Job.Signal != "SIGKILL" || *k.Escalated {
			t.Errorf("kill 9 = job %s/%s, escalated %v", k.Job.State, k.Job.Signal, *k.Escalated)
		}
	})
	t.Run("real-time signal", func(t *testing.T) {
		// Every signal has a name, so the result keeps its schema.
		env := s.runJob("kill -40 $$", obj{"until": 30})
		if j := env.Job; j.State != "killed" || j.Reason != "signal" || j.Signal != "SIGRTMIN+6" {
			t.Errorf("job ended by signal 40 = %s/%s/%q, want killed/signal/SIGRTMIN+6", j.State, j.Reason, j.Signal)
		}
		if l := s.ok("observe", obj{"job_id": env.Job.JobID}); l.Job.Signal != "SIGRTMIN+6" {
			t.Errorf("observe: signal %q", l.Job.Signal)
		}
		env = s.started([]string{"sleep", "600"}, "", nil)
		k := s.ok("kill", obj{"job_id": env.Job.JobID, "signal": 40})
		if k.Signal != "SIGRTMIN+6" || k.Job.State != "killed" || k.Job.Signal != "SIGRTMIN+6" {
			t.Errorf("kill 40 = signal %q, job %s/%q", k.Signal, k.Job.State, k.Job.Signal)
		}
		env = s.started([]string{"sleep", "600"}, "", nil)
		if k := s.ok("kill", obj{"job_id": env.Job.JobID, "signal": "RTMAX-2"}); k.Signal != "SIGRTMAX-2" || k.Job.Signal != "SIGRTMAX-2" {
			t.Errorf("kill RTMAX-2 = signal %q, job %q", k.Signal, k.Job.Signal)
		}
	})
	t.Run("trapped and exited", func(t *testing.T) {
		// What happened is recorded: the job caught SIGTERM and exited 3.
		env := s.started("trap 'exit 3' TERM; echo ready; while :; do sleep 0.1; done", "ready", nil)
		k := s.ok("kill", obj{"job_id": env.Job.JobID, "grace": 20})
		if j := k.Job; j.State != "exited" || j.Reason != "kill" || j.ExitCode == nil || *j.ExitCode != 3 || j.Signal != "" {
			t.Errorf("kill of a job that traps it = %s/%s exit %v signal %q; want exited/kill, exit 3, no signal", j.State, j.Reason, j.ExitCode, j.Signal)
		}
	})
	t.Run("finished job", func(t *testing.T) {
		env := s.runJob("exit 4", nil)
		k := s.ok("kill", obj{"job_id": env.Job.JobID})
		if k.Job.State != "exited" || *k.Job.ExitCode != 4 || *k.Escalated {
			t.Errorf("kill of an exited job = %+v", k.Job)
		}
		if k.AlreadyDone == nil || !*k.AlreadyDone {
			t.Errorf("kill of an exited job: already_finished %v, want true", k.AlreadyDone)
		}
	})
	t.Run("created job", func(t *testing.T) {
		id := s.ok("create", obj{"command": "sleep 600"}).Job.JobID
		s.fail("kill", obj{"job_id": id}, "invalid_state")
		if obs := s.ok("observe", obj{"job_id": id}); obs.Job.State != "created" {
			t.Errorf("a refused kill changed the job: %s", obs.Job.State)
		}
	})
}
