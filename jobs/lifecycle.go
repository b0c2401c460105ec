package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// Progress receives, about once a second while a call waits, the time
// waited so far and the job's last output line.
type Progress func(elapsed time.Duration, lastLine string)

// stopSlack is added to a kill's grace when waiting for the run to end:
// the time the supervisor needs after SIGKILL to reap and record.
const stopSlack = 10 * time.Second

// Create persists a job's definition without starting it.
func (s *Service) Create(ctx context.Context, d *Definition) (*Envelope, error) {
	m, in, err := s.define(d)
	if err != nil {
		return nil, err
	}
	if d.IfRunning != "" {
		return nil, invalid("if_running", "create takes no if_running: a name in use fails with name_in_use; attach and restart are for run")
	}
	l, err := s.createJob(m, in)
	if err != nil {
		return nil, err
	}
	l.Unlock()
	_, st, err := s.reconcile(m.ID)
	if err != nil {
		return nil, err
	}
	env := envelope("create")
	env.Job = s.view(m, st, true)
	return env, nil
}

// createJob writes a new job, checking under the name lock that its name
// is not taken by an unfinished job, and returns the new job's operation
// lock, held: nobody else can start the job before the caller lets go.
// A job that could not be written leaves nothing behind.
func (s *Service) createJob(m *jobstore.Meta, in *stdinSource) (*jobstore.Lock, error) {
	if m.Name != "" {
		l, err := s.store.LockNames()
		if err != nil {
			return nil, err
		}
		defer l.Unlock()
		if other, err := s.unfinishedNamed(m.Name, "", true); err != nil {
			return nil, err
		} else if other != "" {
			return nil, nameInUse(m.Name, other)
		}
	}
	m.ID = jobstore.NewID()
	m.CreatedAt = jobstore.Now()
	l, err := s.store.CreateLocked(m, func(dir string) error {
		if in != nil {
			if err := s.writeStdin(filepath.Join(dir, jobstore.StdinFile), in); err != nil {
				return err
			}
		}
		return jobstore.AppendEventAt(filepath.Join(dir, jobstore.EventsFile), jobstore.Event{Event: "created"})
	})
	if err != nil || m.Name == "" {
		return l, err
	}
	if err := s.store.SetNameHolder(m.Name, m.ID); err != nil {
		// Not indexed, the name would not be guarded: take the job back
		// (it is locked, and nothing runs it).
		_ = s.store.Remove(m.ID)
		l.Unlock()
		return nil, err
	}
	return l, nil
}

func nameInUse(name, id string) *Error {
	return &Error{Code: CodeNameInUse, Field: "name",
		Message: "a job named " + name + " is still running (" + id + "); observe or kill it, or pass if_running attach or restart",
		Details: map[string]any{"job_id": id}}
}

// unfinishedNamed returns the id of a job named name, other than job
// except, that is created or running, or "". It reads the one job the name
// index points to (see [jobstore.Store.NameHolder]). When the index is not
// complete yet, a caller holding the name lock (locked) builds it by one
// scan of every job; any other caller scans for name alone.
func (s *Service) unfinishedNamed(name, except string, locked bool) (string, error) {
	holder, complete, err := s.store.NameHolder(name)
	if err != nil {
		return "", err
	}
	if !complete {
		if !locked {
			return s.scanUnfinishedNamed(name, except)
		}
		holders, err := s.scanUnfinished()
		if err != nil {
			return "", err
		}
		if err := s.store.CompleteNameIndex(holders); err != nil {
			return "", err
		}
		holder = holders[name]
	}
	if holder == "" || holder == except {
		return "", nil
	}
	if _, st, err := s.reconcile(holder); err == nil && !jobstore.Terminal(st.State) {
		return holder, nil
	}
	return "", nil
}

// scanUnfinishedNamed is unfinishedNamed by reading every job.
func (s *Service) scanUnfinishedNamed(name, except string) (string, error) {
	ids, err := s.store.WithName(name)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if id == except {
			continue
		}
		if _, st, err := s.reconcile(id); err == nil && !jobstore.Terminal(st.State) {
			return id, nil
		}
	}
	return "", nil
}

