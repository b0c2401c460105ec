package integration_test

import "testing"

// TestObserveSeveralJobs: observe with job_ids returns on the first of
// three jobs to end, names it, and gives each one's state; all: true waits
// for every one; bad job_ids are refused.
func TestObserveSeveralJobs(t *testing.T) {
	s := startServer(t)
	a := s.started("sleep 60", "", obj{"name": "mw-a"})
	b := s.started("sleep 1; echo bye; exit 3", "", obj{"name": "mw-b"})
	c := s.started("sleep 60", "", obj{"name": "mw-c"})
	env := s.ok("observe", obj{"job_ids": []string{"mw-a", b.Job.JobID, "mw-c"}, "until": 30})
	if env.Wait.Reason != "exited" || env.Wait.JobID != b.Job.JobID {
		t.Fatalf("wait = %+v, want exited by %s", env.Wait, b.Job.JobID)
	}
	if env.Job.JobID != b.Job.JobID || env.Job.State != "exited" || env.Job.ExitCode == nil || *env.Job.ExitCode != 3 {
		t.Fatalf("job = %+v, want %s exited 3", env.Job, b.Job.JobID)
	}
	if env.Output.Text != "bye\n" {
		t.Errorf("output %q, want the first finished job's", env.Output.Text)
	}
	if len(env.Waited) != 3 {
		t.Fatalf("waited = %+v, want 3 jobs", env.Waited)
	}
	for i, want := range []struct{ id, state string }{{a.Job.JobID, "running"}, {b.Job.JobID, "exited"}, {c.Job.JobID, "running"}} {
		if got := env.Waited[i]; got.JobID != want.id || got.State != want.state {
			t.Errorf("waited[%d] = %s %s, want %s %s", i, got.JobID, got.State, want.id, want.state)
		}
	}
	if env.Waited[1].LastLine != "bye" {
		t.Errorf("waited[1].last_line = %q, want bye", env.Waited[1].LastLine)
	}

	// all: returns once every job has ended; the first to end is named.
	s.ok("kill", obj{"job_id": a.Job.JobID})
	env = s.ok("observe", obj{"job_id": "mw-c", "job_ids": []string{"mw-a"}, "all": true, "until": 0.5})
	if env.Wait.Reason != "deadline" || env.Wait.JobID != a.Job.JobID {
		t.Fatalf("all with one still running: wait = %+v, want exited by %s at the deadline", env.Wait, a.Job.JobID)
	}
	if len(env.Waited) != 2 || env.Waited[0].State != "running" || env.Waited[1].State != "killed" {
		t.Fatalf("waited = %+v", env.Waited)
	}
	s.ok("kill", obj{"job_id": c.Job.JobID})
	env = s.ok("observe", obj{"job_ids": []string{"mw-a", "mw-c"}, "all": true, "until": 30})
	if env.Wait.JobID != a.Job.JobID || env.Waited[0].State != "killed" || env.Waited[1].State != "killed" {
		t.Fatalf("all ended: wait = %+v, waited = %+v", env.Wait, env.Waited)
	}

	s.fail("observe", obj{"job_ids": []string{"mw-a", "nosuchjob"}, "until": 1}, "job_not_found")
	s.fail("observe", obj{"job_ids": []string{}}, "invalid_input")
	s.fail("observe", obj{}, "invalid_input")
}
