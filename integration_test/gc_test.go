package integration_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// gcResult is the gc tool's envelope.
type gcResult struct {
	Type string `json:"type"`
	Root string `json:"root"`
	GC   struct {
		OlderThanS int64 `json:"older_than_s"`
		MaxJobs    int   `json:"max_jobs"`
		MaxBytes   int64 `json:"max_bytes"`
		DryRun     bool  `json:"dry_run"`
		Deleted    []struct {
			JobID  string `json:"job_id"`
			Name   string `json:"name"`
			State  string `json:"state"`
			Reason string `json:"reason"`
			Bytes  int64  `json:"bytes"`
		} `json:"deleted"`
		FreedBytes int64          `json:"freed_bytes"`
		Kept       map[string]int `json:"kept"`
	} `json:"gc"`
}

func (s *server) gc(args obj) *gcResult {
	s.t.Helper()
	rep := s.call("gc", args)
	if !rep.env.OK {
		s.t.Fatalf("gc %v: error %s: %s", args, rep.env.Error.Code, rep.env.Error.Message)
	}
	var r gcResult
	if err := json.Unmarshal([]byte(rep.text), &r); err != nil {
		s.t.Fatal(err)
	}
	return &r
}

func (r *gcResult) deleted() []string {
	var ids []string
	for _, j := range r.GC.Deleted {
		ids = append(ids, j.JobID)
	}
	return ids
}

