package jobs

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

func ptr[T any](v T) *T { return &v }

// TestWaitForEndsByDeadline: a wait_for that cannot keep up with the output
// still ends at its deadline. The job writes 64 MB of one-character lines,
// far more than the pattern (no literal that a match must contain, so every
// line is matched on its own) can be checked against in a second.
func TestWaitForEndsByDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MB")
	}
	s := followService(t)
	env, err := s.Run(context.Background(), &RunRequest{
		Definition:  Definition{Command: Command{"yes | head -c 64000000"}},
		Observation: Observation{WaitFor: "^\\d+$", Until: ptr(1.0), Compress: "off"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if env.Wait.Reason != WaitDeadline {
		t.Fatalf("wait = %+v, want reason deadline: the wait scanned past its deadline", env.Wait)
	}
	t.Logf("waited %d ms for until 1 s", env.Wait.WaitedMS)
}

// TestLineScanner: lines are matched once each across steps, the unfinished
// last line matches at the end of the log, and a pattern with a literal
// skips plain runs that cannot match without missing a line that can.
func TestLineScanner(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "output.log")
	write := func(s string) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		pattern, log, line string
		offset             int64
	}{
		{"READY", strings.Repeat("y\n", scanChunk) + "x READY\n", "x READY", 2 * scanChunk},
		{"^>>> $", "a\nb\n>>> ", ">>> ", 4},
		{"(?i)ready", strings.Repeat("y\n", 1000) + "Ready\n", "Ready", 2000},
		{"READY", "y\n\x1b[1mREA\x1b[0mDY\r\n", "READY", 2},
		{"done", "50%\r100%\rdone\n", "done", 0},
	}
	for _, c := range cases {
		os.Remove(path)
		l := newLineScanner(regexp.MustCompile(c.pattern), c.pattern, path, 0, nil)
		m, more, err := l.step()
		if err != nil || m != nil || more {
			t.Fatalf("%q: step before the log exists = %v, %v, %v", c.pattern, m, more, err)
		}
		write(c.log)
		for i := 0; ; i++ {
			if m, more, err = l.step(); err != nil {
				t.Fatal(err)
			}
			if m != nil || !more {
				break
			}
			if i > 100 {
				t.Fatalf("%q: no end", c.pattern)
			}
		}
		l.close()
		if m == nil || m.Line != c.line || m.Offset != c.offset {
			t.Errorf("%q: match = %+v, want line %q at %d", c.pattern, m, c.line, c.offset)
		}
	}
}

// TestPortListened: the job's own listener counts; a port someone outside
// the job held when the wait began does not (the answer says so) until it
// is let go and listened on again; a listener that appears during the wait
// counts even outside the job's tree (a container's proxy).
func TestPortListened(t *testing.T) {
	listen := func() (*net.TCPListener, int) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l.(*net.TCPListener), l.Addr().(*net.TCPAddr).Port
	}
	// Held before the wait began.
	l, port := listen()
	w := &waiter{o: &Observation{WaitForPort: port}, st: &jobstore.State{}}
	wv := &WaitView{}
	if w.portListened(wv) || !strings.Contains(wv.Hint, "outside this job") {
		t.Fatalf("a port held before the wait: listened, hint %q; want not the job's, said so", wv.Hint)
	}
	if w.portListened(wv) {
		t.Fatal("the same holder later: counted as the job's")
	}
	l.Close()
	if w.portListened(wv) || wv.Hint != "" {
		t.Fatalf("after the holder let go: listened, hint %q", wv.Hint)
	}
	again, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Skipf("port %d taken again meanwhile: %v", port, err)
	}
	defer again.Close()
	if !w.portListened(wv) {
		t.Fatal("a listener that appeared during the wait: not counted")
	}
}
