package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// loop reaps, obeys control requests, enforces the timeout and ends the run;
// it returns once the main process has exited and no process of the tree is
// left, and records the terminal state.
func (sv *super) loop(sigs <-chan os.Signal, calls <-chan ctlCall) {
	var timeout <-chan time.Time
	if sv.meta.TimeoutS > 0 {
		t := time.NewTimer(seconds(sv.meta.TimeoutS) - time.Since(sv.startedAt))
		defer t.Stop()
		timeout = t.C
	}
	// A log limit and log rotation are checked on a ticker: the kernel writes the logs, and a
	// supervisor takes no inotify instance (they are few per user).
	var logCheck <-chan time.Time
	if sv.meta.LogLimit > 0 || sv.meta.LogRotate > 0 {
		t := time.NewTicker(logCheckInterval)
		defer t.Stop()
		logCheck = t.C
	}
	for !sv.reap() {
		sv.beforeWait()
		var escalate <-chan time.Time
		if sv.escalation != nil {
			escalate = sv.escalation.C
		}
		select {
		case sig := <-sigs:
			switch sig {
			case unix.SIGTERM, unix.SIGINT:
				sv.log.Info("supervisor signalled; ending the run", "signal", sig)
				sv.end(jobstore.ReasonSignal, sig.(syscall.Signal), seconds(sv.meta.KillAfterS))
			}
			// SIGCHLD: reap at the top of the loop. SIGHUP: ignored.
		case c := <-calls:
			sv.dispatch(c)
		case <-timeout:
			timeout = nil
			sv.log.Info("timeout", "timeout_s", sv.meta.TimeoutS)
			sv.end(jobstore.ReasonTimeout, unix.SIGTERM, seconds(sv.meta.KillAfterS))
		case <-logCheck:
			sv.rotateLogs()
			if name, over := sv.overLogLimit(); sv.meta.LogLimit > 0 && over && sv.endReason == "" {
				sv.log.Info("log limit reached", "log", name, "log_limit", sv.meta.LogLimit)
				sv.end(jobstore.ReasonLogLimit, unix.SIGKILL, 0)
			}
		case <-escalate:
			sv.signalTree(sv.escalate())
		}
	}
	sv.finish()
}

// freeOSMemory gives the heap's free pages back to the system (a
// variable so that tests can count the calls).
var freeOSMemory = debug.FreeOSMemory

// beforeWait runs before the loop blocks: the first time, the memory the
// start-up used goes back to the system, so that an idle supervisor is
// small. A run that has ended before the loop first waits (a quick
// command) does not pay for it: its end is recorded without this delay.
func (sv *super) beforeWait() {
	if !sv.memFreed {
		sv.memFreed = true
		freeOSMemory()
	}
}

func seconds(s float64) time.Duration { return jobstore.Duration(s) }

// logCheckInterval is how often a job with a log limit has its logs
// measured; at disk speed a job can overshoot by what it writes in this
// time, and the log is cut back to the limit when the run ends.
const logCheckInterval = 100 * time.Millisecond

// overLogLimit reports a log of this run that has grown past the limit.
func (sv *super) overLogLimit() (string, bool) {
	for stream, from := range sv.running.LogOffset {
		fi, err := os.Stat(filepath.Join(sv.dir, stream+".log"))
		if err == nil && fi.Size()-from > sv.meta.LogLimit {
			return stream, true
		}
	}
	return "", false
}

// cutToLogLimit truncates every log of this run to the limit.
func (sv *super) cutToLogLimit() {
	for stream, from := range sv.running.LogOffset {
		path := filepath.Join(sv.dir, stream+".log")
		if fi, err := os.Stat(path); err == nil && fi.Size()-from > sv.meta.LogLimit {
			if err := os.Truncate(path, from+sv.meta.LogLimit); err != nil {
				sv.log.Error("cut the log to its limit", "log", path, "err", err)
			}
		}
	}
}

