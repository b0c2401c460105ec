package jobstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// newStore opens a store in a fresh temporary directory.
func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "jobs"))
	if err != nil {
		t.Fatalf("Open() error = %v, want nil", err)
	}
	return s
}

// mustCreate creates a job with the given id (a new one when empty) and name.
func mustCreate(t *testing.T, s *Store, id, name string) *Meta {
	t.Helper()
	if id == "" {
		id = NewID()
	}
	m := &Meta{
		ID:        id,
		Name:      name,
		Command:   []string{"true"},
		Cwd:       "/",
		Streams:   StreamsMerged,
		Tags:      []string{},
		CreatedAt: Time{time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)},
	}
	if err := s.Create(m); err != nil {
		t.Fatalf("Create(%q) error = %v, want nil", id, err)
	}
	return m
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("os.Lstat(%s) error = %v, want nil", path, err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %#o, want %#o", path, got, want)
	}
}

func TestOpen(t *testing.T) {
	t.Run("creates nested root 0700", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "a", "b", "jobs")
		s, err := Open(root)
		if err != nil {
			t.Fatalf("Open(%s) error = %v, want nil", root, err)
		}
		if s.Root() != root {
			t.Errorf("Open(%s).Root() = %s, want %s", root, s.Root(), root)
		}
		fi, err := os.Stat(root)
		if err != nil {
			t.Fatalf("os.Stat(%s) error = %v, want nil", root, err)
		}
		if !fi.IsDir() {
			t.Fatalf("Open(%s) made a %v, want a directory", root, fi.Mode())
		}
		checkMode(t, root, 0o700)
	})
	t.Run("existing directory", func(t *testing.T) {
		root := t.TempDir()
		if _, err := Open(root); err != nil {
			t.Fatalf("Open(%s) error = %v, want nil", root, err)
		}
		if _, err := Open(root); err != nil {
			t.Fatalf("second Open(%s) error = %v, want nil", root, err)
		}
	})
	t.Run("relative root made absolute", func(t *testing.T) {
		t.Chdir(t.TempDir())
		s, err := Open("rel/jobs")
		if err != nil {
			t.Fatalf("Open(rel/jobs) error = %v, want nil", err)
		}
		if !filepath.IsAbs(s.Root()) || !strings.HasSuffix(s.Root(), filepath.Join("rel", "jobs")) {
			t.Errorf("Open(rel/jobs).Root() = %s, want an absolute path ending in rel/jobs", s.Root())
		}
	})
	t.Run("root is a symlink to a file", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(dir, "link")
		if err := os.Symlink(file, root); err != nil {
			t.Fatal(err)
		}
		_, err := Open(root)
		if !errors.Is(err, ErrRootNotDir) {
			t.Errorf("Open(%s) error = %v, want ErrRootNotDir", root, err)
		}
	})
	t.Run("parent is a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(file, "jobs")
		if s, err := Open(root); err == nil {
			t.Errorf("Open(%s) = %v, nil, want an error", root, s)
		}
	})
	t.Run("root is a file", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(root, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(root)
		if !errors.Is(err, ErrRootNotDir) {
			t.Errorf("Open(%s) error = %v, want ErrRootNotDir", root, err)
		}
	})
}

