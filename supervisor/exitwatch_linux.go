package supervisor

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// WatchExit returns a channel that is closed when process pid, started at
// start, exits (at once if it already has, or if pid now belongs to another
// process). stop ends the watch; it must be called.
//
// The watch holds a non-blocking pidfd parked on the Go netpoller: a
// waiting watch costs a goroutine, never an OS thread, so any number of
// them share the runtime's few threads.
func WatchExit(pid int, start uint64) (exited <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil || !Alive(pid, start) {
		if err == nil {
			unix.Close(fd)
		}
		close(ch)
		return ch, func() {}
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		close(ch) // cannot watch: let the caller re-check now
		return ch, func() {}
	}
	var once sync.Once
	stopped := make(chan struct{})
	go func() {
		// A pidfd becomes readable when its process exits; read(2) on it
		// is not defined, so readiness is checked with a zero-timeout poll
		// and the netpoller parks the goroutine until then.
		err := rc.Read(func(fd uintptr) bool {
			p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			n, perr := unix.Poll(p, 0)
			return perr != nil && perr != unix.EINTR || n > 0
		})
		select {
		case <-stopped:
			return
		default:
		}
		_ = err // an error other than a stop: let the caller re-check
		close(ch)
		once.Do(func() { f.Close() })
	}()
	return ch, func() {
		once.Do(func() {
			close(stopped)
			f.Close() // wakes the parked read with an error
		})
	}
}
