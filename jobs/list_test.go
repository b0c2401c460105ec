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
	if env.Job.Cwd != want {
		t.Errorf("cwd of a job started in %s = %s, want %s", link, env.Job.Cwd, want)
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
