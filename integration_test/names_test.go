package integration_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Names (issue 8, A3 and A4): a name is unique among unfinished jobs under
// any interleaving of run, restart and start, from any number of servers.

// unfinishedNamed lists the jobs of the root named name that are created or
// running.
func unfinishedNamed(s *server, name string) []summary {
	var out []summary
	for _, j := range s.ok("list", obj{"all": true, "name": name, "limit": 1000}).Jobs {
		if j.State == "running" || j.State == "created" {
			out = append(out, j)
		}
	}
	return out
}

// checkNoStrays checks that no process carries the id of a job of r that
// is not running: a job whose directory was removed, or whose run ended,
// leaves nothing behind (waiting a while for ending runs to be reaped).
func checkNoStrays(t *testing.T, s *server, r *root) {
	t.Helper()
	running := make(map[string]bool)
	for _, j := range s.listAll() {
		if j.State == "running" {
			running[j.JobID] = true
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for id := range r.allIDs() {
		if running[id] {
			continue
		}
		for len(jobProcs(id)) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if left := jobProcs(id); len(left) > 0 {
			t.Errorf("job %s is not running (directory present: %v) but its processes %v are", id, dirExists(s.jobDir(id)), left)
		}
	}
}

// TestRaceNameRunRestartVersusRestart (A3): two servers on one root, one
// looping `run if_running: restart`, the other looping `restart` of the
// name. At every end there is one unfinished job of the name, no call fails
// with launch_failed, and no process runs for a job that is gone.
func TestRaceNameRunRestartVersusRestart(t *testing.T) {
	t.Parallel()
	span := 12 * time.Second
	if testing.Short() {
		span = 5 * time.Second
	}
	const name = "contested"
	r := newRoot(t)
	s1, s2 := startServer(t, onRoot(r)), startServer(t, onRoot(r))
	s1.started("exec sleep 1000", "", obj{"name": name})

	stop := time.Now().Add(span)
	var mu sync.Mutex
	counts := make(map[string]int) // "tool code" → calls
	loop := func(s *server, tool string, args obj, allowed ...string) {
		for time.Now().Before(stop) {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			rep, err := s.invoke(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
			cancel()
			if err != nil {
				t.Errorf("%s: %v", tool, err)
				return
			}
			code := "ok"
			if !rep.env.OK {
				code = rep.env.Error.Code
			}
			mu.Lock()
			counts[tool+" "+code]++
			mu.Unlock()
			if code == "ok" || contains(allowed, code) {
				continue
			}
			t.Errorf("%s: %s %s", tool, code, rep.env.Error.Message)
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		loop(s1, "run", obj{"command": "exec sleep 1000", "name": name, "if_running": "restart", "until": 0}, "name_in_use")
	}()
	go func() {
		defer wg.Done()
		loop(s2, "restart", obj{"job_id": name, "until": 0, "grace": 5}, "name_in_use")
	}()
	wg.Wait()
	t.Logf("calls: %v", counts)
	if u := unfinishedNamed(s1, name); len(u) != 1 {
		t.Errorf("unfinished jobs named %s: %+v, want exactly one", name, u)
	}
	checkNoStrays(t, s1, r)
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func dirExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// TestRestartOldJobNameInUse (A4): restarting an old, finished job while a
// newer job of its name runs answers name_in_use naming the running job,
// and changes nothing; once the newer job ends, the restart works.
func TestRestartOldJobNameInUse(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	old := s.runJob("echo old", obj{"name": "svc", "until": 30})
	if old.Job.State != "exited" {
		t.Fatalf("first job = %s, want exited", old.Job.State)
	}
	cur := s.started("exec sleep 1000", "", obj{"name": "svc"})
	e := s.fail("restart", obj{"job_id": old.Job.JobID, "until": 0}, "name_in_use")
	if e.Details["job_id"] != cur.Job.JobID {
		t.Errorf("name_in_use details = %v, want job_id %s", e.Details, cur.Job.JobID)
	}
	if obs := s.ok("observe", obj{"job_id": old.Job.JobID}); obs.Job.State != "exited" || obs.Job.Run != 1 {
		t.Errorf("old job after the refused restart = %s run %d, want exited run 1", obs.Job.State, obs.Job.Run)
	}
	if u := unfinishedNamed(s, "svc"); len(u) != 1 || u[0].JobID != cur.Job.JobID {
		t.Errorf("unfinished jobs named svc = %+v, want only %s", u, cur.Job.JobID)
	}
	s.ok("kill", obj{"job_id": cur.Job.JobID})
	again := s.ok("restart", obj{"job_id": old.Job.JobID, "until": 30})
	if again.Job.State != "exited" || again.Job.Run != 2 {
		t.Errorf("restart of the old job once the name is free = %s run %d, want exited run 2", again.Job.State, again.Job.Run)
	}
}

// TestListHiddenElsewhere (issue 8, item 16): a server whose working
// directory holds none of the root's jobs lists none, and says how many
// there are elsewhere; all shows them and carries no count.
func TestListHiddenElsewhere(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	s := startServer(t, onRoot(r))
	away := t.TempDir()
	s.runJob("echo one", obj{"cwd": away, "until": 30})
	s.runJob("echo two", obj{"cwd": away, "until": 30})
	rep := s.call("list", obj{})
	var got struct {
		Jobs   []summary `json:"jobs"`
		Hidden *int      `json:"hidden"`
	}
	if err := json.Unmarshal([]byte(rep.text), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Jobs) != 0 || got.Hidden == nil || *got.Hidden != 2 {
		t.Errorf("list away from the jobs = %s, want no jobs and hidden 2", rep.text)
	}
	rep = s.call("list", obj{"all": true})
	if strings.Contains(rep.text, `"hidden"`) || len(rep.env.Jobs) != 2 {
		t.Errorf("list all = %s, want both jobs and no hidden count", rep.text)
	}
}

// TestUnreadableJobOverMCP (issue 8, item 18): a running job whose
// meta.json is corrupt is listed as skipped with the reason, kill stops its
// processes, and delete with force removes it.
func TestUnreadableJobOverMCP(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	s := startServer(t, onRoot(r))
	id := s.started("exec sleep 1000", "", nil).Job.JobID
	procs := jobProcs(id)
	if len(procs) == 0 {
		t.Fatal("no process of the job")
	}
	if err := os.WriteFile(filepath.Join(s.jobDir(id), "meta.json"), []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := s.call("list", obj{"all": true})
	var got struct {
		Skipped []struct {
			JobID  string `json:"job_id"`
			Reason string `json:"reason"`
		} `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(rep.text), &got); err != nil {
		t.Fatal(err)
	}
	if len(rep.env.Jobs) != 0 || len(got.Skipped) != 1 || got.Skipped[0].JobID != id || !strings.Contains(got.Skipped[0].Reason, "meta.json") {
		t.Errorf("list = %s, want no jobs and %s skipped for its meta.json", rep.text, id)
	}
	e := s.fail("kill", obj{"job_id": id}, "io_error")
	if e.Details["supervised"] != true {
		t.Errorf("kill of the unreadable job: %s %v, want the supervisor to have ended the run", e.Message, e.Details)
	}
	for _, p := range procs {
		waitGone(t, p, 20*time.Second)
	}
	if d := s.ok("delete", obj{"job_id": id, "force": true}); !d.Deleted {
		t.Errorf("delete = %+v", d)
	}
	if dirExists(s.jobDir(id)) {
		t.Errorf("job directory after delete --force still exists")
	}
}
