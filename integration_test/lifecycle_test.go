package integration_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateStartRestart(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	c := s.ok("create", obj{"command": "echo run-output", "tags": []string{"t1"}})
	id := c.Job.JobID
	if c.Job.State != "created" || c.Job.Run != 0 || c.Job.StartedAt != "" || c.Output != nil {
		t.Fatalf("create = %+v", c.Job)
	}
	if len(jobProcs(id)) != 0 {
		t.Fatal("create started something")
	}
	if obs := s.ok("observe", obj{"job_id": id}); obs.Job.State != "created" || obs.Output.Text != "" {
		t.Errorf("observe created job = %s %q", obs.Job.State, obs.Output.Text)
	}

	st := s.ok("start", obj{"job_id": id})
	if st.Job.JobID != id || st.Job.State != "exited" || st.Job.Run != 1 || st.Output.Text != "run-output\n" || st.Wait.Reason != "exited" {
		t.Fatalf("start = %+v, output %q", st.Job, st.Output.Text)
	}
	s.fail("start", obj{"job_id": id}, "invalid_state")

	// restart: same id, run + 1, and the window shows only the new run.
	r := s.ok("restart", obj{"job_id": id})
	if r.Job.JobID != id || r.Job.Run != 2 || r.Job.State != "exited" {
		t.Fatalf("restart = %+v", r.Job)
	}
	if r.Output.Text != "run-output\n" || r.Output.Start != int64(len("run-output\n")) {
		t.Errorf("restart window = %q from %d, want the second run only", r.Output.Text, r.Output.Start)
	}
	if obs := s.ok("observe", obj{"job_id": id}); obs.Output.Text != "run-output\n" || obs.Job.Run != 2 {
		t.Errorf("observe after restart = run %d, %q: want the finished run, as restart showed it", obs.Job.Run, obs.Output.Text)
	}
	if obs := s.ok("observe", obj{"job_id": id, "offset": 0}); obs.Output.Text != "run-output\nrun-output\n" {
		t.Errorf("observe from offset 0 after restart = %q: the log keeps both runs", obs.Output.Text)
	}
	if l := s.ok("list", obj{"tag": "t1"}).Jobs; len(l) != 1 || l[0].Run != 2 {
		t.Errorf("list after restart = %+v", l)
	}

	// start of a long job: running.
	long := s.ok("create", obj{"command": "echo started; sleep 600"}).Job.JobID
	st = s.ok("start", obj{"job_id": long, "wait_for": "started", "until": 30})
	if st.Job.State != "running" || st.Wait.Reason != "matched" {
		t.Errorf("start of a long job = %s / %s", st.Job.State, st.Wait.Reason)
	}
}

