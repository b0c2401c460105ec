package jobstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCreateLockedBornLocked: a job made by CreateLocked is in the store
// with its lock held: nobody else can take it until the creator lets go.
func TestCreateLockedBornLocked(t *testing.T) {
	s := newStore(t)
	m := &Meta{ID: NewID(), Command: []string{"true"}, Cwd: "/", Streams: StreamsMerged, Tags: []string{}, CreatedAt: Now()}
	l, err := s.CreateLocked(m, func(dir string) error {
		return os.WriteFile(filepath.Join(dir, StdinFile), []byte("in"), 0o600)
	})
	if err != nil {
		t.Fatalf("CreateLocked error = %v, want nil", err)
	}
	if _, err := s.ReadMeta(m.ID); err != nil {
		t.Errorf("ReadMeta after CreateLocked: %v", err)
	}
	if b, err := os.ReadFile(s.Path(m.ID, StdinFile)); err != nil || string(b) != "in" {
		t.Errorf("file written by fill = %q, %v, want %q", b, err, "in")
	}
	f, err := os.Open(s.Path(m.ID, JobLockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Fatalf("flock of a new job's lock = %v, want EWOULDBLOCK (held by the creator)", err)
	}
	l.Unlock()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Errorf("flock after the creator let go = %v, want nil", err)
	}
}

// TestCreateLockedFailureLeavesNothing: a fill that fails leaves no trace
// in the root, and the id stays free.
func TestCreateLockedFailureLeavesNothing(t *testing.T) {
	s := newStore(t)
	m := &Meta{ID: NewID(), Command: []string{"true"}, Cwd: "/", Streams: StreamsMerged, Tags: []string{}, CreatedAt: Now()}
	boom := errors.New("boom")
	if _, err := s.CreateLocked(m, func(string) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("CreateLocked with a failing fill = %v, want boom", err)
	}
	if ents, _ := os.ReadDir(s.Root()); len(ents) != 0 {
		t.Errorf("root after a failed create has %d entries, want none", len(ents))
	}
	if err := s.Create(m); err != nil {
		t.Errorf("Create of the same id afterwards = %v, want nil", err)
	}
}

// TestCollectClearsDeadStaging: a collection removes the staging
// directory a creator that died left, once it is old, and never one a
// creator still holds.
func TestCollectClearsDeadStaging(t *testing.T) {
	s := newStore(t)
	old := time.Now().Add(-2 * stagingGrace)
	dead := filepath.Join(s.Root(), stagePrefix+NewID())
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, MetaFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join(s.Root(), stagePrefix+NewID())
	if err := os.Mkdir(live, 0o700); err != nil {
		t.Fatal(err)
	}
	held, err := lockFile(filepath.Join(live, JobLockFile), unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	fresh := filepath.Join(s.Root(), stagePrefix+NewID())
	if err := os.Mkdir(fresh, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dead, live} {
		if err := os.Chtimes(d, old, old); err != nil {
			t.Fatal(err)
		}
	}
	mustCollect(t, s, GCPolicy{})
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dead creator's staging directory: stat = %v, want gone", err)
	}
	for _, d := range []string{live, fresh} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("staging directory %s (held or fresh) removed: %v", filepath.Base(d), err)
		}
	}
}

// A job being created is built in a directory nobody reads: its meta.json
// and state.json are written in place (no temporary file renamed over
// them, whose syncs a launch would wait for), whole, 0600, and readable
// once the job is in place.
func TestCreateWritesItsFilesInPlace(t *testing.T) {
	s := newStore(t)
	temps := 0
	setAfterTempWrite(t, func(tmp string) { temps++ })
	m := &Meta{ID: NewID(), Command: []string{"true"}, Cwd: "/", Streams: StreamsMerged, Tags: []string{}, CreatedAt: Now()}
	if err := s.Create(m); err != nil {
		t.Fatalf("Create() error = %v, want nil", err)
	}
	if temps != 0 {
		t.Errorf("Create() wrote %d temporary files, want none", temps)
	}
	for _, name := range []string{MetaFile, StateFile} {
		checkMode(t, s.Path(m.ID, name), 0o600)
	}
	got, err := s.ReadMeta(m.ID)
	if err != nil || got.ID != m.ID {
		t.Errorf("ReadMeta() = %+v, %v; want job %s", got, err, m.ID)
	}
	st, err := s.ReadState(m.ID)
	if err != nil || st.State != StateCreated {
		t.Errorf("ReadState() = %+v, %v; want state created", st, err)
	}
	entries, err := os.ReadDir(s.Dir(m.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left in the job", e.Name())
		}
	}
}
