package jobstore

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Fixed ids, ascending: idA1 and idA2 share the prefix "01j0aaaa", idB
// starts "01j1".
const (
	idA1 = "01j0aaaaaaaaaaaaaaaaaaaaa1"
	idA2 = "01j0aaaaaaaaaaaaaaaaaaaaa2"
	idB  = "01j1bbbbbbbbbbbbbbbbbbbbbb"
	idC  = "01j2cccccccccccccccccccccc"
)

func TestIDs(t *testing.T) {
	s := newStore(t)
	if ids, err := s.IDs(); err != nil || len(ids) != 0 {
		t.Fatalf("IDs() on an empty root = %v, %v, want [], nil", ids, err)
	}
	for _, id := range []string{idB, idA1, idC, idA2} {
		mustCreate(t, s, id, "")
	}

	// Entries IDs must skip.
	outside := t.TempDir()
	outsideJob := filepath.Join(outside, "job")
	if err := os.Mkdir(outsideJob, 0o700); err != nil {
		t.Fatal(err)
	}
	symlinkID := "01j3dddddddddddddddddddddd"
	fileID := "01j4eeeeeeeeeeeeeeeeeeeeee"
	brokenID := "01j5ffffffffffffffffffffff"
	for _, step := range []error{
		os.Symlink(outsideJob, s.Dir(symlinkID)),                       // symlink to a directory
		os.WriteFile(s.Dir(fileID), []byte("x"), 0o600),                // regular file with an id name
		os.Symlink(filepath.Join(outside, "none"), s.Dir(brokenID)),    // dangling symlink
		os.Mkdir(filepath.Join(s.Root(), "not-an-id"), 0o700),          // directory, bad name
		os.Mkdir(filepath.Join(s.Root(), strings.ToUpper(idC)), 0o700), // uppercase id
		os.WriteFile(filepath.Join(s.Root(), ".tmp-x"), nil, 0o600),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}

	ids, err := s.IDs()
	if err != nil {
		t.Fatalf("IDs() error = %v, want nil", err)
	}
	if want := []string{idC, idB, idA2, idA1}; !slices.Equal(ids, want) {
		t.Errorf("IDs() = %v, want %v", ids, want)
	}
}

func TestIDsMissingRoot(t *testing.T) {
	s := newStore(t)
	if err := os.Remove(s.Root()); err != nil {
		t.Fatal(err)
	}
	if ids, err := s.IDs(); err == nil {
		t.Errorf("IDs() with the root gone = %v, nil, want an error", ids)
	}
}

func TestList(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, idA1, "alpha")
	mustCreate(t, s, idA2, "skip-me")
	mustCreate(t, s, idB, "beta")
	mustCreate(t, s, idC, "gamma")
	if err := s.WriteState(idB, &State{State: StateRunning, Run: 1}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(idC, MetaFile), []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("all", func(t *testing.T) {
		ents, err := s.List(nil)
		if err != nil {
			t.Fatalf("List(nil) error = %v, want nil", err)
		}
		var got []string
		for _, e := range ents {
			got = append(got, e.ID)
		}
		if want := []string{idC, idB, idA2, idA1}; !slices.Equal(got, want) {
			t.Fatalf("List(nil) ids = %v, want %v", got, want)
		}
		if e := ents[0]; !errors.Is(e.Err, ErrCorrupt) || e.Meta != nil || e.State != nil {
			t.Errorf("List(nil)[0] = %+v, want Err ErrCorrupt, Meta and State nil", e)
		}
		if e := ents[1]; e.Err != nil || e.Meta == nil || e.Meta.Name != "beta" || e.State == nil || e.State.State != StateRunning {
			t.Errorf("List(nil)[1] = %+v, want beta, running, no error", e)
		}
		if e := ents[3]; e.Err != nil || e.Meta == nil || e.Meta.Name != "alpha" || e.State == nil || e.State.State != StateCreated {
			t.Errorf("List(nil)[3] = %+v, want alpha, created, no error", e)
		}
	})

	t.Run("keep", func(t *testing.T) {
		var asked []string
		ents, err := s.List(func(m *Meta) bool {
			asked = append(asked, m.ID)
			return m.Name != "skip-me"
		})
		if err != nil {
			t.Fatalf("List(keep) error = %v, want nil", err)
		}
		var got []string
		for _, e := range ents {
			got = append(got, e.ID)
		}
		// The unreadable job is reported (keep cannot judge it); skip-me is dropped.
		if want := []string{idC, idB, idA1}; !slices.Equal(got, want) {
			t.Errorf("List(keep) ids = %v, want %v", got, want)
		}
		if want := []string{idB, idA2, idA1}; !slices.Equal(asked, want) {
			t.Errorf("List(keep) asked keep about %v, want %v (once each, readable metas only)", asked, want)
		}
	})

	t.Run("unreadable state", func(t *testing.T) {
		if err := os.WriteFile(s.Path(idA1, StateFile), []byte("nope"), 0o600); err != nil {
			t.Fatal(err)
		}
		ents, err := s.List(func(m *Meta) bool { return m.ID == idA1 })
		if err != nil {
			t.Fatalf("List(keep) error = %v, want nil", err)
		}
		// idC's meta is unreadable, so it is always reported.
		if len(ents) != 2 {
			t.Fatalf("List(keep) = %+v, want 2 entries", ents)
		}
		if e := ents[1]; e.ID != idA1 || e.Meta == nil || !errors.Is(e.Err, ErrCorrupt) {
			t.Errorf("List(keep)[1] = %+v, want %s with Meta and Err ErrCorrupt", e, idA1)
		}
	})
}

