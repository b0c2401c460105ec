package supervisor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// Launch's decision for every answer a supervisor can give on the launch
// pipe, read through a real pipe: what was written, and whether the writer
// then closed it (exited) or held it open (hung).
func TestHandshakeVerdict(t *testing.T) {
	old := handshakeTimeout
	handshakeTimeout = 200 * time.Millisecond // the hung row waits this long
	t.Cleanup(func() { handshakeTimeout = old })
	for _, tc := range []struct {
		name    string
		written string
		hang    bool   // the writer keeps the pipe open
		stop    bool   // Launch must stop the supervisor
		launch  bool   // a *LaunchError (the supervisor said why)
		msg     string // in the error; "" for none
	}{
		{"started", `{"ok":true,"pid":42}` + "\n", false, false, false, ""},
		{"started, then more output", `{"ok":true,"pid":42}` + "\nxyz", true, false, false, ""},
		{"refused with a reason", `{"error":"sh: not found"}` + "\n", false, false, true, "sh: not found"},
		{"refused without a reason", `{"ok":false}` + "\n", false, false, true, "no reason"},
		{"exited without a word", "", false, true, false, "exited before it started"},
		{"exited mid-line", `{"ok":tr`, false, true, false, "exited before it started"},
		{"garbage", "panic: oops\n", false, true, false, "decode"},
		{"no answer in time", "", true, true, false, "handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := w.WriteString(tc.written); err != nil {
				t.Fatal(err)
			}
			if tc.hang {
				defer w.Close()
			} else {
				w.Close()
			}
			stop, verdict := handshakeVerdict(readHandshake(r))
			var le *LaunchError
			switch {
			case stop != tc.stop:
				t.Errorf("stop = %v, want %v (verdict %v)", stop, tc.stop, verdict)
			case errors.As(verdict, &le) != tc.launch:
				t.Errorf("verdict %v (%T): a LaunchError is %v, want %v", verdict, verdict, le != nil, tc.launch)
			case tc.msg == "" && verdict != nil:
				t.Errorf("verdict %v, want nil", verdict)
			case tc.msg != "" && (verdict == nil || !strings.Contains(verdict.Error(), tc.msg)):
				t.Errorf("verdict %v, want one that says %q", verdict, tc.msg)
			}
		})
	}
}

// The ways a supervisor refuses to start: before it has a job (bad
// arguments, no job there), each answered on the launch pipe with a reason
// and an exit code.
func TestSuperviseRefuses(t *testing.T) {
	root := t.TempDir()
	empty := filepath.Join(root, jobstore.NewID()) // a job directory without a definition
	if err := os.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no arguments", nil, 2, "want <job-dir> <run>"},
		{"run 0", []string{empty, "0"}, 2, "bad run number"},
		{"run not a number", []string{empty, "x"}, 2, "bad run number"},
		{"no such job directory", []string{filepath.Join(root, jobstore.NewID()), "1"}, 1, "open supervisor log"},
		{"no definition", []string{empty, "1"}, 1, "meta"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, code := supervise(t, tc.args...)
			if hs.OK || !strings.Contains(hs.Error, tc.msg) || code != tc.code {
				t.Errorf("supervise %q: ok=%v error %q, exit %d; want an error with %q, exit %d", tc.args, hs.OK, hs.Error, code, tc.msg, tc.code)
			}
		})
	}
}

// supervise runs a supervisor with args, as Launch would but without its
// decisions, and returns its handshake and exit code.
func supervise(t *testing.T, args ...string) (handshake, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("/proc/self/exe", append([]string{ModeArg}, args...)...)
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	hs, err := readHandshake(r)
	if err != nil {
		t.Errorf("handshake: %v", err)
	}
	_ = cmd.Wait()
	return hs, cmd.ProcessState.ExitCode()
}

// The ways a workload fails to start: Launch returns a *LaunchError that
// says why, and the run is recorded failed, reason launch_error, with the
// same message.
func TestLaunchFailures(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(m *jobstore.Meta)
		msg  string
	}{
		{"program not found", func(m *jobstore.Meta) { m.Command = []string{"agent-exec-no-such-program"} }, "not found"},
		{"not executable", func(m *jobstore.Meta) { m.Command = []string{plain} }, "permission denied"},
		{"a directory", func(m *jobstore.Meta) { m.Command = []string{"/"} }, "is a directory"},
		{"working directory missing", func(m *jobstore.Meta) { m.Cwd = "/nonexistent-agent-exec-cwd" }, "nonexistent-agent-exec-cwd"},
		{"working directory a file", func(m *jobstore.Meta) { m.Cwd = plain }, "not a directory"},
		{"env file missing", func(m *jobstore.Meta) { m.EnvFiles = []string{"/nonexistent-agent-exec.env"} }, "nonexistent-agent-exec.env"},
		{"shell wrapper not found", func(m *jobstore.Meta) {
			m.Shell, m.Wrapper, m.Command = true, []string{"agent-exec-no-such-shell", "-c"}, []string{"true"}
		}, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := jobstore.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			m := &jobstore.Meta{ID: jobstore.NewID(), Command: []string{"/bin/true"}, Cwd: "/", InheritEnv: true,
				KillAfterS: 1, Streams: "merged", Tags: []string{}, CreatedAt: jobstore.Now()}
			tc.edit(m)
			if err := s.Create(m); err != nil {
				t.Fatal(err)
			}
			err = Launch(s, m.ID, 1)
			var le *LaunchError
			if !errors.As(err, &le) || !strings.Contains(le.Msg, tc.msg) {
				t.Fatalf("Launch = %v, want a LaunchError that says %q", err, tc.msg)
			}
			st, err := s.ReadState(m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != jobstore.StateFailed || st.Reason != jobstore.ReasonLaunchError || st.Error != le.Msg {
				t.Errorf("state %s/%s %q, want %s/%s %q", st.State, st.Reason, st.Error, jobstore.StateFailed, jobstore.ReasonLaunchError, le.Msg)
			}
		})
	}
}
