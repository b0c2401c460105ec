package jobstore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// readEvents parses events.ndjson of job id, failing on any malformed line.
func readEvents(t *testing.T, s *Store, id string) ([]Event, [][]byte) {
	t.Helper()
	b, err := os.ReadFile(s.Path(id, EventsFile))
	if err != nil {
		t.Fatalf("os.ReadFile(events.ndjson) error = %v, want nil", err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("events.ndjson ends in %q, want a newline", b[len(b)-1])
	}
	var evs []Event
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := append([]byte(nil), sc.Bytes()...)
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("events.ndjson line %d = %q: %v, want a JSON object", n, line, err)
		}
		evs = append(evs, e)
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return evs, lines
}

func TestAppendEvent(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	at := Time{time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)}
	before := time.Now().Truncate(time.Millisecond)
	in := []Event{
		{Time: at, Event: "created"},
		{Event: "started", Run: 1},
		{Event: "exited", Run: 1, Detail: map[string]any{"exit_code": 3, "signal": "SIGTERM"}},
	}
	for _, e := range in {
		if err := s.AppendEvent(id, e); err != nil {
			t.Fatalf("AppendEvent(%q, %+v) error = %v, want nil", id, e, err)
		}
	}
	checkMode(t, s.Path(id, EventsFile), 0o600)
	evs, lines := readEvents(t, s, id)
	if len(evs) != len(in) {
		t.Fatalf("events.ndjson has %d lines, want %d", len(evs), len(in))
	}
	if !evs[0].Time.Equal(at.Time) {
		t.Errorf("event 0 time = %v, want the given %v", evs[0].Time, at)
	}
	if want := `{"time":"2026-01-02T03:04:05.678Z","event":"created"}`; string(lines[0]) != want {
		t.Errorf("event 0 line = %s, want %s", lines[0], want)
	}
	if evs[1].Time.Before(before) || evs[1].Time.After(time.Now()) {
		t.Errorf("event 1 time = %v, want stamped now (>= %v)", evs[1].Time, before)
	}
	if evs[1].Event != "started" || evs[1].Run != 1 || evs[1].Detail != nil {
		t.Errorf("event 1 = %+v, want started, run 1, no detail", evs[1])
	}
	if got := evs[2].Detail; got["exit_code"] != float64(3) || got["signal"] != "SIGTERM" {
		t.Errorf("event 2 detail = %v, want exit_code 3, signal SIGTERM", got)
	}
}

func TestAppendEventErrors(t *testing.T) {
	s := newStore(t)
	unknown := NewID()
	tests := []struct {
		id   string
		want error
	}{
		{"", ErrInvalidRef},
		{"../x", ErrInvalidRef},
		{strings.ToUpper(unknown), ErrInvalidRef},
		{unknown, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if err := s.AppendEvent(tt.id, Event{Event: "x"}); !errors.Is(err, tt.want) {
				t.Errorf("AppendEvent(%q) error = %v, want %v", tt.id, err, tt.want)
			}
		})
	}
	if _, err := os.Lstat(s.Dir(unknown)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("os.Lstat(unknown job dir) after AppendEvent error = %v, want fs.ErrNotExist", err)
	}

	t.Run("unencodable detail", func(t *testing.T) {
		id := mustCreate(t, s, "", "").ID
		var jerr *json.UnsupportedTypeError
		if err := s.AppendEvent(id, Event{Event: "x", Detail: map[string]any{"c": make(chan int)}}); !errors.As(err, &jerr) {
			t.Errorf("AppendEvent(%q, chan detail) error = %v, want *json.UnsupportedTypeError", id, err)
		}
		if _, err := os.Lstat(s.Path(id, EventsFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("os.Lstat(events.ndjson) after a failed AppendEvent error = %v, want fs.ErrNotExist (nothing written)", err)
		}
	})
}

func TestAppendEventSymlinkNotFollowed(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, s.Path(id, EventsFile)); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEvent(id, Event{Event: "x"}); err == nil {
		t.Errorf("AppendEvent(%q) with events.ndjson a symlink = nil, want an error", id)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "keep\n" {
		t.Errorf("symlink target = %q, %v, want %q untouched", b, err, "keep\n")
	}
}

