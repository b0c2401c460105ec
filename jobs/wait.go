package jobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
)

const (
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

	scan *lineScanner // wait_for, or nil
	// wait_for_port: portSeen once the port was checked; portHeld while a
	// process outside the job holds it since before the wait began.
	portSeen, portHeld bool
	// echo, for an input to a terminal, finds where the echo of the input
	// ends: the idle clock and wait_for start after it.
	echo *echoSkip

	st      *jobstore.State
	stStamp fileStamp // of the state file st was read from; zero: never read
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

// needsOutput reports whether the wait looks at output as it comes: only
// then does it wake for writes to the log.
func (w *waiter) needsOutput() bool {
	return w.scan != nil || w.o.IdleMS > 0 || w.o.WaitForPort > 0
}

func (w *waiter) wait(ctx context.Context, st *jobstore.State) (*WaitView, error) {
	began := time.Now()
	wv := &WaitView{UntilS: w.until.Seconds()}
	defer func() { wv.WaitedMS = time.Since(began).Milliseconds() }()
	w.st = st
	size := sizeOf(w.file)
	w.size = size
	if w.scanFrom != nil {
		// Output since scanFrom is new to this call: the first check sees
		// it grow, however fast it came.
		w.size = min(size, *w.scanFrom)
	}
	if w.o.WaitFor != "" {
		re := regexp.MustCompile(w.o.WaitFor) // checked by checkObservation
		from := st.LogOffset[w.stream]
		if w.scanFrom != nil {
			from = *w.scanFrom
		}
		w.scan = newLineScanner(re, w.o.WaitFor, w.file, max(from, size-maxWaitBacklogBytes, output.DataStart(w.file)), secrets(w.meta))
		defer w.scan.close()
	}
	if w.until <= 0 {
		wv.Reason = WaitNotWaited
		return wv, nil
	}
	e, err := w.s.events()
	if err != nil {
		return nil, err
	}
	// Subscribe before the first check, so no change after it goes
	// unnoticed. Output wakes only a wait that looks at it, and then at
	// most once every outputGap.
	var logs []string
	if w.needsOutput() {
		logs = []string{filepath.Base(w.file)}
	}
	jw, err := e.watchJob(w.s.store.Dir(w.id), logs...)
	if err != nil {
		return nil, err
	}
	defer jw.close()
	ev := waitEvents{job: jw}
	if st.State == jobstore.StateRunning {
		jw.watchSupervisor(st.SupervisorPID, st.SupervisorStart)
	}
	deadline := time.NewTimer(w.until)
	defer deadline.Stop()
	ev.deadline = deadline.C
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
	job       *jobWatch        // the job's state, output (when the wait looks at it) and supervisor
	deadline  <-chan time.Time // until has passed
	idleTimer *time.Timer      // idle_ms of silence; reset by output
	tick      <-chan time.Time // progress
	portTimer *time.Timer      // next port check
}

// closedChan is always ready: selecting on it means "do not block".
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

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
	stateDue := true // the state file may have changed since it was read
	more := false    // wait_for stopped short of the end of the log
	if err := w.outputGrew(sizeOf(w.file), ev); err != nil {
		return err
	}
	for {
		done, m, err := w.check(wv, stateDue && !more)
		if err != nil || done {
			return err
		}
		if !more {
			stateDue = false
		}
		more = m
		var ready <-chan struct{}
		if more {
			ready = closedChan // keep scanning, between other events
		}
		select {
		case <-ready:
		case <-ev.job.C:
			c := ev.job.take()
			if c&ChangeState != 0 {
				stateDue = true
			}
			if c&ChangeOutput != 0 {
				if err := w.outputGrew(sizeOf(w.file), ev); err != nil {
					return err
				}
			}
			if c&ChangeSupervisorGone != 0 {
				// reconcile records the loss; when it cannot (a full
				// disk), its answer is the only place the loss is: keep
				// it until state.json changes.
				before, _ := stampOf(w.s.store.Path(w.id, jobstore.StateFile))
				_, st, err := w.s.reconcile(w.id)
				if err != nil {
					return err
				}
				w.st, w.stStamp = st, before
				stateDue = true
				ev.job.afterGone(st)
			}
		case <-ev.deadline:
			wv.Reason = WaitDeadline
			return nil
		case <-idle:
			wv.Reason = WaitIdle
			return nil
		case <-ev.tick:
			w.progress(time.Since(began), output.LastLine(w.file, lastLineMax, secrets(w.meta)))
		case <-portCheck:
			if w.portListened(wv) {
				wv.Reason = WaitPortOpen
				return nil
			}
			ev.portTimer.Reset(portDelay)
			portDelay = min(portDelay*2, portMax)
		case <-ctx.Done():
			wv.Reason = WaitDeadline
			if errors.Is(ctx.Err(), context.Canceled) {
				wv.Reason = WaitCancelled
			}
			return nil
		}
	}
}

