package jobs

import (
	"context"
	"regexp"
	"time"

	"github.com/agent-exec/agent-exec/compress"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
)

// window kinds.
type windowKind int

const (
	windowRun  windowKind = iota // everything the current run wrote (head+tail when large)
	windowTail                   // the end of the log, or forward from an offset
	windowFrom                   // everything after a given offset (head+tail when large)
)

// callView is how one observing call looks at a job.
type callView struct {
	typ      string
	kind     windowKind
	from     int64         // windowFrom: the first byte to show
	defUntil time.Duration // the wait when the caller gives no until
	// idleAfterOutput counts idle_ms only once output has started.
	idleAfterOutput bool
	// echo, for an input to a terminal, is what was written: its echo is
	// not the answer.
	echo []byte
}

// Observe reports a job's status and a window of its output, after waiting
// if asked to.
func (s *Service) Observe(ctx context.Context, req *StartRequest, progress Progress) (*Envelope, error) {
	if err := s.checkObservation(&req.Observation, true); err != nil {
		return nil, err
	}
	id, err := s.store.Resolve(req.JobID)
	if err != nil {
		return nil, err
	}
	return s.observe(ctx, id, &req.Observation, callView{typ: "observe", kind: windowTail}, progress)
}

func (s *Service) checkObservation(o *Observation, offsetAllowed bool) error {
	if o.Until != nil {
		if o.Forever {
			return invalid("until", "give until or forever, not both")
		}
		if _, err := secondsArg("until", *o.Until, MaxSeconds); err != nil {
			return err
		}
	}
	if o.WaitFor != "" {
		if len(o.WaitFor) > MaxPatternBytes {
			return invalid("wait_for", "at most %d bytes", MaxPatternBytes)
		}
		if _, err := regexp.Compile(o.WaitFor); err != nil {
			return invalid("wait_for", "not a valid RE2 regular expression: %v", err)
		}
	}
	if o.WaitForPort < 0 || o.WaitForPort > 65535 {
		return invalid("wait_for_port", "must be a TCP port, 1-65535")
	}
	if o.IdleMS < 0 || o.IdleMS > MaxIdleMS {
		return invalid("idle_ms", "must be between 1 and %d milliseconds", MaxIdleMS)
	}
	if o.Offset != nil {
		if !offsetAllowed {
			return invalid("offset", "only observe reads from an offset")
		}
		if *o.Offset < 0 || *o.Offset > MaxOffset {
			return invalid("offset", "must be between 0 and %d", int64(MaxOffset))
		}
	}
	if o.Detail && !offsetAllowed {
		return invalid("detail", "only observe returns the job's detail")
	}
	if o.TailLines != 0 {
		switch {
		case !offsetAllowed:
			return invalid("tail_lines", "only observe reads the last lines")
		case o.TailLines < 1 || o.TailLines > MaxTailLines:
			return invalid("tail_lines", "must be between 1 and %d", MaxTailLines)
		case o.Offset != nil:
			return invalid("tail_lines", "give offset or tail_lines, not both")
		}
	}
	switch o.Stream {
	case "", "output", "stdout", "stderr":
	default:
		return invalid("stream", "must be output, stdout or stderr, not %q", o.Stream)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = s.opt.MaxBytes
	}
	if o.MaxBytes < MinMaxBytes || o.MaxBytes > MaxMaxBytes {
		return invalid("max_bytes", "must be between %d and %d", MinMaxBytes, MaxMaxBytes)
	}
	switch o.View {
	case "", "text":
	case "screen":
		if !offsetAllowed {
			return invalid("view", "only observe shows the screen")
		}
	default:
		return invalid("view", "must be text or screen, not %q", o.View)
	}
	if o.Compress == "" {
		o.Compress = s.opt.Compress
	}
	if _, err := compress.ParseMode(o.Compress); err != nil {
		return invalid("compress", "%v", err)
	}
	return nil
}

// spanStart is where the span of a window request begins (a tail's span
// is the whole log).
func spanStart(req output.Request) int64 {
	if req.Tail {
		return 0
	}
	return req.Start
}

// streamLog picks the log file a window reads.
func streamLog(m *jobstore.Meta, stream string) (name, file string, err error) {
	if m.Separate() {
		switch stream {
		case "", "stdout":
			return "stdout", jobstore.StdoutLog, nil
		case "stderr":
			return "stderr", jobstore.StderrLog, nil
		}
		return "", "", invalid("stream", "job %s keeps stdout and stderr apart: ask for stdout or stderr", m.ID)
	}
	if stream == "" || stream == "output" {
		return "output", jobstore.OutputLog, nil
	}
	return "", "", invalid("stream", "job %s merges stdout and stderr into one stream: ask for output", m.ID)
}

// Forever is the wait of an Observation with Forever set: a century,
// which no timer overflows on; wait.until_s reports it.
const Forever = 100 * 365 * 24 * time.Hour

func (s *Service) until(o *Observation, def time.Duration) time.Duration {
	if o.Forever {
		return Forever
	}
	d := def
	if o.Until != nil {
		d = seconds(*o.Until)
	}
	return min(d, s.opt.MaxUntil)
}

// waiterFor reconciles job id and returns a waiter on the log that
// o.Stream names, waiting at most until o.Until (def when it is unset),
// with the state it starts from.
func (s *Service) waiterFor(id string, o *Observation, def time.Duration, progress Progress) (*waiter, *jobstore.State, error) {
	m, st, err := s.reconcile(id)
	if err != nil {
		return nil, nil, err
	}
	stream, file, err := streamLog(m, o.Stream)
	if err != nil {
		return nil, nil, err
	}
	return &waiter{s: s, id: id, meta: m, file: s.store.Path(id, file), stream: stream, o: o,
		until: s.until(o, def), progress: progress}, st, nil
}

