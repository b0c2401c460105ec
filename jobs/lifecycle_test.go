package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

func f64(v float64) *float64 { return &v }

func mustRun(t *testing.T, s *Service, req *RunRequest) *Envelope {
	t.Helper()
	env, err := s.Run(t.Context(), req, nil)
	if err != nil {
		t.Fatalf("Run(%v) = %v", req.Command, err)
	}
	return env
}

// detailOf is the detail job object of job id, as observe detail returns it.
func detailOf(t testing.TB, s *Service, id string) *Job {
	t.Helper()
	env, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Detail: true}}, nil)
	if err != nil {
		t.Fatalf("observe %s detail: %v", id, err)
	}
	return env.Job
}

func codeOf(err error) Code {
	var e *Error
	if errors.As(AsError(err), &e) {
		return e.Code
	}
	return ""
}

func TestLifecycleTransitions(t *testing.T) {
	s := newService(t)
	ctx := t.Context()
	created, err := s.Create(ctx, &Definition{Command: Command{"echo one"}, Name: "job-a"})
	if err != nil {
		t.Fatal(err)
	}
	id := created.Job.JobID
	if created.Job.State != jobstore.StateCreated || created.Job.Run != 0 {
		t.Fatalf("Create: job = %+v, want created run 0", created.Job)
	}
	if _, err := s.Kill(ctx, &KillRequest{JobID: id}); codeOf(err) != CodeInvalidState {
		t.Fatalf("Kill(created) = %v, want invalid_state", err)
	}
	started, err := s.Start(ctx, &StartRequest{JobID: "job-a"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if started.Job.State != jobstore.StateExited || started.Job.Run != 1 || started.Output.Text != "one\n" {
		t.Fatalf("Start: job = %+v output %q", started.Job, started.Output.Text)
	}
	if _, err := s.Start(ctx, &StartRequest{JobID: id}, nil); codeOf(err) != CodeInvalidState {
		t.Fatalf("second Start = %v, want invalid_state", err)
	}
	re, err := s.Restart(ctx, &RestartRequest{JobID: id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if re.Job.JobID != id || re.Job.Run != 2 || re.Job.State != jobstore.StateExited {
		t.Fatalf("Restart: job = %+v, want run 2 exited under the same id", re.Job)
	}
	// The restart's window shows only the new run; the log keeps both.
	if re.Output.Text != "one\n" || re.Output.Start != 4 || re.Output.TotalBytes != 8 {
		t.Fatalf("Restart output = %+v, want the second run only", re.Output)
	}
	ob, err := s.Observe(ctx, &StartRequest{JobID: id, Observation: Observation{Offset: new(int64)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ob.Output.Text != "one\none\n" {
		t.Fatalf("Observe from 0 = %q, want both runs", ob.Output.Text)
	}
	del, err := s.Delete(ctx, &DeleteRequest{JobID: id})
	if err != nil || !del.Deleted {
		t.Fatalf("Delete = %+v, %v", del, err)
	}
	if _, err := s.Observe(ctx, &StartRequest{JobID: id}, nil); codeOf(err) != CodeNotFound {
		t.Fatalf("Observe(deleted) = %v, want job_not_found", err)
	}
}

func TestKillRunning(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}}, Observation: Observation{Until: f64(0)}})
	if env.Job.State != jobstore.StateRunning || env.Wait.Reason != WaitNotWaited {
		t.Fatalf("run = %+v %+v", env.Job, env.Wait)
	}
	if _, err := s.Delete(t.Context(), &DeleteRequest{JobID: env.Job.JobID}); codeOf(err) != CodeInvalidState {
		t.Fatalf("Delete(running) = %v, want invalid_state", err)
	}
	k, err := s.Kill(t.Context(), &KillRequest{JobID: env.Job.JobID})
	if err != nil {
		t.Fatal(err)
	}
	if k.Job.State != jobstore.StateKilled || k.Job.Reason != jobstore.ReasonKill || k.Job.Signal != "SIGTERM" || *k.Escalated || *k.AlreadyFinished {
		t.Fatalf("kill = %+v escalated %v already finished %v", k.Job, *k.Escalated, *k.AlreadyFinished)
	}
	// Killing again is a no-op that reports the final state (and, as the
	// output schema requires, the signal asked for).
	k2, err := s.Kill(t.Context(), &KillRequest{JobID: env.Job.JobID, Signal: json.RawMessage(`"KILL"`)})
	if err != nil || k2.Job.State != jobstore.StateKilled || k2.Signal != "SIGKILL" || *k2.Escalated || !*k2.AlreadyFinished {
		t.Fatalf("second kill = %+v, %v; want already_finished", k2, err)
	}
	if k2.Job.Signal != "SIGTERM" {
		t.Fatalf("second kill changed the recorded signal to %s", k2.Job.Signal)
	}
}

func TestKillEscalates(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{
		Definition:  Definition{Command: Command{"trap '' TERM; echo ready; while :; do sleep 1; done"}},
		Observation: Observation{WaitFor: "ready", Until: f64(30)},
	})
	if env.Wait.Reason != WaitMatched {
		t.Fatalf("wait = %+v", env.Wait)
	}
	k, err := s.Kill(t.Context(), &KillRequest{JobID: env.Job.JobID, Grace: f64(0.2)})
	if err != nil {
		t.Fatal(err)
	}
	if k.Job.State != jobstore.StateKilled || k.Job.Signal != "SIGKILL" || !*k.Escalated {
		t.Fatalf("kill = %+v escalated %v, want SIGKILL after the grace", k.Job, *k.Escalated)
	}
}

func TestTimeout(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{
		Definition:  Definition{Command: Command{"sleep 600"}, Timeout: 0.3},
		Observation: Observation{Until: f64(30)},
	})
	j := env.Job
	if j.State != jobstore.StateKilled || j.Reason != jobstore.ReasonTimeout || j.Signal != "SIGTERM" || env.Wait.Reason != WaitExited {
		t.Fatalf("job = %+v wait %+v, want killed by the timeout", j, env.Wait)
	}
}

func TestExitCodesAndSignals(t *testing.T) {
	s := newService(t)
	for _, tc := range []struct {
		cmd    Command
		state  string
		reason string
		code   int
		signal string
	}{
		{Command{"exit 3"}, jobstore.StateExited, jobstore.ReasonExit, 3, ""},
		{Command{"sh", "-c", "exit 7"}, jobstore.StateExited, jobstore.ReasonExit, 7, ""},
		{Command{"kill -KILL $$"}, jobstore.StateKilled, jobstore.ReasonSignal, -1, "SIGKILL"},
		{Command{"kill -40 $$"}, jobstore.StateKilled, jobstore.ReasonSignal, -1, "SIGRTMIN+6"},
	} {
		env := mustRun(t, s, &RunRequest{Definition: Definition{Command: tc.cmd}})
		j := env.Job
		if j.State != tc.state || j.Reason != tc.reason || j.Signal != tc.signal {
			t.Errorf("Run(%q) = %s/%s/%s, want %s/%s/%s", tc.cmd, j.State, j.Reason, j.Signal, tc.state, tc.reason, tc.signal)
		}
		if tc.code >= 0 && (j.ExitCode == nil || *j.ExitCode != tc.code) {
			t.Errorf("Run(%q) exit code = %v, want %d", tc.cmd, j.ExitCode, tc.code)
		}
	}
}

func TestLaunchFailureLeavesNothing(t *testing.T) {
	s := newService(t)
	_, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"/nonexistent/prog", "x"}}}, nil)
	if codeOf(err) != CodeLaunchFailed || !strings.Contains(err.Error(), "/nonexistent/prog") {
		t.Fatalf("Run(missing program) = %v, want launch_failed naming it", err)
	}
	ids, _ := s.store.IDs()
	if len(ids) != 0 {
		t.Fatalf("jobs after a failed run = %v, want none", ids)
	}
}

