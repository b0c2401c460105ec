package integration_test

import (
	"strings"
	"testing"
)

// TestREPLConversation: a python3 REPL on a terminal, driven over several
// input calls, as a model would.
func TestREPLConversation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started([]string{"python3", "-i", "-q"}, `>>> $`, obj{"tty": true})
	id := env.Job.JobID
	for _, tc := range []struct{ in, want string }{
		{"1+1\r", "2\n"},
		{"x = 6 * 7\r", ">>> "},
		{"print(x)\r", "42\n"},
		{"'a' * 3\r", "'aaa'\n"},
	} {
		// idle_ms past until: a pause of python's on a loaded machine
		// between its answer and the next prompt must not end the wait.
		got := s.ok("input", obj{"job_id": id, "text": tc.in, "wait_for": `>>> $`, "idle_ms": 60_000, "until": 50})
		if got.Wait.Reason != "matched" || !strings.Contains(got.Output.Text, tc.want) {
			t.Fatalf("input %q = %q (wait %s), want %q", tc.in, got.Output.Text, got.Wait.Reason, tc.want)
		}
	}
	s.ok("input", obj{"job_id": id, "keys": []string{"ctrl-d"}})
	// input returns once the echo goes quiet; python's exit may come later.
	end := s.ok("observe", obj{"job_id": id, "until": 30})
	if end.Job.State != "exited" || *end.Job.ExitCode != 0 {
		t.Fatalf("after ctrl-d: %+v", end.Job)
	}
}

// TestTerminalResize: stty size before and after a resize.
func TestTerminalResize(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started(`stty size; while read -r l; do stty size; done`, `\d+ \d+`, obj{"tty": true, "cols": 90, "rows": 30})
	if !strings.Contains(env.Output.Text, "30 90") {
		t.Fatalf("initial size: %q", env.Output.Text)
	}
	got := s.ok("input", obj{"job_id": env.Job.JobID, "cols": 50, "rows": 12, "keys": []string{"enter"}, "wait_for": `^12 50`, "until": 30})
	if got.Wait.Reason != "matched" || got.Input != nil {
		t.Fatalf("after resize: %q %+v", got.Output.Text, got.Input)
	}
	s.ok("kill", obj{"job_id": env.Job.JobID, "signal": "KILL"})
}

// TestCtrlCReachesTheForegroundProgram: ctrl-c through the terminal is
// SIGINT to the foreground group, caught by a trap that exits with its own
// code; a prompt is answered first.
func TestCtrlCReachesTheForegroundProgram(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started(`trap 'echo caught; exit 42' INT; printf 'Continue? [y/N] '; read a; echo "answer=$a"; while :; do sleep 1; done`,
		`\[y/N\] $`, obj{"tty": true})
	id := env.Job.JobID
	ans := s.ok("input", obj{"job_id": id, "text": "y\r", "wait_for": "answer=y", "until": 30})
	if ans.Wait.Reason != "matched" {
		t.Fatalf("answer: %q", ans.Output.Text)
	}
	s.ok("input", obj{"job_id": id, "keys": []string{"ctrl-c"}, "until": 30, "wait_for": "caught"})
	got := s.ok("observe", obj{"job_id": id, "until": 30})
	if got.Job.State != "exited" || *got.Job.ExitCode != 42 || !strings.Contains(got.Output.Text, "caught") {
		t.Fatalf("after ctrl-c: state %s exit %v output %q", got.Job.State, got.Job.ExitCode, got.Output.Text)
	}
}

// TestEOFEndsCat: eof on an interactive pipe ends cat with status 0.
func TestEOFEndsCat(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	id := s.runJob([]string{"cat"}, obj{"interactive": true, "until": 0}).Job.JobID
	in := s.ok("input", obj{"job_id": id, "text": "abc\n", "eof": true, "until": 30})
	got := s.ok("observe", obj{"job_id": id, "until": 30})
	if in.Input != nil {
		t.Errorf("input view = %+v, want none: every byte was written", in.Input)
	}
	if got.Job.State != "exited" || *got.Job.ExitCode != 0 || got.Output.Text != "abc\n" {
		t.Fatalf("cat after eof: %s %v %q", got.Job.State, got.Job.ExitCode, got.Output.Text)
	}
}

