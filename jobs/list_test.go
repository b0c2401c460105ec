package jobs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestListHiddenElsewhere: a list scoped to a directory says how many jobs
// matching its filters live elsewhere; with all there is no scope and no
// count.
func TestListHiddenElsewhere(t *testing.T) {
	s := newService(t)
	other := t.TempDir()
	for _, cmd := range []string{"true", "exit 3", "true"} {
		mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{cmd}, Cwd: other, Tags: []string{"t"}}})
	}
	mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"true"}}})
	for _, tc := range []struct {
		req        ListRequest
		shown, hid int
	}{
		{ListRequest{}, 1, 3},
		{ListRequest{Tag: "t"}, 0, 3},
		{ListRequest{State: "exited"}, 1, 3},
		{ListRequest{Cwd: other}, 3, 1},
	} {
		env, err := s.List(t.Context(), &tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if len(env.Jobs) != tc.shown || env.Hidden == nil || *env.Hidden != tc.hid {
			t.Errorf("List(%+v) = %d jobs, hidden %v; want %d, hidden %d", tc.req, len(env.Jobs), env.Hidden, tc.shown, tc.hid)
		}
	}
	env, err := s.List(t.Context(), &ListRequest{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Jobs) != 4 || env.Hidden != nil {
		t.Errorf("List(all) = %d jobs, hidden %v; want 4 and no hidden count", len(env.Jobs), env.Hidden)
	}
}

// TestCwdRecordedResolved: a job started from a path through a symlink
// records the real directory, and lists from either path find it.
func TestCwdRecordedResolved(t *testing.T) {
	s := newService(t)
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"true"}, Cwd: link}})
	want, _ := filepath.EvalSymlinks(real)
	if got := detailOf(t, s, env.Job.JobID).Cwd; got != want {
		t.Errorf("cwd of a job started in %s = %s, want %s", link, got, want)
	}
	for _, dir := range []string{real, link} {
		l, err := s.List(t.Context(), &ListRequest{Cwd: dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Jobs) != 1 {
			t.Errorf("List(cwd %s) = %d jobs, want 1", dir, len(l.Jobs))
		}
	}
}

// TestListStopsAtFullPage: a list whose page fills reads no job older than
// the first match past the page (an unreadable old job is not even
// noticed), and leaves out the hidden count, which only a whole scan can
// give; a list that reads the whole root reports both.
func TestListStopsAtFullPage(t *testing.T) {
	s := newService(t)
	old := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"true"}}}).Job.JobID
	mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"true"}, Cwd: t.TempDir()}})
	for range 3 {
		mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"true"}}})
	}
	if err := os.WriteFile(filepath.Join(s.store.Dir(old), "meta.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := s.List(t.Context(), &ListRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Jobs) != 2 || !*env.Truncated || env.Hidden != nil || len(env.Skipped) != 0 {
		t.Errorf("List(limit 2) = %d jobs, truncated %v, hidden %v, skipped %+v; want 2, true, none, none",
			len(env.Jobs), *env.Truncated, env.Hidden, env.Skipped)
	}
	env, err = s.List(t.Context(), &ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(env.Jobs) != 3 || *env.Truncated || env.Hidden == nil || *env.Hidden != 1 || len(env.Skipped) != 1 {
		t.Errorf("List() = %d jobs, truncated %v, hidden %v, skipped %+v; want 3, false, 1, the old job",
			len(env.Jobs), *env.Truncated, env.Hidden, env.Skipped)
	}
}
