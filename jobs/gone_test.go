package jobs

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// holdLockAtFirstProbeAfterExit makes the first probe of job id's
// supervisor lock after supervisor (pid, start) exited find the lock held
// by another process for a moment (as a reader waiting for the
// supervisor's exit holds it): the probe says alive, and the lock is let go
// of right after. It reports, on the channel returned, when that happened.
func holdLockAtFirstProbeAfterExit(t *testing.T, s *Service, id string, pid int, start uint64) <-chan struct{} {
	t.Helper()
	held := make(chan struct{})
	var once sync.Once
	hook := func(probed string) func() {
		if probed != id || supervisor.Alive(pid, start) {
			return func() {}
		}
		var l *jobstore.Lock
		once.Do(func() {
			var err error
			if l, err = s.store.LockSupervisor(id); err != nil {
				t.Errorf("lock the supervisor lock: %v", err)
			}
		})
		return func() {
			if l != nil {
				l.Unlock()
				close(held)
			}
		}
	}
	probeHook.Store(&hook)
	t.Cleanup(func() { probeHook.Store(nil) })
	return held
}

// killSupervisor kills job id's supervisor and returns once it has exited.
func killSupervisor(t *testing.T, st *jobstore.State) {
	t.Helper()
	pidfd, err := unix.PidfdOpen(st.SupervisorPID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	if err := syscall.Kill(st.SupervisorPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 30_000); err != nil || n != 1 {
		t.Fatalf("the killed supervisor did not exit in 30 s: %v", err)
	}
}

// A wait whose reconcile, right after the supervisor exited, found the
// supervisor lock held by someone else (so the supervisor seemingly alive)
// still ends when the lock is let go of: the loss is recorded.
func TestWaitEndsWhenLockHeldAtSupervisorExit(t *testing.T) {
	s := followService(t)
	dir := t.TempDir()
	gate(t, dir) // never opened: the job blocks until stopped
	id := runNoWait(t, s, Definition{Command: Command{"read x < fifo"}, Cwd: dir})
	st, err := s.store.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	held := holdLockAtFirstProbeAfterExit(t, s, id, st.SupervisorPID, st.SupervisorStart)
	type result struct {
		env *Envelope
		err error
	}
	done := make(chan result, 1)
	until := 30.0
	// Progress is reported once the wait watches the job and its
	// supervisor: the supervisor is killed only then.
	waiting := make(chan struct{})
	var once sync.Once
	progress := func(time.Duration, string) { once.Do(func() { close(waiting) }) }
	go func() {
		env, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Until: &until}}, progress)
		done <- result{env, err}
	}()
	select {
	case <-waiting:
	case r := <-done:
		t.Fatalf("the wait ended before the supervisor died: %+v, %v", r.env, r.err)
	}
	killSupervisor(t, st)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.env.Job.State != jobstore.StateFailed || r.env.Job.Reason != jobstore.ReasonSupervisorLost ||
		r.env.Wait == nil || r.env.Wait.Reason == WaitDeadline {
		t.Fatalf("after the supervisor died: job %+v, wait %+v", r.env.Job, r.env.Wait)
	}
	select {
	case <-held:
	default:
		t.Error("no probe found the lock held: the case was not exercised")
	}
}

// The same for Follow.
func TestFollowEndsWhenLockHeldAtSupervisorExit(t *testing.T) {
	s := followService(t)
	dir := t.TempDir()
	gate(t, dir)
	id := runNoWait(t, s, Definition{Command: Command{"echo a; read x < fifo"}, Cwd: dir})
	st, err := s.store.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	held := holdLockAtFirstProbeAfterExit(t, s, id, st.SupervisorPID, st.SupervisorStart)
	out := newNotifyBuffer()
	done := followAsync(t.Context(), s, id, out)
	out.waitFor(t, "a\n")
	killSupervisor(t, st)
	env := awaitFollow(t, done)
	if env.Job.State != jobstore.StateFailed || env.Job.Reason != jobstore.ReasonSupervisorLost {
		t.Fatalf("after the supervisor died: job %+v", env.Job)
	}
	select {
	case <-held:
	default:
		t.Error("no probe found the lock held: the case was not exercised")
	}
}