// outputGrew handles the log having grown to n bytes: output triggers a
// port check and re-arms the idle timer, but on a terminal only the answer
// after the echo of an input counts as output, and wait_for starts there.
func (w *waiter) outputGrew(n int64, ev *waitEvents) error {
	if n == w.size {
		return nil
	}
	w.size = n
	if ev.portTimer != nil {
		ev.portTimer.Reset(0)
	}
	if w.echo != nil && !w.echo.done {
		if began, err := w.skipEcho(n); err != nil || !began {
			return err
		}
	}
	if ev.idleTimer != nil {
		ev.idleTimer.Reset(time.Duration(w.o.IdleMS) * time.Millisecond)
	}
	return nil
}

// skipEcho moves the echo skip on to n bytes of the log and reports
// whether the answer has begun; once it has, wait_for starts there.
func (w *waiter) skipEcho(n int64) (bool, error) {
	began, err := w.echo.scanTo(w.file, n)
	if err != nil || !began {
		return false, err
	}
	if w.scan != nil {
		w.scan.restart(w.echo.end)
	}
	return true, nil
}

// check looks for a reason to stop waiting: a match in the new output, or
// (when readState: the state file may have changed) the end of the run. It
// reads at most one step of new output; more says there is more to read.
func (w *waiter) check(wv *WaitView, readState bool) (done, more bool, err error) {
	if readState {
		stamp, ok := stampOf(w.s.store.Path(w.id, jobstore.StateFile))
		if !ok {
			return false, false, jobstore.ErrNotFound // deleted under us
		}
		if stamp != w.stStamp {
			st, err := w.s.store.ReadState(w.id)
			if err != nil {
				return false, false, err
			}
			w.st, w.stStamp = st, stamp
		}
	}
	if w.echo != nil && !w.echo.done && jobstore.Terminal(w.st.State) {
		// The run ended: the output it wrote last may not have woken this
		// wait yet (output wakes are spaced, its end's is not), and a
		// match in it wins over the end. The log is whole once the state
		// says so.
		if _, err := w.skipEcho(sizeOf(w.file)); err != nil {
			return false, false, err
		}
	}
	if w.scan != nil && (w.echo == nil || w.echo.done) {
		m, more, err := w.scan.step()
		if err != nil {
			return false, false, err
		}
		if m != nil {
			wv.Reason, wv.Matched = WaitMatched, m
			return true, false, nil
		}
		if more {
			// Output first: a match in what the run wrote wins over its end.
			return false, true, nil
		}
	}
	if jobstore.Terminal(w.st.State) {
		wv.Reason = WaitExited
		return true, false, nil
	}
	return false, false, nil
}

func sizeOf(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// portListened reports whether the awaited port is the job's: a process
// of the job listens on it, or it began to be listened on while the wait
// ran (by a helper outside the job's tree, such as the proxy of a
// container the job runs). A port that someone outside the job already
// held when the wait began is not the job's readiness: while that holder
// keeps it, wv carries a hint that says so. Where the socket tables cannot
// be read, any listener that accepts a connection on the loopback
// interface counts.
func (w *waiter) portListened(wv *WaitView) bool {
	port := w.o.WaitForPort
	state, err := jobPortState(port, w.st.SupervisorPID, w.st.SupervisorStart)
	if err != nil {
		return portOpen(port)
	}
	first := !w.portSeen
	w.portSeen = true
	switch state {
	case portOurs:
		return true
	case portClosed:
		w.portHeld = false // whoever held it let go: a new listener is news
		wv.Hint = ""
		return false
	}
	if first {
		w.portHeld = true
	}
	if !w.portHeld {
		return true
	}
	wv.Hint = fmt.Sprintf("port %d was already listened on by a process outside this job when the wait began: "+
		"wait_for_port waits for the job's own listener (which may fail to bind the port)", port)
	return false
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

// waitTerminal waits until job id is no longer running, or timeout. It
// wakes only when the state file changes or the supervisor exits, never for
// the job's output.
func (s *Service) waitTerminal(ctx context.Context, id string, timeout time.Duration) (*jobstore.State, error) {
	e, err := s.events()
	if err != nil {
		return nil, err
	}
	jw, err := e.watchJob(s.store.Dir(id))
	if err != nil {
		return nil, err
	}
	defer jw.close()
	_, st, err := s.reconcile(id)
	if err != nil || st.State != jobstore.StateRunning {
		return st, err
	}
	jw.watchSupervisor(st.SupervisorPID, st.SupervisorStart)
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		var c Change
		select {
		case <-jw.C:
			c = jw.take()
		case <-deadline.C:
			_, st, err = s.reconcile(id)
			return st, err
		case <-ctx.Done():
			_, st, err = s.reconcile(id)
			return st, err
		}
		if _, st, err = s.reconcile(id); err != nil || st.State != jobstore.StateRunning {
			return st, err
		}
		if c&ChangeSupervisorGone != 0 {
			jw.afterGone(st)
		}
	}
}
