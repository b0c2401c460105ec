package cli

import (
	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// Exit codes. The verbs that report a job's outcome (run, start, restart,
// observe) pass the job's status through, as timeout(1) and nohup(1) do,
// so scripts can chain on it; every other verb exits 0 when its envelope
// is ok. The codes agent-exec uses for itself are those of timeout(1).
const (
	exitOK = 0
	// exitTimedOut: the job did not finish in time: the command waited
	// until its deadline and the job still runs (observe again to go on
	// waiting). A job its own timeout ended was killed by a signal: 128+N.
	exitTimedOut = 124
	// exitFailed: agent-exec itself failed: bad usage, or an error
	// envelope (invalid_input, job_not_found, io_error…; the envelope says
	// which), or the job's supervisor was lost so its outcome is unknown.
	exitFailed = 125
	// exitUsage: a command line agent-exec cannot parse. No JSON is printed.
	exitUsage = exitFailed
	// exitNotStarted: the job could not be started (launch_failed: the
	// program is missing or not executable, the directory is missing…).
	exitNotStarted = 126
	// exitSignal plus a signal's number: the job was killed by that signal
	// (by kill, by its own timeout, by a signal from elsewhere, past its
	// log limit: SIGKILL).
	exitSignal = 128
	// exitInterrupted: an interrupt (ctrl-c) or SIGTERM ended the wait of
	// a job that still runs.
	exitInterrupted = 130
)

// errorExit is the exit code of an error envelope.
func errorExit(e *jobs.Error) int {
	if e != nil && e.Code == jobs.CodeLaunchFailed {
		return exitNotStarted
	}
	return exitFailed
}

// outcomeExit is the exit code of an ok envelope of run, start, restart or
// observe: the job's own exit status when it exited; 128+N when a signal
// N killed it (its timeout included); 126 when it could not start; and for
// a job that has not finished, 0 unless the wait reached its deadline (124)
// or was interrupted (130). A job still running after a wait that
// ended as asked (a matched line, an open port, idle output) or after no
// wait at all (until 0) is a success: it is running as it should.
func outcomeExit(env *jobs.Envelope, interrupted bool) int {
	j := env.Job
	if j == nil {
		return exitOK
	}
	switch j.State {
	case jobstore.StateExited:
		if j.ExitCode != nil {
			return *j.ExitCode & 0xff
		}
		return exitFailed
	case jobstore.StateKilled:
		if sig, err := jobs.ParseSignal(j.Signal); err == nil {
			return exitSignal + int(sig)
		}
		return exitFailed
	case jobstore.StateFailed:
		if j.Reason == jobstore.ReasonLaunchError {
			return exitNotStarted
		}
		return exitFailed
	}
	switch {
	case interrupted:
		return exitInterrupted
	case env.Wait != nil && env.Wait.Reason == jobs.WaitDeadline:
		return exitTimedOut
	}
	return exitOK
}
