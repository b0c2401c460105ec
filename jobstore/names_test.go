package jobstore

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNameIndex(t *testing.T) {
	s := newStore(t)
	if id, complete, err := s.NameHolder("web"); id != "" || complete || err != nil {
		t.Fatalf("NameHolder on a new root = %q, %v, %v; want \"\", incomplete, nil", id, complete, err)
	}
	if err := s.CompleteNameIndex(map[string]string{"web": idA1}); err != nil {
		t.Fatal(err)
	}
	if id, complete, err := s.NameHolder("web"); id != idA1 || !complete || err != nil {
		t.Errorf("NameHolder(web) = %q, %v, %v; want %s, complete", id, complete, err, idA1)
	}
	if id, complete, err := s.NameHolder("db"); id != "" || !complete || err != nil {
		t.Errorf("NameHolder(db) = %q, %v, %v; want \"\", complete", id, complete, err)
	}
	if err := s.SetNameHolder("web", idB); err != nil {
		t.Fatal(err)
	}
	if id, _, _ := s.NameHolder("web"); id != idB {
		t.Errorf("NameHolder(web) after SetNameHolder = %q, want %s", id, idB)
	}
	checkMode(t, filepath.Join(s.Root(), namesDir), 0o700)
	checkMode(t, filepath.Join(s.Root(), namesDir, nameFilePfx+"web"), 0o600)
	// A damaged entry sends the caller back to a scan.
	if err := os.WriteFile(filepath.Join(s.Root(), namesDir, nameFilePfx+"web"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if id, complete, err := s.NameHolder("web"); id != "" || complete || err != nil {
		t.Errorf("NameHolder of a damaged entry = %q, %v, %v; want \"\", incomplete, nil", id, complete, err)
	}
	for _, bad := range []string{"", "../x", "a/b"} {
		if _, _, err := s.NameHolder(bad); err == nil {
			t.Errorf("NameHolder(%q) = nil error, want one", bad)
		}
		if err := s.SetNameHolder(bad, idA1); err == nil {
			t.Errorf("SetNameHolder(%q) = nil error, want one", bad)
		}
	}
	// The index is no job.
	if ids, err := s.IDs(); err != nil || len(ids) != 0 {
		t.Errorf("IDs() with an index = %v, %v; want none", ids, err)
	}
}
