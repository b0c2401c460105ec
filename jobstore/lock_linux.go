package jobstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Lock is a held flock on a file of a job directory. Closing the file (or
// the death of the process) releases it.
type Lock struct{ f *os.File }

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// File returns the locked file (the supervisor keeps it open for its life).
func (l *Lock) File() *os.File { return l.f }

func (s *Store) openLockFile(id, name string) (*os.File, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("lock %s: %w: %q", name, ErrInvalidRef, id)
	}
	f, err := os.OpenFile(s.Path(id, name), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("lock %s of %s: %w", name, id, ErrNotFound)
		}
		return nil, fmt.Errorf("lock %s of %s: %w", name, id, err)
	}
	return f, nil
}

func (s *Store) lock(id, name string, how int) (*Lock, error) {
	f, err := s.openLockFile(id, name)
	if err != nil {
		return nil, err
	}
	if err := flock(f, how); err != nil {
		return nil, fmt.Errorf("lock %s of %s: %w", name, id, err)
	}
	return &Lock{f: f}, nil
}

// lockFile opens (creating) the lock file at path and locks it.
func lockFile(path string, how int) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
	}
	if err := flock(f, how); err != nil {
		return nil, fmt.Errorf("lock %s: %w", filepath.Base(path), err)
	}
	return &Lock{f: f}, nil
}

// flock locks f, retrying on EINTR; on failure it closes f.
func flock(f *os.File, how int) error {
	err := Flock(f, how)
	if err != nil {
		f.Close()
	}
	return err
}

// Flock is flock(2) on f with operation how (unix.LOCK_EX, LOCK_SH, with
// LOCK_NB or not), retried when a signal interrupts it. It is the one
// place that waits for a lock; the lock lives as long as f's open file.
func Flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// renameNoReplace renames old to new, failing with fs.ErrExist when new
// exists.
func renameNoReplace(old, new string) error {
	if err := unix.Renameat2(unix.AT_FDCWD, old, unix.AT_FDCWD, new, unix.RENAME_NOREPLACE); err != nil {
		return &os.LinkError{Op: "rename", Old: old, New: new, Err: err}
	}
	return nil
}

// LockJob takes job id's operation lock, waiting for it. Start, restart,
// kill and delete hold it, so two of them on one job never interleave.
func (s *Store) LockJob(id string) (*Lock, error) {
	return s.lock(id, JobLockFile, unix.LOCK_EX)
}

// LockSupervisor takes job id's supervisor lock exclusively, waiting for an
// exiting predecessor to let go. Only a supervisor calls it, and keeps the
// lock for as long as it lives.
func (s *Store) LockSupervisor(id string) (*Lock, error) {
	return s.lock(id, SupervisorLockFile, unix.LOCK_EX)
}

// ProbeSupervisor reports whether a supervisor of job id is alive. When none
// is, it returns a held shared lock that keeps a new supervisor from taking
// over while the caller inspects (and perhaps repairs) the state; the caller
// must Unlock it. When one is, the returned lock is nil.
func (s *Store) ProbeSupervisor(id string) (alive bool, held *Lock, err error) {
	f, err := s.openLockFile(id, SupervisorLockFile)
	if err != nil {
		return false, nil, err
	}
	err = Flock(f, unix.LOCK_SH|unix.LOCK_NB)
	switch {
	case err == nil:
		return false, &Lock{f: f}, nil
	case errors.Is(err, unix.EWOULDBLOCK):
		f.Close()
		return true, nil, nil
	default:
		f.Close()
		return false, nil, fmt.Errorf("probe supervisor of %s: %w", id, err)
	}
}

// LockNames takes the root's name lock, waiting for it. Whoever creates a
// named job holds it from the check that the name is free to the creation,
// so two jobs of one name can never both be unfinished.
func (s *Store) LockNames() (*Lock, error) {
	l, err := lockFile(filepath.Join(s.root, ".names.lock"), unix.LOCK_EX)
	if err != nil {
		return nil, fmt.Errorf("lock names: %w", err)
	}
	return l, nil
}
