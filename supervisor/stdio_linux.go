package supervisor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// terminalDrain bounds the wait for a terminal's last output once every
// process of the job is gone (EIO normally comes at once).
const terminalDrain = 5 * time.Second

// connectStdio wires the workload's standard streams: the log files
// themselves (the kernel writes the bytes), or a pseudo-terminal whose
// output the supervisor copies into output.log; stdin from stdin.bin, a pipe
// the supervisor keeps open (interactive), the terminal, or /dev/null.
func (sv *super) connectStdio(cmd *exec.Cmd, logs []*os.File) error {
	m := sv.meta
	if m.TTY {
		master, slave, err := attachTerminal(cmd, m.Cols, m.Rows)
		if err != nil {
			return err
		}
		cmd.Env = setEnv(cmd.Env, "TERM", "xterm-256color", sv.givenEnv())
		// The copier needs its own handle: the caller closes logs after start.
		out, err := os.OpenFile(filepath.Join(sv.dir, jobstore.OutputLog), os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0)
		if err != nil {
			master.Close()
			slave.Close()
			return fmt.Errorf("open output.log: %w", err)
		}
		sv.input, sv.childEnd, sv.termLog = &inputPort{f: master, tty: true}, slave, out
		return nil
	}
	cmd.Stdout = logs[0]
	cmd.Stderr = logs[len(logs)-1]
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	switch {
	case m.Interactive:
		w, r, err := attachPipe(cmd)
		if err != nil {
			return err
		}
		sv.input, sv.childEnd = &inputPort{f: w}, r
	case m.Stdin:
		in, err := os.OpenFile(filepath.Join(sv.dir, jobstore.StdinFile), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return fmt.Errorf("open stdin: %w", err)
		}
		cmd.Stdin = in
		sv.childEnd = in
	}
	return nil
}

// givenEnv returns the variables the job sets itself: its env files' and
// its env's.
func (sv *super) givenEnv() map[string]string {
	if len(sv.fileEnv) == 0 {
		return sv.meta.Env
	}
	given := make(map[string]string, len(sv.meta.Env)+len(sv.fileEnv))
	for _, v := range sv.fileEnv {
		given[v.Key] = v.Value
	}
	for k, v := range sv.meta.Env {
		given[k] = v
	}
	return given
}

// setEnv sets key in env unless the job's own env (or env files) gives it.
func setEnv(env []string, key, value string, given map[string]string) []string {
	if _, ok := given[key]; ok {
		return env
	}
	for i, kv := range env {
		if len(kv) > len(key) && kv[:len(key)] == key && kv[len(key)] == '=' {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

// startInput runs once the workload has started: the supervisor drops its
// copy of the child's end and, for a tty job, starts copying the output.
func (sv *super) startInput(logStart int64) {
	if sv.childEnd != nil {
		sv.childEnd.Close()
		sv.childEnd = nil
	}
	if sv.meta.TTY {
		sv.termDone = make(chan struct{})
		sv.screen = newScreenFeeder(filepath.Join(sv.dir, jobstore.OutputLog), logStart, sv.meta.Cols, sv.meta.Rows)
		go copyTerminal(sv.input.f, sv.termLog, sv.termDone)
	}
}

// closeInput releases the interactive plumbing after a failed start.
func (sv *super) closeInput() {
	for _, f := range []*os.File{sv.childEnd, sv.termLog} {
		if f != nil {
			f.Close()
		}
	}
	if sv.input != nil {
		sv.input.f.Close()
	}
}

// drainTerminal waits for the terminal's last bytes to reach output.log,
// then closes the master and the log.
func (sv *super) drainTerminal() {
	if sv.termDone == nil {
		return
	}
	select {
	case <-sv.termDone:
	case <-time.After(terminalDrain):
		sv.log.Warn("terminal output did not end; closing it")
	}
	sv.input.f.Close()
	<-sv.termDone
	if err := sv.termLog.Close(); err != nil {
		sv.log.Error("close output.log", "err", err)
	}
}
