package integration_test

import (
	"slices"
	"strings"
	"testing"
)

// TestUpdateTagsOverStdio: the update tool replaces a job's tags while it
// runs, list's tag takes a trailing * as a prefix, and bad calls fail as
// tool results.
func TestUpdateTagsOverStdio(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	web := s.started("sleep 60", "", obj{"name": "tagged-web", "tags": []string{"team.old"}})
	id := web.Job.JobID
	u := s.ok("update", obj{"job_id": "tagged-web", "tags": []string{"svc.web", "svc.frontend"}})
	if u.Type != "update" || u.Job.JobID != id || u.Job.State != "running" || !slices.Equal(u.Job.Tags, []string{"svc.web", "svc.frontend"}) {
		t.Fatalf("update: type %s, job %+v", u.Type, u.Job)
	}
	s.ok("run", obj{"command": "true", "tags": []string{"svcx"}, "until": 20})
	for tag, want := range map[string]int{"svc.*": 1, "svc*": 2, "svc.web": 1, "team.old": 0, "team*": 0} {
		if got := len(s.ok("list", obj{"all": true, "tag": tag}).Jobs); got != want {
			t.Errorf("list tag %q: %d jobs, want %d", tag, got, want)
		}
	}
	if u := s.ok("update", obj{"job_id": id, "tags": []string{}}); len(u.Job.Tags) != 0 {
		t.Errorf("update to no tags: %v", u.Job.Tags)
	}
	if e := s.fail("update", obj{"job_id": id}, "invalid_input"); e.Field != "tags" {
		t.Errorf("update without tags: field %q", e.Field)
	}
	if e := s.fail("update", obj{"job_id": id, "tags": []string{"no space"}}, "invalid_input"); !strings.Contains(e.Message, "tags") {
		t.Errorf("a bad tag: %+v", e)
	}
	s.fail("update", obj{"job_id": "nosuchjob", "tags": []string{}}, "job_not_found")
	s.fail("list", obj{"tag": "*"}, "invalid_input")
	if o := s.ok("observe", obj{"job_id": id}); o.Job.State != "running" {
		t.Errorf("the job is %s after updates", o.Job.State)
	}
}
