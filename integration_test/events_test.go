package integration_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sys/unix"
)

// eventLine is one line of agent-exec events.
type eventLine struct {
	ID     string         `json:"id"`
	JobID  string         `json:"job_id"`
	Time   time.Time      `json:"time"`
	Event  string         `json:"event"`
	Run    int            `json:"run"`
	Detail map[string]any `json:"detail"`
}

// follower is an "agent-exec events" process and the lines it prints.
type follower struct {
	cmd   *exec.Cmd
	lines chan eventLine // every line, then closed at the end of its output
	done  chan error     // its exit, once lines is closed
}

// startEvents starts agent-exec events with args on r's root.
func startEvents(t *testing.T, r *root, args ...string) *follower {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"--root", r.dir, "events"}, args...)...)
	cmd.Env = baseEnv()
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := &follower{cmd: cmd, lines: make(chan eventLine, 4096), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var l eventLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				l = eventLine{Event: "unparsed: " + sc.Text()}
			}
			f.lines <- l
		}
		io.Copy(io.Discard, out)
		close(f.lines)
		f.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		for range f.lines {
		}
	})
	return f
}

// take returns the next n lines f prints, failing the test when 30 s pass
// without a line.
func (f *follower) take(t *testing.T, n int) []eventLine {
	t.Helper()
	var got []eventLine
	for len(got) < n {
		select {
		case l, ok := <-f.lines:
			if !ok {
				t.Fatalf("events ended after %d of %d lines: %+v", len(got), n, got)
			}
			got = append(got, l)
		case <-time.After(30 * time.Second):
			t.Fatalf("events printed %d of %d lines, then nothing for 30 s: %+v", len(got), n, got)
		}
	}
	return got
}

// interrupt stops f with SIGINT and returns the lines it printed on the
// way out.
func (f *follower) interrupt(t *testing.T) []eventLine {
	t.Helper()
	if err := f.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var rest []eventLine
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-f.lines:
			if !ok {
				if err := <-f.done; err != nil {
					t.Errorf("events -f exited with %v once interrupted, want status 0", err)
				}
				return rest
			}
			rest = append(rest, l)
		case <-deadline:
			t.Fatal("events -f did not exit within 30 s of SIGINT")
		}
	}
}