func TestDefinitionErrorsCreateNothing(t *testing.T) {
	s := newService(t)
	big := strings.Repeat("x", MaxStdinBytes+1)
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		def   Definition
		code  Code
		field string
	}{
		{"no command", Definition{}, CodeInvalidInput, "command"},
		{"blank shell line", Definition{Command: Command{"  "}}, CodeInvalidInput, "command"},
		{"missing cwd", Definition{Command: Command{"true"}, Cwd: "/nonexistent/dir"}, CodeInvalidInput, "cwd"},
		{"cwd is a file", Definition{Command: Command{"true"}, Cwd: file}, CodeInvalidInput, "cwd"},
		{"bad env key", Definition{Command: Command{"true"}, Env: map[string]string{"A=B": "x"}}, CodeInvalidInput, "env"},
		{"negative timeout", Definition{Command: Command{"true"}, Timeout: -1}, CodeInvalidInput, "timeout"},
		{"bad streams", Definition{Command: Command{"true"}, Streams: "both"}, CodeInvalidInput, "streams"},
		{"bad name", Definition{Command: Command{"true"}, Name: "../x"}, CodeInvalidInput, "name"},
		{"bad tag", Definition{Command: Command{"true"}, Tags: []string{"a b"}}, CodeInvalidInput, "tags"},
		{"both stdins", Definition{Command: Command{"cat"}, Stdin: new(string), StdinFile: file}, CodeInvalidInput, "stdin"},
		{"stdin too large", Definition{Command: Command{"cat"}, Stdin: &big}, CodeStdinTooLarge, "stdin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Run(t.Context(), &RunRequest{Definition: tc.def}, nil)
			var e *Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("Run = %v, want %s on %s", err, tc.code, tc.field)
			}
		})
	}
	ids, _ := s.store.IDs()
	if len(ids) != 0 {
		t.Fatalf("jobs after failed calls = %v, want none", ids)
	}
}

