package jobs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
	"github.com/agent-exec/agent-exec/supervisor"
)

const (
	// minCheckGap keeps a very chatty job from turning a wait into a busy
	// loop: after a burst of checkBurst quick checks, the next comes no
	// sooner than this after the last.
	minCheckGap = 10 * time.Millisecond
	checkBurst  = 4 // quick checks allowed before minCheckGap applies
	// maxLine bounds the unfinished line kept for wait_for; a longer line
	// is matched in pieces.
	maxLine = 64 << 10
	// Port checks back off from portFirst to portMax between attempts (no
	// event says a port opened); output from the job triggers one at once.
	portFirst = 50 * time.Millisecond
	portMax   = 500 * time.Millisecond
)

// waiter is one waiting call: it returns on the first of the job ending,
// the pattern matching, the port opening, the output going idle, the
// deadline, or the caller going away.
type waiter struct {
	s        *Service
	id       string
	meta     *jobstore.Meta
	file     string // the log of the observed stream
	stream   string
	o        *Observation
	until    time.Duration
	progress Progress
	// idleAfterOutput arms the idle timer at the first output, not at once.
	idleAfterOutput bool
	// scanFrom, when set, is where wait_for starts matching; by default it
	// is the start of the current run.
	scanFrom *int64

	re      *regexp.Regexp
	pos     int64  // wait_for: next byte of the log to scan
	partial []byte // wait_for: the unfinished line before pos
	partAt  int64  // its offset

	st      *jobstore.State
	stStamp fileStamp
	size    int64
}

type fileStamp struct {
	ino   uint64
	mtime int64
	size  int64
}

func stampOf(path string) (fileStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, false
	}
	sys, _ := fi.Sys().(*syscall.Stat_t)
	st := fileStamp{mtime: fi.ModTime().UnixNano(), size: fi.Size()}
	if sys != nil {
		st.ino = sys.Ino
	}
	return st, true
}

func (w *waiter) wait(ctx context.Context, st *jobstore.State) (*WaitView, error) {
	began := time.Now()
	wv := &WaitView{UntilS: w.until.Seconds()}
	defer func() { wv.WaitedMS = time.Since(began).Milliseconds() }()
	w.st = st
	w.stStamp, _ = stampOf(w.s.store.Path(w.id, jobstore.StateFile))
	w.size = sizeOf(w.file)
	if w.o.WaitFor != "" {
		w.re = regexp.MustCompile(w.o.WaitFor) // checked by checkObservation
		from := st.LogOffset[w.stream]
		if w.scanFrom != nil {
			from = *w.scanFrom
		}
		w.pos = max(from, w.size-maxWaitBacklogBytes)
		w.partAt = w.pos
	}
	if w.until <= 0 {
		wv.Reason = WaitNotWaited
		return wv, nil
	}
	wt, err := w.s.watcher()
	if err != nil {
		return nil, err
	}
	changes, unsubscribe, err := wt.subscribe(w.s.store.Dir(w.id))
	if err != nil {
		return nil, err
	}
	defer unsubscribe()

	var supervisorGone <-chan struct{}
	if st.State == jobstore.StateRunning {
		ch, stop := supervisor.WatchExit(st.SupervisorPID, st.SupervisorStart)
		defer stop()
		supervisorGone = ch
	}
	deadline := time.NewTimer(w.until)
	defer deadline.Stop()
	ev := waitEvents{changes: changes, supervisorGone: supervisorGone, deadline: deadline.C}
	if w.o.IdleMS > 0 {
		ev.idleTimer = time.NewTimer(time.Duration(w.o.IdleMS) * time.Millisecond)
		defer ev.idleTimer.Stop()
		if w.idleAfterOutput {
			ev.idleTimer.Stop() // armed by the first output
		}
	}
	if w.progress != nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		ev.tick = t.C
	}
	if w.o.WaitForPort > 0 {
		ev.portTimer = time.NewTimer(0)
		defer ev.portTimer.Stop()
	}
	return wv, w.loop(ctx, wv, &ev)
}

// waitEvents are the sources a wait listens to; nil channels never fire.
type waitEvents struct {
	changes        <-chan struct{}  // something changed in the job directory
	supervisorGone <-chan struct{}  // the run's supervisor exited
	deadline       <-chan time.Time // until has passed
	idleTimer      *time.Timer      // idle_ms of silence; reset by output
	tick           <-chan time.Time // progress
	portTimer      *time.Timer      // next port check
}