// scanUnfinished reads every job and returns, for each name, the newest
// job of that name that is created or running.
func (s *Service) scanUnfinished() (map[string]string, error) {
	entries, err := s.store.List(func(m *jobstore.Meta) bool { return m.Name != "" })
	if err != nil {
		return nil, err
	}
	holders := make(map[string]string)
	for _, e := range entries {
		if e.Err != nil || e.Meta == nil || e.State == nil {
			continue
		}
		if _, seen := holders[e.Meta.Name]; seen {
			continue
		}
		st := e.State
		if st.State == jobstore.StateRunning {
			if st, err = s.checkSupervisor(e.ID, st); err != nil {
				continue
			}
		}
		if !jobstore.Terminal(st.State) {
			holders[e.Meta.Name] = e.ID
		}
	}
	return holders, nil
}

// Run creates a job, starts it and observes it: the common path.
func (s *Service) Run(ctx context.Context, req *RunRequest, progress Progress) (*Envelope, error) {
	if err := s.checkObservation(&req.Observation, false); err != nil {
		return nil, err
	}
	m, in, err := s.define(&req.Definition)
	if err != nil {
		return nil, err
	}
	if m.Name != "" && req.IfRunning != "" && req.IfRunning != IfRunningError {
		if other, err := s.unfinishedNamed(m.Name, "", false); err != nil {
			return nil, err
		} else if other != "" {
			if req.IfRunning == IfRunningAttach {
				return s.observe(ctx, other, &req.Observation, s.runView("run"), progress)
			}
			// restart: the running job makes way for this definition.
			if err := s.stopLocked(ctx, other, unix.SIGTERM, DefaultGrace); err != nil {
				return nil, err
			}
		}
	}
	// The job is born locked, so no restart or start from elsewhere can
	// launch it before this run does.
	l, err := s.createJob(m, in)
	if err != nil {
		return nil, err
	}
	if err := s.launch(m.ID, 1); err != nil {
		// A run that could not start leaves nothing behind.
		s.discard(m.ID, err)
		l.Unlock()
		return nil, err
	}
	l.Unlock()
	defer s.afterLaunch() // once this call has its answer
	return s.observe(ctx, m.ID, &req.Observation, s.runView("run"), progress)
}

// runView is how run, start and restart look at the run they started.
func (s *Service) runView(typ string) callView {
	return callView{typ: typ, kind: windowRun, defUntil: s.opt.RunUntil}
}

// discard removes job id after its first launch failed with err, unless a
// supervisor of it may still run it (one that did not answer in time, say):
// a failed launch never removes a job that may run. A supervisor that
// answered that it could not start the job is given a moment to exit. The
// caller holds the job lock.
func (s *Service) discard(id string, err error) {
	var le *supervisor.LaunchError
	if errors.As(err, &le) {
		s.awaitSupervisorExit(id, discardWait)
	}
	alive, held, perr := s.store.ProbeSupervisor(id)
	if perr != nil || alive {
		s.log.Warn("a job whose launch failed is kept: its supervisor may still run it", "job_id", id, "supervisor_alive", alive, "err", perr)
		return
	}
	defer held.Unlock()
	if err := s.store.Remove(id); err != nil {
		s.log.Warn("remove a job whose launch failed", "job_id", id, "err", err)
	}
}

// discardWait bounds the wait for a supervisor that reported a launch error
// to exit.
const discardWait = 5 * time.Second

// launch starts run number run of job id; the caller holds the job lock.
func (s *Service) launch(id string, run int) error {
	release, err := s.admit(id, "")
	if err != nil {
		return err
	}
	defer release()
	return s.launchAdmitted(id, run)
}

