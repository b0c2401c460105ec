package jobs

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// TestEngineCoalescesOutput: a flood of writes reaches a watcher as a few
// ChangeOutput, never one per write, and a state change still arrives.
func TestEngineCoalescesOutput(t *testing.T) {
	e, err := processEngine(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, jobstore.OutputLog))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	jw, err := e.watchJob(dir, jobstore.OutputLog)
	if err != nil {
		t.Fatal(err)
	}
	defer jw.close()
	const writes = 20000
	began := time.Now()
	for range writes {
		if _, err := f.Write([]byte("x\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, jobstore.StateFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	looks := 0
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-jw.C:
		case <-deadline:
			t.Fatal("no state change seen")
		}
		looks++
		if jw.take()&ChangeState != 0 {
			break
		}
	}
	// One look per outputGap at most, plus the first and the state's.
	if most := int(time.Since(began)/outputGap) + 3; looks > most {
		t.Fatalf("%d looks for %d writes in %v: more than one per %v", looks, writes, time.Since(began), outputGap)
	}
}

// TestEngineSharesSupervisorWatch: watchers of one supervisor share one
// exit watch, and each is told of the exit.
func TestEngineSharesSupervisorWatch(t *testing.T) {
	e, err := processEngine(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pid := cmd.Process.Pid
	start, err := supervisor.StartTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	var ws []*jobWatch
	for range 3 {
		jw, err := e.watchJob(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer jw.close()
		jw.watchSupervisor(pid, start)
		ws = append(ws, jw)
	}
	e.mu.Lock()
	n := len(e.exits[exitKey{pid, start}].subs)
	e.mu.Unlock()
	if n != 3 {
		t.Fatalf("exit watch has %d subscribers, want 3", n)
	}
	cmd.Process.Kill()
	cmd.Wait()
	for i, jw := range ws {
		select {
		case <-jw.C:
		case <-time.After(20 * time.Second):
			t.Fatalf("watcher %d not told of the exit", i)
		}
		if jw.take()&ChangeSupervisorGone == 0 {
			t.Fatalf("watcher %d: no ChangeSupervisorGone", i)
		}
	}
}
