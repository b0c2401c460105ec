package jobstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// File names inside a job directory.
const (
	MetaFile           = "meta.json"
	StateFile          = "state.json"
	OutputLog          = "output.log"
	StdoutLog          = "stdout.log"
	StderrLog          = "stderr.log"
	StdinFile          = "stdin.bin"
	EventsFile         = "events.ndjson"
	JobLockFile        = "job.lock"
	SupervisorLockFile = "supervisor.lock"
	SupervisorLogFile  = "supervisor.log"
	ControlSocket      = "ctl.sock"
)

// Errors reported by the store. Match them with errors.Is.
var (
	ErrNotFound      = errors.New("job not found")
	ErrInvalidRef    = errors.New("not a job id, id prefix or job name")
	ErrAmbiguous     = errors.New("ambiguous job id prefix")
	ErrCorrupt       = errors.New("job files unreadable")
	ErrRootNotDir    = errors.New("root is not a directory")
	errSymlinkInRoot = errors.New("refusing to follow a symlink inside the root")
)

// AmbiguousError is an id prefix that matched several jobs: Matches of
// them, of which Candidates holds the newest (at most
// [MaxAmbiguousCandidates]).
type AmbiguousError struct {
	Ref        string
	Matches    int
	Candidates []string
}

// MaxAmbiguousCandidates is the most candidates an [AmbiguousError] lists.
const MaxAmbiguousCandidates = 20

func (e *AmbiguousError) Error() string {
	n := max(e.Matches, len(e.Candidates))
	if n > len(e.Candidates) {
		return fmt.Sprintf("%q matches %d jobs, the newest %d shown: %v", e.Ref, n, len(e.Candidates), e.Candidates)
	}
	return fmt.Sprintf("%q matches %d jobs: %v", e.Ref, n, e.Candidates)
}

// Unwrap makes errors.Is(err, ErrAmbiguous) true.
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }

// Store is a root directory of jobs. Its methods are safe for concurrent use
// by goroutines and by other processes on the same root.
type Store struct {
	root string
}

// DefaultRoot resolves the root directory when no --root flag was given:
// $AGENT_EXEC_ROOT, else $XDG_DATA_HOME/agent-exec/jobs, else
// ~/.local/share/agent-exec/jobs.
func DefaultRoot() (string, error) {
	if r := os.Getenv("AGENT_EXEC_ROOT"); r != "" {
		return r, nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "agent-exec", "jobs"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the jobs root: %w", err)
	}
	return filepath.Join(home, ".local", "share", "agent-exec", "jobs"), nil
}

// Open opens the store at root, creating the directory (0700) if needed.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", root, err)
	}
	// MkdirAll fails with a bare ENOTDIR when root exists as a non-directory;
	// report that case as ErrRootNotDir.
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("open root %s: %w", abs, ErrRootNotDir)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open root %s: %w", abs, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open root %s: %w", abs, ErrRootNotDir)
	}
	return &Store{root: abs}, nil
}

// Root returns the absolute path of the store's root directory.
func (s *Store) Root() string { return s.root }

// Dir returns the directory of job id. id must be valid (see [ValidID]).
func (s *Store) Dir(id string) string { return filepath.Join(s.root, id) }

// Path returns the path of a file in job id's directory.
func (s *Store) Path(id, name string) string { return filepath.Join(s.root, id, name) }

// Create makes a new job (see [Store.CreateLocked]) and lets go of its lock.
func (s *Store) Create(m *Meta) error {
	l, err := s.CreateLocked(m, nil)
	if err != nil {
		return err
	}
	return l.Unlock()
}

