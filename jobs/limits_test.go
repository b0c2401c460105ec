package jobs

import (
	"errors"
	"testing"
	"time"
)

// fieldOf returns the argument an invalid_input error names.
func fieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// TestSecondsArguments: every seconds argument is checked against its
// documented maximum, and the largest accepted value still gives a result
// whose numbers are sane (until_s is the server's cap, never negative).
func TestSecondsArguments(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	for _, c := range []struct {
		field string
		d     Definition
	}{
		{"kill_after", Definition{Command: Command{"true"}, KillAfter: f64(1e10)}},
		{"kill_after", Definition{Command: Command{"true"}, KillAfter: f64(MaxGraceSeconds + 0.5)}},
		{"timeout", Definition{Command: Command{"true"}, Timeout: 1e12}},
		{"timeout", Definition{Command: Command{"true"}, Timeout: MaxSeconds + 1}},
		{"timeout", Definition{Command: Command{"true"}, Timeout: -1}},
	} {
		if _, err := s.Create(ctx, &c.d); codeOf(err) != CodeInvalidInput || fieldOf(err) != c.field {
			t.Errorf("create %+v = %v, want invalid_input on %s", c.d, err, c.field)
		}
	}
	env, err := s.Create(ctx, &Definition{Command: Command{"true"}, Timeout: MaxSeconds, KillAfter: f64(MaxGraceSeconds)})
	if err != nil {
		t.Fatalf("create at the maxima: %v", err)
	}
	id := env.Job.JobID
	for _, until := range []float64{1e12, MaxSeconds + 1, -0.5} {
		if _, err := s.Observe(ctx, &StartRequest{JobID: id, Observation: Observation{Until: f64(until)}}, nil); codeOf(err) != CodeInvalidInput || fieldOf(err) != "until" {
			t.Errorf("observe until %g = %v, want invalid_input on until", until, err)
		}
	}
	if _, err := s.Kill(ctx, &KillRequest{JobID: id, Grace: f64(1e10)}); codeOf(err) != CodeInvalidInput || fieldOf(err) != "grace" {
		t.Errorf("kill grace 1e10 = %v, want invalid_input on grace", err)
	}
	// A created job never finishes, so the longest wait runs to the cap.
	s.opt.MaxUntil = 200 * time.Millisecond
	obs, err := s.Observe(ctx, &StartRequest{JobID: id, Observation: Observation{Until: f64(MaxSeconds)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if obs.Wait == nil || obs.Wait.UntilS != 0.2 {
		t.Fatalf("wait = %+v, want until_s 0.2 (the server's cap)", obs.Wait)
	}
}

// TestTerminalSizeIsTheScreen: a tty job gets at most the size its screen
// can have, and view screen draws exactly that size.
func TestTerminalSizeIsTheScreen(t *testing.T) {
	s := newService(t)
	for _, d := range []Definition{
		{Command: Command{"true"}, TTY: true, Cols: MaxCols + 1, Rows: 10},
		{Command: Command{"true"}, TTY: true, Cols: 10, Rows: MaxRows + 1},
	} {
		if _, err := s.Create(t.Context(), &d); codeOf(err) != CodeInvalidInput {
			t.Errorf("create %dx%d = %v, want invalid_input", d.Cols, d.Rows, err)
		}
	}
	env := mustRun(t, s, &RunRequest{
		Definition:  Definition{Command: Command{"echo drawn; read x"}, TTY: true, Cols: MaxCols, Rows: MaxRows},
		Observation: Observation{WaitFor: "drawn", Until: f64(30)},
	})
	scr, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{View: "screen"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if scr.Screen.Cols != MaxCols || scr.Screen.Rows != MaxRows || len(scr.Screen.Lines) != MaxRows {
		t.Fatalf("screen %dx%d with %d lines, want %dx%d", scr.Screen.Cols, scr.Screen.Rows, len(scr.Screen.Lines), MaxCols, MaxRows)
	}
	if _, err := s.Input(t.Context(), &InputRequest{JobID: env.Job.JobID, Cols: MaxCols + 1, Rows: 10}, nil); codeOf(err) != CodeInvalidInput {
		t.Fatalf("resize past the maximum = %v, want invalid_input", err)
	}
}
