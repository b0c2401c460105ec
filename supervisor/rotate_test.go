package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPunchLog: a log past twice the limit since its last cut loses the
// bytes before its last keep bytes (block-aligned): the blocks are freed,
// the size and the offsets of the kept bytes do not change, and SEEK_DATA
// finds where the data starts.
func TestPunchLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output.log")
	const keep = 64 << 10
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cut, err := punchLog(path, keep, 0)
	if err != nil {
		t.Skipf("this file system cannot punch holes: %v", err)
	}
	fi, _ := os.Stat(path)
	st := fi.Sys().(*syscall.Stat_t)
	block := int64(st.Blksize)
	if want := (int64(len(data)) - keep) / block * block; cut != want {
		t.Fatalf("cut at %d, want %d", cut, want)
	}
	if fi.Size() != int64(len(data)) {
		t.Fatalf("size %d, want %d (unchanged)", fi.Size(), len(data))
	}
	if used := st.Blocks * 512; used > fi.Size()-cut+block {
		t.Fatalf("%d bytes allocated after the cut, want at most %d", used, fi.Size()-cut+block)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if off, err := unix.Seek(int(f.Fd()), 0, unix.SEEK_DATA); err != nil || off != cut {
		t.Fatalf("SEEK_DATA = %d, %v; want %d", off, err, cut)
	}
	kept := make([]byte, len(data)-int(cut))
	if _, err := f.ReadAt(kept, cut); err != nil || !bytes.Equal(kept, data[cut:]) {
		t.Fatalf("the kept bytes changed (%v)", err)
	}
	// Below twice the limit since the cut: nothing happens.
	if again, err := punchLog(path, keep, cut); err != nil || again != cut {
		t.Fatalf("second cut: %d, %v; want %d", again, err, cut)
	}
	// Written on: cut again, from where the last cut ended.
	w, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	w.Write(data[:3*keep])
	w.Close()
	next, err := punchLog(path, keep, cut)
	if err != nil || next <= cut {
		t.Fatalf("third cut: %d, %v; want past %d", next, err, cut)
	}
}
