package supervisor

import (
	"errors"
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

// checkInput says, on the loop, whether the job can take input now.
func (sv *super) checkInput() (response, bool) {
	resp := response{Run: sv.run, PID: sv.mainPID}
	switch {
	case sv.input == nil:
		resp.Error = "the job was not started with tty or interactive: its stdin is not open"
	case sv.mainDone:
		resp.Error = "the job's main process has exited"
	default:
		return resp, true
	}
	return resp, false
}

// handleInput applies an input request: resize, write, eof. It runs on a
// goroutine of its own (a write may wait for a job that does not read), one
// request at a time.
func (sv *super) handleInput(req request) response {
	sv.inputMu.Lock()
	defer sv.inputMu.Unlock()
	resp := response{Run: sv.run, PID: sv.mainPID}
	if req.Cols > 0 || req.Rows > 0 {
		if err := sv.input.resize(req.Cols, req.Rows); err != nil {
			resp.Error = "resize: " + err.Error()
			return resp
		}
		if sv.screen != nil {
			sv.screen.resize(req.Cols, req.Rows)
		}
	}
	if len(req.Data) > 0 {
		n, err := sv.input.write(req.Data)
		resp.Written = n
		if err != nil && !errors.Is(err, os.ErrClosed) {
			resp.Error = "write: " + err.Error()
			return resp
		}
		if err != nil {
			resp.Error = "write: stdin was closed (eof)"
			return resp
		}
	}
	if req.EOF {
		if err := sv.input.eof(); err != nil {
			resp.Error = "eof: " + err.Error()
			return resp
		}
	}
	resp.OK = true
	return resp
}

func (sv *super) handleScreen() response {
	if sv.screen == nil {
		return response{Error: "no screen: the job was not started with tty"}
	}
	return response{OK: true, Run: sv.run, PID: sv.mainPID, Screen: sv.screen.current()}
}
