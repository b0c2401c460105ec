package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobs"
)

// eventLines decodes the lines events printed.
func eventLines(t *testing.T, text string) []jobs.EventLine {
	t.Helper()
	var out []jobs.EventLine
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		var e jobs.EventLine
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("events printed %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

// TestEventsMatched: a job run with --notify-match and no sink has each
// match in its events: events -f prints it as it is recorded, one line,
// between started and exited; events without -f prints the same lines
// and returns.
func TestEventsMatched(t *testing.T) {
	root := newRoot(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	env := agentExec(t, root, exitOK, "run", "--cwd", dir, "--until", "0", "--notify-match", "ERROR",
		"--", "echo ok; echo 'ERROR: disk full'; read x < fifo").envelope(t)
	id := env.Job.JobID
	killAtEnd(t, root, id)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	go func() {
		code := run(ctx, []string{"--root", root, "events", "-f", id}, stdio{out: pw, err: io.Discard})
		pw.Close()
		done <- code
	}()
	out := readAsync(pr)
	waitLines(t, out, 3)
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("go\n")
	f.Close()
	waitLines(t, out, 4)
	stop()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("events -f = exit %d after an interrupt, want 0", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("events -f did not return once interrupted")
	}
	followed := out.all(t)
	got := eventLines(t, followed)
	var names []string
	for _, e := range got {
		names = append(names, e.Event)
	}
	if want := []string{"created", "started", "matched", "exited"}; !slices.Equal(names, want) {
		t.Fatalf("events -f printed %v, want %v:\n%s", names, want, followed)
	}
	m := got[2]
	if m.JobID != id || m.Run != 1 || m.Detail["line"] != "ERROR: disk full" || m.Detail["offset"] != float64(3) ||
		m.Detail["count"] != float64(1) || m.Detail["pattern"] != "ERROR" || m.Detail["stream"] != "output" {
		t.Errorf("matched line %+v", m)
	}
	if r := agentExec(t, root, exitOK, "events", id); r.stdout != followed {
		t.Errorf("events printed\n%s\nwant what events -f printed\n%s", r.stdout, followed)
	}
}

// waitLines waits until out holds at least n lines.
func waitLines(t *testing.T, out *asyncReader, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for strings.Count(out.text(), "\n") < n {
		select {
		case _, ok := <-out.more:
			if !ok {
				t.Fatalf("events ended after %q, want %d lines", out.text(), n)
			}
		case <-deadline:
			t.Fatalf("waited 30s for %d lines; got %q", n, out.text())
		}
	}
}
