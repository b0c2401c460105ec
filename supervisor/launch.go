package supervisor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// JobEnvVar is set in every workload's environment to its job id.
const JobEnvVar = "AGENT_EXEC_JOB_ID"

// ModeArg is the hidden first argument that puts the binary in supervise mode.
const ModeArg = "supervise"

// supervisorArgv0 is a supervisor's argv[0], how ps and [SupervisedJobDirs]
// tell it.
const supervisorArgv0 = "agent-exec-supervisor"

// handshakeTimeout bounds the wait for a supervisor's first word. It is long
// because a supervisor may first wait for its predecessor to let go of the
// supervisor lock. A variable for tests.
var handshakeTimeout = 30 * time.Second

// LaunchError is the workload could not be started; Msg says why (e.g. the
// program was not found). The job's state records it too.
type LaunchError struct{ Msg string }

func (e *LaunchError) Error() string { return "launch failed: " + e.Msg }

// handshake is the one line a supervisor writes on the launch pipe.
type handshake struct {
	OK    bool   `json:"ok"`
	PID   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// Launch starts a detached supervisor for run number run of job id (the
// program [Program] chooses: a sibling agent-exec-supervisor of the same
// build, or the running binary) and
// returns once the workload has been exec'd (nil) or could not be
// (*LaunchError). The caller holds the job's operation lock.
func Launch(s *jobstore.Store, id string, run int) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("launch %s: handshake pipe: %w", id, err)
	}
	defer r.Close()
	prog, _ := Program()
	cmd := exec.Command(prog, ModeArg, s.Dir(id), strconv.Itoa(run))
	cmd.Args[0] = supervisorArgv0
	cmd.Env = supervisorEnv(os.Environ())
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the supervisor
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// Stdin, Stdout and Stderr stay nil: /dev/null. The supervisor must never
	// hold the MCP client's pipes.
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("launch %s: start supervisor: %w", id, err)
	}
	exited := make(chan struct{})
	go func() { // reap it when it ends while we still live
		_ = cmd.Wait()
		close(exited)
	}()
	stop, err := handshakeVerdict(readHandshake(r))
	if stop {
		// The caller will say the launch failed: nothing of it may run on.
		stopLaunched(cmd.Process.Pid, exited)
		return fmt.Errorf("launch %s: %w", id, err)
	}
	return err
}

// handshakeVerdict is Launch's decision on a supervisor's answer (hs, or
// err when none could be read): nil once the workload runs; *LaunchError
// when the supervisor said why it could not start it (it has recorded the
// failure and exits by itself); another error, with stop set, when no
// usable answer came (it exited early, did not answer in time, or wrote
// something else), and that supervisor must be stopped lest it start the
// job later.
func handshakeVerdict(hs handshake, err error) (stop bool, verdict error) {
	switch {
	case err != nil:
		return true, err
	case hs.OK:
		return false, nil
	case hs.Error == "":
		return false, &LaunchError{Msg: "the supervisor gave no reason (see supervisor.log)"}
	}
	return false, &LaunchError{Msg: hs.Error}
}

// stopLaunched ends a supervisor whose launch failed, and everything it
// started: it is stopped first so that it can start nothing more, its
// descendants (the workload, if it got that far) are killed, then it is.
// It returns once the supervisor has exited, or after a bound.
func stopLaunched(pid int, exited <-chan struct{}) {
	select {
	case <-exited:
		return // it ended by itself; its workload, if any, ended with it or is its leftovers
	default:
	}
	_ = unix.Kill(pid, unix.SIGSTOP)
	for range 5 {
		kids := descendants(pid)
		if len(kids) == 0 {
			break
		}
		for _, k := range kids {
			_ = unix.Kill(k, unix.SIGKILL)
		}
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
	}
}

func readHandshake(r *os.File) (handshake, error) {
	var hs handshake
	if err := r.SetReadDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return hs, fmt.Errorf("handshake: %w", err)
	}
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return hs, errors.New("supervisor exited before it started the job (see supervisor.log)")
		}
		return hs, fmt.Errorf("handshake: %w", err)
	}
	if err := json.Unmarshal(line, &hs); err != nil {
		return hs, fmt.Errorf("handshake: decode %q: %w", line, err)
	}
	return hs, nil
}

// supervisorEnv is the environment handed to a supervisor: the launcher's,
// which the workload inherits when the job asks for it, with GOMAXPROCS=1
// (the Go runtime reads it before any code runs: a supervisor started with
// one P makes fewer threads and heap caches than one that lowers it in
// main) and the launcher's own GOMAXPROCS, if any, kept aside in
// launcherGOMAXPROCS for [restoreEnv] to put back.
func supervisorEnv(env []string) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, JobEnvVar+"="), strings.HasPrefix(kv, launcherGOMAXPROCS+"="):
		case strings.HasPrefix(kv, "GOMAXPROCS="):
			out = append(out, launcherGOMAXPROCS+kv[len("GOMAXPROCS"):])
		default:
			out = append(out, kv)
		}
	}
	return append(out, "GOMAXPROCS=1")
}

// launcherGOMAXPROCS carries the launcher's GOMAXPROCS to the supervisor.
const launcherGOMAXPROCS = "AGENT_EXEC_LAUNCHER_GOMAXPROCS"

// restoreEnv gives the supervisor's environment back the launcher's
// GOMAXPROCS (or none), so that the workload and the notification commands
// inherit the launcher's environment, not the supervisor's setting.
func restoreEnv() {
	v, set := os.LookupEnv(launcherGOMAXPROCS)
	os.Unsetenv(launcherGOMAXPROCS)
	os.Unsetenv("GOMAXPROCS")
	if set {
		os.Setenv("GOMAXPROCS", v)
	}
}