// observe waits as o asks, then builds the envelope with the job and a
// window of its output.
func (s *Service) observe(ctx context.Context, id string, o *Observation, v callView, progress Progress) (*Envelope, error) {
	w, st, err := s.waiterFor(id, o, v.defUntil, progress)
	if err != nil {
		return nil, err
	}
	w.idleAfterOutput = v.idleAfterOutput
	if v.kind == windowFrom {
		w.scanFrom = &v.from
	}
	if v.echo != nil {
		w.echo = newEchoSkip(v.echo, v.from)
	}
	wv, err := w.wait(ctx, st)
	if err != nil {
		return nil, err
	}
	m, st, err := s.reconcile(id)
	if err != nil {
		return nil, err
	}
	// Every byte returned counts against max_bytes as encoded JSON: the
	// matched line (cut to a quarter of it at most), then the window.
	budget := o.MaxBytes
	if wv.Matched != nil {
		wv.Matched.Line = clipLine(wv.Matched.Line, o.MaxBytes/4)
		budget -= output.EncodedLen(wv.Matched.Line)
	}
	lines := v.kind == windowTail && o.TailLines > 0
	screenOnly := v.kind == windowTail && o.View == "screen" && o.Offset == nil && !lines
	if v.kind == windowTail && o.Offset == nil && !lines && !screenOnly && jobstore.Terminal(st.State) {
		// A finished run is read whole, as run reads it: the same span,
		// the same selection when it does not fit.
		v.kind = windowRun
	}
	req := output.Request{End: -1, MaxBytes: budget, Encoded: true}
	switch {
	case v.kind == windowRun:
		req.Start = st.LogOffset[w.stream]
	case v.kind == windowFrom:
		req.Start = v.from
	case o.Offset != nil:
		req.Start, req.Forward = *o.Offset, true
	case lines:
		// The last lines when they fit the budget; else the tail that does.
		from, ok, err := output.LastLinesStart(w.file, o.TailLines, int64(budget))
		if err != nil {
			return nil, err
		}
		if ok {
			req.Start = from
		} else {
			req.Tail, req.Say = true, true
		}
	case screenOnly:
		req.Tail, req.MaxBytes, req.Encoded = true, 1, false // only the log's size: the screen is the answer
	default:
		req.Tail, req.Say = true, true
	}
	win, err := output.ReadFile(w.file, req, output.Options{Raw: o.Raw, Redact: secrets(m)})
	if err != nil {
		return nil, err
	}
	env := envelope(v.typ)
	env.Job = s.view(m, st, o.Detail)
	env.Output = &OutputView{Stream: w.stream, Text: win.Text, TotalBytes: win.TotalBytes,
		Start: win.Start, End: win.End, NextOffset: win.NextOffset, Truncated: win.Truncated, RotatedBefore: win.RotatedBefore}
	if win.Omitted != nil {
		env.Output.Omitted = &Range{Start: win.Omitted.Start, End: win.Omitted.End}
	}
	if screenOnly {
		env.Output.Text, env.Output.Start, env.Output.Truncated = "", win.End, false
	}
	if mode, _ := compress.ParseMode(o.Compress); !lines && !screenOnly && compressible(v, o, mode) {
		// The selection counts plain bytes: when it encodes longer, select
		// again within a budget shrunk in proportion, and keep the plain
		// window if that does not settle it.
		// A rotated log's discarded bytes are not examined.
		floor := output.DataStart(w.file)
		plain, co := *env.Output, *o
		co.MaxBytes = budget
		if n, enc := len(plain.Text), output.EncodedLen(plain.Text); enc > n {
			// The plain window is a sample of the output: expect the
			// selection to encode longer in the same proportion.
			co.MaxBytes = int(int64(budget) * int64(n) / int64(enc))
		}
		for try := 0; ; try++ {
			*env.Output = plain
			if err := compressWindow(env.Output, w.file, m, &co, mode, max(spanStart(req), floor), win.End); err != nil {
				return nil, err
			}
			enc := output.EncodedLen(env.Output.Text)
			if enc <= budget {
				break
			}
			if try == 1 {
				*env.Output = plain
				break
			}
			co.MaxBytes = co.MaxBytes * budget / enc * 31 / 32
		}
	}
	if wv.Hint == "" && wv.Reason == WaitDeadline && st.State == jobstore.StateRunning && win.TotalBytes <= st.LogOffset[w.stream] {
		wv.Hint = silentHint(m.TTY)
	}
	env.Wait = wv
	if o.View == "screen" {
		if env.Screen, err = s.screenOf(m, st, w.file); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// silentHint is the hint of a wait that reached its deadline while the run
// had written nothing to the observed stream.
func silentHint(tty bool) string {
	if tty {
		return "the run has written nothing yet; if it is a server, wait_for_port waits for it to listen"
	}
	return "the run has written nothing yet; a program writing to a pipe may hold its output in a buffer: " +
		"run it with tty: true, or make it flush (PYTHONUNBUFFERED=1, stdbuf -oL); for a server, wait_for_port waits for it to listen"
}

// clipLine cuts line so that it encodes within max bytes, ending a cut
// line in an ellipsis.
func clipLine(line string, max int) string {
	if output.EncodedLen(line) <= max {
		return line
	}
	const ellipsis = "…"
	cut, _ := output.ClipEncoded(line, max-len(ellipsis))
	return cut + ellipsis
}