func TestResolve(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, idA1, "build")
	mustCreate(t, s, idA2, "build") // newer job of the same name
	mustCreate(t, s, idB, "01j2")   // a name that is also a prefix of idC
	mustCreate(t, s, idC, "test")
	mustCreate(t, s, "", "deploy")
	newDeploy := mustCreate(t, s, "", "deploy").ID

	tests := []struct {
		ref     string
		want    string
		wantErr error
	}{
		{idA1, idA1, nil},
		{idB, idB, nil},
		{"01j1", idB, nil},            // 4-char unique prefix
		{"01j1bbbb", idB, nil},        // longer unique prefix
		{idA1[:25], "", ErrAmbiguous}, // 25 chars, still both
		{"build", idA2, nil},          // name: the newest job
		{"deploy", newDeploy, nil},
		{"test", idC, nil},       // a valid prefix matching nothing, then a name
		{"01j2", idC, nil},       // prefix wins over job idB named "01j2"
		{"01j", "", ErrNotFound}, // too short for a prefix, and no such name
		{"01j0", "", ErrAmbiguous},
		{"01j0aaaa", "", ErrAmbiguous},
		{"../x", "", ErrInvalidRef},
		{"a b", "", ErrInvalidRef},
		{"*", "", ErrInvalidRef},
		{"", "", ErrInvalidRef},
		{"-x", "", ErrInvalidRef},
		{".build", "", ErrInvalidRef},
		{"a/b", "", ErrInvalidRef},
		{"build\x00", "", ErrInvalidRef},
		{strings.Repeat("a", 65), "", ErrInvalidRef},
		{"nosuchjob", "", ErrNotFound},
		{"7zzz", "", ErrNotFound},
		{"01j9zzzzzzzzzzzzzzzzzzzzzz", "", ErrNotFound}, // full id, no such job
		{strings.ToUpper(idB), "", ErrNotFound},         // a name, not an id
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := s.Resolve(tt.ref)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Resolve(%q) = %q, %v, want error %v", tt.ref, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Resolve(%q) = %q, %v, want %q, nil", tt.ref, got, err, tt.want)
			}
		})
	}
}

func TestResolveAmbiguous(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, idA1, "")
	mustCreate(t, s, idA2, "")
	mustCreate(t, s, idB, "")
	got, err := s.Resolve("01j0")
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("Resolve(%q) = %q, %v, want an *AmbiguousError", "01j0", got, err)
	}
	if !errors.Is(err, ErrAmbiguous) {
		t.Errorf("errors.Is(Resolve(%q) error, ErrAmbiguous) = false, want true", "01j0")
	}
	if amb.Ref != "01j0" {
		t.Errorf("AmbiguousError.Ref = %q, want %q", amb.Ref, "01j0")
	}
	if want := []string{idA2, idA1}; !slices.Equal(amb.Candidates, want) {
		t.Errorf("AmbiguousError.Candidates = %v, want %v", amb.Candidates, want)
	}
	if msg := amb.Error(); !strings.Contains(msg, idA1) || !strings.Contains(msg, idA2) {
		t.Errorf("AmbiguousError.Error() = %q, want both candidates in it", msg)
	}
}

func TestResolveAmbiguousCapped(t *testing.T) {
	s := newStore(t)
	for i := range 25 {
		mustCreate(t, s, "01j0aaaaaaaaaaaaaaaaaaaa"+string(crockfordLower[i/10])+string(crockfordLower[i%10]), "")
	}
	_, err := s.Resolve("01j0")
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("Resolve(%q) error = %v, want an *AmbiguousError", "01j0", err)
	}
	if len(amb.Candidates) != 20 {
		t.Errorf("len(AmbiguousError.Candidates) = %d, want 20", len(amb.Candidates))
	}
	// The message gives the true count and says only some are shown.
	if amb.Matches != 25 {
		t.Errorf("AmbiguousError.Matches = %d, want 25", amb.Matches)
	}
	if msg := amb.Error(); !strings.Contains(msg, "matches 25 jobs") || !strings.Contains(msg, "20 shown") {
		t.Errorf("AmbiguousError.Error() = %q, want it to say 25 match and 20 are shown", msg)
	}
}

