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

// TestWatcherPausesWrites: a reported write stops the kernel reporting
// writes in that directory until the pause ends, so a flooding job costs
// one event per pause however many writes it makes; the end of the pause
// wakes the subscribers of written files (their writes in between raised
// nothing), and the state file's replacement is reported during a pause.
func TestWatcherPausesWrites(t *testing.T) {
	w, err := newWatcher(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.writeGap = time.Hour // the test ends the pause itself
	dir := t.TempDir()
	logPath := filepath.Join(dir, jobstore.OutputLog)
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logs, stopLogs, err := w.subscribe(dir, jobstore.OutputLog)
	if err != nil {
		t.Fatal(err)
	}
	defer stopLogs()
	state, stopState, err := w.subscribe(dir, jobstore.StateFile)
	if err != nil {
		t.Fatal(err)
	}
	defer stopState()
	mask := func() uint32 {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.byDir[dir].mask
	}
	if mask()&unix.IN_MODIFY == 0 {
		t.Fatal("a log subscriber does not get write events")
	}
	if _, err := f.WriteString("x\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-logs:
	case <-time.After(30 * time.Second):
		t.Fatal("a write to the log did not wake its subscriber")
	}
	if m := mask(); m&unix.IN_MODIFY != 0 {
		t.Fatalf("mask %#x still asks for writes right after one was reported", m)
	}
	for range 1000 {
		if _, err := f.WriteString("x\n"); err != nil {
			t.Fatal(err)
		}
	}
	// The state file's replacement still comes through, and after it (the
	// kernel reports in order) nothing of the writes above.
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
		t.Fatal("replacing the state file during a pause did not wake its subscriber")
	}
	select {
	case <-logs:
		t.Fatal("writes during a pause woke the log subscriber")
	default:
	}
	w.mu.Lock()
	dw := w.byDir[dir]
	w.mu.Unlock()
	w.resumeWrites(dw)
	select {
	case <-logs:
	default:
		t.Fatal("the end of the pause did not wake the log subscriber")
	}
	if mask()&unix.IN_MODIFY == 0 {
		t.Fatal("writes are not reported again after the pause")
	}
}