// CreateLocked makes a new job: its directory with meta.json, an initial
// state.json (state created, run 0) and whatever fill writes into the
// directory, whose path it is given (fill may call [AppendEventAt]). The
// caller fills meta, id included (see [NewID]).
//
// The job appears whole or not at all: it is built under a hidden name in
// the root and renamed into place, so a failure (a full disk, say) leaves
// nothing, and no reader ever sees a job without its files. It is born
// with its operation lock (see [Store.LockJob]) held by the caller, so
// nobody can start, restart or delete it before the caller lets go.
func (s *Store) CreateLocked(m *Meta, fill func(dir string) error) (_ *Lock, err error) {
	if !ValidID(m.ID) {
		return nil, fmt.Errorf("create job: %w: %q", ErrInvalidRef, m.ID)
	}
	dir := s.Dir(m.ID)
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("create job %s: %w", m.ID, fs.ErrExist)
	}
	stage := filepath.Join(s.root, stagePrefix+m.ID)
	if err := os.Mkdir(stage, 0o700); err != nil {
		return nil, fmt.Errorf("create job %s: %w", m.ID, err)
	}
	var l *Lock
	defer func() {
		if err != nil {
			l.Unlock()
			os.RemoveAll(stage)
		}
	}()
	if l, err = lockFile(filepath.Join(stage, JobLockFile), unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("create job %s: %w", m.ID, err)
	}
	// Nobody reads the staging directory: its files are written in place,
	// each synced, and their entries synced at once before the job is
	// renamed into place.
	if err := writeNewJSONFile(filepath.Join(stage, MetaFile), m); err != nil {
		return nil, fmt.Errorf("create job %s: %w", m.ID, err)
	}
	st := &State{State: StateCreated, UpdatedAt: m.CreatedAt}
	if err := writeNewJSONFile(filepath.Join(stage, StateFile), st); err != nil {
		return nil, fmt.Errorf("create job %s: %w", m.ID, err)
	}
	if fill != nil {
		if err := fill(stage); err != nil {
			return nil, err
		}
	}
	if err := syncDir(stage); err != nil {
		return nil, fmt.Errorf("create job %s: %w", m.ID, err)
	}
	if err := renameNoReplace(stage, dir); err != nil {
		return nil, fmt.Errorf("create job %s: %w", m.ID, err)
	}
	// The job exists now; a failed sync only leaves its durability across
	// a crash in doubt.
	_ = syncDir(s.root)
	return l, nil
}

// Hidden prefixes of directories in the root that are not jobs: a job
// being created, and a job being deleted (the collector clears what a
// delete could not remove).
const (
	stagePrefix = ".new-"
	tombPrefix  = trashPrefix
)

// stagingGrace is how old a staging directory must be before a collection
// may remove it: a live creator locks it right after making it.
const stagingGrace = time.Minute

// clearStaging removes what creators that died mid-creation left behind:
// staging directories older than [stagingGrace] whose job lock nobody
// holds (a creator holds it from just after making the directory until
// the job is in place, and a dead one holds nothing).
func (s *Store) clearStaging() {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stagePrefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < stagingGrace {
			continue
		}
		dir := filepath.Join(s.root, e.Name())
		l, err := lockFile(filepath.Join(dir, JobLockFile), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			continue // held: a creator is at work
		}
		_ = os.RemoveAll(dir)
		l.Unlock()
	}
}

// Exists reports whether job id has a directory (not a symlink) in the root.
func (s *Store) Exists(id string) bool {
	fi, err := os.Lstat(s.Dir(id))
	return err == nil && fi.IsDir()
}

// ReadMeta reads job id's definition, with the masked values its runs
// inherited or read from its env files (see [SecretsFile]) in Inherited.
func (s *Store) ReadMeta(id string) (*Meta, error) {
	var m Meta
	if err := s.readJSON(id, MetaFile, &m); err != nil {
		return nil, err
	}
	if len(m.Mask) > 0 && (m.InheritEnv || len(m.EnvFiles) > 0) {
		// Without its recorded values a reader could not redact what the
		// job printed: fail rather than show them.
		v, err := s.readSecrets(id)
		if err != nil {
			return nil, err
		}
		m.Inherited = v
	}
	return &m, nil
}

