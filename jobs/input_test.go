package jobs

import (
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

func text(s string) *string { return &s }

// answer waits for python's answer: until pattern shows, however long
// python takes under load (a quiet spell, the input's default end, may
// come between the echo and the answer).
func answer(pattern string) Observation {
	return Observation{WaitFor: pattern, IdleMS: 60_000, Until: f64(50)}
}

func TestInputREPLOnTerminal(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{
		Definition:  Definition{Command: Command{"python3", "-i", "-q"}, TTY: true},
		Observation: Observation{WaitFor: `>>> $`, Until: f64(50)},
	})
	if env.Wait.Reason != WaitMatched || !detailOf(t, s, env.Job.JobID).TTY {
		t.Fatalf("run = %+v %+v, want the prompt", env.Job, env.Wait)
	}
	id := env.Job.JobID
	in, err := s.Input(t.Context(), &InputRequest{JobID: id, Text: text("1+1\r"), Observation: answer(`>>> $`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(in.Output.Text, "2\n") || in.Input != nil { // all written: no input report
		t.Fatalf("input answer = %q (%+v), want 2", in.Output.Text, in.Input)
	}
	sz, err := s.Input(t.Context(), &InputRequest{JobID: id, Cols: 50, Rows: 10,
		Text: text("import os; print(os.get_terminal_size())\r"), Observation: answer(`columns=\d+, lines=\d+`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sz.Output.Text, "columns=50, lines=10") {
		t.Fatalf("after resize: %q", sz.Output.Text)
	}
	if _, err := s.Input(t.Context(), &InputRequest{JobID: id, EOF: true}, nil); err != nil {
		t.Fatal(err)
	}
	// The input call returns once the echo went quiet; python's exit may
	// come later: wait for it (a wait is capped at 50 s).
	end, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Until: f64(50)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if end.Job.State != jobstore.StateExited || *end.Job.ExitCode != 0 {
		t.Fatalf("after eof: %+v", end.Job)
	}
}

func TestInputCtrlCInterruptsForeground(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{
		Definition:  Definition{Command: Command{"trap 'echo caught; exit 42' INT; echo ready; while :; do sleep 1; done"}, TTY: true},
		Observation: Observation{WaitFor: "ready", Until: f64(30)},
	})
	in, err := s.Input(t.Context(), &InputRequest{JobID: env.Job.JobID, Keys: []string{"ctrl-c"}, Observation: Observation{Until: f64(10), WaitFor: "caught"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Job.State == jobstore.StateRunning { // the trap printed; the exit follows
		if in, err = s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Until: f64(10), Offset: new(int64)}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if in.Job.State != jobstore.StateExited || *in.Job.ExitCode != 42 || !strings.Contains(in.Output.Text, "caught") {
		t.Fatalf("after ctrl-c: %+v %q", in.Job, in.Output.Text)
	}
}

func TestInputPipeEOFAndNotInteractive(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"cat"}, Interactive: true}, Observation: Observation{Until: f64(0)}})
	if _, err := s.Input(t.Context(), &InputRequest{JobID: env.Job.JobID, Text: text("hello\n"), EOF: true}, nil); err != nil {
		t.Fatal(err)
	}
	in, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Until: f64(30)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Output.Text != "hello\n" || in.Job.State != jobstore.StateExited || *in.Job.ExitCode != 0 {
		t.Fatalf("cat: %+v %q", in.Job, in.Output.Text)
	}
	if _, err := s.Input(t.Context(), &InputRequest{JobID: env.Job.JobID, Text: text("x")}, nil); codeOf(err) != CodeInvalidState {
		t.Fatalf("input to an ended job = %v, want invalid_state", err)
	}
	plain := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}}, Observation: Observation{Until: f64(0)}})
	if _, err := s.Input(t.Context(), &InputRequest{JobID: plain.Job.JobID, Text: text("x")}, nil); codeOf(err) != CodeNotInteractive {
		t.Fatalf("input to a plain job = %v, want not_interactive", err)
	}
}

