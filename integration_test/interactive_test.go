package integration_test

import (
	"strings"
	"testing"
)

// inputView is the input tool's report of the write.
type inputView struct {
	Bytes   int  `json:"bytes"`
	Written int  `json:"written"`
	EOF     bool `json:"eof"`
	Resized bool `json:"resized"`
}

// TestInputPipe: an interactive job keeps its standard input open; input
// writes to it and shows the answer; eof ends it.
func TestInputPipe(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`while read line; do echo "got $line"; done; echo bye`, obj{"interactive": true, "until": 0})
	id := env.Job.JobID
	if env.Job.State != "running" || !s.detail(id).Interactive {
		t.Fatalf("run = %+v", env.Job)
	}
	rep := s.call("input", obj{"job_id": id, "text": "hello\n", "wait_for": "got hello", "idle_ms": 60_000, "until": 50})
	if !rep.env.OK {
		t.Fatalf("input: %s", rep.text)
	}
	if rep.env.Output == nil || rep.env.Output.Text != "got hello\n" || rep.env.Wait.Reason != "matched" {
		t.Errorf("input answer = %+v, wait %+v", rep.env.Output, rep.env.Wait)
	}
	if in := rep.env.Input; in != nil {
		t.Errorf("input view = %+v, want none: every byte was written", in)
	}
	s.ok("input", obj{"job_id": id, "eof": true, "until": 10, "wait_for": "bye"})
	end := s.ok("observe", obj{"job_id": id, "until": 30})
	if end.Job.State != "exited" || *end.Job.ExitCode != 0 || !strings.HasSuffix(end.Output.Text, "bye\n") {
		t.Errorf("after eof: job %s, output %q", end.Job.State, end.Output.Text)
	}
	s.fail("input", obj{"job_id": id, "text": "late\n"}, "invalid_state")
}

// TestInputTTY: a tty job runs on a terminal; text ending in \r is a line.
func TestInputTTY(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`tty; printf 'name? '; read name; echo "hi $name"`, obj{"tty": true, "wait_for": "name\\? ", "until": 30})
	id := env.Job.JobID
	if tty := s.detail(id).TTY; env.Job.State != "running" || !tty || !strings.Contains(env.Output.Text, "/dev/pts/") {
		t.Fatalf("run = %s tty %v, output %q", env.Job.State, tty, env.Output.Text)
	}
	// The answer ends the call, never a pause: idle_ms past until, so a
	// loaded machine's pause inside the answer (the default idle_ms is
	// 300) cannot end it before "hi ada" is whole.
	in := s.ok("input", obj{"job_id": id, "text": "ada", "keys": []string{"enter"}, "wait_for": "hi ada", "idle_ms": 60_000, "until": 50})
	if in.Wait.Reason != "matched" || !strings.Contains(in.Output.Text, "hi ada") {
		t.Errorf("input answer = %q, wait %+v", in.Output.Text, in.Wait)
	}
	obs := s.ok("observe", obj{"job_id": id, "until": 30})
	if obs.Job.State != "exited" {
		t.Errorf("tty job after its line: %s", obs.Job.State)
	}
}

func TestInputNotInteractive(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	id := s.started("sleep 600", "", nil).Job.JobID
	s.fail("input", obj{"job_id": id, "text": "x\n"}, "not_interactive")
	if e := s.fail("input", obj{"job_id": id}, "invalid_input"); e.Field == "" {
		t.Error("input with nothing to send: no field named")
	}
	s.fail("input", obj{"job_id": "01aaaaaaaaaaaaaaaaaaaaaaaa", "text": "x"}, "job_not_found")
}
