package jobs

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestUpdateTags: update replaces the tags of a created, running or
// finished job, records an event, and list sees the new tags, with prefix
// filters.
func TestUpdateTags(t *testing.T) {
	s := newService(t)
	created, err := s.Create(t.Context(), &Definition{Command: Command{"true"}, Tags: []string{"old"}})
	if err != nil {
		t.Fatal(err)
	}
	running := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 60"}}, Observation: Observation{Until: f64(0)}})
	for _, id := range []string{created.Job.JobID, running.Job.JobID} {
		env, err := s.Update(t.Context(), &UpdateRequest{JobID: id, Tags: &[]string{"ns.web", "ns.db", "ns.web", "other"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"ns.web", "ns.db", "other"}; env.Type != "update" || !slices.Equal(env.Job.Tags, want) {
			t.Fatalf("update: type %s, tags %v, want %v", env.Type, env.Job.Tags, want)
		}
		ev, _ := os.ReadFile(s.store.Path(id, jobstore.EventsFile))
		if !strings.Contains(string(ev), `"updated"`) {
			t.Fatalf("events: %s, want an updated event", ev)
		}
	}
	if st, _ := s.store.ReadState(running.Job.JobID); st.State != jobstore.StateRunning {
		t.Fatalf("the running job is %s after the update", st.State)
	}
	env, err := s.Update(t.Context(), &UpdateRequest{JobID: created.Job.JobID, Tags: &[]string{}})
	if err != nil || len(env.Job.Tags) != 0 || env.Job.Tags == nil {
		t.Fatalf("clearing: %+v, %v", env, err)
	}
	for tag, want := range map[string]int{"ns.*": 1, "ns*": 1, "ns.web": 1, "ns.w*": 1, "n*": 1, "ns": 0, "x*": 0} {
		l, err := s.List(t.Context(), &ListRequest{All: true, Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Jobs) != want {
			t.Errorf("list tag %q: %d jobs, want %d", tag, len(l.Jobs), want)
		}
	}
	for _, tc := range []struct {
		req   UpdateRequest
		code  Code
		field string
	}{
		{UpdateRequest{JobID: created.Job.JobID}, CodeInvalidInput, "tags"},
		{UpdateRequest{JobID: created.Job.JobID, Tags: &[]string{"a b"}}, CodeInvalidInput, "tags"},
		{UpdateRequest{JobID: "nosuchjob", Tags: &[]string{}}, CodeNotFound, ""},
	} {
		_, err := s.Update(t.Context(), &tc.req)
		var e *Error
		if codeOf(err) != tc.code || (tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field)) {
			t.Errorf("update %+v: %v, want %s", tc.req, err, tc.code)
		}
	}
	for _, tag := range []string{"*", "a**", "-x*"} {
		if _, err := s.List(t.Context(), &ListRequest{Tag: tag}); codeOf(err) != CodeInvalidInput {
			t.Errorf("list tag %q: %v, want invalid_input", tag, err)
		}
	}
}
