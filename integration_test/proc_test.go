package integration_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// proc is one process, told apart from a later one reusing its pid by its
// start time (pids are reused quickly here: pid_max is 32768).
type proc struct {
	pid   int
	start uint64 // clock ticks since boot, field 22 of /proc/PID/stat
}

func (p proc) String() string { return fmt.Sprintf("pid %d (start %d)", p.pid, p.start) }

type procInfo struct {
	state     byte
	ppid      int
	pgid, sid int
	start     uint64
	comm      string
}

func readProc(pid int) (procInfo, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, err
	}
	return parseStat(b)
}

// parseStat reads the fields the tests use from the text of /proc/PID/stat.
func parseStat(b []byte) (procInfo, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open || end+2 >= len(b) {
		return procInfo{}, fmt.Errorf("malformed stat %q", b)
	}
	f := strings.Fields(string(b[end+2:]))
	if len(f) < 20 {
		return procInfo{}, fmt.Errorf("short stat %q", b)
	}
	var ints [3]int // ppid, pgrp, session: fields 4-6
	for i := range ints {
		n, err := strconv.Atoi(f[1+i])
		if err != nil {
			return procInfo{}, fmt.Errorf("stat field %d: %w", 4+i, err)
		}
		ints[i] = n
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procInfo{}, err
	}
	return procInfo{state: f[0][0], ppid: ints[0], pgid: ints[1], sid: ints[2], start: start, comm: string(b[open+1 : end])}, nil
}

// procOf identifies the live process pid.
func procOf(t *testing.T, pid int) proc {
	t.Helper()
	info, err := readProc(pid)
	if err != nil {
		t.Fatalf("process %d: %v", pid, err)
	}
	return proc{pid: pid, start: info.start}
}

// alive reports whether p still runs: its pid exists, belongs to the same
// process (same start time) and is not a zombie.
func (p proc) alive() bool {
	info, err := readProc(p.pid)
	return err == nil && info.start == p.start && info.state != 'Z' && info.state != 'X'
}

// waitGone waits until p has exited, on a pidfd (readable once every
// thread of the process has terminated), for at most d.
func waitGone(t *testing.T, p proc, d time.Duration) {
	t.Helper()
	fd, err := unix.PidfdOpen(p.pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return
	}
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", p.pid, err)
	}
	defer unix.Close(fd)
	// Opened after the check of the start time, the pidfd is p's (or, if
	// the pid was reused in between, the check below returns). A zombie
	// leader is not enough: the other threads of a multi-threaded process
	// (a Go supervisor) may still be exiting and holding its files.
	if info, err := readProc(p.pid); err != nil || info.start != p.start {
		return
	}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("%s is still alive after %v", p, d)
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll pidfd of %d: %v", p.pid, err)
		}
		if n > 0 {
			return
		}
	}
}

// stopStopped sends SIGSTOP to p and returns once every thread of p is
// stopped, for at most d. A stop is not immediate: the kernel hands it to
// one thread, and a thread busy in the kernel (an fsync on a loaded
// machine) stops only when it leaves it; until then the others may run on
// and answer a request.
//
// No event tells a process other than p's parent that p stopped:
// waitid(WSTOPPED) is for the parent (a supervisor is the server's child,
// not the test's), and a pidfd becomes readable only at exit. So this
// polls the state of p's threads in /proc (T, or t when traced), every
// 5 ms; it is the one poll here, for want of an event.
func stopStopped(t *testing.T, p proc, d time.Duration) {
	t.Helper()
	if err := unix.Kill(p.pid, unix.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP %s: %v", p, err)
	}
	deadline := time.Now().Add(d)
	for {
		stopped, err := allThreadsStopped(p)
		if err != nil {
			t.Fatal(err)
		}
		if stopped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not stopped %v after SIGSTOP", p, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// allThreadsStopped reports whether every thread of p is stopped; an
// error says p is gone (or its pid is another process's now).
func allThreadsStopped(p proc) (bool, error) {
	if info, err := readProc(p.pid); err != nil || info.start != p.start {
		return false, fmt.Errorf("%s is gone", p)
	}
	dir := "/proc/" + strconv.Itoa(p.pid) + "/task"
	tids, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("threads of %s: %w", p, err)
	}
	for _, tid := range tids {
		b, err := os.ReadFile(filepath.Join(dir, tid.Name(), "stat"))
		if errors.Is(err, os.ErrNotExist) {
			continue // a thread that exited
		}
		if err != nil {
			return false, fmt.Errorf("thread %s of %s: %w", tid.Name(), p, err)
		}
		info, err := parseStat(b)
		if err != nil {
			return false, fmt.Errorf("thread %s of %s: %w", tid.Name(), p, err)
		}
		if info.state != 'T' && info.state != 't' {
			return false, nil
		}
	}
	return len(tids) > 0, nil
}

func cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

func allPIDs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// jobEnvID returns the AGENT_EXEC_JOB_ID in pid's environment, or "".
func jobEnvID(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return ""
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("AGENT_EXEC_JOB_ID=")); ok {
			return string(v)
		}
	}
	return ""
}

// jobProcs returns the live processes of job id's workload: those whose
// environment carries AGENT_EXEC_JOB_ID=id (the supervisor puts it in every
// workload's environment, and children inherit it).
func jobProcs(id string) []proc {
	var out []proc
	for _, pid := range allPIDs() {
		if jobEnvID(pid) != id {
			continue
		}
		if info, err := readProc(pid); err == nil && info.state != 'Z' {
			out = append(out, proc{pid: pid, start: info.start})
		}
	}
	return out
}

// supervisorOf finds the supervisor of the job in dir: the process whose
// argv[0] is agent-exec-supervisor and whose argv[2] is dir.
func supervisorOf(dir string) (proc, bool) {
	for _, pid := range allPIDs() {
		argv := cmdline(pid)
		if len(argv) >= 3 && argv[0] == "agent-exec-supervisor" && argv[2] == dir {
			if info, err := readProc(pid); err == nil && info.state != 'Z' {
				return proc{pid: pid, start: info.start}, true
			}
		}
	}
	return proc{}, false
}

// stopLeftovers SIGKILLs every supervisor under root and every workload
// process of the given jobs, until none is left, and returns how many it
// killed.
func stopLeftovers(t *testing.T, root string, ids map[string]bool) int {
	killed := 0
	for round := 0; round < 20; round++ {
		var victims []proc
		for _, pid := range allPIDs() {
			info, err := readProc(pid)
			if err != nil || info.state == 'Z' {
				continue
			}
			argv := cmdline(pid)
			isSupervisor := len(argv) >= 3 && argv[0] == "agent-exec-supervisor" && filepath.Dir(argv[2]) == root
			if isSupervisor || ids[jobEnvID(pid)] {
				victims = append(victims, proc{pid: pid, start: info.start})
			}
		}
		if len(victims) == 0 {
			return killed
		}
		for _, p := range victims {
			if p.alive() {
				_ = unix.Kill(p.pid, unix.SIGKILL)
				killed++
			}
		}
		for _, p := range victims {
			waitGone(t, p, 10*time.Second)
		}
	}
	t.Errorf("cleanup: processes of %s keep appearing", root)
	return killed
}
