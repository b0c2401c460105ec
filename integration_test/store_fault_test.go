package integration_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Store faults (issue 8, F2): a call that fails on a full or read-only
// disk leaves nothing, and a delete is whole or says what is left.

// mountTmpfs mounts a tmpfs of size (e.g. "1m") on a new directory and
// unmounts it when the test ends; it skips the test where mounting is
// refused.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root and mount rights): %v: %s", err, out)
	}
	t.Cleanup(func() { unmount(t, mnt) })
	return mnt
}

func unmount(t *testing.T, mnt string) {
	if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
		if out2, err2 := exec.Command("umount", "-l", mnt).CombinedOutput(); err2 != nil {
			t.Errorf("umount %s: %v: %s; umount -l: %v: %s", mnt, err, out, err2, out2)
		}
	}
}

// rootEntries lists the names in dir, hidden ones included.
func rootEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestStoreFullDiskLeavesNothing: run and create on a full disk fail with
// io_error and leave no directory behind; once space is freed, both work.
func TestStoreFullDiskLeavesNothing(t *testing.T) {
	t.Parallel()
	mnt := mountTmpfs(t, "1m")
	r := &root{dir: filepath.Join(mnt, "jobs"), ids: make(map[string]bool)}
	t.Cleanup(func() { r.cleanup(t) }) // before the unmount
	s := startServer(t, onRoot(r))
	s.listAll() // the root exists
	before := rootEntries(t, r.dir)
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 2<<20), 0o600); err == nil {
		t.Fatal("wrote 2 MiB on a 1 MiB tmpfs")
	}
	for _, tc := range []struct {
		tool string
		args obj
	}{
		{"run", obj{"command": "echo hi"}},
		{"run", obj{"command": "echo hi", "name": "full", "stdin": "some input"}},
		{"create", obj{"command": "echo hi", "tags": []string{"x"}}},
	} {
		rep := s.call(tc.tool, tc.args)
		if rep.env.OK {
			t.Errorf("%s %v on a full disk succeeded: %s", tc.tool, tc.args, rep.text)
			continue
		}
		if c := rep.env.Error.Code; c != "io_error" {
			t.Errorf("%s %v on a full disk: %s %s, want io_error", tc.tool, tc.args, c, rep.env.Error.Message)
		}
		// The root's name lock and name index are the store's, not the call's.
		after := slices.DeleteFunc(rootEntries(t, r.dir), func(n string) bool { return n == ".names.lock" || n == ".names" })
		if !slices.Equal(after, before) {
			t.Errorf("root after a failed %s on a full disk = %v, want %v (nothing left)", tc.tool, after, before)
		}
	}
	if l := s.listAll(); len(l) != 0 {
		t.Errorf("list after failed calls = %+v, want none", l)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if env := s.runJob("echo fits", nil); env.Job.State != "exited" || env.Output.Text != "fits\n" {
		t.Errorf("run after freeing space = %s %q", env.Job.State, env.Output.Text)
	}
}

// TestStoreDeleteWholeOrSaysWhatIsLeft: a delete on a read-only root fails
// and removes nothing; a delete whose files cannot all be removed (a
// mount inside the job's directory) takes the job out of the store and
// names the directory left behind.
func TestStoreDeleteWholeOrSaysWhatIsLeft(t *testing.T) {
	t.Parallel()
	mnt := mountTmpfs(t, "4m")
	r := &root{dir: filepath.Join(mnt, "jobs"), ids: make(map[string]bool)}
	t.Cleanup(func() { r.cleanup(t) })
	s := startServer(t, onRoot(r))
	id := s.runJob("echo done", obj{"until": 30}).Job.JobID

	// Read-only: nothing removed. A file open for writing makes the
	// remount busy: wait for the run's supervisor to exit, and stop the
	// server (its automatic collection after the run); a new one is asked.
	// The job's files are listed once the supervisor is gone: it removes
	// its control socket on the way out.
	for _, sv := range supervisorsOf(s.jobDir(id)) {
		waitGone(t, sv, 20*time.Second)
	}
	files := rootEntries(t, s.jobDir(id))
	s.stop()
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v: %s", err, out)
	}
	s = startServer(t, onRoot(r))
	e := s.fail("delete", obj{"job_id": id}, "io_error")
	if out, err := exec.Command("mount", "-o", "remount,rw", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount rw: %v: %s", err, out)
	}
	if got := rootEntries(t, s.jobDir(id)); !slices.Equal(got, files) {
		t.Errorf("job files after a failed delete on a read-only root = %v, want all of %v (%s)", got, files, e.Message)
	}
	if obs := s.ok("observe", obj{"job_id": id}); obs.Job.State != "exited" {
		t.Errorf("job after a failed delete = %s, want exited", obs.Job.State)
	}

	// A busy mount inside the job: the job goes, the error says what stays.
	busy := filepath.Join(s.jobDir(id), "busy")
	if err := os.Mkdir(busy, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", busy).CombinedOutput(); err != nil {
		t.Skipf("cannot mount inside the job: %v: %s", err, out)
	}
	tomb := filepath.Join(r.dir, ".gc-trash-"+id)
	t.Cleanup(func() {
		for _, p := range []string{busy, filepath.Join(tomb, "busy")} {
			if _, err := os.Stat(p); err == nil {
				exec.Command("umount", "-l", p).Run()
			}
		}
	})
	e = s.fail("delete", obj{"job_id": id}, "io_error")
	left, _ := e.Details["left_behind"].(string)
	if left == "" || e.Details["deleted"] != true || !strings.Contains(e.Message, left) {
		t.Fatalf("delete with a busy mount inside: %s %v, want deleted and left_behind named", e.Message, e.Details)
	}
	if _, err := os.Stat(filepath.Join(left, "busy")); err != nil {
		t.Errorf("what is left (%s): %v", left, err)
	}
	if rest := rootEntries(t, left); !slices.Equal(rest, []string{"busy"}) {
		t.Errorf("left behind in %s: %v, want only busy", left, rest)
	}
	s.fail("observe", obj{"job_id": id}, "job_not_found")
	if l := s.listAll(); len(l) != 0 {
		t.Errorf("list after the delete = %+v, want none", l)
	}
}