// reap collects every exited child. It reports true once the main process
// has exited and the supervisor has no child left, that is no process of the
// job's tree is alive (as subreaper, every orphaned descendant becomes a
// child of the supervisor).
func (sv *super) reap() bool {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			return sv.mainDone
		}
		if err != nil {
			sv.log.Error("wait4", "err", err)
			return sv.mainDone
		}
		if pid == 0 {
			break // children remain, none has exited yet
		}
		if sv.sinks.exited(pid, ws) {
			continue
		}
		if pid == sv.mainPID {
			sv.mainDone, sv.mainStatus, sv.mainEnd = true, ws, time.Now()
			sv.log.Info("main process ended", "status", describe(ws))
		}
	}
	// Children remain. Notification sinks are children too, but not of the
	// job's tree: a slow sink does not hold the run's end back. (The tree
	// is looked at only once the main process has exited.)
	treeLeft := !sv.mainDone || !sv.sinks.running() || len(sv.sinks.jobDescendants()) > 0
	done, sig := sv.afterReap(treeLeft)
	if sig != 0 {
		sv.signalTree(sig)
	}
	return done
}

// afterReap decides, after a round of reaping in which children remained,
// whether the run is over and which signal, if any, the job's tree gets now;
// treeLeft says whether any process of the tree is alive. Once the main
// process has exited, the run is over when nothing of its tree is left;
// whatever it left behind gets SIGTERM once, and SIGKILL kill_after later
// (armed here) unless a kill or timeout already has its own SIGKILL armed.
// Once SIGKILL has been sent, every round sends it again, to latecomers
// forked during the kill.
func (sv *super) afterReap(treeLeft bool) (done bool, sig syscall.Signal) {
	switch {
	case sv.mainDone && !treeLeft:
		return true, 0
	case sv.mainDone && !sv.leftoversTold && sv.escalation == nil && !sv.escalated:
		sv.leftoversTold = true
		sv.armEscalation(seconds(sv.meta.KillAfterS))
		return false, unix.SIGTERM
	case sv.escalated:
		return false, unix.SIGKILL
	}
	return false, 0
}

// escalate is the armed SIGKILL coming due: from now on the tree gets
// SIGKILL (see afterReap).
func (sv *super) escalate() syscall.Signal {
	sv.escalation = nil
	sv.escalated = true
	return unix.SIGKILL
}

// end starts terminating the run for reason: sig to the whole tree now,
// SIGKILL after grace. The first reason is the one recorded; a later,
// shorter grace brings the SIGKILL forward.
func (sv *super) end(reason string, sig syscall.Signal, grace time.Duration) {
	if sv.endReason == "" && !sv.mainDone {
		sv.endReason, sv.endSignal = reason, sig
		sv.event("terminating", map[string]any{"reason": reason, "signal": SignalName(sig)})
	}
	sv.signalTree(sig)
	if sig == unix.SIGKILL || grace <= 0 {
		sv.escalated = true
		sv.signalTree(unix.SIGKILL)
		return
	}
	sv.armEscalation(grace)
}

func (sv *super) armEscalation(grace time.Duration) {
	at := time.Now().Add(grace)
	if sv.escalation != nil {
		if !at.Before(sv.escalateAt) {
			return
		}
		sv.escalation.Stop()
	}
	sv.escalation, sv.escalateAt = time.NewTimer(grace), at
}

// signalTree sends sig to the main process group and to every descendant
// of the supervisor (which, as subreaper, includes escaped ones).
func (sv *super) signalTree(sig syscall.Signal) {
	if !sv.mainDone {
		if err := unix.Kill(-sv.mainPID, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			sv.log.Warn("signal process group", "signal", sig, "err", err)
		}
	}
	for _, pid := range sv.sinks.jobDescendants() {
		_ = unix.Kill(pid, sig)
	}
}