func TestNamesAndIfRunning(t *testing.T) {
	s := newService(t)
	first := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}, Name: "srv"}, Observation: Observation{Until: f64(0)}})
	_, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"sleep 600"}, Name: "srv"}}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNameInUse || e.Details["job_id"] != first.Job.JobID {
		t.Fatalf("second run = %v, want name_in_use naming %s", err, first.Job.JobID)
	}
	att := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}, Name: "srv", IfRunning: IfRunningAttach}, Observation: Observation{Until: f64(0)}})
	if att.Job.JobID != first.Job.JobID {
		t.Fatalf("attach returned %s, want %s", att.Job.JobID, first.Job.JobID)
	}
	re := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"echo replaced"}, Name: "srv", IfRunning: IfRunningRestart}})
	if re.Job.JobID == first.Job.JobID || re.Output.Text != "replaced\n" {
		t.Fatalf("if_running restart = %+v, want a new job running the new definition", re.Job)
	}
	old, err := s.Observe(t.Context(), &StartRequest{JobID: first.Job.JobID}, nil)
	if err != nil || old.Job.State != jobstore.StateKilled {
		t.Fatalf("old job = %+v, %v, want killed", old, err)
	}
	// The name now means the newest job.
	byName, err := s.Observe(t.Context(), &StartRequest{JobID: "srv"}, nil)
	if err != nil || byName.Job.JobID != re.Job.JobID {
		t.Fatalf("observe by name = %+v, %v", byName, err)
	}
}

func TestMaskNeverInResponses(t *testing.T) {
	s := newService(t)
	const secret = "hunter2-xyzzy"
	env := mustRun(t, s, &RunRequest{Definition: Definition{
		Command: Command{"echo token=$TOKEN; echo " + secret}, Env: map[string]string{"TOKEN": secret}, Mask: []string{"TOKEN"},
	}, Observation: Observation{WaitFor: "token"}})
	list, err := s.List(t.Context(), &ListRequest{All: true})
	if err != nil {
		t.Fatal(err)
	}
	detail := detailOf(t, s, env.Job.JobID)
	for _, v := range []any{env, list, detail} {
		b, _ := json.Marshal(v)
		if strings.Contains(string(b), secret) {
			t.Fatalf("response contains the masked value: %s", b)
		}
	}
	if !strings.Contains(env.Output.Text, "token=***") {
		t.Fatalf("output = %q, want the value redacted", env.Output.Text)
	}
	raw, err := os.ReadFile(detail.OutputLog)
	if err != nil || !strings.Contains(string(raw), secret) {
		t.Fatalf("log = %q, %v: the log keeps the real bytes", raw, err)
	}
}

