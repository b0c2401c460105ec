package jobs

import (
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// Change is a set of things that happened to a job since its watcher last
// looked. Changes coalesce: however many writes a flooding job makes, a
// watcher sees one ChangeOutput per look (and at most one every outputGap).
type Change uint8

const (
	// ChangeState: state.json was replaced (a run started, ended or was
	// recorded as lost), or the job directory itself changed (deleted).
	ChangeState Change = 1 << iota
	// ChangeOutput: one of the watched logs grew; its size says to what.
	ChangeOutput
	// ChangeSupervisorGone: the supervisor of the watched run exited. One
	// that ended normally wrote the final state first; one that did not
	// is found lost by reconcile.
	ChangeSupervisorGone
)

// outputGap is the least time between two ChangeOutput a watcher is given:
// a waiter does work per look, never per write of the job it waits for.
const outputGap = 5 * time.Millisecond

// engine is the process's one source of job events: one inotify instance
// for every job directory any caller waits on, and one pidfd (parked on the
// netpoller) per watched supervisor, shared by every caller that waits on
// it. Waits, input, logs -f, multi-job waits and the events stream all
// subscribe here.
type engine struct {
	w *watcher

	mu    sync.Mutex
	exits map[exitKey]*exitWatch // guarded by mu
}

type exitKey struct {
	pid   int
	start uint64
}

// exitWatch is the shared watch of one supervisor's exit.
type exitWatch struct {
	subs map[*jobWatch]struct{}
	done chan struct{} // closed when the last subscriber leaves
	stop func()
}

var (
	engineOnce sync.Once
	theEngine  *engine
	engineErr  error
)

// processEngine returns the process's event engine, made on first use. It
// lives as long as the process: inotify instances are few (128 per user),
// so every Service of the process shares one.
func processEngine(log *slog.Logger) (*engine, error) {
	engineOnce.Do(func() {
		w, err := newWatcher(log)
		if err != nil {
			engineErr = err
			return
		}
		theEngine = &engine{w: w, exits: make(map[exitKey]*exitWatch)}
	})
	return theEngine, engineErr
}

// jobWatch is one caller's subscription to one job: C receives a value
// (coalesced) whenever take has something to return. close must be called.
type jobWatch struct {
	e    *engine
	C    chan struct{}
	logs []string // the log files whose growth the caller cares about

	mu       sync.Mutex
	pending  Change        // guarded by mu
	lastOut  time.Time     // guarded by mu: when ChangeOutput was last raised
	outTimer bool          // guarded by mu: a delayed ChangeOutput is armed
	closed   bool          // guarded by mu
	exit     *exitKey      // guarded by e.mu: the supervisor watched, if any
	recheck  time.Duration // guarded by mu: the delay of the next afterGone re-raise
	unwatch  func()
}

// goneRecheckFirst and goneRecheckMax bound the delays of afterGone.
const (
	goneRecheckFirst = 10 * time.Millisecond
	goneRecheckMax   = time.Second
)

// watchJob subscribes to job directory dir: to its state, and to the growth
// of the named logs (none: output costs this watcher nothing, and while no
// watcher of dir cares about output the kernel reports no writes at all).
// Subscribe before reading what the wait depends on, so no change after
// the read goes unnoticed.
func (e *engine) watchJob(dir string, logs ...string) (*jobWatch, error) {
	jw := &jobWatch{e: e, C: make(chan struct{}, 1), logs: logs}
	names := append([]string{jobstore.StateFile}, logs...)
	unwatch, err := e.w.notify(dir, jw.onFile, names...)
	if err != nil {
		return nil, err
	}
	jw.unwatch = unwatch
	return jw, nil
}

// onFile turns a file event into a Change; it runs under the watcher's lock.
func (jw *jobWatch) onFile(name string) {
	if name != "" && slices.Contains(jw.logs, name) {
		jw.output()
		return
	}
	jw.raise(ChangeState)
}

// output raises ChangeOutput at most once every outputGap.
func (jw *jobWatch) output() {
	jw.mu.Lock()
	defer jw.mu.Unlock()
	if jw.pending&ChangeOutput != 0 || jw.outTimer || jw.closed {
		return // already on its way
	}
	since := time.Since(jw.lastOut)
	if since >= outputGap {
		jw.raiseLocked(ChangeOutput)
		return
	}
	jw.outTimer = true
	time.AfterFunc(outputGap-since, func() {
		jw.mu.Lock()
		defer jw.mu.Unlock()
		jw.outTimer = false
		if !jw.closed {
			jw.raiseLocked(ChangeOutput)
		}
	})
}

func (jw *jobWatch) raise(c Change) {
	jw.mu.Lock()
	defer jw.mu.Unlock()
	jw.raiseLocked(c)
}

func (jw *jobWatch) raiseLocked(c Change) {
	jw.pending |= c
	if c&ChangeOutput != 0 {
		jw.lastOut = time.Now()
	}
	select {
	case jw.C <- struct{}{}:
	default:
	}
}

// take returns what changed since the last take, and forgets it.
func (jw *jobWatch) take() Change {
	jw.mu.Lock()
	defer jw.mu.Unlock()
	c := jw.pending
	jw.pending = 0
	return c
}

// watchSupervisor makes the exit of supervisor pid (started at start) raise
// ChangeSupervisorGone, at once if it is already gone. A watcher watches one
// supervisor: a new one (a new run) replaces the old.
func (jw *jobWatch) watchSupervisor(pid int, start uint64) {
	k := exitKey{pid, start}
	e := jw.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if jw.exit != nil && *jw.exit == k {
		return
	}
	e.leaveLocked(jw)
	ew := e.exits[k]
	if ew == nil {
		gone, stop := supervisor.WatchExit(pid, start)
		ew = &exitWatch{subs: make(map[*jobWatch]struct{}), done: make(chan struct{}), stop: stop}
		e.exits[k] = ew
		go e.reportExit(k, ew, gone)
	}
	ew.subs[jw] = struct{}{}
	jw.exit = &k
}

// reportExit raises ChangeSupervisorGone on every subscriber of ew when its
// supervisor exits, unless they all left first.
func (e *engine) reportExit(k exitKey, ew *exitWatch, gone <-chan struct{}) {
	defer ew.stop()
	select {
	case <-gone:
	case <-ew.done:
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.exits[k] == ew {
		delete(e.exits, k)
	}
	for jw := range ew.subs {
		jw.raise(ChangeSupervisorGone)
	}
}

// afterGone is told the state read after ChangeSupervisorGone. A state
// that still says the watched supervisor's run is running, though that
// supervisor has exited, was read by a reconcile that found the supervisor
// lock held by another process for a moment (a reader waiting for the
// supervisor's exit, or a child the supervisor forked that has not yet
// exec'd). The exit is reported once and the lock's release raises no
// event, so ChangeSupervisorGone is raised again, later each time (up to
// goneRecheckMax), until a reconcile records the run's end: a waiter always
// ends once the supervisor is gone.
func (jw *jobWatch) afterGone(st *jobstore.State) {
	jw.e.mu.Lock()
	k := jw.exit
	jw.e.mu.Unlock()
	jw.mu.Lock()
	defer jw.mu.Unlock()
	if k == nil || st.State != jobstore.StateRunning || st.SupervisorPID != k.pid ||
		st.SupervisorStart != k.start || supervisor.Alive(k.pid, k.start) || jw.closed {
		jw.recheck = 0
		return
	}
	d := max(jw.recheck, goneRecheckFirst)
	jw.recheck = min(2*d, goneRecheckMax)
	time.AfterFunc(d, func() {
		jw.mu.Lock()
		defer jw.mu.Unlock()
		if !jw.closed {
			jw.raiseLocked(ChangeSupervisorGone)
		}
	})
}

// leaveLocked takes jw off the supervisor it watches; e.mu is held.
func (e *engine) leaveLocked(jw *jobWatch) {
	if jw.exit == nil {
		return
	}
	k := *jw.exit
	jw.exit = nil
	ew := e.exits[k]
	if ew == nil {
		return
	}
	delete(ew.subs, jw)
	if len(ew.subs) == 0 {
		delete(e.exits, k)
		close(ew.done)
	}
}

// close ends the subscription.
func (jw *jobWatch) close() {
	jw.unwatch()
	jw.e.mu.Lock()
	jw.e.leaveLocked(jw)
	jw.e.mu.Unlock()
	jw.mu.Lock()
	jw.closed = true
	jw.mu.Unlock()
}