// finish records the terminal state of the run, once the last output is
// on disk.
func (sv *super) finish() {
	sv.drainTerminal()
	if sv.endReason == jobstore.ReasonLogLimit {
		sv.cutToLogLimit()
	}
	sv.rotateLogs()
	if sv.input != nil && !sv.input.tty {
		sv.input.close()
	}
	st := *sv.running
	fin := jobstore.Time{Time: sv.mainEnd}
	dur := sv.mainEnd.Sub(sv.startedAt).Milliseconds()
	st.FinishedAt, st.DurationMS = &fin, &dur
	st.State, st.Reason, st.Signal, st.ExitCode = outcome(sv.mainStatus, sv.endReason, sv.endSignal)
	sv.endSizes = sv.logSizes()
	sv.recordEnd(&st)
	sv.final = &st
	sv.indexer.end(sv.endSizes)
	if sv.endRec != nil {
		sv.endRec.Close()
	}
	detail := map[string]any{"reason": st.Reason, "duration_ms": dur}
	if st.ExitCode != nil {
		detail["exit_code"] = *st.ExitCode
	}
	if st.Signal != "" {
		detail["signal"] = st.Signal
	}
	sv.event(st.State, detail)
	sv.log.Info("finished", "state", st.State, "reason", st.Reason)
}

// outcome is what a run's end is recorded as, from the main process's wait
// status and what, if anything, asked the run to end (endReason, with the
// signal sent). What happened to the main process is recorded: one that was
// asked to end (kill, timeout, log limit, a signal to the supervisor) but
// caught the signal and exited by itself is exited, with its exit code, and
// the reason names what asked it to end. One killed by a signal that nobody
// here sent is killed, reason signal.
func outcome(ws unix.WaitStatus, endReason string, endSignal syscall.Signal) (state, reason, signal string, exitCode *int) {
	if ws.Signaled() {
		signal = SignalName(ws.Signal())
	}
	switch {
	case ws.Exited():
		code := ws.ExitStatus()
		reason = jobstore.ReasonExit
		if endReason != "" {
			reason = endReason
		}
		return jobstore.StateExited, reason, "", &code
	case endReason != "":
		if signal == "" {
			signal = SignalName(endSignal)
		}
		return jobstore.StateKilled, endReason, signal, nil
	default:
		return jobstore.StateKilled, jobstore.ReasonSignal, signal, nil
	}
}

// recordEnd records the run's terminal state, and has waiters see it
// without waiting for the disk. The end record takes it first: an overwrite
// in place of blocks allocated at the start, synced, which costs no journal
// commit. Then state.json is replaced, and synced only once readers can see
// it: a machine crash before that sync leaves state.json old (running, with
// the supervisor gone) or, on some file systems, torn, and a reader then
// takes the end from the end record (see [ReadEndRecord]). Without an end
// record, state.json is synced before it is replaced. When state.json cannot
// be replaced (a full disk), the end record is where the status is.
func (sv *super) recordEnd(st *jobstore.State) {
	if !sv.keepEnd(st) {
		if err := sv.store.WriteState(sv.id, st); err != nil {
			sv.log.Error("record terminal state", "err", err)
		}
		return
	}
	sync, err := sv.store.WriteStateUnsynced(sv.id, st)
	if err == nil {
		err = sync()
	}
	if err != nil {
		sv.log.Error("record terminal state; it is kept in the end record", "err", err)
	}
}

// keepEnd writes the terminal state into the end record, and reports
// whether it is there, synced.
func (sv *super) keepEnd(st *jobstore.State) bool {
	if sv.endRec == nil {
		return false
	}
	if err := writeEndRecord(sv.endRec, st); err != nil {
		sv.log.Error("keep the terminal state in the end record", "err", err)
		return false
	}
	return true
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return "exit " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		return "signal " + SignalName(ws.Signal())
	}
	return "unknown"
}

// logSizes returns the sizes of the run's logs now.
func (sv *super) logSizes() map[string]int64 {
	out := make(map[string]int64, len(sv.running.LogOffset))
	for stream := range sv.running.LogOffset {
		if fi, err := os.Stat(filepath.Join(sv.dir, stream+".log")); err == nil {
			out[stream] = fi.Size()
		}
	}
	return out
}