// ReadState reads job id's current state.
func (s *Store) ReadState(id string) (*State, error) {
	var st State
	if err := s.readJSON(id, StateFile, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// WriteState replaces job id's state.json atomically and stamps UpdatedAt.
func (s *Store) WriteState(id string, st *State) error {
	st.UpdatedAt = Now()
	return s.writeJSON(id, StateFile, st)
}

// WriteStateDirLater replaces job id's state.json as WriteState does, the
// new file synced, but leaves the directory's sync to dirSync, which must
// be called (see [WriteFileAtomicDirLater]).
func (s *Store) WriteStateDirLater(id string, st *State) (dirSync func() error, err error) {
	return s.writeStateThen(id, st, WriteFileAtomicDirLater)
}

// WriteStateUnsynced replaces job id's state.json as WriteState does, but
// readers see it before it is on disk (see [WriteFileAtomicUnsynced]):
// sync, which must be called, makes it durable.
func (s *Store) WriteStateUnsynced(id string, st *State) (sync func() error, err error) {
	return s.writeStateThen(id, st, WriteFileAtomicUnsynced)
}

// writeStateThen stamps st's UpdatedAt, encodes it as state.json is
// written (indented, one newline at the end) and writes it with write,
// which returns what finishes the write.
func (s *Store) writeStateThen(id string, st *State, write func(path string, data []byte) (func() error, error)) (func() error, error) {
	st.UpdatedAt = Now()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s of %s: %w", StateFile, id, err)
	}
	finish, err := write(s.Path(id, StateFile), append(b, '\n'))
	if err != nil {
		return nil, fmt.Errorf("write %s of %s: %w", StateFile, id, err)
	}
	return finish, nil
}

// Remove deletes job id's directory and everything in it. The job leaves
// the store at once and as a whole (its directory is first renamed to a
// hidden name), or not at all: when that rename fails, nothing was removed.
// When files of the renamed directory cannot be removed, the error names
// the directory left behind (see [LeftoverError]). Removing a job that does
// not exist succeeds.
func (s *Store) Remove(id string) error {
	if !ValidID(id) {
		return fmt.Errorf("remove job: %w: %q", ErrInvalidRef, id)
	}
	tomb := filepath.Join(s.root, tombPrefix+id)
	if err := os.Rename(s.Dir(id), tomb); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove job %s: nothing was removed: %w", id, err)
	}
	if err := os.RemoveAll(tomb); err != nil {
		return &LeftoverError{ID: id, Dir: tomb, Err: err}
	}
	return nil
}

// LeftoverError is a job removed from the store whose files could not all
// be deleted: what is left is in Dir, which is no job any more.
type LeftoverError struct {
	ID  string
	Dir string
	Err error
}

func (e *LeftoverError) Error() string {
	return fmt.Sprintf("job %s is deleted, but its files could not all be removed; what is left is in %s: %v", e.ID, e.Dir, e.Err)
}

func (e *LeftoverError) Unwrap() error { return e.Err }

func (s *Store) readJSON(id, name string, v any) error {
	if !ValidID(id) {
		return fmt.Errorf("read %s: %w: %q", name, ErrInvalidRef, id)
	}
	b, err := readNoFollow(s.Path(id, name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// The job is gone, or going (a delete removes its files first).
			return fmt.Errorf("read %s of %s: %w: %w", name, id, ErrNotFound, err)
		}
		return fmt.Errorf("read %s of %s: %w", name, id, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s of %s: %w: %v", name, id, ErrCorrupt, err)
	}
	return nil
}

func (s *Store) writeJSON(id, name string, v any) error {
	if err := writeJSONFile(s.Path(id, name), v); err != nil {
		return fmt.Errorf("%w of %s", err, id)
	}
	return nil
}

// writeNewJSONFile writes v, indented, one newline at the end, to path,
// which must not exist, in a directory nobody else reads yet: the file is
// created 0600, written and synced, and its directory entry is the
// caller's to sync. A failure may leave a partial file behind.
func writeNewJSONFile(path string, v any) (err error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	b = append(b, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: close: %w", filepath.Base(path), cerr)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", filepath.Base(path), err)
	}
	return nil
}

// writeJSONFile replaces path atomically with v, indented, one newline at
// the end.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	b = append(b, '\n')
	if err := WriteFileAtomic(path, b); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// readNoFollow reads a whole small file, refusing to follow a symlink in
// its last component.
func readNoFollow(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s: %w", path, errSymlinkInRoot)
		}
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
