package jobstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("os.ReadDir(%s) error = %v, want nil", dir, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// setAfterTempWrite installs the crash-window hook for the rest of the test.
func setAfterTempWrite(t *testing.T, f func(tmp string)) {
	t.Helper()
	prev := afterTempWrite
	afterTempWrite = f
	t.Cleanup(func() { afterTempWrite = prev })
}

func TestWriteFileAtomic(t *testing.T) {
	tests := []struct {
		name     string
		existing *string // content and 0644 mode before the write, nil for none
		data     string
	}{
		{"new file", nil, `{"a":1}`},
		{"replace", ptr(`{"old":true,"long":"xxxxxxxxxxxxxxxxxxxxxxxx"}`), `{"new":1}`},
		{"replace with empty", ptr("old"), ""},
		{"grow", ptr("x"), strings.Repeat("y", 1<<16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f.json")
			if tt.existing != nil {
				if err := os.WriteFile(path, []byte(*tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFileAtomic(path, []byte(tt.data)); err != nil {
				t.Fatalf("WriteFileAtomic(%s) error = %v, want nil", path, err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.data {
				t.Errorf("content after WriteFileAtomic(%s, %.20q) = %.20q (%d bytes), want %d bytes", path, tt.data, got, len(got), len(tt.data))
			}
			checkMode(t, path, 0o600)
			if names := dirNames(t, dir); len(names) != 1 || names[0] != "f.json" {
				t.Errorf("directory after WriteFileAtomic = %v, want [f.json] (no temp files)", names)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestWriteFileAtomicErrors(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope", "f")
		err := WriteFileAtomic(path, []byte("x"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("WriteFileAtomic(%s) error = %v, want fs.ErrNotExist", path, err)
		}
	})
	t.Run("rename fails, temp removed", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "d")
		if err := os.MkdirAll(filepath.Join(target, "child"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(target, []byte("x")); err == nil {
			t.Fatalf("WriteFileAtomic(%s) over a non-empty directory = nil, want an error", target)
		}
		if names := dirNames(t, dir); len(names) != 1 || names[0] != "d" {
			t.Errorf("directory after failed WriteFileAtomic = %v, want [d] (temp file removed)", names)
		}
	})
}

// TestWriteFileAtomicCrashWindow stops between the temp write and the rename
// and checks that the target still holds the old, complete content while
// the temporary file, next to it, holds the new.
func TestWriteFileAtomicCrashWindow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	oldData := []byte(`{"state":"created","run":0}` + "\n")
	newData := []byte(`{"state":"running","run":1}` + "\n")
	if err := WriteFileAtomic(path, oldData); err != nil {
		t.Fatal(err)
	}

	calls := 0
	setAfterTempWrite(t, func(tmp string) {
		calls++
		if filepath.Dir(tmp) != dir {
			t.Errorf("temp file %s, want it in %s", tmp, dir)
		}
		if base := filepath.Base(tmp); !strings.HasPrefix(base, ".state.json.tmp-") {
			t.Errorf("temp file name %s, want prefix .state.json.tmp-", base)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("os.ReadFile(target) in crash window error = %v, want nil", err)
		} else if string(got) != string(oldData) {
			t.Errorf("target in crash window = %q, want old %q", got, oldData)
		}
		got, err = os.ReadFile(tmp)
		if err != nil {
			t.Errorf("os.ReadFile(temp) in crash window error = %v, want nil", err)
		} else if string(got) != string(newData) {
			t.Errorf("temp file in crash window = %q, want new %q", got, newData)
		}
		checkMode(t, tmp, 0o600)
	})
	if err := WriteFileAtomic(path, newData); err != nil {
		t.Fatalf("WriteFileAtomic(%s) error = %v, want nil", path, err)
	}
	if calls != 1 {
		t.Fatalf("afterTempWrite calls = %d, want 1", calls)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(newData) {
		t.Errorf("target after WriteFileAtomic = %q, want %q", got, newData)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory after WriteFileAtomic = %v, want only state.json", names)
	}
}

// TestWriteFileAtomicCrashWindowNewFile checks that a new target does not
// exist at all before the rename.
func TestWriteFileAtomicCrashWindowNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "meta.json")
	calls := 0
	setAfterTempWrite(t, func(tmp string) {
		calls++
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("os.Lstat(target) in crash window error = %v, want fs.ErrNotExist", err)
		}
	})
	if err := WriteFileAtomic(path, []byte("{}")); err != nil {
		t.Fatalf("WriteFileAtomic(%s) error = %v, want nil", path, err)
	}
	if calls != 1 {
		t.Errorf("afterTempWrite calls = %d, want 1", calls)
	}
}

type atomicDoc struct {
	Writer int    `json:"writer"`
	Seq    int    `json:"seq"`
	Pad    string `json:"pad"`
}

func makeDoc(w, i int) []byte {
	tag := fmt.Sprintf("w%d-s%d;", w, i)
	b, err := json.Marshal(atomicDoc{Writer: w, Seq: i, Pad: strings.Repeat(tag, 8192/len(tag)+w*37+i)})
	if err != nil {
		panic(err)
	}
	return b
}

// checkDoc reports what is wrong with b, a read of a file written only
// with makeDoc documents.
func checkDoc(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty file")
	}
	var d atomicDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("torn file (%d bytes): %v", len(b), err)
	}
	if want := makeDoc(d.Writer, d.Seq); string(b) != string(want) {
		return fmt.Errorf("file (%d bytes) is not writer %d's document %d (%d bytes)", len(b), d.Writer, d.Seq, len(want))
	}
	return nil
}

func TestWriteFileAtomicConcurrent(t *testing.T) {
	const writers, writes = 4, 200
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := WriteFileAtomic(path, makeDoc(0, 0)); err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	readerErr := make(chan error, 1)
	reads := 0
	go func() {
		defer close(readerErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			b, err := os.ReadFile(path)
			if err != nil {
				readerErr <- fmt.Errorf("os.ReadFile(%s) error = %v, want nil", path, err)
				return
			}
			if err := checkDoc(b); err != nil {
				readerErr <- fmt.Errorf("read %d: %v", reads, err)
				return
			}
			reads++
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, writers*writes)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				if err := WriteFileAtomic(path, makeDoc(w, i)); err != nil {
					errs <- fmt.Errorf("WriteFileAtomic(writer %d, doc %d) error = %v, want nil", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-readerErr; err != nil {
		t.Error(err)
	}
	t.Logf("reader made %d reads", reads)

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDoc(b); err != nil {
		t.Fatalf("final file: %v", err)
	}
	var d atomicDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Seq != writes-1 {
		t.Errorf("final document seq = %d, want %d (some writer's last write)", d.Seq, writes-1)
	}
	checkMode(t, path, 0o600)
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "state.json" {
		t.Errorf("directory after concurrent writes = %v, want [state.json] (no temp files)", names)
	}
}

// TestWriteFileAtomicUnsynced: the new content is in place (and no temporary
// file is left) before sync is called; sync then succeeds.
func TestWriteFileAtomicUnsynced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := WriteFileAtomic(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	sync, err := WriteFileAtomicUnsynced(path, []byte("new"))
	if err != nil {
		t.Fatalf("WriteFileAtomicUnsynced error = %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "new" {
		t.Errorf("before sync: %q, %v; want new", b, err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("files before sync = %v, want state.json alone", names)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi, err)
	}
	if err := sync(); err != nil {
		t.Errorf("sync error = %v", err)
	}
	if _, err := WriteFileAtomicUnsynced(filepath.Join(dir, "missing", "x"), nil); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}

// TestWriteFileAtomicDirLater: the new file is in place, whole, before the
// directory's sync, and the crash window (between the synced temporary file
// and the rename) is the same as WriteFileAtomic's.
func TestWriteFileAtomicDirLater(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := WriteFileAtomic(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	var during []byte
	setAfterTempWrite(t, func(string) { during, _ = os.ReadFile(path) })
	dirSync, err := WriteFileAtomicDirLater(path, []byte("new"))
	if err != nil {
		t.Fatalf("WriteFileAtomicDirLater error = %v", err)
	}
	if string(during) != "old" {
		t.Errorf("before the rename path held %q, want old", during)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "new" {
		t.Errorf("before the directory's sync: %q, %v; want new", b, err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("files = %v, want state.json alone", names)
	}
	if err := dirSync(); err != nil {
		t.Errorf("dirSync error = %v", err)
	}
}