func TestWaitReasons(t *testing.T) {
	s := newService(t)
	m := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"printf 'a\\nPassword: '; sleep 600"}},
		Observation: Observation{WaitFor: `^Password: $`}})
	if m.Wait.Reason != WaitMatched || m.Wait.Matched == nil || m.Wait.Matched.Offset != 2 || m.Wait.Matched.Line != "Password: " {
		t.Fatalf("prompt wait = %+v %+v", m.Wait, m.Wait.Matched)
	}
	idle := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"echo hi; sleep 600"}},
		Observation: Observation{IdleMS: 200}})
	if idle.Wait.Reason != WaitIdle || idle.Output.Text != "hi\n" {
		t.Fatalf("idle wait = %+v, %q", idle.Wait, idle.Output.Text)
	}
	dl := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}}, Observation: Observation{Until: f64(0.2)}})
	if dl.Wait.Reason != WaitDeadline || dl.Job.State != jobstore.StateRunning {
		t.Fatalf("deadline wait = %+v, job %s", dl.Wait, dl.Job.State)
	}
	// A cancelled caller stops waiting and leaves the job alone.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c, err := s.Observe(ctx, &StartRequest{JobID: dl.Job.JobID, Observation: Observation{Until: f64(30)}}, nil)
	if err != nil || c.Job.State != jobstore.StateRunning {
		t.Fatalf("cancelled observe = %+v, %v", c, err)
	}
	for _, id := range []string{m.Job.JobID, idle.Job.JobID, dl.Job.JobID} {
		if _, err := s.Kill(t.Context(), &KillRequest{JobID: id, Signal: json.RawMessage(`9`)}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{`"TERM"`, 15, true}, {`"SIGKILL"`, 9, true}, {`"int"`, 2, true}, {`"15"`, 15, true}, {`1`, 1, true},
		{`"RTMIN+6"`, 40, true}, {`"SIGRTMAX"`, 64, true}, {`40`, 40, true},
		{`"BOGUS"`, 0, false}, {`"RTMIN+40"`, 0, false}, {`0`, 0, false}, {`65`, 0, false}, {`true`, 0, false},
	} {
		sig, err := parseSignal(json.RawMessage(tc.in))
		if (err == nil) != tc.ok || (tc.ok && int(sig) != tc.want) {
			t.Errorf("parseSignal(%s) = %d, %v; want %d ok=%v", tc.in, sig, err, tc.want, tc.ok)
		}
	}
}

func TestMaxRunning(t *testing.T) {
	s := newService(t)
	s.opt.MaxRunning = 1
	first := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}}, Observation: Observation{Until: f64(0)}})
	_, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"sleep 600"}}, Observation: Observation{Until: f64(0)}}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidState || e.Details["max_running"] != 1 {
		t.Fatalf("second run = %v, want invalid_state naming the cap", err)
	}
	if ids, _ := s.store.IDs(); len(ids) != 1 {
		t.Fatalf("jobs after a refused run = %v, want only the first", ids)
	}
	// A finished job does not count; a restart of the running one is allowed.
	if _, err := s.Restart(t.Context(), &RestartRequest{JobID: first.Job.JobID, Observation: Observation{Until: f64(0)}}, nil); err != nil {
		t.Fatalf("restart at the cap = %v", err)
	}
	if _, err := s.Kill(t.Context(), &KillRequest{JobID: first.Job.JobID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}}, nil); err != nil {
		t.Fatalf("run after the running job ended = %v", err)
	}
}