func (w *waiter) loop(ctx context.Context, wv *WaitView, ev *waitEvents) error {
	var idle, portCheck <-chan time.Time
	if ev.idleTimer != nil {
		idle = ev.idleTimer.C
	}
	if ev.portTimer != nil {
		portCheck = ev.portTimer.C
	}
	portDelay := portFirst
	began := time.Now()
	var lastCheck time.Time
	burst := 0 // checks in a row that came sooner than minCheckGap
	for {
		if gap := time.Since(lastCheck); gap >= minCheckGap {
			burst = 0
		} else if burst++; burst > checkBurst {
			t := time.NewTimer(minCheckGap - gap)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		lastCheck = time.Now()
		if done, err := w.check(wv); err != nil || done {
			return err
		}
		select {
		case <-ev.changes:
			if n := sizeOf(w.file); n != w.size {
				w.size = n
				if ev.idleTimer != nil {
					ev.idleTimer.Reset(time.Duration(w.o.IdleMS) * time.Millisecond)
				}
				if ev.portTimer != nil {
					ev.portTimer.Reset(0)
				}
			}
		case <-ev.supervisorGone:
			ev.supervisorGone = nil
			// current records the loss; when it cannot (a full disk), its
			// answer is the only place the loss is: keep it until
			// state.json changes.
			before, _ := stampOf(w.s.store.Path(w.id, jobstore.StateFile))
			_, st, err := w.s.current(w.id)
			if err != nil {
				return err
			}
			w.st, w.stStamp = st, before
		case <-ev.deadline:
			wv.Reason = WaitDeadline
			return nil
		case <-idle:
			wv.Reason = WaitIdle
			return nil
		case <-ev.tick:
			w.progress(time.Since(began), output.LastLine(w.file, lastLineMax, secrets(w.meta)))
		case <-portCheck:
			if portOpen(w.o.WaitForPort) {
				wv.Reason = WaitPortOpen
				return nil
			}
			ev.portTimer.Reset(portDelay)
			portDelay = min(portDelay*2, portMax)
		case <-ctx.Done():
			wv.Reason = WaitDeadline
			return nil
		}
	}
}

// check looks for a reason to stop waiting: a match in the new output, or
// the end of the run.
func (w *waiter) check(wv *WaitView) (bool, error) {
	stamp, ok := stampOf(w.s.store.Path(w.id, jobstore.StateFile))
	if !ok {
		return false, jobstore.ErrNotFound // deleted under us
	}
	if stamp != w.stStamp {
		st, err := w.s.store.ReadState(w.id)
		if err != nil {
			return false, err
		}
		w.st, w.stStamp = st, stamp
	}
	if w.re != nil {
		if m, err := w.scan(); err != nil {
			return false, err
		} else if m != nil {
			wv.Reason, wv.Matched = WaitMatched, m
			return true, nil
		}
	}
	if jobstore.Terminal(w.st.State) {
		wv.Reason = WaitExited
		return true, nil
	}
	return false, nil
}

// scan matches the pattern against every line written since the last scan,
// then against the unfinished last line (so prompts match).
func (w *waiter) scan() (*Match, error) {
	f, err := os.Open(w.file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.ReadAt(buf, w.pos)
		chunk := buf[:n]
		w.pos += int64(n)
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				w.partial = append(w.partial, chunk...)
				break
			}
			w.partial = append(w.partial, chunk[:i]...)
			if m := w.match(w.partial, w.partAt); m != nil {
				w.partial, w.partAt = w.partial[:0], w.partAt+int64(len(w.partial))+1
				return m, nil
			}
			w.partAt += int64(len(w.partial)) + 1
			w.partial = w.partial[:0]
			chunk = chunk[i+1:]
		}
		if len(w.partial) > maxLine {
			if m := w.match(w.partial, w.partAt); m != nil {
				return m, nil
			}
			w.partAt += int64(len(w.partial))
			w.partial = w.partial[:0]
		}
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(w.partial) > 0 {
		return w.match(w.partial, w.partAt), nil
	}
	return nil, nil
}

func (w *waiter) match(line []byte, at int64) *Match {
	text := output.Clean(bytes.TrimSuffix(line, []byte{'\r'}))
	if !w.re.MatchString(text) {
		return nil
	}
	return &Match{Pattern: w.o.WaitFor, Line: output.Redact(text, secrets(w.meta)), Offset: at}
}

func sizeOf(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// portOpen reports whether something accepts TCP connections on port on
// the loopback interface (IPv4 or IPv6).
func portOpen(port int) bool {
	for _, host := range []string{"127.0.0.1", "::1"} {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return true
		}
	}
	return false
}

// waitTerminal waits until job id is no longer running, or timeout.
func (s *Service) waitTerminal(ctx context.Context, id string, timeout time.Duration) (*jobstore.State, error) {
	wt, err := s.watcher()
	if err != nil {
		return nil, err
	}
	changes, unsubscribe, err := wt.subscribe(s.store.Dir(id))
	if err != nil {
		return nil, err
	}
	defer unsubscribe()
	_, st, err := s.current(id)
	if err != nil || st.State != jobstore.StateRunning {
		return st, err
	}
	gone, stop := supervisor.WatchExit(st.SupervisorPID, st.SupervisorStart)
	defer stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-changes:
		case <-gone:
			gone = nil
		case <-deadline.C:
			_, st, err = s.current(id)
			return st, err
		case <-ctx.Done():
			_, st, err = s.current(id)
			return st, err
		}
		if _, st, err = s.current(id); err != nil || st.State != jobstore.StateRunning {
			return st, err
		}
	}
}
