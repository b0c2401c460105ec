package jobs

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// A job whose meta.json or state.json is corrupt or missing cannot be
// described, but it may still run. list reports it as skipped, kill stops
// it through its supervisor's socket and through the job id its processes
// carry (AGENT_EXEC_JOB_ID), and delete removes it.

// unreadable reports whether err, met reading job id, means the job's
// directory is there but its files cannot be read.
func (s *Service) unreadable(id string, err error) bool {
	return errors.Is(err, jobstore.ErrCorrupt) || (errors.Is(err, jobstore.ErrNotFound) && s.store.Exists(id))
}

// skipReason is why list leaves out entry e, or "" when it is simply gone.
func (s *Service) skipReason(e jobstore.Entry) string {
	switch {
	case e.Err == nil || !s.unreadable(e.ID, e.Err):
		return ""
	case errors.Is(e.Err, jobstore.ErrNotFound):
		return "a file of the job is missing: " + e.Err.Error()
	}
	return e.Err.Error()
}

// stopUnreadable ends what runs of unreadable job id: it asks the job's
// supervisor, if one listens, to kill the run (sig, then SIGKILL after
// grace) and waits for it to exit, then stops any process still carrying
// the job's id (SIGTERM, SIGKILL after grace). It returns whether a
// supervisor took the request and how many processes were stopped
// directly. The caller holds the job lock.
func (s *Service) stopUnreadable(id string, sig syscall.Signal, grace float64) (supervised bool, stopped int) {
	if _, err := supervisor.Dial(s.store.Dir(id)).Kill(int(sig), graceDuration(grace), ""); err == nil {
		supervised = true
		s.awaitSupervisorExit(id, seconds(grace)+stopSlack)
	}
	stopped = supervisor.StopLeftovers(id, 0, 0, seconds(grace))
	_ = s.store.AppendEvent(id, jobstore.Event{Event: "kill_requested",
		Detail: map[string]any{"signal": supervisor.SignalName(sig), "grace_s": grace, "unreadable": true, "stopped_processes": stopped}})
	return supervised, stopped
}

// awaitSupervisorExit waits up to d for job id's supervisor (if any) to
// let go of its lock, and reports whether it did.
func (s *Service) awaitSupervisorExit(id string, d time.Duration) bool {
	gone := make(chan *jobstore.Lock, 1)
	go func() {
		l, err := s.store.LockSupervisor(id)
		if err != nil {
			l = nil
		}
		gone <- l
	}()
	select {
	case l := <-gone:
		l.Unlock()
		return true
	case <-time.After(d):
		go func() { (<-gone).Unlock() }()
		return false
	}
}

// killUnreadable is kill of job id, whose files could not be read (cause).
// When the run's end made the job readable again (the supervisor rewrote
// its state), the answer is the usual one; otherwise an io_error says what
// was stopped.
func (s *Service) killUnreadable(id string, sig syscall.Signal, grace float64, cause error) (*Envelope, error) {
	l, err := s.store.LockJob(id)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	supervised, stopped := s.stopUnreadable(id, sig, grace)
	if m, st, err := s.reconcile(id); err == nil {
		env := envelope("kill")
		env.Signal = supervisor.SignalName(sig)
		escalated, already := false, false
		env.Job, env.Escalated, env.AlreadyFinished = s.view(m, st, false), &escalated, &already
		return env, nil
	}
	what := "no process of it was found running"
	switch {
	case supervised:
		what = fmt.Sprintf("its supervisor ended the run, and %d more of its processes were stopped", stopped)
	case stopped > 0:
		what = fmt.Sprintf("%d of its processes were stopped", stopped)
	}
	return nil, &Error{Code: CodeIO,
		Message: fmt.Sprintf("job %s cannot be read (%v); %s; delete with force removes it", id, cause, what),
		Details: map[string]any{"job_id": id, "unreadable": true, "supervised": supervised, "stopped_processes": stopped}, err: cause}
}

// deleteUnreadable removes job id, whose files could not be read (cause).
// A job whose supervisor still lives is stopped first, with force only.
func (s *Service) deleteUnreadable(id string, force bool, cause error) error {
	l, err := s.store.LockJob(id)
	if err != nil {
		return err
	}
	defer l.Unlock()
	alive, held, err := s.store.ProbeSupervisor(id)
	if err != nil {
		return err
	}
	if alive {
		if !force {
			return stateErr("job %s cannot be read (%v) and its supervisor still runs; delete with force stops it first", id, cause)
		}
		s.stopUnreadable(id, syscall.SIGTERM, 2)
		if !s.awaitSupervisorExit(id, stopSlack) {
			return stateErr("job %s cannot be read and its supervisor did not exit after SIGKILL of the run", id)
		}
	} else {
		held.Unlock()
		// Processes the lost supervisor left, as a reader repairing a lost
		// supervisor would stop them.
		supervisor.StopLeftovers(id, 0, 0, lostGrace)
	}
	return s.store.Remove(id)
}