// TestMaxRunningReadsRunningJobsOnly: the cap counts the jobs of live
// supervisors, not every job: a launch under it leaves alone a job whose
// state says running but whose supervisor is gone (a read of that job, by
// list or observe, repairs it), and does not count it.
func TestMaxRunningReadsRunningJobsOnly(t *testing.T) {
	s := newService(t)
	s.opt.MaxRunning = 1
	s.gc.Auto = false // a collection reads every job, and repairs as it goes
	// Made in the store directly: no wait of this service watches it.
	lost := jobstore.NewID()
	if err := s.store.Create(&jobstore.Meta{ID: lost, Command: []string{"true"}, Cwd: "/", CreatedAt: jobstore.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.store.WriteState(lost, &jobstore.State{State: jobstore.StateRunning, Run: 1}); err != nil {
		t.Fatal(err)
	}
	mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"true"}}})
	if st, err := s.store.ReadState(lost); err != nil || st.State != jobstore.StateRunning {
		t.Errorf("state of the lost job after a capped launch = %+v, %v; want it untouched (running)", st, err)
	}
}

func TestLogLimit(t *testing.T) {
	s := newService(t)
	const limit = 1 << 20
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"yes"}, LogLimit: limit}, Observation: Observation{Until: f64(30)}})
	j := env.Job
	if j.State != jobstore.StateKilled || j.Reason != jobstore.ReasonLogLimit || j.Signal != "SIGKILL" {
		t.Fatalf("job = %s/%s/%s, want killed by the log limit", j.State, j.Reason, j.Signal)
	}
	fi, err := os.Stat(detailOf(t, s, j.JobID).OutputLog)
	if err != nil || fi.Size() != limit {
		t.Fatalf("output.log = %v, %v; want cut back to %d bytes", fi, err, limit)
	}
	if env.Output.TotalBytes != limit {
		t.Fatalf("window total = %d, want %d", env.Output.TotalBytes, limit)
	}
	if _, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}, LogLimit: -1}}, nil); codeOf(err) != CodeInvalidInput {
		t.Fatalf("log_limit -1 = %v, want invalid_input", err)
	}
}

// TestKillStoppedSupervisor (issue 8 F3): a kill whose supervisor is
// stopped answers supervisor_unresponsive at the send's deadline, saying the
// kill is queued; once the supervisor resumes, the kill happens.
func TestKillStoppedSupervisor(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}}, Observation: Observation{Until: f64(0)}})
	id := env.Job.JobID
	st, err := s.store.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = unix.Kill(st.SupervisorPID, unix.SIGCONT)
		}
	}
	t.Cleanup(resume)
	stopChild(t, st.SupervisorPID)
	began := time.Now()
	_, err = s.Kill(t.Context(), &KillRequest{JobID: id, Grace: f64(1)})
	took := time.Since(began)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnresponsive || e.Details["queued"] != true || e.Details["supervisor_stopped"] != true || !e.Retryable {
		t.Fatalf("kill of a stopped supervisor's job = %v (%+v), want supervisor_unresponsive, queued", err, e)
	}
	// The answer comes at the send's deadline; how long after it depends on
	// the machine's load, so only a hang is caught here.
	if took < sendTimeout || took > sendTimeout+time.Minute {
		t.Errorf("the answer took %v, want the send's %v and not forever", took, sendTimeout)
	}
	resume()
	ob, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Until: f64(50)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ob.Job.State != jobstore.StateKilled || ob.Job.Reason != jobstore.ReasonKill {
		t.Fatalf("after SIGCONT: job %s/%s, want killed by the queued kill", ob.Job.State, ob.Job.Reason)
	}
}

// stopChild sends SIGSTOP to pid, a child of this process (the supervisors
// of this package's tests are), and returns once it is stopped. A stop is
// not immediate: the kernel hands it to one of the process's threads, and
// while that thread is busy in the kernel (an fsync on a loaded machine)
// the others run on, and may answer a request.
func stopChild(t *testing.T, pid int) {
	t.Helper()
	if err := unix.Kill(pid, unix.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() {
		for {
			var info unix.Siginfo
			err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED|unix.WNOWAIT, nil)
			if !errors.Is(err, unix.EINTR) {
				stopped <- err
				return
			}
		}
	}()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("wait for %d to stop: %v", pid, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("process %d is not stopped 60 s after SIGSTOP", pid)
	}
}

