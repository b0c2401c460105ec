package jobstore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResolve feeds arbitrary strings to ValidID, ValidateName and
// Resolve against a small store that also holds traps: a symlink and a
// plain file named like job ids, and a job whose name looks like a path.
// Resolve never panics, never returns an id that is not a real directory
// in the root, and refuses a ref no grammar allows with ErrInvalidRef
// before touching the filesystem (a store whose root is gone answers the
// same).
func FuzzResolve(f *testing.F) {
	s := newStoreF(f)
	for _, j := range []struct{ id, name string }{
		{idA1, "build"}, {idA2, "build"}, {idB, "01j2"}, {idC, "test"},
	} {
		createF(f, s, j.id, j.name)
	}
	outside := f.TempDir()
	const symID = "01j3dddddddddddddddddddddd"
	const fileID = "01j4eeeeeeeeeeeeeeeeeeeeee"
	if err := os.Symlink(outside, filepath.Join(s.Root(), symID)); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Root(), fileID), nil, 0o600); err != nil {
		f.Fatal(err)
	}
	gone := &Store{root: filepath.Join(f.TempDir(), "no-such-root")}

	for _, seed := range []string{
		idA1, idB, "01j1", "01j0", "build", "test", "01j2", symID, fileID, "01j3", "01j4",
		"", ".", "..", "../x", "/etc", "/", "*", "0?", "01j?", "01j*", "a/b", "%2e%2e", "..%2f",
		"a b", "-x", ".build", "build\x00", "\x00", "\xff\xfe", "\ufffd", strings.Repeat("a", 65),
		strings.Repeat("0", 26), "7zzzzzzzzzzzzzzzzzzzzzzzzz", "8zzzzzzzzzzzzzzzzzzzzzzzzz",
		strings.ToUpper(idB), idB + "/", idB + "/..", idB + "\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		valid := ValidID(ref)
		if valid && (len(ref) != IDLen || strings.ContainsAny(ref, "./\\\x00")) {
			t.Fatalf("ValidID(%q) = true", ref)
		}
		nameErr := ValidateName(ref)
		if nameErr == nil && (ref == "" || len(ref) > MaxNameLen || strings.ContainsAny(ref, "/\\\x00 *?") || ref[0] == '.' || ref[0] == '-') {
			t.Fatalf("ValidateName(%q) = nil", ref)
		}
		if nameErr != nil && !errors.Is(nameErr, ErrInvalidName) {
			t.Fatalf("ValidateName(%q) = %v, want ErrInvalidName", ref, nameErr)
		}

		id, err := s.Resolve(ref)
		if err == nil {
			if !ValidID(id) {
				t.Fatalf("Resolve(%q) = %q, not a valid id", ref, id)
			}
			fi, lerr := os.Lstat(filepath.Join(s.Root(), id))
			if lerr != nil || !fi.IsDir() {
				t.Fatalf("Resolve(%q) = %q, which is not a directory in the root (%v)", ref, id, lerr)
			}
			if filepath.Dir(s.Dir(id)) != s.Root() {
				t.Fatalf("Resolve(%q) = %q, whose directory %s is not in the root", ref, id, s.Dir(id))
			}
		} else {
			var amb *AmbiguousError
			if !errors.Is(err, ErrInvalidRef) && !errors.Is(err, ErrNotFound) && !errors.As(err, &amb) {
				t.Fatalf("Resolve(%q) error %v, want invalid ref, not found or ambiguous", ref, err)
			}
			if errors.As(err, &amb) {
				for _, c := range amb.Candidates {
					if !s.Exists(c) || !strings.HasPrefix(c, ref) {
						t.Fatalf("Resolve(%q): candidate %q is not a job with that prefix", ref, c)
					}
				}
			}
		}
		invalid := !validPrefix(ref) && nameErr != nil
		if invalid != errors.Is(err, ErrInvalidRef) {
			t.Fatalf("Resolve(%q) error %v; grammar says invalid=%v", ref, err, invalid)
		}
		if invalid {
			if _, gerr := gone.Resolve(ref); !errors.Is(gerr, ErrInvalidRef) {
				t.Fatalf("Resolve(%q) on a missing root = %v, want ErrInvalidRef before any filesystem access", ref, gerr)
			}
		}
	})
}

func newStoreF(f *testing.F) *Store {
	s, err := Open(filepath.Join(f.TempDir(), "jobs"))
	if err != nil {
		f.Fatalf("Open() error = %v", err)
	}
	return s
}

func createF(f *testing.F, s *Store, id, name string) {
	m := &Meta{ID: id, Name: name, Command: []string{"true"}, Cwd: "/", Streams: StreamsMerged, Tags: []string{}}
	if err := s.Create(m); err != nil {
		f.Fatalf("Create(%s) error = %v", id, err)
	}
}