// ageState makes a finished job look as if it ended 40 days ago, editing
// its state.json as an old job's would read.
func ageState(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "state.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	st["finished_at"] = time.Now().Add(-40 * 24 * time.Hour).UTC().Format(time.RFC3339Nano)
	b, _ = json.Marshal(st)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestGCTool(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	old := s.runJob("true", obj{"name": "old-build"}).Job.JobID
	ageState(t, s.jobDir(old))
	fresh := s.runJob("true", nil).Job.JobID
	created := s.ok("create", obj{"command": "true"}).Job.JobID
	running := s.started("sleep 60", "", nil).Job.JobID
	broken := s.runJob("true", nil).Job.JobID
	// A supervisor writes its last lines after the state: let them finish
	// before directories are made to look old (and so that gc does not
	// find a finished job still held, busy).
	for _, id := range []string{old, fresh, broken} {
		if p, ok := supervisorOf(s.jobDir(id)); ok {
			waitGone(t, p, 30*time.Second)
		}
	}
	if err := os.WriteFile(filepath.Join(s.jobDir(broken), "state.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-40 * 24 * time.Hour)
	for _, id := range []string{created, running, broken} {
		os.Chtimes(s.jobDir(id), long, long)
	}

	dry := s.gc(obj{"older_than": "30d", "dry_run": true})
	if !dry.GC.DryRun || !slices.Equal(dry.deleted(), []string{old}) || dry.GC.Deleted[0].Name != "old-build" {
		t.Fatalf("dry run deleted %v (%+v), want only %s with its name", dry.deleted(), dry.GC.Deleted, old)
	}
	if _, err := os.Stat(s.jobDir(old)); err != nil {
		t.Fatalf("a dry run removed the job: %v", err)
	}

	r := s.gc(obj{"older_than": "30d"})
	if !slices.Equal(r.deleted(), []string{old}) || r.GC.Deleted[0].Reason != "older_than" || r.GC.FreedBytes <= 0 {
		t.Fatalf("gc deleted %+v, freed %d; want only %s, by older_than", r.GC.Deleted, r.GC.FreedBytes, old)
	}
	if r.GC.Kept["created"] != 1 || r.GC.Kept["running"] != 1 || r.GC.Kept["unreadable"] != 1 || r.GC.Kept["within_limits"] != 1 {
		t.Errorf("kept = %v, want created 1, running 1, unreadable 1, within_limits 1", r.GC.Kept)
	}
	if r.GC.OlderThanS != 30*86400 || r.GC.MaxJobs != 1000 || r.GC.MaxBytes != 2<<30 {
		t.Errorf("limits = %d s, %d jobs, %d bytes; want 30d and the default 1000 jobs, 2 GiB", r.GC.OlderThanS, r.GC.MaxJobs, r.GC.MaxBytes)
	}
	s.fail("observe", obj{"job_id": old}, "job_not_found")
	for _, id := range []string{fresh, created, running} {
		s.ok("observe", obj{"job_id": id})
	}

	r = s.gc(obj{"older_than": 86400, "unreadable": true, "max_jobs": 0, "max_bytes": 0})
	if !slices.Equal(r.deleted(), []string{broken}) || r.GC.Deleted[0].State != "unknown" {
		t.Fatalf("gc unreadable deleted %+v, want only the unreadable %s", r.GC.Deleted, broken)
	}

	// The count limit alone: keep 2 jobs (the running and the created one).
	r = s.gc(obj{"older_than": 0, "max_jobs": 2})
	if !slices.Equal(r.deleted(), []string{fresh}) || r.GC.Deleted[0].Reason != "max_jobs" {
		t.Fatalf("gc max_jobs 2 deleted %+v, want only %s", r.GC.Deleted, fresh)
	}

	for _, c := range []struct {
		args  obj
		field string
	}{
		{obj{"older_than": "soon"}, "older_than"},
		{obj{"older_than": -1}, "older_than"},
		{obj{"max_jobs": -1}, "max_jobs"},
		{obj{"max_bytes": "lots"}, "max_bytes"},
		{obj{"dry_run": "yes"}, "dry_run"},
		{obj{"job_id": running}, "job_id"},
	} {
		if e := s.fail("gc", c.args, "invalid_input"); e.Field != c.field {
			t.Errorf("gc %v: field %q, want %q", c.args, e.Field, c.field)
		}
	}
}

func TestAutoGCOnRunOverMCP(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	old := s.runJob("true", nil).Job.JobID
	ageState(t, s.jobDir(old))
	if p, ok := supervisorOf(s.jobDir(old)); ok {
		waitGone(t, p, 30*time.Second) // or the collection finds it busy
	}
	running := s.started("sleep 60", "", nil).Job.JobID
	// The last pass (after the first run) is recorded in .gc.lock; forget
	// it, or the next pass would wait for the minute between passes.
	if err := os.Truncate(filepath.Join(s.root.dir, ".gc.lock"), 0); err != nil {
		t.Fatal(err)
	}
	fresh := s.runJob("true", nil).Job.JobID
	s.ok("kill", obj{"job_id": running})
	s.stop() // the server exits once its background collection is done
	if _, err := os.Stat(filepath.Join(s.root.dir, old)); !os.IsNotExist(err) {
		t.Fatalf("the 40-day-old job %s is still there after a run (stat: %v)", old, err)
	}
	for _, id := range []string{running, fresh} {
		if _, err := os.Stat(filepath.Join(s.root.dir, id)); err != nil {
			t.Errorf("job %s was removed: %v", id, err)
		}
	}
}

// TestDeleteByFilters: delete without job_id removes the jobs that match
// the filters in the server's directory, never a running one; dry_run
// only reports them.
func TestDeleteByFilters(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	a := s.runJob("true", obj{"tags": []string{"ci"}}).Job.JobID
	b := s.started("sleep 60", "", obj{"tags": []string{"ci"}}).Job.JobID
	c := s.runJob("true", obj{"tags": []string{"other"}}).Job.JobID
	for _, id := range []string{a, c} {
		if p, ok := supervisorOf(s.jobDir(id)); ok {
			waitGone(t, p, 30*time.Second)
		}
	}
	type bulk struct {
		Bulk struct {
			DryRun  bool `json:"dry_run"`
			Deleted []struct {
				JobID string `json:"job_id"`
			} `json:"deleted"`
			Kept map[string]int `json:"kept"`
		} `json:"bulk"`
	}
	del := func(args obj) bulk {
		t.Helper()
		rep := s.call("delete", args)
		if !rep.env.OK {
			t.Fatalf("delete %v: %s", args, rep.text)
		}
		var v bulk
		if err := json.Unmarshal([]byte(rep.text), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := del(obj{"tag": "ci", "dry_run": true})
	if len(v.Bulk.Deleted) != 1 || v.Bulk.Deleted[0].JobID != a || v.Bulk.Kept["running"] != 1 || !v.Bulk.DryRun {
		t.Fatalf("dry run = %+v, want %s listed and the running job kept", v.Bulk, a)
	}
	s.ok("observe", obj{"job_id": a})
	v = del(obj{"tag": "ci"})
	if len(v.Bulk.Deleted) != 1 || v.Bulk.Deleted[0].JobID != a {
		t.Fatalf("delete tag ci = %+v, want %s", v.Bulk, a)
	}
	s.fail("observe", obj{"job_id": a}, "job_not_found")
	s.ok("observe", obj{"job_id": b})
	// With job_id, a filter is a condition on that job.
	if v := del(obj{"job_id": c, "tag": "ci"}); len(v.Bulk.Deleted) != 0 {
		t.Fatalf("delete %s if tagged ci = %+v, want nothing deleted (it is tagged other)", c, v.Bulk)
	}
	s.ok("observe", obj{"job_id": c})
	for _, c := range []struct {
		args  obj
		field string
	}{
		{obj{}, "job_id"},
		{obj{"tag": "ci", "force": true}, "force"},
		{obj{"state": "running"}, "state"},
		{obj{"older_than": "soon"}, "older_than"},
	} {
		if e := s.fail("delete", c.args, "invalid_input"); e.Field != c.field {
			t.Errorf("delete %v: field %q, want %q", c.args, e.Field, c.field)
		}
	}
}
