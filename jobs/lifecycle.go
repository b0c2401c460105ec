package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// Progress receives, about once a second while a call waits, the time
// waited so far and the job's last output line.
type Progress func(elapsed time.Duration, lastLine string)

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
