package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFloor: no window shows bytes below Floor; one whose span began
// below it starts at Floor and says so in RotatedBefore.
func TestReadFloor(t *testing.T) {
	log := strings.Repeat("\x00", 100) + strings.Repeat("abcdefghi\n", 10) // data from 100 to 200
	r := strings.NewReader(log)
	size := int64(len(log))
	for _, tc := range []struct {
		name       string
		req        Request
		start      int64
		rotated    int64
		wantPrefix string
	}{
		{"forward from 0", Request{Start: 0, End: -1, Forward: true, MaxBytes: 1000, Floor: 100}, 100, 100, "abc"},
		{"forward from 150", Request{Start: 150, End: -1, Forward: true, MaxBytes: 1000, Floor: 100}, 150, 0, "abc"},
		{"tail reaching the floor", Request{Tail: true, End: -1, MaxBytes: 1000, Floor: 100}, 100, 100, "abc"},
		{"short tail", Request{Tail: true, End: -1, MaxBytes: 20, Floor: 100}, 180, 0, "abc"},
		{"head and tail", Request{Start: 0, End: -1, MaxBytes: 60, Floor: 100}, 100, 100, "abc"},
		{"all rotated", Request{Start: 0, End: 50, Forward: true, MaxBytes: 1000, Floor: 100}, 100, 100, ""},
	} {
		w, err := Read(r, size, tc.req, Options{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if w.Start != tc.start || w.RotatedBefore != tc.rotated || strings.ContainsRune(w.Text, 0) || !strings.HasPrefix(w.Text, tc.wantPrefix) {
			t.Errorf("%s: start %d rotated %d text %q; want start %d rotated %d", tc.name, w.Start, w.RotatedBefore, w.Text, tc.start, tc.rotated)
		}
	}
}

// TestTailMarkerAboveFloor: a tail's marker counts and points at the kept
// bytes only.
func TestTailMarkerAboveFloor(t *testing.T) {
	log := strings.Repeat("\x00", 100) + strings.Repeat("abcdefghi\n", 30) // data from 100 to 400
	w, err := Read(strings.NewReader(log), int64(len(log)), Request{Tail: true, End: -1, MaxBytes: 200, Say: true, Floor: 100}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := tailMarker(100, w.Start)
	if !strings.HasPrefix(w.Text, want) || !strings.Contains(want, "offset=100") || w.RotatedBefore != 0 {
		t.Fatalf("text %q rotated %d, want the marker %q", w.Text, w.RotatedBefore, want)
	}
}

// BenchmarkReadFileTail measures a 16 KiB tail window of a 1 MiB log, the
// extra SEEK_DATA calls for rotation included.
func BenchmarkReadFileTail(b *testing.B) {
	path := filepath.Join(b.TempDir(), "output.log")
	if err := os.WriteFile(path, []byte(strings.Repeat("abcdefghi\n", 1<<17)), 0o600); err != nil {
		b.Fatal(err)
	}
	req := Request{Tail: true, End: -1, MaxBytes: 16 << 10, Encoded: true}
	for b.Loop() {
		if _, err := ReadFile(path, req, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDataStart measures the look-up of where a log's data starts.
func BenchmarkDataStart(b *testing.B) {
	path := filepath.Join(b.TempDir(), "output.log")
	if err := os.WriteFile(path, []byte(strings.Repeat("abcdefghi\n", 1<<17)), 0o600); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for b.Loop() {
		DataStartOf(f, 1<<20)
	}
}