func TestInputToAJobThatNeverReads(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}, Interactive: true}, Observation: Observation{Until: f64(0)}})
	big := strings.Repeat("x", 1<<20)
	in, err := s.Input(t.Context(), &InputRequest{JobID: env.Job.JobID, Text: &big, Observation: Observation{Until: f64(0)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Input.Bytes != 1<<20 || in.Input.Written <= 0 || in.Input.Written >= 1<<20 {
		t.Fatalf("input = %+v, want a partial write reported", in.Input)
	}
}

func TestObserveScreen(t *testing.T) {
	s := newService(t)
	draw := `printf '\033[2J\033[H0123456789\033[5;10HX\033]0;my title\007'; echo; echo drawn; read x`
	env := mustRun(t, s, &RunRequest{
		Definition:  Definition{Command: Command{draw}, TTY: true, Cols: 40, Rows: 8},
		Observation: Observation{WaitFor: "drawn", Until: f64(30)},
	})
	id := env.Job.JobID
	check := func(what string, scrLines []string, title string, rows int) {
		t.Helper()
		if len(scrLines) != rows || scrLines[0] != "0123456789" || scrLines[4] != "         X" || title != "my title" {
			t.Fatalf("%s screen = %q title %q", what, scrLines, title)
		}
	}
	live, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{View: "screen"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("live", live.Screen.Lines, live.Screen.Title, 8)
	if live.Output.Text != "" || live.Output.TotalBytes == 0 || live.Output.NextOffset != live.Output.TotalBytes {
		t.Fatalf("view screen returned a text window too: %q (of %d bytes, next %d)", live.Output.Text, live.Output.TotalBytes, live.Output.NextOffset)
	}
	if tl, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{View: "screen", TailLines: 2}}, nil); err != nil || tl.Output.Text == "" || tl.Screen == nil {
		t.Fatalf("view screen with tail_lines = %v, %v: want the screen and the lines", tl, err)
	}
	if _, err := s.Input(t.Context(), &InputRequest{JobID: id, Text: text("\r"), Observation: Observation{Until: f64(10)}}, nil); err != nil {
		t.Fatal(err)
	}
	ended, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{View: "screen", Until: f64(10)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ended.Job.State != jobstore.StateExited {
		t.Fatalf("job = %+v", ended.Job)
	}
	check("replayed", ended.Screen.Lines, ended.Screen.Title, 8)
	plain := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"true"}}})
	if _, err := s.Observe(t.Context(), &StartRequest{JobID: plain.Job.JobID, Observation: Observation{View: "screen"}}, nil); codeOf(err) != CodeInvalidInput {
		t.Fatalf("screen of a plain job = %v, want invalid_input", err)
	}
}

// TestInputAnswerAfterEcho: on a terminal the echo of the typed line is not
// the answer: the idle clock and wait_for start after it.
func TestInputAnswerAfterEcho(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{
		Definition:  Definition{Command: Command{"python3", "-i", "-q"}, TTY: true},
		Observation: Observation{WaitFor: `>>> $`, Until: f64(30)},
	})
	if env.Wait.Reason != WaitMatched {
		t.Fatalf("run = %+v, want the prompt", env.Wait)
	}
	id := env.Job.JobID
	line := `import time; time.sleep(1.5); print("done")` + "\r"
	in, err := s.Input(t.Context(), &InputRequest{JobID: id, Text: text(line), Observation: Observation{Until: f64(30)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Wait.Reason != WaitIdle || !strings.Contains(in.Output.Text, "done\n") {
		t.Fatalf("input = %+v %q, want the answer after the echo, then idle", in.Wait, in.Output.Text)
	}
	in, err = s.Input(t.Context(), &InputRequest{JobID: id, Text: text(line), Observation: Observation{WaitFor: "done", Until: f64(30)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Wait.Reason != WaitMatched || in.Wait.Matched.Line != "done" {
		t.Fatalf("input wait_for = %+v, want the answer's line, not the echo", in.Wait)
	}
}

func TestEchoSkip(t *testing.T) {
	cases := []struct {
		input, out string
		end        int // -1: the answer has not begun
	}{
		{"1+1\r", "1+1\r\n2\r\n>>> ", len("1+1\r\n")},
		{"1+1\r", "1+1\r\n", -1},
		{"ab\r", "a\x1b[?2004lb\x1b]0;title\x07\r\n", -1},
		{"ab\r", "a\x1b[1mb\r\nanswer", len("a\x1b[1mb\r\n")},
		{"secret\r", "Wrong\r\n", 0},  // echo off: the answer starts at once
		{"x", "y", 0},                 // not the echo
		{"\x03", "^C\r\n$ ", 0},       // a control key's ^C is output
		{"héllo\r", "héllo\r\nok", 8}, // UTF-8 echoed byte for byte
		{"\x1b[Ax\r", "x\r\nok", 3},   // a key's escape sequence is not echoed as typed
	}
	for _, c := range cases {
		e := newEchoSkip([]byte(c.input), 100)
		// Byte by byte: state carries across reads.
		began := false
		for i := 0; i < len(c.out) && !began; i++ {
			began = e.feed([]byte{c.out[i]})
		}
		if c.end < 0 {
			if began {
				t.Errorf("%q then %q: answer began at %d, want not yet", c.input, c.out, e.end-100)
			}
			continue
		}
		if !began || e.end != int64(100+c.end) {
			t.Errorf("%q then %q: began %v at %d, want at %d", c.input, c.out, began, e.end-100, c.end)
		}
	}
}

// TestInputAnswerThenExit: on a terminal, an answer that comes with the
// run's end (within one output wake of the echo) is matched: wait_for wins
// over the end even when the end is seen before the output that made the
// echo skip see the answer begin.
func TestInputAnswerThenExit(t *testing.T) {
	s := newService(t)
	for i := range 20 {
		env := mustRun(t, s, &RunRequest{
			Definition:  Definition{Command: Command{`printf 'name? '; read name; echo "hi $name"`}, TTY: true},
			Observation: Observation{WaitFor: `name\? `, Until: f64(30)},
		})
		if env.Wait.Reason != WaitMatched {
			t.Fatalf("run %d = %+v, want the prompt", i, env.Wait)
		}
		in, err := s.Input(t.Context(), &InputRequest{JobID: env.Job.JobID, Text: text("ada\r"), Observation: answer("hi ada")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if in.Wait.Reason != WaitMatched {
			t.Fatalf("input %d: wait %+v, output %q: want the answer matched", i, in.Wait, in.Output.Text)
		}
	}
}