// TestEventsFollowProcesses: four agent-exec mcp servers (four launching
// processes, each restarted halfway) run 100 jobs on one root while an
// agent-exec events -f process follows the root; it is interrupted midway
// and a new one resumes with --since (the time of the last line handled).
// Between them every lifecycle event of every job is printed, no process
// prints a line twice, each job's lines are in order, and the ids match
// the jobs' events.ndjson line for line.
func TestEventsFollowProcesses(t *testing.T) {
	t.Parallel()
	const launchers, perLauncher = 4, 25
	const want = launchers * perLauncher * 3 // created, started, exited
	r := newRoot(t)
	first := startEvents(t, r, "-f")
	// The follower watches the root before it lists it; a line of a job
	// made now shows it is following.
	s0 := startServer(t, onRoot(r))
	s0.runJob("true", obj{"until": 30})
	s0.stop()
	seen := map[string]eventLine{}
	perJob := map[string][]string{}
	check := func(who string, lines []eventLine) {
		t.Helper()
		ids := map[string]bool{}
		for _, l := range lines {
			if l.ID == "" {
				t.Fatalf("%s printed %+v", who, l)
			}
			if ids[l.ID] {
				t.Errorf("%s printed %s twice", who, l.ID)
			}
			ids[l.ID] = true
			if _, ok := seen[l.ID]; !ok {
				seen[l.ID] = l
				perJob[l.JobID] = append(perJob[l.JobID], l.Event)
			}
		}
	}
	pre := first.take(t, 3)

	var wg sync.WaitGroup
	for i := range launchers {
		wg.Go(func() {
			for half := range 2 {
				s := startServer(t, onRoot(r))
				n := perLauncher / 2
				if half == 1 {
					n = perLauncher - n
				}
				for j := range n {
					ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
					rep, err := s.invoke(ctx, &mcp.CallToolParams{Name: "run", Arguments: obj{"command": "true", "until": 30}})
					cancel()
					if err == nil && (!rep.env.OK || rep.env.Job.State != "exited") {
						err = fmt.Errorf("%s", rep.text)
					}
					if err != nil {
						t.Errorf("launcher %d, job %d: %v", i, j, err)
						return
					}
				}
				s.stop()
			}
		})
	}
	lines := append(pre, first.take(t, want/2)...)
	lines = append(lines, first.interrupt(t)...)
	check("the first events -f", lines)
	since := lines[len(lines)-1].Time.UTC().Format(time.RFC3339Nano)
	second := startEvents(t, r, "-f", "--since", since)
	var resumed []eventLine
	for len(seen) < want+3 {
		l := second.take(t, 1)
		resumed = append(resumed, l...)
		check("the second events -f", l)
	}
	wg.Wait()
	rest := second.interrupt(t)
	if len(rest) > 0 {
		t.Errorf("the second events -f printed more than every event: %+v", rest)
	}
	check("the second events -f", append(resumed, rest...))

	if len(perJob) != launchers*perLauncher+1 {
		t.Fatalf("%d jobs seen, want %d", len(perJob), launchers*perLauncher+1)
	}
	for id, evs := range perJob {
		if !slices.Equal(evs, []string{"created", "started", "exited"}) {
			t.Errorf("job %s: events %v, want created, started, exited", id, evs)
		}
		b, err := os.ReadFile(filepath.Join(r.dir, id, "events.ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		off := 0
		for n, line := range splitLines(b) {
			if _, ok := seen[fmt.Sprintf("%s:%d", id, off)]; !ok {
				t.Errorf("job %s: line %d of events.ndjson (%s) was never printed", id, n+1, line)
			}
			off += len(line) + 1
		}
	}
}

func splitLines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestEventsMatchedOverStdio: a job run over MCP with notify patterns and
// no sink has each match recorded: agent-exec events -f prints it as one
// matched line (the line masked, its offset) between started and the end;
// nothing is delivered.
func TestEventsMatchedOverStdio(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(dir, "gate"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := s.ok("run", obj{"command": `echo booting; echo "ERROR: token $TOKEN refused"; read x < gate`,
		"cwd": dir, "env": obj{"TOKEN": "s3cret"}, "mask": []string{"TOKEN"}, "until": 0,
		"notify": obj{"match": []obj{{"pattern": "^ERROR", "match": "regex"}}}})
	id := env.Job.JobID
	f := startEvents(t, s.root, "-f", id)
	got := f.take(t, 3)
	gate, err := os.OpenFile(filepath.Join(dir, "gate"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	gate.WriteString("go\n")
	gate.Close()
	got = append(got, f.take(t, 1)...)
	if rest := f.interrupt(t); len(rest) > 0 {
		t.Errorf("more lines than the run's events: %+v", rest)
	}
	var names []string
	for _, l := range got {
		names = append(names, l.Event)
	}
	if want := []string{"created", "started", "matched", "exited"}; !slices.Equal(names, want) {
		t.Fatalf("events %v, want %v", names, want)
	}
	m := got[2]
	if m.JobID != id || m.Run != 1 || m.Detail["line"] != "ERROR: token *** refused" || m.Detail["offset"] != float64(len("booting\n")) ||
		m.Detail["pattern"] != "^ERROR" || m.Detail["match"] != "regex" || m.Detail["count"] != float64(1) {
		t.Errorf("matched line %+v", m)
	}
	b, err := os.ReadFile(filepath.Join(s.root.dir, id, "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if len(splitLines(b)) != 4 {
		t.Errorf("events.ndjson holds more than the four events (no delivery without a sink):\n%s", b)
	}
}