// TestTrappedKillExits (issue 8 item 13): a job that catches the kill's
// signal and exits by itself is recorded as exited with its code, the
// reason naming what asked it to end, and no signal.
func TestTrappedKillExits(t *testing.T) {
	s := newService(t)
	const script = "trap 'exit 3' TERM; echo ready; while :; do sleep 0.1; done"
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{script}}, Observation: Observation{WaitFor: "ready", Until: f64(30)}})
	k, err := s.Kill(t.Context(), &KillRequest{JobID: env.Job.JobID, Grace: f64(20)})
	if err != nil {
		t.Fatal(err)
	}
	j := k.Job
	if j.State != jobstore.StateExited || j.Reason != jobstore.ReasonKill || j.ExitCode == nil || *j.ExitCode != 3 || j.Signal != "" || *k.Escalated {
		t.Fatalf("kill of a job that traps it = %s/%s exit %v signal %q escalated %v; want exited/kill, exit 3, no signal",
			j.State, j.Reason, j.ExitCode, j.Signal, *k.Escalated)
	}
	env = mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{script}, Timeout: 0.5, KillAfter: f64(20)}, Observation: Observation{Until: f64(30)}})
	if j := env.Job; j.State != jobstore.StateExited || j.Reason != jobstore.ReasonTimeout || j.ExitCode == nil || *j.ExitCode != 3 || j.Signal != "" {
		t.Fatalf("timeout of a job that traps it = %s/%s exit %v signal %q; want exited/timeout, exit 3", j.State, j.Reason, j.ExitCode, j.Signal)
	}
}

// TestCancelledWait (issue 8 item 13): a wait its caller gives up says
// cancelled, not deadline.
func TestCancelledWait(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 600"}}, Observation: Observation{Until: f64(0)}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The first progress report shows the wait is on: give up then.
	ob, err := s.Observe(ctx, &StartRequest{JobID: env.Job.JobID, Observation: Observation{Until: f64(40)}},
		func(time.Duration, string) { cancel() })
	if err != nil {
		t.Fatal(err)
	}
	if ob.Wait.Reason != WaitCancelled || ob.Job.State != jobstore.StateRunning {
		t.Fatalf("cancelled wait = %+v, job %s; want reason cancelled, job still running", ob.Wait, ob.Job.State)
	}
}

// TestNameIndexBuiltFromOldRoot: a root whose named jobs predate the name
// index (a created job holds "svc") still refuses a second "svc"; once the
// holder is deleted, the name is free.
func TestNameIndexBuiltFromOldRoot(t *testing.T) {
	s := newService(t)
	old := &jobstore.Meta{ID: jobstore.NewID(), Name: "svc", Command: []string{"true"}, Shell: true, Cwd: "/",
		Streams: jobstore.StreamsMerged, Tags: []string{}, CreatedAt: jobstore.Now()}
	if err := s.store.Create(old); err != nil { // as an older version did: no index
		t.Fatal(err)
	}
	_, err := s.Create(t.Context(), &Definition{Command: Command{"true"}, Name: "svc"})
	if codeOf(err) != CodeNameInUse {
		t.Fatalf("Create of a name an old created job holds = %v, want name_in_use", err)
	}
	if e := AsError(err); e.Details["job_id"] != old.ID {
		t.Errorf("name_in_use names %v, want %s", e.Details["job_id"], old.ID)
	}
	if _, err := s.Delete(t.Context(), &DeleteRequest{JobID: old.ID}); err != nil {
		t.Fatal(err)
	}
	env, err := s.Create(t.Context(), &Definition{Command: Command{"true"}, Name: "svc"})
	if err != nil {
		t.Fatalf("Create once the holder is gone = %v", err)
	}
	if _, err := s.Create(t.Context(), &Definition{Command: Command{"true"}, Name: "svc"}); codeOf(err) != CodeNameInUse {
		t.Errorf("second Create while %s is created = %v, want name_in_use", env.Job.JobID, err)
	}
}