func TestDefaultRoot(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name, root, xdg string
		want            string
	}{
		{"AGENT_EXEC_ROOT wins", "/r/jobs", "/x", "/r/jobs"},
		{"XDG_DATA_HOME", "", "/x", "/x/agent-exec/jobs"},
		{"home", "", "", filepath.Join(home, ".local", "share", "agent-exec", "jobs")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AGENT_EXEC_ROOT", tt.root)
			t.Setenv("XDG_DATA_HOME", tt.xdg)
			t.Setenv("HOME", home)
			got, err := DefaultRoot()
			if err != nil {
				t.Fatalf("DefaultRoot() error = %v, want nil", err)
			}
			if got != tt.want {
				t.Errorf("DefaultRoot() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	s := newStore(t)
	id := "01jd5k2m3n4p5q6r7s8t9v0w1x"
	if got, want := s.Dir(id), filepath.Join(s.Root(), id); got != want {
		t.Errorf("Dir(%q) = %s, want %s", id, got, want)
	}
	if got, want := s.Path(id, StateFile), filepath.Join(s.Root(), id, "state.json"); got != want {
		t.Errorf("Path(%q, %q) = %s, want %s", id, StateFile, got, want)
	}
}

func TestCreate(t *testing.T) {
	s := newStore(t)
	m := mustCreate(t, s, "", "build")
	id := m.ID

	checkMode(t, s.Dir(id), 0o700)
	checkMode(t, s.Path(id, MetaFile), 0o600)
	checkMode(t, s.Path(id, StateFile), 0o600)
	if !s.Exists(id) {
		t.Errorf("Exists(%q) = false, want true", id)
	}

	b, err := os.ReadFile(s.Path(id, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("state.json = %s: %v, want JSON", b, err)
	}
	if raw["state"] != StateCreated {
		t.Errorf("state.json state = %v, want %q", raw["state"], StateCreated)
	}
	if raw["run"] != float64(0) {
		t.Errorf("state.json run = %v, want 0", raw["run"])
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Errorf("state.json = %q, want a trailing newline", b)
	}

	st, err := s.ReadState(id)
	if err != nil {
		t.Fatalf("ReadState(%q) error = %v, want nil", id, err)
	}
	if st.State != StateCreated || st.Run != 0 || st.UpdatedAt.IsZero() {
		t.Errorf("ReadState(%q) = %+v, want state created, run 0, updated_at set", id, st)
	}

	ents, err := os.ReadDir(s.Dir(id))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{JobLockFile, MetaFile, StateFile}; !reflect.DeepEqual(names, want) {
		t.Errorf("files after Create = %v, want %v (no temporary files)", names, want)
	}
}

func TestCreateErrors(t *testing.T) {
	s := newStore(t)
	m := mustCreate(t, s, "", "")
	t.Run("duplicate", func(t *testing.T) {
		err := s.Create(&Meta{ID: m.ID})
		if !errors.Is(err, fs.ErrExist) {
			t.Errorf("Create(%q) again error = %v, want fs.ErrExist", m.ID, err)
		}
	})
	for _, id := range []string{"", "../x", "01JD5K2M3N4P5Q6R7S8T9V0W1X", "01jd5k2m3n4p5q6r7s8t9v0w1", strings.Repeat("0", 25) + "/"} {
		t.Run("invalid "+id, func(t *testing.T) {
			err := s.Create(&Meta{ID: id})
			if !errors.Is(err, ErrInvalidRef) {
				t.Errorf("Create(%q) error = %v, want ErrInvalidRef", id, err)
			}
		})
	}
	ents, err := os.ReadDir(s.Root())
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("root entries after failed creates = %d, want 1", len(ents))
	}
}

func TestMetaRoundTrip(t *testing.T) {
	s := newStore(t)
	want := &Meta{
		ID:          NewID(),
		Name:        "deploy",
		Command:     []string{"sh", "-c", "echo hi"},
		Shell:       true,
		Cwd:         "/tmp",
		Env:         map[string]string{"TOKEN": "s3cret", "EMPTY": ""},
		InheritEnv:  true,
		Mask:        []string{"TOKEN"},
		Stdin:       true,
		TTY:         true,
		Interactive: true,
		Cols:        120,
		Rows:        40,
		TimeoutS:    1.5,
		KillAfterS:  2,
		Streams:     StreamsSeparate,
		Tags:        []string{"a", "b"},
		CreatedAt:   Time{time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)},
	}
	if err := s.Create(want); err != nil {
		t.Fatalf("Create() error = %v, want nil", err)
	}
	got, err := s.ReadMeta(want.ID)
	if err != nil {
		t.Fatalf("ReadMeta(%q) error = %v, want nil", want.ID, err)
	}
	if !got.CreatedAt.Equal(want.CreatedAt.Time) {
		t.Errorf("ReadMeta(%q).CreatedAt = %v, want %v", want.ID, got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadMeta(%q) = %+v, want %+v", want.ID, got, want)
	}
}

func TestStateRoundTrip(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	code := 3
	dur := int64(1500)
	started := Time{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	finished := Time{time.Date(2026, 1, 2, 3, 4, 6, 500_000_000, time.UTC)}
	want := &State{
		State:           StateExited,
		Reason:          ReasonExit,
		ExitCode:        &code,
		Signal:          "SIGTERM",
		Error:           "boom",
		Run:             2,
		PID:             1234,
		PIDStart:        987654321,
		SupervisorPID:   1233,
		SupervisorStart: 987654320,
		LogOffset:       map[string]int64{OutputLog: 42},
		StartedAt:       &started,
		FinishedAt:      &finished,
		DurationMS:      &dur,
	}
	before := time.Now()
	if err := s.WriteState(id, want); err != nil {
		t.Fatalf("WriteState(%q) error = %v, want nil", id, err)
	}
	after := time.Now()
	if want.UpdatedAt.Before(before) || want.UpdatedAt.After(after) {
		t.Errorf("WriteState(%q) stamped UpdatedAt = %v, want in [%v, %v]", id, want.UpdatedAt, before, after)
	}
	got, err := s.ReadState(id)
	if err != nil {
		t.Fatalf("ReadState(%q) error = %v, want nil", id, err)
	}
	if wantAt := want.UpdatedAt.Truncate(time.Millisecond); !got.UpdatedAt.Equal(wantAt) {
		t.Errorf("ReadState(%q).UpdatedAt = %v, want %v", id, got.UpdatedAt, wantAt)
	}
	if !got.StartedAt.Equal(started.Time) || !got.FinishedAt.Equal(finished.Time) {
		t.Errorf("ReadState(%q) started/finished = %v/%v, want %v/%v", id, got.StartedAt, got.FinishedAt, started, finished)
	}
	got.UpdatedAt, got.StartedAt, got.FinishedAt = want.UpdatedAt, want.StartedAt, want.FinishedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadState(%q) = %+v, want %+v", id, got, want)
	}
	checkMode(t, s.Path(id, StateFile), 0o600)
}

func TestWriteStateStampsUpdatedAt(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	old := Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := &State{State: StateRunning, Run: 1, UpdatedAt: old}
	before := time.Now()
	if err := s.WriteState(id, st); err != nil {
		t.Fatalf("WriteState(%q) error = %v, want nil", id, err)
	}
	got, err := s.ReadState(id)
	if err != nil {
		t.Fatalf("ReadState(%q) error = %v, want nil", id, err)
	}
	if got.UpdatedAt.Before(before.Truncate(time.Millisecond)) {
		t.Errorf("ReadState(%q).UpdatedAt = %v, want >= %v (not the caller's %v)", id, got.UpdatedAt, before, old)
	}
	if got.State != StateRunning || got.Run != 1 {
		t.Errorf("ReadState(%q) = %+v, want state running, run 1", id, got)
	}
}

func TestReadErrors(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	unknown := NewID()

	noState := mustCreate(t, s, "", "").ID
	if err := os.Remove(s.Path(noState, StateFile)); err != nil {
		t.Fatal(err)
	}

	writeFile := func(id, name, content string) string {
		t.Helper()
		if err := os.WriteFile(s.Path(id, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return id
	}
	corrupt := writeFile(mustCreate(t, s, "", "").ID, StateFile, "{not json")
	empty := writeFile(mustCreate(t, s, "", "").ID, StateFile, "")
	badTime := writeFile(mustCreate(t, s, "", "").ID, StateFile, `{"state":"created","updated_at":12}`)
	badType := writeFile(mustCreate(t, s, "", "").ID, StateFile, `{"state":3}`)
	corruptMeta := writeFile(mustCreate(t, s, "", "").ID, MetaFile, `[`)

	tests := []struct {
		name string
		read func(string) error
		id   string
		want error
	}{
		{"state of unknown id", readStateErr(s), unknown, ErrNotFound},
		{"meta of unknown id", readMetaErr(s), unknown, ErrNotFound},
		{"state invalid id", readStateErr(s), "../" + id[3:], ErrInvalidRef},
		{"state empty id", readStateErr(s), "", ErrInvalidRef},
		{"meta invalid id", readMetaErr(s), strings.ToUpper(id), ErrInvalidRef},
		{"state missing in existing job", readStateErr(s), noState, fs.ErrNotExist},
		{"corrupt state", readStateErr(s), corrupt, ErrCorrupt},
		{"empty state", readStateErr(s), empty, ErrCorrupt},
		{"non-string time", readStateErr(s), badTime, ErrCorrupt},
		{"wrong field type", readStateErr(s), badType, ErrCorrupt},
		{"corrupt meta", readMetaErr(s), corruptMeta, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.id)
			if !errors.Is(err, tt.want) {
				t.Errorf("read(%q) error = %v, want %v", tt.id, err, tt.want)
			}
		})
	}
	// A job whose state.json is missing is being deleted (a delete removes
	// the files first): it counts as not found, and the cause is kept.
	if err := readStateErr(s)(noState); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadState(%q) error = %v, want ErrNotFound too", noState, err)
	}
}

func readStateErr(s *Store) func(string) error {
	return func(id string) error { _, err := s.ReadState(id); return err }
}

func readMetaErr(s *Store) func(string) error {
	return func(id string) error { _, err := s.ReadMeta(id); return err }
}

func TestSymlinkStateNotFollowed(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	target := filepath.Join(t.TempDir(), "target.json")
	const secret = `{"state":"exited","run":7,"updated_at":"2026-01-02T03:04:05.000Z"}`
	if err := os.WriteFile(target, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	path := s.Path(id, StateFile)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}

	st, err := s.ReadState(id)
	if err == nil {
		t.Fatalf("ReadState(%q) through a symlink = %+v, nil, want an error", id, st)
	}
	if !errors.Is(err, errSymlinkInRoot) {
		t.Errorf("ReadState(%q) error = %v, want errSymlinkInRoot", id, err)
	}

	if err := s.WriteState(id, &State{State: StateRunning, Run: 1}); err != nil {
		t.Fatalf("WriteState(%q) error = %v, want nil", id, err)
	}
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != secret {
		t.Errorf("symlink target after WriteState = %q, want untouched %q", b, secret)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() {
		t.Errorf("state.json after WriteState has mode %v, want a regular file replacing the symlink", fi.Mode())
	}
	got, err := s.ReadState(id)
	if err != nil || got.State != StateRunning {
		t.Errorf("ReadState(%q) = %+v, %v, want state running, nil", id, got, err)
	}
}

func TestSymlinkMetaNotFollowed(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	target := filepath.Join(t.TempDir(), "meta.json")
	if err := os.WriteFile(target, []byte(`{"job_id":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	path := s.Path(id, MetaFile)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if m, err := s.ReadMeta(id); !errors.Is(err, errSymlinkInRoot) {
		t.Errorf("ReadMeta(%q) = %+v, %v, want errSymlinkInRoot", id, m, err)
	}
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	keep := mustCreate(t, s, "", "").ID
	if err := os.WriteFile(s.Path(id, OutputLog), []byte("log"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(id); err != nil {
		t.Fatalf("Remove(%q) error = %v, want nil", id, err)
	}
	if s.Exists(id) {
		t.Errorf("Exists(%q) after Remove = true, want false", id)
	}
	if _, err := os.Lstat(s.Dir(id)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("os.Lstat(job dir) after Remove error = %v, want fs.ErrNotExist", err)
	}
	if _, err := s.ReadState(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadState(%q) after Remove error = %v, want ErrNotFound", id, err)
	}
	if !s.Exists(keep) {
		t.Errorf("Exists(%q) after removing another job = false, want true", keep)
	}
	if err := s.Remove(id); err != nil {
		t.Errorf("Remove(%q) again error = %v, want nil", id, err)
	}
	for _, bad := range []string{"", "..", "../" + keep[3:], "*"} {
		if err := s.Remove(bad); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("Remove(%q) error = %v, want ErrInvalidRef", bad, err)
		}
	}
	if !s.Exists(keep) {
		t.Errorf("Exists(%q) after invalid removes = false, want true", keep)
	}
}

func TestRemoveSymlinkedJobDir(t *testing.T) {
	s := newStore(t)
	outside := t.TempDir()
	victim := filepath.Join(outside, "precious")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := NewID()
	if err := os.Symlink(outside, s.Dir(id)); err != nil {
		t.Fatal(err)
	}
	if s.Exists(id) {
		t.Errorf("Exists(%q) for a symlink = true, want false", id)
	}
	if err := s.Remove(id); err != nil {
		t.Fatalf("Remove(%q) error = %v, want nil", id, err)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("os.Stat(symlink target's file) after Remove error = %v, want nil (not followed)", err)
	}
}
