package cli

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// actAsCLI makes the test binary run cli.Main (see TestMain).
const actAsCLI = "AGENT_EXEC_TEST_AS_CLI"

// screenReader collects a terminal's output and lets a test wait for text.
type screenReader struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func readTerminal(t *testing.T, f *os.File) *screenReader {
	r := &screenReader{changed: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			r.mu.Lock()
			r.buf.Write(b[:n])
			r.mu.Unlock()
			select {
			case r.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *screenReader) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// waitFor waits until the output holds want, after the first skip bytes.
func (r *screenReader) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		got := r.buf.String()
		r.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("terminal never showed %q; it shows:\n%q", want, got)
		}
	}
}

func TestAttachInsideATerminal(t *testing.T) {
	root := newRoot(t)
	var out bytes.Buffer
	code := run(t.Context(), []string{"--root", root, "run", "--name", "repl", "--until", "0", "--tty", "--",
		"sh", "-c", `while read -r line; do echo "got:$line"; [ "$line" = quit ] && exit 3; done`},
		stdio{out: &out, err: &out})
	if code != exitOK {
		t.Fatalf("run = %d: %s", code, out.String())
	}
	cmd := exec.Command(os.Args[0], "--root", root, "attach", "repl")
	cmd.Env = append(os.Environ(), actAsCLI+"=1")
	term, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 100, Rows: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	screen := readTerminal(t, term)
	screen.waitFor(t, "attached to")
	term.Write([]byte("hello\r"))
	screen.waitFor(t, "got:hello")
	// The job sees the attaching terminal's size.
	term.Write([]byte{detachKey})
	screen.waitFor(t, "keeps running")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("attach after detach: %v; the terminal showed:\n%s", err, screen.String())
	}
	// Detached: the job still runs and still answers.
	out.Reset()
	if code := run(t.Context(), []string{"--root", root, "input", "--wait_for", "got:again", "repl", "again\r"}, stdio{out: &out, err: &out}); code != exitOK || !strings.Contains(out.String(), "got:again") {
		t.Fatalf("input after detach = %d: %s", code, out.String())
	}
	// Attach again and end the job from the terminal.
	cmd2 := exec.Command(os.Args[0], "--root", root, "attach", "repl")
	cmd2.Env = append(os.Environ(), actAsCLI+"=1")
	term2, err := pty.Start(cmd2)
	if err != nil {
		t.Fatal(err)
	}
	defer term2.Close()
	screen2 := readTerminal(t, term2)
	screen2.waitFor(t, "attached to")
	term2.Write([]byte("quit\r"))
	screen2.waitFor(t, "ended")
	if err := cmd2.Wait(); err != nil {
		t.Fatalf("attach after the job ended: %v; the terminal showed:\n%s", err, screen2.String())
	}
}
