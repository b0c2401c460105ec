package jobs

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestWatcherNames: a subscriber that names its files is woken by those
// and by the directory going away, never by writes to other files; while
// only such state-file subscribers watch a directory, the kernel is not
// asked for write events.
func TestWatcherNames(t *testing.T) {
	w, err := newWatcher(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	dir := t.TempDir()
	logPath := filepath.Join(dir, jobstore.OutputLog)
	if err := os.WriteFile(logPath, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	state, stopState, err := w.subscribe(dir, jobstore.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	defer stopState()
	if m := w.byDir[dir].mask; m&unix.IN_MODIFY != 0 {
		t.Errorf("mask %#x asks for writes with only a state subscriber", m)
	}
	logs, stopLogs, err := w.subscribe(dir, jobstore.OutputLog)
	if err != nil {
		t.Fatal(err)
	}
	if m := w.byDir[dir].mask; m&unix.IN_MODIFY == 0 {
		t.Errorf("mask %#x does not ask for writes with a log subscriber", m)
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("x\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-logs:
	case <-time.After(30 * time.Second):
		t.Fatal("a write to the log did not wake its subscriber")
	}
	// One event wakes all its subscribers at once: had the write woken the
	// state subscriber, its channel would hold a value by now.
	select {
	case <-state:
		t.Error("a write to the log woke the state subscriber")
	default:
	}
	stopLogs()
	if m := w.byDir[dir].mask; m&unix.IN_MODIFY != 0 {
		t.Errorf("mask %#x still asks for writes after the log subscriber left", m)
	}
	tmp := filepath.Join(dir, ".state.tmp")
	if err := os.WriteFile(tmp, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, jobstore.StateFile)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-state:
	case <-time.After(30 * time.Second):
		t.Fatal("replacing the state file did not wake its subscriber")
	}
}
