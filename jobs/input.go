package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// Input defaults: an input call waits for the answer to what it wrote.
const (
	DefaultInputUntil  = 2 * time.Second
	DefaultInputIdleMS = 300
	maxInputBytes      = 1 << 20
)

// Input writes text and named keys (and perhaps EOF, or a resize) to an
// interactive job, then observes the output that came after the write: it
// returns on the first of the output going quiet for idle_ms (counted once
// output has started), wait_for matching, the job ending, or until. A job
// that does not read its input never hangs the call: the result says how
// many bytes it took.
func (s *Service) Input(ctx context.Context, req *InputRequest, progress Progress) (*Envelope, error) {
	if err := s.checkObservation(&req.Observation, false); err != nil {
		return nil, err
	}
	data, err := inputBytes(req)
	if err != nil {
		return nil, err
	}
	id, err := s.store.Resolve(req.JobID)
	if err != nil {
		return nil, err
	}
	m, st, err := s.reconcile(id)
	if err != nil {
		return nil, err
	}
	if !m.TTY && !m.Interactive {
		return nil, &Error{Code: CodeNotInteractive,
			Message: "job " + id + " was not started with tty or interactive: its stdin is not open for input"}
	}
	if (req.Cols > 0 || req.Rows > 0) && !m.TTY {
		return nil, invalid("cols", "only a tty job has a terminal to resize")
	}
	if st.State != jobstore.StateRunning {
		return nil, stateErr("job %s is %s: input goes to a running job", id, st.State)
	}
	stream, file, err := streamLog(m, req.Stream)
	if err != nil {
		return nil, err
	}
	from := sizeOf(s.store.Path(id, file))
	written, err := s.Deliver(id, data, req.EOF, req.Cols, req.Rows)
	if err != nil {
		return nil, err
	}
	_ = s.store.AppendEvent(id, jobstore.Event{Event: "input", Run: st.Run,
		Detail: map[string]any{"bytes": len(data), "written": written, "eof": req.EOF}})
	o := req.Observation
	if o.IdleMS == 0 {
		o.IdleMS = DefaultInputIdleMS
	}
	v := callView{typ: "input", kind: windowFrom, from: from, defUntil: DefaultInputUntil, idleAfterOutput: true}
	if m.TTY && written > 0 {
		v.echo = data[:written] // the terminal echoes what it took
	}
	env, err := s.observe(ctx, id, &o, v, progress)
	if err != nil {
		return nil, err
	}
	if env.Output != nil && env.Output.Stream != stream {
		env.Output.Stream = stream
	}
	if written < len(data) {
		// Only a short write is news: the answer and the state are the rest.
		env.Input = &InputView{Bytes: len(data), Written: written, EOF: req.EOF, Resized: req.Cols > 0}
	}
	return env, nil
}

// inputBytes checks an input request and returns the bytes to write: the
// text as given, then the keys.
func inputBytes(req *InputRequest) ([]byte, error) {
	var data []byte
	if req.Text != nil {
		data = append(data, *req.Text...)
	}
	keys, err := KeyBytes(req.Keys)
	if err != nil {
		return nil, err
	}
	data = append(data, keys...)
	if len(data) > maxInputBytes {
		return nil, invalid("text", "%d bytes, more than the %d one call may send", len(data), maxInputBytes)
	}
	if (req.Cols > 0) != (req.Rows > 0) || req.Cols < 0 || req.Rows < 0 || req.Cols > MaxCols || req.Rows > MaxRows {
		return nil, invalid("cols", "give cols (1-%d) and rows (1-%d) together", MaxCols, MaxRows)
	}
	if len(data) == 0 && !req.EOF && req.Cols == 0 {
		return nil, invalid("text", "nothing to send: give text, keys, eof or cols and rows")
	}
	return data, nil
}

// Deliver hands input to the supervisor of running job id: a resize to
// cols×rows when both are set, then data, then EOF when eof is set. It
// returns how many bytes of data the job took. The caller has checked that
// the job is interactive.
func (s *Service) Deliver(id string, data []byte, eof bool, cols, rows int) (int, error) {
	written, err := supervisor.Dial(s.store.Dir(id)).Input(data, eof, cols, rows)
	if err == nil {
		return written, nil
	}
	var refused *supervisor.RefusedError
	if errors.As(err, &refused) || errors.Is(err, supervisor.ErrNoSupervisor) {
		// The supervisor answered no (the run is ending) or is gone.
		if _, st, cerr := s.reconcile(id); cerr == nil && st.State != jobstore.StateRunning {
			return 0, stateErr("job %s is %s: input goes to a running job", id, st.State)
		}
		return 0, stateErr("job %s did not take the input: %v", id, err)
	}
	return 0, err
}

// Terminal describes a running tty job for a person attaching to it.
type Terminal struct {
	JobID      string
	Cols, Rows int    // the size the job was defined with
	Log        string // its output log
	Screen     *Screen
}

// AttachTerminal resolves ref to a running tty job.
func (s *Service) AttachTerminal(ref string) (*Terminal, error) {
	id, err := s.store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	m, st, err := s.reconcile(id)
	if err != nil {
		return nil, err
	}
	if !m.TTY {
		return nil, &Error{Code: CodeNotInteractive, Message: "job " + id + " was not started with tty: there is no terminal to attach to"}
	}
	if st.State != jobstore.StateRunning {
		return nil, stateErr("job %s is %s: only a running job can be attached", id, st.State)
	}
	t := &Terminal{JobID: id, Cols: m.Cols, Rows: m.Rows, Log: s.store.Path(id, jobstore.OutputLog)}
	if scr, err := supervisor.Dial(s.store.Dir(id)).Screen(); err == nil {
		t.Screen = screenFrom(scr)
	}
	return t, nil
}
