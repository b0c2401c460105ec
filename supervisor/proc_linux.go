package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procStat holds the fields of /proc/PID/stat agent-exec uses.
type procStat struct {
	PPID  int
	PGID  int
	Start uint64 // start time, clock ticks since boot
	State byte
}

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) may hold spaces and ')': cut after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+2:]))
	// f[0] is field 3 (state); starttime is field 22 → f[19].
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	var st procStat
	st.State = f[0][0]
	if st.PPID, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat ppid: %w", pid, err)
	}
	if st.PGID, err = strconv.Atoi(f[2]); err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat pgid: %w", pid, err)
	}
	if st.Start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat starttime: %w", pid, err)
	}
	return st, nil
}

// StartTime returns the start time of process pid (clock ticks since boot),
// the value that tells a process from a later one that reuses its pid.
func StartTime(pid int) (uint64, error) {
	st, err := readProcStat(pid)
	if err != nil {
		return 0, fmt.Errorf("start time of %d: %w", pid, err)
	}
	return st.Start, nil
}

// Alive reports whether the process pid that started at start still runs
// (a zombie counts as gone).
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readProcStat(pid)
	return err == nil && st.Start == start && st.State != 'Z' && st.State != 'X'
}

// Stopped reports whether process pid, started at start, is stopped by a
// signal (SIGSTOP, SIGTSTP) or a tracer.
func Stopped(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readProcStat(pid)
	return err == nil && st.Start == start && (st.State == 'T' || st.State == 't')
}

// allPIDs lists the numeric entries of /proc.
func allPIDs() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// descendants returns every live process below root in the process tree,
// read from the children lists of /proc/PID/task/TID/children (no scan of
// the whole of /proc), falling back to a scan where those lists are missing.
func descendants(root int) []int {
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		kids, err := childrenOf(p)
		if err != nil {
			return descendantsByScan(root)
		}
		out = append(out, kids...)
		queue = append(queue, kids...)
	}
	return out
}

// childrenOf lists the children of every thread of pid. A process that is
// gone has none.
func childrenOf(pid int) ([]int, error) {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var kids []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && pid == os.Getpid() {
				return nil, err // the kernel has no children lists
			}
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(f); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids, nil
}

func descendantsByScan(root int) []int {
	pids, err := allPIDs()
	if err != nil {
		return nil
	}
	children := make(map[int][]int)
	for _, pid := range pids {
		if st, err := readProcStat(pid); err == nil && st.State != 'Z' {
			children[st.PPID] = append(children[st.PPID], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// processesOfJob finds the processes whose environment carries
// AGENT_EXEC_JOB_ID=id: what is left of a job whose supervisor is gone.
func processesOfJob(id string) []int {
	pids, err := allPIDs()
	if err != nil {
		return nil
	}
	want := []byte(JobEnvVar + "=" + id + "\x00")
	self := os.Getpid()
	var out []int
	for _, pid := range pids {
		if pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			continue // gone, or not ours to read
		}
		if bytes.HasPrefix(env, want) || bytes.Contains(env, append([]byte{0}, want...)) {
			out = append(out, pid)
		}
	}
	return out
}

// Descendants returns the live processes of the job whose supervisor is
// process pid, started at start: every process below the supervisor (as
// the subreaper, it inherits the job's orphans too). It is empty when that
// supervisor is gone.
func Descendants(pid int, start uint64) []int {
	if pid <= 0 || !Alive(pid, start) {
		return nil
	}
	return descendants(pid)
}

// SupervisedJobDirs returns the job directories of the live supervisors
// this process can see in /proc (its own user's, at least), read from
// their command lines: a count of running jobs that costs the processes of
// the machine, not the jobs of a root. A directory may appear twice (a
// restart's old supervisor still exiting).
func SupervisedJobDirs() []string {
	pids, err := allPIDs()
	if err != nil {
		return nil
	}
	prefix := []byte(supervisorArgv0 + "\x00" + ModeArg + "\x00")
	var out []string
	for _, pid := range pids {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || !bytes.HasPrefix(cmdline, prefix) {
			continue
		}
		dir, _, _ := bytes.Cut(cmdline[len(prefix):], []byte{0})
		out = append(out, string(dir))
	}
	return out
}
