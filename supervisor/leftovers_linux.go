package supervisor

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// StopLeftovers terminates what is left of job id after its supervisor
// died: the workload's process group (when pid, started at start, still
// leads it) and every process whose environment names the job. SIGTERM
// first, SIGKILL to whatever is left after grace. It returns how many
// processes it signalled.
func StopLeftovers(id string, pid int, start uint64, grace time.Duration) int {
	targets := processesOfJob(id)
	if Alive(pid, start) {
		_ = unix.Kill(-pid, unix.SIGTERM)
		targets = append(targets, pid)
	}
	if len(targets) == 0 {
		return 0
	}
	var live []int // pidfds of processes not known to have exited
	for _, t := range targets {
		fd, err := unix.PidfdOpen(t, 0)
		if err != nil {
			continue // already gone
		}
		defer unix.Close(fd)
		_ = unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0)
		live = append(live, fd)
	}
	deadline := time.Now().Add(grace)
	for len(live) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		fds := make([]unix.PollFd, len(live))
		for i, fd := range live {
			fds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
		}
		if _, err := unix.Poll(fds, int(left.Milliseconds())+1); err != nil && !errors.Is(err, unix.EINTR) {
			break
		}
		live = live[:0]
		for _, f := range fds {
			if f.Revents == 0 {
				live = append(live, int(f.Fd))
			}
		}
	}
	for _, fd := range live {
		_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
	// Processes forked while we were at it carry the job id too.
	for _, t := range processesOfJob(id) {
		_ = unix.Kill(t, unix.SIGKILL)
	}
	return len(targets)
}
