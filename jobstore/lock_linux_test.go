package jobstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lockDeadline bounds every wait for a lock to change hands.
const lockDeadline = 10 * time.Second

// heldByOther reports whether path is flocked by another open file: it
// tries a non-blocking exclusive lock on a fresh descriptor.
func heldByOther(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("os.Open(%s) error = %v, want nil", path, err)
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	switch {
	case err == nil:
		return false
	case errors.Is(err, unix.EWOULDBLOCK):
		return true
	default:
		t.Fatalf("flock(%s, LOCK_EX|LOCK_NB) error = %v, want nil or EWOULDBLOCK", path, err)
		return false
	}
}

// waitForFlockWaiter waits until /proc/locks shows a process blocked on a
// flock of path, so a test knows its goroutine is inside flock(2) and not
// merely on its way there. Where /proc/locks cannot tell, it logs and returns:
// the ordering assertions of the callers hold either way.
func waitForFlockWaiter(t *testing.T, path string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("stat(%s) error = %v, want nil", path, err)
	}
	suffix := fmt.Sprintf(":%d", st.Ino)
	deadline := time.Now().Add(lockDeadline)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		b, err := os.ReadFile("/proc/locks")
		if err != nil {
			t.Logf("read /proc/locks: %v; not waiting for the blocked locker", err)
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			// "1: -> FLOCK  ADVISORY  WRITE 4415 fe:00:9978387 0 EOF"
			f := strings.Fields(line)
			if len(f) >= 7 && f[1] == "->" && f[2] == "FLOCK" && strings.HasSuffix(f[6], suffix) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Logf("no waiter on %s in /proc/locks after %v; going on", path, lockDeadline)
			return
		}
		<-tick.C
	}
}

// checkBlocksUntilRelease starts take in a goroutine while a lock on path
// is held, checks that it does not return while the lock is held, then
// calls release and checks that take then gets the lock.
func checkBlocksUntilRelease(t *testing.T, path, what string, take func() (*Lock, error), release func() error) {
	t.Helper()
	var released atomic.Bool
	started := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		close(started)
		l, err := take()
		if err != nil {
			result <- fmt.Errorf("%s error = %v, want nil", what, err)
			return
		}
		if !released.Load() {
			err = fmt.Errorf("%s returned while the first lock was held, want it to wait for Unlock", what)
		}
		if uerr := l.Unlock(); uerr != nil && err == nil {
			err = fmt.Errorf("Unlock() of %s error = %v, want nil", what, uerr)
		}
		result <- err
	}()
	<-started
	waitForFlockWaiter(t, path)
	select {
	case err := <-result:
		t.Fatalf("%s returned before Unlock (err %v), want it to block", what, err)
	default:
	}
	if !heldByOther(t, path) {
		t.Fatalf("heldByOther(%s) = false before Unlock, want true", path)
	}

	released.Store(true)
	if err := release(); err != nil {
		t.Fatalf("Unlock() error = %v, want nil", err)
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(lockDeadline):
		t.Fatalf("%s still blocked %v after Unlock", what, lockDeadline)
	}
	if heldByOther(t, path) {
		t.Errorf("heldByOther(%s) = true after both unlocked, want false", path)
	}
}

func TestLockJobExcludes(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	first, err := s.LockJob(id)
	if err != nil {
		t.Fatalf("LockJob(%q) error = %v, want nil", id, err)
	}
	t.Cleanup(func() { first.Unlock() })
	path := s.Path(id, JobLockFile)
	checkMode(t, path, 0o600)
	if first.File() == nil || first.File().Name() != path {
		t.Errorf("LockJob(%q).File() = %v, want the open %s", id, first.File(), path)
	}
	checkBlocksUntilRelease(t, path, "second LockJob", func() (*Lock, error) { return s.LockJob(id) }, first.Unlock)
}