// TestInputAfterServerRestart: input goes through the supervisor's control
// socket, so a new server can talk to a job an old one started.
func TestInputAfterServerRestart(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	s1 := startServer(t, onRoot(r))
	id := s1.started(`while read -r l; do echo "echo:$l"; done`, "", obj{"interactive": true}).Job.JobID
	s1.stop()
	s2 := startServer(t, onRoot(r))
	got := s2.ok("input", obj{"job_id": id, "text": "ping\n", "wait_for": "echo:ping", "until": 30})
	if got.Wait.Reason != "matched" {
		t.Fatalf("input via a new server: %q", got.Output.Text)
	}
	s2.ok("kill", obj{"job_id": id})
}

// TestScreenOfACursorDrawingProgram: observe view screen renders what a
// person would see, live and after the job ended.
func TestScreenOfACursorDrawingProgram(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	draw := `printf '\033[2J\033[Hheader\033[3;5Hmiddle\033[6;1Hfooter\033]0;drawing\007'; printf '\033[3;1H>'; read x`
	env := s.started(draw, `footer`, obj{"tty": true, "cols": 30, "rows": 6})
	id := env.Job.JobID
	want := []string{"header", "", ">   middle", "", "", "footer"}
	obs := s.ok("observe", obj{"job_id": id, "view": "screen"})
	sc := obs.Screen
	if sc == nil || sc.Cols != 30 || sc.Rows != 6 || strings.Join(sc.Lines, "|") != strings.Join(want, "|") || sc.Title != "drawing" {
		t.Fatalf("live screen = %+v, want lines %q", sc, want)
	}
	if sc.Cursor.Row != 2 || sc.Cursor.Col != 1 {
		t.Errorf("cursor = %+v, want row 2 col 1", sc.Cursor)
	}
	// The screen is the answer: no text window, unless asked for.
	if obs.Output.Text != "" || obs.Output.TotalBytes == 0 || obs.Output.NextOffset != obs.Output.TotalBytes {
		t.Errorf("view screen returned a text window too: %q (%d bytes in the log)", obs.Output.Text, obs.Output.TotalBytes)
	}
	if both := s.ok("observe", obj{"job_id": id, "view": "screen", "tail_lines": 1}); both.Screen == nil || !strings.Contains(both.Output.Text, "footer") {
		t.Errorf("view screen with tail_lines 1 = %q, screen %v", both.Output.Text, both.Screen != nil)
	}
	s.ok("input", obj{"job_id": id, "keys": []string{"enter"}, "until": 30})
	after := s.ok("observe", obj{"job_id": id, "view": "screen", "until": 30})
	if after.Job.State != "exited" || after.Screen == nil || after.Screen.Lines[0] != "header" {
		t.Fatalf("screen after the job ended = %+v (%s)", after.Screen, after.Job.State)
	}
	plain := s.runJob("true", nil).Job.JobID
	s.fail("observe", obj{"job_id": plain, "view": "screen"}, "invalid_input")
}

// TestInputToAChildThatNeverReads: 1 MiB to a job that does not read
// returns promptly, saying how much was taken.
func TestInputToAChildThatNeverReads(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	id := s.started("sleep 600", "", obj{"interactive": true}).Job.JobID
	big := strings.Repeat("x", 1<<20)
	got := s.ok("input", obj{"job_id": id, "text": big, "until": 0})
	if got.Input.Bytes != 1<<20 || got.Input.Written >= 1<<20 || got.Job.State != "running" {
		t.Fatalf("input view = %+v, state %s: want a partial write reported", got.Input, got.Job.State)
	}
	s.ok("kill", obj{"job_id": id, "signal": "KILL"})
}