// TestRestartRunning: restart of a running job stops the old run (its
// whole tree) before the new one starts, under the same id.
func TestRestartRunning(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started(`echo "run $(date +%s%N)"; sleep 600`, "^run ", nil)
	id := env.Job.JobID
	oldPID := s.detail(id).PID
	old := jobProcs(id)
	if len(old) == 0 {
		t.Fatal("no process of the running job")
	}
	r := s.ok("restart", obj{"job_id": id, "wait_for": "^run ", "until": 30, "grace": 2})
	if r.Job.JobID != id || r.Job.Run != 2 || r.Job.State != "running" || r.Wait.Reason != "matched" {
		t.Fatalf("restart = %+v, wait %+v", r.Job, r.Wait)
	}
	for _, p := range old {
		if p.alive() {
			t.Errorf("%s of the first run is alive after restart", p)
		}
	}
	if pid := s.detail(id).PID; pid == oldPID {
		t.Errorf("new run has the old pid %d", pid)
	}
	if strings.Count(r.Output.Text, "run ") != 1 {
		t.Errorf("restart window = %q, want the new run's line only", r.Output.Text)
	}
	// The events record both runs and the restart.
	events, err := os.ReadFile(filepath.Join(s.jobDir(id), "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{`"created"`, `"started"`, `"restarted"`, `"killed"`} {
		if !strings.Contains(string(events), e) {
			t.Errorf("events.ndjson lacks %s:\n%s", e, events)
		}
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started("sleep 600", "", nil)
	id := env.Job.JobID
	procs := jobProcs(id)
	s.fail("delete", obj{"job_id": id}, "invalid_state")
	if obs := s.ok("observe", obj{"job_id": id}); obs.Job.State != "running" {
		t.Fatalf("a refused delete changed the job: %s", obs.Job.State)
	}
	d := s.ok("delete", obj{"job_id": id, "force": true})
	if !d.Deleted || d.JobID != id {
		t.Errorf("delete force = %+v", d)
	}
	for _, p := range procs {
		if p.alive() {
			t.Errorf("%s alive after delete force", p)
			waitGone(t, p, 10*time.Second)
		}
	}
	if _, err := os.Stat(s.jobDir(id)); !os.IsNotExist(err) {
		t.Errorf("job directory after delete: %v", err)
	}
	s.fail("observe", obj{"job_id": id}, "job_not_found")
	s.fail("delete", obj{"job_id": id}, "job_not_found")

	// A finished job needs no force; a created one neither.
	done := s.runJob("true", nil).Job.JobID
	created := s.ok("create", obj{"command": "true"}).Job.JobID
	for _, j := range []string{done, created} {
		if d := s.ok("delete", obj{"job_id": j}); !d.Deleted {
			t.Errorf("delete %s = %+v", j, d)
		}
	}
	if l := s.listAll(); len(l) != 0 {
		t.Errorf("jobs left after deleting all: %+v", l)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	sub := filepath.Join(s.dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir() // not under the server's working directory

	a := s.runJob("echo a-last-line", obj{"tags": []string{"build", "x"}}).Job.JobID
	b := s.runJob("echo b; exit 1", obj{"cwd": sub, "name": "bee"}).Job.JobID
	c := s.started("sleep 600", "", obj{"cwd": outside, "tags": []string{"build"}}).Job.JobID
	d := s.ok("create", obj{"command": "true", "cwd": sub}).Job.JobID

	ids := func(l []summary) []string {
		var out []string
		for _, j := range l {
			out = append(out, j.JobID)
		}
		return out
	}
	check := func(args obj, want ...string) *envelope {
		t.Helper()
		env := s.ok("list", args)
		if got := ids(env.Jobs); !slices.Equal(got, want) {
			t.Errorf("list %v = %v, want %v", args, got, want)
		}
		return env
	}
	// Newest first; by default only jobs under the server's directory.
	all := check(obj{"all": true}, d, c, b, a)
	if !slices.IsSortedFunc(ids(all.Jobs), func(x, y string) int { return strings.Compare(y, x) }) {
		t.Error("ids are not time-ordered")
	}
	if all.Root != s.root.dir || *all.Truncated {
		t.Errorf("list root %q truncated %v", all.Root, *all.Truncated)
	}
	check(obj{}, d, b, a)
	check(obj{"state": "running", "all": true}, c)
	check(obj{"state": "exited"}, b, a)
	check(obj{"state": "created"}, d)
	check(obj{"state": "killed", "all": true})
	check(obj{"name": "bee"}, b)
	check(obj{"tag": "build", "all": true}, c, a)
	check(obj{"tag": "build"}, a)
	check(obj{"cwd": sub}, d, b)
	check(obj{"cwd": "sub"}, d, b)
	check(obj{"cwd": outside}, c)

	lim := check(obj{"all": true, "limit": 2}, d, c)
	if lim.Truncated == nil || !*lim.Truncated {
		t.Error("limit 2 of 4 jobs: truncated is not true")
	}
	if lim := check(obj{"all": true, "limit": 4}, d, c, b, a); *lim.Truncated {
		t.Error("limit 4 of 4 jobs: truncated")
	}

	for _, j := range all.Jobs {
		switch j.JobID {
		case a:
			if j.LastLine != "a-last-line" || j.State != "exited" || *j.ExitCode != 0 || !slices.Equal(j.Tags, []string{"build", "x"}) {
				t.Errorf("summary of a = %+v", j)
			}
		case b:
			if j.Name != "bee" || *j.ExitCode != 1 || j.Cwd != sub {
				t.Errorf("summary of b = %+v", j)
			}
		case c:
			if j.State != "running" || j.Run != 1 {
				t.Errorf("summary of c = %+v", j)
			}
		}
	}
}

// TestNameIfRunning: a name is unique among unfinished jobs; if_running
// says what a second run of the name does.
func TestNameIfRunning(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	first := s.started("echo first; sleep 600", "first", obj{"name": "srv"})
	id := first.Job.JobID
	firstProcs := jobProcs(id)

	for _, args := range []obj{
		{"command": "echo second", "name": "srv"},
		{"command": "echo second", "name": "srv", "if_running": "error"},
	} {
		e := s.fail("run", args, "name_in_use")
		if e.Field != "name" || e.Details["job_id"] != id || !strings.Contains(e.Message, id) {
			t.Errorf("name_in_use = %+v, want it to name %s", e, id)
		}
	}
	if e := s.fail("create", obj{"command": "true", "name": "srv"}, "name_in_use"); e.Details["job_id"] != id {
		t.Errorf("create: name_in_use details %v", e.Details)
	}

	att := s.ok("run", obj{"command": "echo never runs", "name": "srv", "if_running": "attach", "until": 0})
	if att.Job.JobID != id || att.Job.State != "running" || s.detail(id).Command[0] != "echo first; sleep 600" {
		t.Errorf("attach = %+v, want the running job %s", att.Job, id)
	}
	if n := len(s.listAll()); n != 1 {
		t.Errorf("%d jobs after attach, want 1", n)
	}

	re := s.ok("run", obj{"command": "echo replacement; sleep 600", "name": "srv", "if_running": "restart", "wait_for": "replacement", "until": 30})
	if re.Job.JobID == id || re.Job.State != "running" || re.Wait.Reason != "matched" {
		t.Fatalf("if_running restart = %+v, wait %+v", re.Job, re.Wait)
	}
	old := s.ok("observe", obj{"job_id": id})
	if old.Job.State != "killed" || old.Job.Reason != "kill" {
		t.Errorf("the replaced job is %s/%s, want killed/kill", old.Job.State, old.Job.Reason)
	}
	for _, p := range firstProcs {
		if p.alive() {
			t.Errorf("%s of the replaced job is alive", p)
		}
	}
	if obs := s.ok("observe", obj{"job_id": "srv"}); obs.Job.JobID != re.Job.JobID {
		t.Errorf("the name resolves to %s, want the new job %s", obs.Job.JobID, re.Job.JobID)
	}

	// Once the named job has finished, the name is free again.
	s.ok("kill", obj{"job_id": "srv"})
	if env := s.runJob("echo third", obj{"name": "srv"}); env.Job.State != "exited" || env.Output.Text != "third\n" {
		t.Errorf("run of a free name = %+v", env.Job)
	}
}