// TestResolveIgnoresNonJobEntries checks that a symlink to a directory and a
// plain file, both named like job ids, resolve to nothing.
func TestResolveIgnoresNonJobEntries(t *testing.T) {
	s := newStore(t)
	// A real job, in another store, that a symlink points at.
	other := newStore(t)
	linked := mustCreate(t, other, "01j7aaaaaaaaaaaaaaaaaaaaaa", "linked").ID
	if err := os.Symlink(other.Dir(linked), s.Dir(linked)); err != nil {
		t.Fatal(err)
	}
	fileID := "01j8aaaaaaaaaaaaaaaaaaaaaa"
	if err := os.WriteFile(s.Dir(fileID), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	ids, err := s.IDs()
	if err != nil || len(ids) != 0 {
		t.Fatalf("IDs() = %v, %v, want [], nil", ids, err)
	}
	for _, ref := range []string{linked, "01j7", "linked", fileID, "01j8"} {
		t.Run(ref, func(t *testing.T) {
			if got, err := s.Resolve(ref); !errors.Is(err, ErrNotFound) {
				t.Errorf("Resolve(%q) = %q, %v, want ErrNotFound", ref, got, err)
			}
		})
	}
	if s.Exists(linked) {
		t.Errorf("Exists(%q) for a symlinked directory = true, want false", linked)
	}
}

// TestResolveSkipsUnreadableMeta checks that the name search passes over a
// job whose meta.json cannot be read.
func TestResolveSkipsUnreadableMeta(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, idA1, "build")
	mustCreate(t, s, idB, "build")
	if err := os.WriteFile(s.Path(idB, MetaFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Resolve("build"); err != nil || got != idA1 {
		t.Errorf("Resolve(%q) = %q, %v, want %q, nil", "build", got, err, idA1)
	}
}

func TestWithName(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, idA1, "build")
	mustCreate(t, s, idA2, "other")
	mustCreate(t, s, idB, "build")
	mustCreate(t, s, idC, "")
	tests := []struct {
		name string
		want []string
	}{
		{"build", []string{idB, idA1}},
		{"other", []string{idA2}},
		{"nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.WithName(tt.name)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("WithName(%q) = %v, %v, want %v, nil", tt.name, got, err, tt.want)
			}
		})
	}
}

// TestResolveByNameIndex: a name the index holds resolves to its holder
// without a scan (the index is made to disagree with the jobs here, so a
// scan would answer otherwise); a restarted holder gives way to a newer
// job of the name; an index that cannot tell sends Resolve to the scan.
func TestResolveByNameIndex(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, idA1, "web")
	mustCreate(t, s, idA2, "db")
	mustCreate(t, s, idB, "web")
	if err := s.CompleteNameIndex(map[string]string{"web": idA1}); err != nil {
		t.Fatal(err)
	}
	check := func(what, ref, want string) {
		t.Helper()
		if got, err := s.Resolve(ref); err != nil || got != want {
			t.Errorf("%s: Resolve(%q) = %q, %v; want %s", what, ref, got, err, want)
		}
	}
	check("holder never restarted", "web", idA1)
	if err := s.WriteState(idA1, &State{State: StateRunning, Run: 2}); err != nil {
		t.Fatal(err)
	}
	check("holder restarted", "web", idB)
	check("name not in the index", "db", idA2)
	if err := s.SetNameHolder("web", idC); err != nil { // no such job
		t.Fatal(err)
	}
	check("holder gone", "web", idB)
	// A symlink in the holder's place is no job: the scan answers.
	if err := os.Symlink(s.Dir(idA1), s.Dir(idC)); err != nil {
		t.Fatal(err)
	}
	check("holder a symlink", "web", idB)
}

// TestResolveByNameIndexRefusesSymlinkedHolder: a job directory replaced by
// a symlink (to a copy elsewhere, with the same definition) is no job of
// the root, even when the name index still names it.
func TestResolveByNameIndexRefusesSymlinkedHolder(t *testing.T) {
	s := newStore(t)
	mustCreate(t, s, idA1, "planted")
	if err := s.CompleteNameIndex(map[string]string{"planted": idA1}); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "copy")
	if err := os.Rename(s.Dir(idA1), outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, s.Dir(idA1)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Resolve("planted"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve(planted) = %q, %v; want ErrNotFound for a symlinked job directory", got, err)
	}
}