func TestLockJobAndSupervisorIndependent(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	jl, err := s.LockJob(id)
	if err != nil {
		t.Fatalf("LockJob(%q) error = %v, want nil", id, err)
	}
	t.Cleanup(func() { jl.Unlock() })
	type result struct {
		l   *Lock
		err error
	}
	got := make(chan result, 1)
	go func() {
		l, err := s.LockSupervisor(id)
		got <- result{l, err}
	}()
	var sl *Lock
	select {
	case r := <-got:
		if r.err != nil {
			t.Fatalf("LockSupervisor(%q) error = %v, want nil", id, r.err)
		}
		sl = r.l
	case <-time.After(lockDeadline):
		t.Fatalf("LockSupervisor(%q) blocked %v while only job.lock was held, want it to return", id, lockDeadline)
	}
	t.Cleanup(func() { sl.Unlock() })
	if !heldByOther(t, s.Path(id, SupervisorLockFile)) {
		t.Errorf("heldByOther(supervisor.lock) after LockSupervisor = false, want true")
	}
	checkMode(t, s.Path(id, SupervisorLockFile), 0o600)
}

func TestUnlock(t *testing.T) {
	var nilLock *Lock
	if err := nilLock.Unlock(); err != nil {
		t.Errorf("(*Lock)(nil).Unlock() = %v, want nil", err)
	}
	if err := (&Lock{}).Unlock(); err != nil {
		t.Errorf("(&Lock{}).Unlock() = %v, want nil", err)
	}
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	l, err := s.LockJob(id)
	if err != nil {
		t.Fatalf("LockJob(%q) error = %v, want nil", id, err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("Unlock() = %v, want nil", err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("second Unlock() = %v, want nil", err)
	}
	if l.File() != nil {
		t.Errorf("File() after Unlock = %v, want nil", l.File())
	}
	if heldByOther(t, s.Path(id, JobLockFile)) {
		t.Errorf("heldByOther(job.lock) after Unlock = true, want false")
	}
}

func TestLockErrors(t *testing.T) {
	s := newStore(t)
	unknown := NewID()
	probe := func(id string) error {
		alive, held, err := s.ProbeSupervisor(id)
		if alive || held != nil {
			return fmt.Errorf("ProbeSupervisor(%q) = %v, %v, want false, nil", id, alive, held)
		}
		return err
	}
	lockers := []struct {
		name string
		lock func(string) error
	}{
		{"LockJob", func(id string) error { l, err := s.LockJob(id); l.Unlock(); return err }},
		{"LockSupervisor", func(id string) error { l, err := s.LockSupervisor(id); l.Unlock(); return err }},
		{"ProbeSupervisor", probe},
	}
	refs := []struct {
		id   string
		want error
	}{
		{unknown, ErrNotFound},
		{"", ErrInvalidRef},
		{"../x", ErrInvalidRef},
		{"../../../../../../tmp/x", ErrInvalidRef},
		{strings.ToUpper(unknown), ErrInvalidRef},
	}
	for _, lk := range lockers {
		for _, r := range refs {
			t.Run(lk.name+"/"+r.id, func(t *testing.T) {
				if err := lk.lock(r.id); !errors.Is(err, r.want) {
					t.Errorf("%s(%q) error = %v, want %v", lk.name, r.id, err, r.want)
				}
			})
		}
	}
	if _, err := os.Lstat(s.Dir(unknown)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("os.Lstat(unknown job dir) after locking error = %v, want fs.ErrNotExist (nothing created)", err)
	}
}

func TestLockFileSymlinkNotFollowed(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{JobLockFile, SupervisorLockFile} {
		os.Remove(s.Path(id, name)) // job.lock is made with the job
		if err := os.Symlink(target, s.Path(id, name)); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := s.LockJob(id); err == nil {
		l.Unlock()
		t.Errorf("LockJob(%q) with job.lock a symlink = nil error, want an error", id)
	}
	if l, err := s.LockSupervisor(id); err == nil {
		l.Unlock()
		t.Errorf("LockSupervisor(%q) with supervisor.lock a symlink = nil error, want an error", id)
	}
	if alive, held, err := s.ProbeSupervisor(id); err == nil {
		held.Unlock()
		t.Errorf("ProbeSupervisor(%q) with supervisor.lock a symlink = %v, %v, nil, want an error", id, alive, held)
	}
	if heldByOther(t, target) {
		t.Errorf("heldByOther(symlink target) = true, want false")
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
		t.Errorf("symlink target = %q, %v, want %q untouched", b, err, "keep")
	}
}

func TestProbeSupervisorNoHolder(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	alive, held, err := s.ProbeSupervisor(id)
	if err != nil || alive || held == nil {
		t.Fatalf("ProbeSupervisor(%q) = %v, %v, %v, want false, a held lock, nil", id, alive, held, err)
	}
	t.Cleanup(func() { held.Unlock() })
	path := s.Path(id, SupervisorLockFile)
	checkMode(t, path, 0o600)

	// A second prober shares the lock: still no supervisor.
	alive2, held2, err := s.ProbeSupervisor(id)
	if err != nil || alive2 || held2 == nil {
		t.Fatalf("second ProbeSupervisor(%q) = %v, %v, %v, want false, a held lock, nil", id, alive2, held2, err)
	}
	if err := held2.Unlock(); err != nil {
		t.Fatalf("Unlock() error = %v, want nil", err)
	}

	// A supervisor cannot take over while the prober holds its lock.
	checkBlocksUntilRelease(t, path, "LockSupervisor", func() (*Lock, error) { return s.LockSupervisor(id) }, held.Unlock)
}

func TestProbeSupervisorAlive(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	// flock locks belong to open file descriptions, so a LockSupervisor in
	// this process is seen by ProbeSupervisor's own open like another
	// process's would be.
	sup, err := s.LockSupervisor(id)
	if err != nil {
		t.Fatalf("LockSupervisor(%q) error = %v, want nil", id, err)
	}
	t.Cleanup(func() { sup.Unlock() })

	alive, held, err := s.ProbeSupervisor(id)
	if err != nil || !alive || held != nil {
		t.Fatalf("ProbeSupervisor(%q) with a supervisor = %v, %v, %v, want true, nil, nil", id, alive, held, err)
	}

	if err := sup.Unlock(); err != nil {
		t.Fatalf("Unlock() error = %v, want nil", err)
	}
	alive, held, err = s.ProbeSupervisor(id)
	if err != nil || alive || held == nil {
		t.Fatalf("ProbeSupervisor(%q) after the supervisor let go = %v, %v, %v, want false, a held lock, nil", id, alive, held, err)
	}
	if err := held.Unlock(); err != nil {
		t.Fatalf("Unlock() error = %v, want nil", err)
	}
}

// TestLockSupervisorExcludes checks that a restarting supervisor waits for
// its exiting predecessor.
func TestLockSupervisorExcludes(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	first, err := s.LockSupervisor(id)
	if err != nil {
		t.Fatalf("LockSupervisor(%q) error = %v, want nil", id, err)
	}
	t.Cleanup(func() { first.Unlock() })
	checkBlocksUntilRelease(t, s.Path(id, SupervisorLockFile), "second LockSupervisor", func() (*Lock, error) { return s.LockSupervisor(id) }, first.Unlock)
}

func TestLockNamesExcludes(t *testing.T) {
	s := newStore(t)
	first, err := s.LockNames()
	if err != nil {
		t.Fatalf("LockNames() error = %v, want nil", err)
	}
	t.Cleanup(func() { first.Unlock() })
	path := filepath.Join(s.Root(), ".names.lock")
	checkMode(t, path, 0o600)
	if ids, err := s.IDs(); err != nil || len(ids) != 0 {
		t.Errorf("IDs() with the names lock present = %v, %v, want [], nil", ids, err)
	}
	checkBlocksUntilRelease(t, path, "second LockNames", s.LockNames, first.Unlock)
}