// admit checks, under the root-wide lock when the launch of a run of job id
// needs it, that the run may start: no job but id that is unfinished has
// name (when name is not ""), and fewer than the most allowed are running.
// The caller launches the run, then calls release; holding the lock until
// the run is recorded as running is what keeps two launches from both
// passing the checks.
func (s *Service) admit(id, name string) (release func(), err error) {
	if name == "" && s.opt.MaxRunning <= 0 {
		return func() {}, nil
	}
	l, err := s.store.LockNames()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			l.Unlock()
		}
	}()
	if name != "" {
		if other, err := s.unfinishedNamed(name, id, true); err != nil {
			return nil, err
		} else if other != "" {
			return nil, nameInUse(name, other)
		}
		if err := s.store.SetNameHolder(name, id); err != nil {
			return nil, err
		}
	}
	if s.opt.MaxRunning > 0 {
		if n := s.countRunning(); n >= s.opt.MaxRunning {
			return nil, &Error{Code: CodeInvalidState,
				Message: fmt.Sprintf("%d jobs are running, the most allowed at once (AGENT_EXEC_MAX_RUNNING); wait for one to end or kill one", n),
				Details: map[string]any{"running": n, "max_running": s.opt.MaxRunning}}
		}
	}
	return func() { l.Unlock() }, nil
}

// launchAdmitted starts run number run of job id; the caller holds the job
// lock and has admitted the run.
func (s *Service) launchAdmitted(id string, run int) error {
	if err := s.recordSecrets(id); err != nil {
		return err
	}
	err := supervisor.Launch(s.store, id, run)
	if err == nil {
		return nil
	}
	var le *supervisor.LaunchError
	if !errors.As(err, &le) {
		// The supervisor died before it could say anything, or did not
		// answer in time and Launch killed it with whatever it started:
		// record it. A state running of another run is left to the readers.
		if st, rerr := s.store.ReadState(id); rerr == nil && (st.State != jobstore.StateRunning || st.Run == run) {
			if st.State == jobstore.StateRunning {
				supervisor.StopLeftovers(id, st.PID, st.PIDStart, time.Second)
			}
			now := jobstore.Now()
			_ = s.store.WriteState(id, &jobstore.State{State: jobstore.StateFailed, Reason: jobstore.ReasonLaunchError,
				Error: err.Error(), Run: run, FinishedAt: &now})
		}
		return &Error{Code: CodeLaunchFailed, Message: err.Error(), err: err}
	}
	return err
}

// countRunning counts the store's running jobs (repairing lost ones): the
// jobs of the live supervisors this process sees whose state is running,
// so a launch under a cap reads the running jobs, not every job.
func (s *Service) countRunning() int {
	root, err := os.Stat(s.store.Root())
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	n := 0
	for _, dir := range supervisor.SupervisedJobDirs() {
		id := filepath.Base(dir)
		if seen[id] || !jobstore.ValidID(id) || !sameDir(filepath.Dir(dir), s.store.Root(), root) {
			continue
		}
		seen[id] = true
		st, err := s.store.ReadState(id)
		if err != nil || st.State != jobstore.StateRunning {
			continue
		}
		if st, err := s.checkSupervisor(id, st); err == nil && st.State == jobstore.StateRunning {
			n++
		}
	}
	return n
}

// sameDir reports whether dir is the root, whose path is path and whose
// file info is fi (another process may name it otherwise).
func sameDir(dir, path string, fi os.FileInfo) bool {
	if filepath.Clean(dir) == filepath.Clean(path) {
		return true
	}
	other, err := os.Stat(dir)
	return err == nil && os.SameFile(fi, other)
}

// Start starts a created job, then observes it.
func (s *Service) Start(ctx context.Context, req *StartRequest, progress Progress) (*Envelope, error) {
	if err := s.checkObservation(&req.Observation, false); err != nil {
		return nil, err
	}
	id, err := s.store.Resolve(req.JobID)
	if err != nil {
		return nil, err
	}
	if err := s.startCreated(id); err != nil {
		return nil, err
	}
	defer s.afterLaunch() // once this call has its answer
	return s.observe(ctx, id, &req.Observation, s.runView("start"), progress)
}

