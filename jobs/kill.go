package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// Kill signals the whole tree of a running job and reports its final state.
func (s *Service) Kill(ctx context.Context, req *KillRequest) (*Envelope, error) {
	id, sig, grace, err := s.stopArgs(req.JobID, req.Signal, req.Grace)
	if err != nil {
		return nil, err
	}
	env := envelope("kill")
	// The kill output schema requires signal: it names the signal asked
	// for, also when the job had already finished and nothing was sent
	// (already_finished says so).
	env.Signal = supervisor.SignalName(sig)
	err = s.locked(id, func(m *jobstore.Meta, st *jobstore.State) error {
		if st.State == jobstore.StateCreated {
			return stateErr("job %s was never started; delete it, or start it first", id)
		}
		st, already, err := s.stopRun(ctx, id, st, sig, grace)
		if err != nil {
			return err
		}
		escalated := !already && sig != unix.SIGKILL && st.Signal == "SIGKILL"
		env.Job, env.Escalated, env.AlreadyFinished = s.view(m, st, false), &escalated, &already
		return nil
	})
	if err != nil && s.unreadable(id, err) {
		return s.killUnreadable(id, sig, grace, err)
	}
	if err != nil {
		return nil, err
	}
	return env, nil
}

// stopArgs checks the arguments of kill and restart: the signal, the
// grace and the job.
func (s *Service) stopArgs(ref string, signal json.RawMessage, g *float64) (string, syscall.Signal, float64, error) {
	sig, err := parseSignal(signal)
	if err != nil {
		return "", 0, 0, err
	}
	grace, err := graceOf(g)
	if err != nil {
		return "", 0, 0, err
	}
	id, err := s.store.Resolve(ref)
	return id, sig, grace, err
}

func graceOf(g *float64) (float64, error) {
	if g == nil {
		return DefaultGrace, nil
	}
	if _, err := secondsArg("grace", *g, MaxGraceSeconds); err != nil {
		return 0, err
	}
	return *g, nil
}

// stopLocked ends job id's run, if it is running, under the job lock.
func (s *Service) stopLocked(ctx context.Context, id string, sig syscall.Signal, grace float64) error {
	return s.locked(id, func(_ *jobstore.Meta, st *jobstore.State) error {
		_, _, err := s.stopRun(ctx, id, st, sig, grace)
		return err
	})
}

// stopRun ends job id's run if st says it is running (the caller holds the
// job lock) and returns the state it ended in, and whether it had already
// ended by itself so that nothing was sent; it fails when the run would not
// stop even after SIGKILL.
func (s *Service) stopRun(ctx context.Context, id string, st *jobstore.State, sig syscall.Signal, grace float64) (*jobstore.State, bool, error) {
	if st.State != jobstore.StateRunning {
		return st, true, nil
	}
	st, finished, err := s.stop(ctx, id, sig, grace)
	if err == nil && st.State == jobstore.StateRunning {
		err = stateErr("job %s did not stop within %gs of %s and then SIGKILL", id, grace, supervisor.SignalName(sig))
	}
	return st, finished, err
}

// stop asks the supervisor of running job id to end the run (sig, then
// SIGKILL after grace seconds) and waits until it has, or until the grace
// and some slack have passed. It returns the latest state, and whether the
// supervisor answered that the run had already ended (nothing was sent). A
// supervisor that takes the request but does not answer (it is stopped)
// fails the call at the send's deadline with supervisor_unresponsive: the
// request stays queued in its socket.
func (s *Service) stop(ctx context.Context, id string, sig syscall.Signal, grace float64) (*jobstore.State, bool, error) {
	finished, sendErr := supervisor.Dial(s.store.Dir(id)).Kill(int(sig), graceDuration(grace), "")
	if !finished {
		detail := map[string]any{"signal": supervisor.SignalName(sig), "grace_s": grace}
		if errors.Is(sendErr, supervisor.ErrNoAnswer) {
			detail["queued"] = true
		}
		_ = s.store.AppendEvent(id, jobstore.Event{Event: "kill_requested", Detail: detail})
	}
	if errors.Is(sendErr, supervisor.ErrNoAnswer) {
		_, st, err := s.reconcile(id)
		if err != nil {
			return nil, false, err
		}
		if st.State == jobstore.StateRunning {
			return st, false, unresponsive(id, st, sig)
		}
		return st, false, nil
	}
	// A send that failed because the run was ending, or because the
	// supervisor is gone, is settled by the wait (through reconcile).
	st, err := s.waitTerminal(ctx, id, seconds(grace)+stopSlack)
	if err == nil && st.State == jobstore.StateRunning && sendErr != nil && !errors.Is(sendErr, supervisor.ErrNoSupervisor) {
		return st, finished, sendErr
	}
	return st, finished, err
}

// stopSlack is added to a kill's grace when waiting for the run to end:
// the time the supervisor needs after SIGKILL to reap and record.
const stopSlack = 10 * time.Second

// sendTimeout bounds a kill request's round trip to the supervisor.
const sendTimeout = supervisor.ControlTimeout

// graceDuration is grace seconds as the whole milliseconds a kill request
// carries.
func graceDuration(grace float64) time.Duration {
	return time.Duration(int64(grace*1000)) * time.Millisecond
}

// unresponsive is the error of a kill whose supervisor took the request
// but did not answer.
func unresponsive(id string, st *jobstore.State, sig syscall.Signal) *Error {
	stopped := supervisor.Stopped(st.SupervisorPID, st.SupervisorStart)
	msg := fmt.Sprintf("the supervisor of job %s (pid %d) did not answer within %s", id, st.SupervisorPID, sendTimeout)
	if stopped {
		msg += "; it is stopped (SIGSTOP; SIGCONT resumes it)"
	}
	msg += fmt.Sprintf("; the %s request is queued and takes effect when the supervisor runs again", supervisor.SignalName(sig))
	return &Error{Code: CodeUnresponsive, Retryable: true, Message: msg,
		Details: map[string]any{"queued": true, "supervisor_pid": st.SupervisorPID, "supervisor_stopped": stopped}}
}

// parseSignal reads a signal given as a name (TERM, SIGTERM, term) or a
// number; none means SIGTERM.
func parseSignal(raw json.RawMessage) (syscall.Signal, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return unix.SIGTERM, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return signalNumber(n)
	}
	var name string
	if err := json.Unmarshal(raw, &name); err != nil {
		return 0, invalid("signal", "want a signal name such as TERM or a number")
	}
	return ParseSignal(name)
}

// ParseSignal reads a signal name (TERM, SIGTERM, term, RTMIN+6) or number ("15").
func ParseSignal(name string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return signalNumber(n)
	}
	if sig := supervisor.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, invalid("signal", "unknown signal %q (use a name such as TERM, INT, KILL, HUP, RTMIN+6 or a number)", name)
}

func signalNumber(n int) (syscall.Signal, error) {
	if n < 1 || n > MaxSignal {
		return 0, invalid("signal", "signal number %d is out of range 1-%d", n, MaxSignal)
	}
	return syscall.Signal(n), nil
}
