package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// eventsOf returns job id's events named name.
func eventsOf(t *testing.T, s *Service, id, name string) []jobstore.Event {
	t.Helper()
	b, err := os.ReadFile(s.store.Path(id, jobstore.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []jobstore.Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e jobstore.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("events line %q: %v", sc.Text(), err)
		}
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// notifiedEvents returns job id's "notified" events of type typ.
func notifiedEvents(t *testing.T, s *Service, id, typ string) []jobstore.Event {
	t.Helper()
	b, err := os.ReadFile(s.store.Path(id, jobstore.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []jobstore.Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e jobstore.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("events line %q: %v", sc.Text(), err)
		}
		if e.Event == jobstore.EventNotified && e.Detail["type"] == typ {
			out = append(out, e)
		}
	}
	return out
}

// awaitNotified waits (30 s at most) until job id's event log records n
// deliveries of type typ, a condition checked every 10 ms: the
// deliverer is another process, with nothing else to wait on.
func awaitNotified(t *testing.T, s *Service, id, typ string, n int) []jobstore.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ev := notifiedEvents(t, s, id, typ)
		if len(ev) >= n {
			return ev
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(s.store.Path(id, jobstore.EventsFile))
			t.Fatalf("%d %s deliveries recorded after 30 s, want %d; events:\n%s", len(ev), typ, n, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readEvents returns the NDJSON events of the file at path.
func readEvents(t *testing.T, path string) []supervisor.NotifyEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []supervisor.NotifyEvent
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var e supervisor.NotifyEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("sink line %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

// Both sinks receive exactly one job.finished for each way a run ends,
// with the run's state, and the command sink its AGENT_EXEC_EVENT_*
// variables.
func TestNotifyFinished(t *testing.T) {
	cases := []struct {
		name, cmd         string
		timeout           float64
		end               func(t *testing.T, s *Service, id string)
		state, reason     string
		wantTail, secrets string
	}{
		{name: "exit", cmd: `echo "token $TOK"; echo last; exit 3`, state: "exited", reason: "exit", wantTail: "token ***\nlast\n"},
		{name: "kill", cmd: "echo up; exec sleep 600", state: "killed", reason: "kill", end: func(t *testing.T, s *Service, id string) {
			if _, err := s.Kill(t.Context(), &KillRequest{JobID: id}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "timeout", cmd: "echo up; exec sleep 600", timeout: 0.5, state: "killed", reason: "timeout"},
		{name: "lost", cmd: "echo up; exec sleep 600", state: "failed", reason: "supervisor_lost", end: func(t *testing.T, s *Service, id string) {
			st, err := s.store.ReadState(id)
			if err != nil {
				t.Fatal(err)
			}
			pidfd, err := unix.PidfdOpen(st.SupervisorPID, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(pidfd)
			if err := syscall.Kill(st.SupervisorPID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			// A pidfd becomes readable when its process has exited (and so
			// let go of its supervisor lock).
			fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
			if n, err := unix.Poll(fds, 30_000); err != nil || n != 1 {
				t.Fatalf("the killed supervisor did not exit in 30 s: %v", err)
			}
			// Two readers (two services: two servers) find the loss at
			// once; only one delivers.
			other, err := New(s.store, Options{Cwd: s.opt.Cwd})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, svc := range []*Service{s, other} {
				wg.Go(func() {
					if env, err := svc.Observe(t.Context(), &StartRequest{JobID: id}, nil); err != nil || env.Job.State != jobstore.StateFailed {
						t.Errorf("observe after the loss: %+v, %v", env, err)
					}
				})
			}
			wg.Wait()
			other.Close()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newService(t)
			dir := t.TempDir()
			file, cmdOut, envOut := filepath.Join(dir, "sub", "file.ndjson"), filepath.Join(dir, "cmd.ndjson"), filepath.Join(dir, "env.txt")
			d := Definition{Command: Command{c.cmd}, Timeout: c.timeout, Name: "n-" + c.name,
				Env: map[string]string{"TOK": "hunter2"}, Mask: []string{"TOK"},
				Notify: &jobstore.Notify{File: file,
					Command: `cat >> ` + cmdOut + `; echo >> ` + cmdOut + `; echo "$AGENT_EXEC_EVENT_TYPE $AGENT_EXEC_EVENT_STATE $AGENT_EXEC_EVENT_JOB_ID" >> ` + envOut}}
			until := 30.0
			if c.end != nil {
				until = 0
			}
			env, err := s.Run(t.Context(), &RunRequest{Definition: d, Observation: Observation{Until: &until}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			id := env.Job.JobID
			if c.end != nil {
				c.end(t, s, id)
			}
			awaitNotified(t, s, id, supervisor.EventFinished, 1)
			if c.name == "lost" {
				s.Close() // the reader's delivery is in the background
			}
			ev := notifiedEvents(t, s, id, supervisor.EventFinished)
			if len(ev) != 1 {
				t.Fatalf("%d deliveries recorded, want 1: %+v", len(ev), ev)
			}
			for _, p := range []string{file, cmdOut} {
				got := readEvents(t, p)
				if len(got) != 1 {
					t.Fatalf("%s: %d events, want 1", p, len(got))
				}
				e := got[0]
				if e.Type != supervisor.EventFinished || e.JobID != id || e.Name != d.Name || e.State != c.state || e.Reason != c.reason || e.Run != 1 {
					t.Errorf("%s: event %+v, want %s/%s", p, e, c.state, c.reason)
				}
				if e.DurationMS == nil {
					t.Errorf("%s: no duration", p)
				}
				if c.wantTail != "" && (e.Tail != c.wantTail || e.ExitCode == nil || *e.ExitCode != 3) {
					t.Errorf("%s: tail %q exit %v, want %q and 3", p, e.Tail, e.ExitCode, c.wantTail)
				}
			}
			b, err := os.ReadFile(envOut)
			if err != nil {
				t.Fatal(err)
			}
			if want := "job.finished " + c.state + " " + id + "\n"; string(b) != want {
				t.Errorf("sink environment %q, want %q", b, want)
			}
			res, _ := json.Marshal(ev[0].Detail["results"])
			if strings.Count(string(res), `"delivered"`) != 2 {
				t.Errorf("results %s, want two delivered", res)
			}
		})
	}
}

// A sink that takes a minute holds back neither the run's end nor its
// recorded state: the run is over and recorded while the sink still runs.
func TestNotifySlowSink(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "sink.pid")
	d := Definition{Command: Command{"echo done"},
		Notify: &jobstore.Notify{Command: "echo $$ > " + pidFile + "; exec sleep 60"}}
	until := 30.0
	env, err := s.Run(t.Context(), &RunRequest{Definition: d, Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := env.Job.JobID
	if env.Job.State != jobstore.StateExited {
		t.Fatalf("job %s after a run of echo, want exited", env.Job.State)
	}
	// The sink starts after the state is recorded: wait for it, then check
	// that the job's state and the supervisor lock are not waiting on it.
	var pid int
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			if _, err := fmt.Sscan(string(b), &pid); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the sink did not start in 30 s")
		}
	}
	if st, err := s.store.ReadState(id); err != nil || st.State != jobstore.StateExited {
		t.Fatalf("state while the sink runs: %+v, %v", st, err)
	}
	if alive, held, err := s.store.ProbeSupervisor(id); err != nil || alive {
		t.Fatalf("the supervisor lock is held while the sink runs (alive %v, err %v)", alive, err)
	} else {
		held.Unlock()
	}
	if got := notifiedEvents(t, s, id, supervisor.EventFinished); len(got) != 0 {
		t.Fatalf("delivery recorded while the sink runs: %+v", got)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	ev := awaitNotified(t, s, id, supervisor.EventFinished, 1)
	if res, _ := json.Marshal(ev[0].Detail["results"]); !strings.Contains(string(res), `"failed"`) {
		t.Errorf("results of a killed sink: %s", res)
	}
}

// A line printed in the middle of a large output is found and delivered
// once, with its offset; a burst of matches is folded into a count.
func TestNotifyMatch(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "events.ndjson")
	half := 1 << 20
	if !testing.Short() {
		half = 50_000_000
	}
	cmd := `yes 'some output line' | head -c HALF; echo; echo 'the NEEDLE line'; yes 'more output' | head -c HALF; echo; ` +
		`i=0; while [ $i -lt 500 ]; do echo "burst $i"; i=$((i+1)); done`
	cmd = strings.ReplaceAll(cmd, "HALF", strconv.Itoa(half))
	d := Definition{Command: Command{cmd},
		Notify: &jobstore.Notify{File: file, Match: []jobstore.NotifyMatch{
			{Pattern: "NEEDLE"}, {Pattern: `^burst [0-9]+$`, Match: "regex"}}}}
	until := 60.0
	env, err := s.Run(t.Context(), &RunRequest{Definition: d, Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := env.Job.JobID
	if env.Job.State != jobstore.StateExited {
		t.Fatalf("job %s", env.Job.State)
	}
	// Matches are delivered before job.finished.
	awaitNotified(t, s, id, supervisor.EventFinished, 1)
	var needle, bursts []supervisor.NotifyEvent
	for _, e := range readEvents(t, file) {
		switch {
		case e.Type != supervisor.EventMatched:
		case e.Pattern == "NEEDLE":
			needle = append(needle, e)
		default:
			bursts = append(bursts, e)
		}
	}
	if len(needle) != 1 || needle[0].Line != "the NEEDLE line" || needle[0].Offset == nil || *needle[0].Offset != int64(half+1) || needle[0].Count != 1 {
		t.Fatalf("NEEDLE events %+v, want one at offset %d", needle, half+1)
	}
	total := 0
	for _, e := range bursts {
		total += e.Count
	}
	if total != 500 || len(bursts) < 1 || len(bursts) > 100 {
		t.Fatalf("%d burst events counting %d matches, want few counting 500", len(bursts), total)
	}
	if bursts[0].Line != "burst 0" {
		t.Errorf("first burst event line %q", bursts[0].Line)
	}
	// Each delivery is also a matched event of the job's events.ndjson,
	// the same count folded into it.
	matched := eventsOf(t, s, id, jobstore.EventMatched)
	if len(matched) != len(needle)+len(bursts) {
		t.Fatalf("%d matched events, want one per delivery (%d)", len(matched), len(needle)+len(bursts))
	}
	sum := 0
	for _, e := range matched {
		if e.Detail["pattern"] != "NEEDLE" {
			sum += int(e.Detail["count"].(float64))
			continue
		}
		if e.Detail["line"] != "the NEEDLE line" || e.Detail["offset"] != float64(half+1) || e.Detail["stream"] != "output" || e.Detail["match"] != "contains" || e.Run != 1 {
			t.Errorf("NEEDLE matched event %+v", e)
		}
	}
	if sum != 500 {
		t.Errorf("matched events count %d bursts, want 500", sum)
	}
	for i := 1; i < len(bursts); i++ {
		a, _ := time.Parse(time.RFC3339Nano, bursts[i-1].Time)
		b, _ := time.Parse(time.RFC3339Nano, bursts[i].Time)
		if b.Sub(a) < 900*time.Millisecond {
			t.Errorf("burst deliveries %d and %d %s apart, want at least a second", i-1, i, b.Sub(a))
		}
	}
}

// Update replaces a job's notifications; the running job's job.finished
// goes where they say when it ends.
func TestNotifyUpdate(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	gate := gate(t, dir)
	id := runNoWait(t, s, Definition{Command: Command{"read x < fifo"}, Cwd: dir})
	if _, err := s.Update(t.Context(), &UpdateRequest{JobID: id, Notify: &jobstore.Notify{File: "later.ndjson"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(t.Context(), &UpdateRequest{JobID: id, Notify: &jobstore.Notify{Match: []jobstore.NotifyMatch{{Pattern: ""}}}}); err == nil {
		t.Error("an empty pattern accepted")
	}
	if _, err := s.Update(t.Context(), &UpdateRequest{JobID: id, Notify: &jobstore.Notify{File: "f", Match: []jobstore.NotifyMatch{{Pattern: "(", Match: "regex"}}}}); err == nil {
		t.Error("a bad regex accepted")
	}
	gate()
	awaitNotified(t, s, id, supervisor.EventFinished, 1)
	// The file is relative to the job's directory.
	if got := readEvents(t, filepath.Join(dir, "later.ndjson")); len(got) != 1 || got[0].State != "exited" {
		t.Fatalf("events %+v", got)
	}
}

// The service's default sinks (config.toml's [notify]) serve jobs whose
// definition has no notify; a definition's own notify wins.
func TestNotifyDefaults(t *testing.T) {
	dir := t.TempDir()
	def, own := filepath.Join(dir, "default.ndjson"), filepath.Join(dir, "own.ndjson")
	s := newServiceWith(t, Options{Notify: &jobstore.Notify{File: def}})
	until := 30.0
	a, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}, Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}, Notify: &jobstore.Notify{File: own}}, Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Patterns without a sink take the default sinks.
	c, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"echo NEEDLE"},
		Notify: &jobstore.Notify{Match: []jobstore.NotifyMatch{{Pattern: "NEEDLE"}}}}, Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	awaitNotified(t, s, a.Job.JobID, supervisor.EventFinished, 1)
	awaitNotified(t, s, b.Job.JobID, supervisor.EventFinished, 1)
	awaitNotified(t, s, c.Job.JobID, supervisor.EventFinished, 1)
	var types []string
	for _, e := range readEvents(t, def) {
		if e.JobID == c.Job.JobID {
			types = append(types, e.Type)
		}
	}
	if !slices.Equal(types, []string{supervisor.EventMatched, supervisor.EventFinished}) {
		t.Errorf("default sink got %v of the job with patterns only, want its match and its end", types)
	}
	if got := readEvents(t, def); len(got) != 3 || !slices.ContainsFunc(got, func(e supervisor.NotifyEvent) bool { return e.JobID == a.Job.JobID }) {
		t.Errorf("default sink got %+v, want the end of %s too", got, a.Job.JobID)
	}
	if got := readEvents(t, own); len(got) != 1 || got[0].JobID != b.Job.JobID {
		t.Errorf("the job's own sink got %+v", got)
	}
}

// Patterns without a sink: each match is a matched event of the job's
// events.ndjson (masked, with its offset), between started and the run's
// end, in the events stream; nothing is delivered.
func TestNotifyMatchWithoutSink(t *testing.T) {
	s := newService(t)
	dir := t.TempDir()
	open := gate(t, dir)
	id := runNoWait(t, s, Definition{Command: Command{`echo ok; echo "ERROR: $TOKEN"; read x < fifo`}, Cwd: dir,
		Env: map[string]string{"TOKEN": "hunter2"}, Mask: []string{"TOKEN"},
		Notify: &jobstore.Notify{Match: []jobstore.NotifyMatch{{Pattern: "ERROR"}}}})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var got []*EventLine
	err := s.Events(ctx, []string{id}, time.Time{}, true, func(l *EventLine) error {
		got = append(got, l)
		switch l.Event {
		case jobstore.EventMatched:
			open() // the run ends after its match
		case jobstore.StateExited:
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range got {
		names = append(names, l.Event)
	}
	if want := []string{"created", "started", "matched", "exited"}; !slices.Equal(names, want) {
		t.Fatalf("events %v, want %v", names, want)
	}
	m := got[2].Detail
	if m["line"] != "ERROR: ***" || m["offset"] != float64(3) || m["count"] != float64(1) || m["pattern"] != "ERROR" || got[2].Run != 1 {
		t.Errorf("matched detail %v, want the masked line at offset 3, count 1", m)
	}
}
