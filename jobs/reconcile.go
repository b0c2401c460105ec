package jobs

import (
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
	"github.com/agent-exec/agent-exec/supervisor"
)

// lostGrace is how long the leftovers of a job whose supervisor died get
// between SIGTERM and SIGKILL.
const lostGrace = time.Second

// read reads job id's definition and state as recorded, and acts on
// nothing: a state that says running may belong to a supervisor that died.
// Callers that must not write or signal (a view for a person, a listing)
// use it; callers that act on the state use reconcile.
func (s *Service) read(id string) (*jobstore.Meta, *jobstore.State, error) {
	m, err := s.store.ReadMeta(id)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.readState(id)
	if err != nil {
		return nil, nil, err
	}
	return m, st, nil
}

// readState reads job id's state.json. One that cannot be parsed gives way
// to the job's end record when that holds a run's end: a supervisor syncs
// its end record before it replaces state.json with the terminal state and
// syncs state.json after, so a machine crash in between may leave
// state.json torn on a file system that does not flush a file renamed over
// another.
func (s *Service) readState(id string) (*jobstore.State, error) {
	st, err := s.store.ReadState(id)
	if errors.Is(err, jobstore.ErrCorrupt) {
		if end, ok := supervisor.ReadEndRecord(s.store.Dir(id), 0); ok {
			return end, nil
		}
	}
	return st, err
}

// reconcile reads job id's definition and state, and repairs a state that
// says running while no supervisor lives: the loss is recorded in
// state.json and events.ndjson (failed, supervisor_lost) and what is left
// of the job's tree is stopped (SIGTERM, then SIGKILL after lostGrace).
// Any reader that acts on a job's state reconciles first, so a lost
// supervisor is noticed by whoever looks.
func (s *Service) reconcile(id string) (*jobstore.Meta, *jobstore.State, error) {
	m, st, err := s.read(id)
	if err != nil {
		return nil, nil, err
	}
	if st.State != jobstore.StateRunning {
		return m, st, nil
	}
	st, err = s.checkSupervisor(id, st)
	return m, st, err
}

// probeHook, when set (by tests), runs before each probe of a supervisor
// lock, and the function it returns after it.
var probeHook atomic.Pointer[func(id string) (after func())]

func (s *Service) checkSupervisor(id string, st *jobstore.State) (*jobstore.State, error) {
	if h := probeHook.Load(); h != nil {
		defer (*h)(id)()
	}
	alive, held, err := s.store.ProbeSupervisor(id)
	if err != nil || alive {
		return st, err
	}
	defer held.Unlock()
	// Re-read under the lock: the supervisor may have finished between the
	// first read and the probe.
	st, err = s.readState(id)
	if err != nil || st.State != jobstore.StateRunning {
		return st, err
	}
	// A supervisor that finished but could not replace state.json (a full
	// disk) kept the run's end in its end record.
	if end, ok := supervisor.ReadEndRecord(s.store.Dir(id), st.Run); ok {
		if err := s.store.WriteState(id, end); err != nil {
			s.log.Warn("record a run's end from its end record", "job_id", id, "err", err)
		} else {
			_ = s.store.AppendEvent(id, jobstore.Event{Event: end.State, Run: end.Run,
				Detail: map[string]any{"reason": end.Reason, "from": supervisor.EndRecordFile}})
		}
		return end, nil
	}
	now := jobstore.Now()
	st.State, st.Reason = jobstore.StateFailed, jobstore.ReasonSupervisorLost
	st.Error = "the job's supervisor died; its remaining processes were stopped"
	if diskFull(s.store.Dir(id)) {
		// Its end record should have kept a normal end: say what else
		// may have gone wrong.
		st.Error += "; the disk holding the job is full, which may have kept its supervisor from recording how the run ended (disk_full)"
	}
	st.FinishedAt = &now
	if st.StartedAt != nil {
		d := now.Sub(st.StartedAt.Time).Milliseconds()
		st.DurationMS = &d
	}
	if err := s.store.WriteState(id, st); err != nil {
		// Not recorded (a full disk, say): report the loss all the same and
		// stop the leftovers; the next reader finds the loss again.
		st.Error += "; recording this failed: " + err.Error()
		s.log.Warn("record supervisor loss", "job_id", id, "err", err)
	}
	n := supervisor.StopLeftovers(id, st.PID, st.PIDStart, lostGrace)
	s.log.Warn("supervisor lost", "job_id", id, "stopped", n)
	_ = s.store.AppendEvent(id, jobstore.Event{Event: "supervisor_lost", Run: st.Run,
		Detail: map[string]any{"stopped_processes": n}})
	s.notifyLost(id, st)
	return st, nil
}

// diskFull reports whether the file system holding dir has no space left
// for an unprivileged writer.
func diskFull(dir string) bool {
	var fs unix.Statfs_t
	return unix.Statfs(dir, &fs) == nil && fs.Bavail == 0
}

// view builds the envelope's job object: what a model acts on, and with
// detail the definition and bookkeeping fields too (see [Job]).
func (s *Service) view(m *jobstore.Meta, st *jobstore.State, detail bool) *Job {
	red := output.NewRedactor(secrets(m)...)
	j := &Job{
		JobID: m.ID, Name: m.Name, State: st.State, Reason: st.Reason,
		ExitCode: st.ExitCode, Signal: st.Signal, Error: red.String(st.Error),
		Run: st.Run, DurationMS: st.DurationMS,
	}
	if st.State == jobstore.StateRunning && st.StartedAt != nil {
		d := time.Since(st.StartedAt.Time).Milliseconds()
		j.DurationMS = &d
	}
	if !detail {
		return j
	}
	j.Cwd, j.Tags, j.TTY, j.Interactive = red.String(m.Cwd), m.Tags, m.TTY, m.Interactive
	j.CreatedAt, j.TimeoutS = m.CreatedAt.String(), m.TimeoutS
	j.Command = make([]string, len(m.Command))
	for i, a := range m.Command {
		j.Command[i] = red.String(a)
	}
	for k := range m.Env {
		j.EnvKeys = append(j.EnvKeys, k)
	}
	slices.Sort(j.EnvKeys)
	if st.State == jobstore.StateRunning {
		j.PID = st.PID
	}
	if st.StartedAt != nil {
		j.StartedAt = st.StartedAt.String()
	}
	if st.FinishedAt != nil {
		j.FinishedAt = st.FinishedAt.String()
	}
	if m.Separate() {
		j.StdoutLog = s.store.Path(m.ID, jobstore.StdoutLog)
		j.StderrLog = s.store.Path(m.ID, jobstore.StderrLog)
		j.OutputLog = j.StdoutLog
	} else {
		j.OutputLog = s.store.Path(m.ID, jobstore.OutputLog)
	}
	return j
}

// notifyLost delivers the job.finished of a run whose supervisor was lost
// (the supervisor cannot): in the background, so the call that found the
// loss is not held up by a slow sink; [Service.Close] waits for it. The
// claim in the job's event log keeps two readers that both found the loss
// from both delivering it.
func (s *Service) notifyLost(id string, st *jobstore.State) {
	final := *st
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		supervisor.NotifyFinished(s.store, id, &final)
	}()
}
