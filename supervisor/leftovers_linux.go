package supervisor

import (
	"errors"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// WatchExit returns a channel that is closed when process pid, started at
// start, exits (at once if it already has, or if pid now belongs to another
// process). stop ends the watch; it must be called.
func WatchExit(pid int, start uint64) (exited <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil || !Alive(pid, start) {
		if err == nil {
			unix.Close(fd)
		}
		close(ch)
		return ch, func() {}
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		unix.Close(fd)
		close(ch) // cannot watch: let the caller re-check now
		return ch, func() {}
	}
	go func() {
		defer unix.Close(fd)
		defer unix.Close(p[0])
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(p[0]), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err == nil && fds[1].Revents != 0 {
				return // stopped
			}
			close(ch)
			return
		}
	}()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			unix.Write(p[1], []byte{0})
			unix.Close(p[1])
		})
	}
}

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