func (s *Service) startCreated(id string) error {
	return s.locked(id, func(_ *jobstore.Meta, st *jobstore.State) error {
		if st.State != jobstore.StateCreated {
			return stateErr("job %s is %s, not created: start runs a created job once; use restart to run it again", id, st.State)
		}
		return s.launch(id, 1)
	})
}

// Restart stops the current run of a job, if any, and starts a new run of
// the same definition under the same id, then observes it.
func (s *Service) Restart(ctx context.Context, req *RestartRequest, progress Progress) (*Envelope, error) {
	if err := s.checkObservation(&req.Observation, false); err != nil {
		return nil, err
	}
	id, sig, grace, err := s.stopArgs(req.JobID, req.Signal, req.Grace)
	if err != nil {
		return nil, err
	}
	return s.restart(ctx, "restart", id, sig, grace, &req.Observation, progress)
}

func (s *Service) restart(ctx context.Context, typ, id string, sig syscall.Signal, grace float64, obs *Observation, progress Progress) (*Envelope, error) {
	err := s.locked(id, func(m *jobstore.Meta, st *jobstore.State) error {
		st, _, err := s.stopRun(ctx, id, st, sig, grace)
		if err != nil {
			return err
		}
		// A job that ended (or was just stopped) gives up its name: take it
		// back only if no other job has it now.
		release, err := s.admit(id, m.Name)
		if err != nil {
			return err
		}
		defer release()
		_ = s.store.AppendEvent(id, jobstore.Event{Event: "restarted", Run: st.Run + 1})
		return s.launchAdmitted(id, st.Run+1)
	})
	if err != nil {
		return nil, err
	}
	defer s.afterLaunch() // once this call has its answer
	return s.observe(ctx, id, obs, s.runView(typ), progress)
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
	// supervisor is gone, is settled by the wait (through current).
	st, err := s.waitTerminal(ctx, id, seconds(grace)+stopSlack)
	if err == nil && st.State == jobstore.StateRunning && sendErr != nil && !errors.Is(sendErr, supervisor.ErrNoSupervisor) {
		return st, finished, sendErr
	}
	return st, finished, err
}

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

// stopLocked ends job id's run, if it is running, under the job lock.
func (s *Service) stopLocked(ctx context.Context, id string, sig syscall.Signal, grace float64) error {
	return s.locked(id, func(_ *jobstore.Meta, st *jobstore.State) error {
		_, _, err := s.stopRun(ctx, id, st, sig, grace)
		return err
	})
}

// locked runs f holding job id's operation lock, with the job's current
// definition and state.
func (s *Service) locked(id string, f func(*jobstore.Meta, *jobstore.State) error) error {
	l, err := s.store.LockJob(id)
	if err != nil {
		return err
	}
	defer l.Unlock()
	m, st, err := s.reconcile(id)
	if err != nil {
		return err
	}
	return f(m, st)
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

// Delete removes a job's directory; a running job only with Force, which
// kills it first.
func (s *Service) Delete(ctx context.Context, req *DeleteRequest) (*Envelope, error) {
	if req.bulk() {
		return s.deleteBulk(ctx, req)
	}
	id, err := s.store.Resolve(req.JobID)
	if err != nil {
		return nil, err
	}
	err = s.locked(id, func(_ *jobstore.Meta, st *jobstore.State) error {
		if st.State == jobstore.StateRunning && !req.Force {
			return stateErr("job %s is running; kill it first, or delete with force", id)
		}
		if _, _, err := s.stopRun(ctx, id, st, unix.SIGTERM, 2); err != nil {
			return err
		}
		// The run is over, but its supervisor may still be writing its last
		// event and removing its socket: wait for it to exit.
		if sl, err := s.store.LockSupervisor(id); err == nil {
			sl.Unlock()
		}
		return s.store.Remove(id)
	})
	if err != nil && s.unreadable(id, err) {
		err = s.deleteUnreadable(id, req.Force, err)
	}
	if err != nil {
		return nil, err
	}
	env := envelope("delete")
	env.JobID, env.Deleted = id, true
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
