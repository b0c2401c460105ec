package supervisor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// EndRecordFile is the run's end record: a small file the supervisor fills
// with blanks (so its blocks are allocated) when the run starts, and
// overwrites in place with the terminal state, synced, at the end, before
// it replaces state.json (a full disk needs no new block for it, and the
// sync no journal commit). A reader that finds the supervisor gone and
// state.json still running, or unreadable, takes the terminal state from
// it.
const EndRecordFile = "end.rec"

// endRecordSize bounds the record; a terminal state is well below it.
const endRecordSize = 4096

// openEndRecord creates (or reuses) the end record in dir, blank, with its
// blocks written (which reserves them), and returns it open; syncEndRecord
// makes the blanks durable.
func openEndRecord(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, EndRecordFile), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open end record: %w", err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{' '}, endRecordSize), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("blank end record: %w", err)
	}
	if err := f.Truncate(endRecordSize); err != nil {
		f.Close()
		return nil, fmt.Errorf("size end record: %w", err)
	}
	return f, nil
}

// syncEndRecord syncs the end record's data (and its size and blocks).
func syncEndRecord(f *os.File) error {
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("sync end record: %w", err)
	}
	return nil
}

// writeEndRecord overwrites the record in place with st, padded with
// blanks, and syncs it.
func writeEndRecord(f *os.File, st *jobstore.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode end record: %w", err)
	}
	if len(b) > endRecordSize {
		return fmt.Errorf("end record: %d bytes, more than %d", len(b), endRecordSize)
	}
	b = append(b, bytes.Repeat([]byte{' '}, endRecordSize-len(b))...)
	if _, err := f.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write end record: %w", err)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("sync end record: %w", err)
	}
	return nil
}

// ReadEndRecord returns the terminal state of run number run (0: of
// whichever run it holds) that its supervisor kept in the end record of the
// job in dir, if it did. Call it only once that supervisor is gone.
func ReadEndRecord(dir string, run int) (*jobstore.State, bool) {
	f, err := os.OpenFile(filepath.Join(dir, EndRecordFile), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	b := make([]byte, endRecordSize+1)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) || n > endRecordSize {
		return nil, false
	}
	var st jobstore.State
	if json.Unmarshal(bytes.TrimSpace(b[:n]), &st) != nil || run != 0 && st.Run != run || !jobstore.Terminal(st.State) {
		return nil, false
	}
	return &st, true
}