// appendHelperEnv makes the test binary a writer of events (see
// appendEvents).
const appendHelperEnv = "JOBSTORE_APPEND_EVENTS"

// appendEvents appends, for spec "PATH WRITER COUNT PAD", COUNT tick
// events of run WRITER with a pad of PAD bytes to the event log at PATH,
// once a line arrives on its standard input (so that every writer starts
// together). It returns the process's exit status.
func appendEvents(spec string) int {
	var path string
	var writer, count, pad int
	if _, err := fmt.Sscanf(spec, "%s %d %d %d", &path, &writer, &count, &pad); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return 2
	}
	p := strings.Repeat("p", pad)
	for i := range count {
		if err := AppendEventAt(path, Event{Event: "tick", Run: writer, Detail: map[string]any{"i": i, "pad": p}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// TestAppendEventConcurrent: writers in several processes, and several
// goroutines of this one, append to one log at once, with lines longer
// than PIPE_BUF and than a page: every line is whole, each writer's lines
// are in its order, and times never decrease down the file (they are
// stamped under the lock).
func TestAppendEventConcurrent(t *testing.T) {
	const procs, goroutines, perWriter, padLen = 3, 4, 100, 6000
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	path := s.Path(id, EventsFile)
	pad := strings.Repeat("p", padLen) // long lines make interleaving visible
	var cmds []*exec.Cmd
	var gos []io.WriteCloser
	for w := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d %d", appendHelperEnv, path, goroutines+w+1, perWriter, padLen))
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, gos = append(cmds, cmd), append(gos, in)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perWriter)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range perWriter {
				e := Event{Event: "tick", Run: g + 1, Detail: map[string]any{"i": i, "pad": pad}}
				if err := s.AppendEvent(id, e); err != nil {
					errs <- fmt.Errorf("AppendEvent(goroutine %d, %d) error = %v, want nil", g, i, err)
				}
			}
		})
	}
	for _, in := range gos {
		io.WriteString(in, "go\n")
		in.Close()
	}
	close(start)
	wg.Wait()
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer process %d: %v", i, err)
		}
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	evs, _ := readEvents(t, s, id)
	if want := (goroutines + procs) * perWriter; len(evs) != want {
		t.Fatalf("events.ndjson has %d lines, want %d", len(evs), want)
	}
	seen := make(map[[2]int]bool)
	next := make(map[int]int) // per writer, the next i expected
	for n, e := range evs {
		i, ok := e.Detail["i"].(float64)
		if e.Event != "tick" || !ok || e.Detail["pad"] != pad {
			t.Fatalf("line %d = %+v, want an intact tick event", n+1, e)
		}
		key := [2]int{e.Run, int(i)}
		if seen[key] {
			t.Fatalf("line %d repeats writer %d event %d", n+1, e.Run, int(i))
		}
		seen[key] = true
		if int(i) != next[e.Run] {
			t.Errorf("line %d: writer %d event %d, want %d (each writer's events in order)", n+1, e.Run, int(i), next[e.Run])
		}
		next[e.Run] = int(i) + 1
		if n > 0 && e.Time.Before(evs[n-1].Time.Time) {
			t.Errorf("line %d: time %v before the previous line's %v", n+1, e.Time, evs[n-1].Time)
		}
	}
	checkMode(t, path, 0o600)
}

// TestAppendEventAfterTornLine: a line left unfinished (its writer died
// mid-write) is ended before the next event, so that event stays a line of
// its own.
func TestAppendEventAfterTornLine(t *testing.T) {
	s := newStore(t)
	id := mustCreate(t, s, "", "").ID
	if err := s.AppendEvent(id, Event{Event: "started", Run: 1}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.Path(id, EventsFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"time":"2026-01-02T03:04:05.678Z","eve`)
	f.Close()
	if err := s.AppendEvent(id, Event{Event: "exited", Run: 1}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.Path(id, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("events.ndjson = %q, want 3 lines (started, the torn one, exited)", b)
	}
	var e Event
	if err := json.Unmarshal([]byte(lines[2]), &e); err != nil || e.Event != "exited" {
		t.Errorf("last line = %q (%v), want the exited event whole", lines[2], err)
	}
}