// TestLeanJobAndDetail: operation results carry the lean job object;
// observe with detail adds the definition and bookkeeping; detail is
// observe's only, and a run that asks for it creates nothing.
func TestLeanJobAndDetail(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"echo hi"}, Tags: []string{"t"}}})
	j := env.Job
	if j.State != jobstore.StateExited || j.ExitCode == nil || j.Run != 1 || j.DurationMS == nil {
		t.Fatalf("run job = %+v, want exited with exit_code, run and duration", j)
	}
	if j.Command != nil || j.Cwd != "" || j.Tags != nil || j.CreatedAt != "" || j.OutputLog != "" {
		t.Errorf("run job = %+v, want no detail fields", j)
	}
	d := detailOf(t, s, j.JobID)
	if len(d.Command) != 1 || d.Cwd == "" || !slices.Equal(d.Tags, []string{"t"}) || d.CreatedAt == "" || d.FinishedAt == "" || d.OutputLog == "" {
		t.Errorf("observe detail job = %+v, want the definition and bookkeeping", d)
	}
	_, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}, Observation: Observation{Detail: true}}, nil)
	if e := AsError(err); e == nil || e.Code != CodeInvalidInput || e.Field != "detail" {
		t.Fatalf("run with detail = %v, want invalid_input on detail", err)
	}
	list, err := s.List(t.Context(), &ListRequest{All: true})
	if err != nil || len(list.Jobs) != 1 {
		t.Fatalf("list after a refused run = %d jobs, %v; want the first job only", len(list.Jobs), err)
	}
}

// TestEndRecordHoldsEveryEnd: a run's end is in its end record, synced
// before state.json is replaced (which is synced only after waiters can see
// it); a state.json that a machine crash tore in between reads as that end.
func TestEndRecordHoldsEveryEnd(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"exit 3"}}})
	id := env.Job.JobID
	if j := env.Job; j.State != jobstore.StateExited || j.ExitCode == nil || *j.ExitCode != 3 {
		t.Fatalf("run = %+v, want exited 3", j)
	}
	end, ok := supervisor.ReadEndRecord(s.store.Dir(id), 1)
	if !ok || end.State != jobstore.StateExited || end.ExitCode == nil || *end.ExitCode != 3 {
		t.Fatalf("end record = %+v, %v; want exited 3", end, ok)
	}
	if err := os.WriteFile(s.store.Path(id, jobstore.StateFile), []byte(`{"state":"exi`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.Observe(t.Context(), &StartRequest{JobID: id}, nil)
	if err != nil {
		t.Fatalf("observe with a torn state.json: %v", err)
	}
	if j := got.Job; j.State != jobstore.StateExited || j.ExitCode == nil || *j.ExitCode != 3 {
		t.Errorf("observe with a torn state.json = %+v, want exited 3 from the end record", j)
	}
}

// TestSupervisorRunsOnOneP: a supervisor starts with GOMAXPROCS=1 in its
// environment, and its workload sees the launcher's GOMAXPROCS, or none.
func TestSupervisorRunsOnOneP(t *testing.T) {
	s := newService(t)
	for _, launcher := range []string{"", "3"} {
		if launcher == "" {
			t.Setenv("GOMAXPROCS", "")
			os.Unsetenv("GOMAXPROCS")
		} else {
			t.Setenv("GOMAXPROCS", launcher)
		}
		env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{`echo "[${GOMAXPROCS-unset}]"; read x`},
			Interactive: true}, Observation: Observation{Until: f64(0)}})
		_, st, err := s.read(env.Job.JobID)
		if err != nil {
			t.Fatal(err)
		}
		environ, err := os.ReadFile("/proc/" + strconv.Itoa(st.SupervisorPID) + "/environ")
		if err != nil || !slices.Contains(strings.Split(string(environ), "\x00"), "GOMAXPROCS=1") {
			t.Errorf("supervisor environment (%v) has no GOMAXPROCS=1", err)
		}
		if _, err := s.Input(t.Context(), &InputRequest{JobID: env.Job.JobID, EOF: true}, nil); err != nil {
			t.Fatal(err)
		}
		env, err = s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Until: f64(30)}}, nil)
		want := "[" + launcher + "]\n"
		if launcher == "" {
			want = "[unset]\n"
		}
		if err != nil || env.Output.Text != want {
			t.Errorf("launcher GOMAXPROCS %q: workload printed %q, %v; want %q", launcher, env.Output.Text, err, want)
		}
	}
}
