package jobs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watcher multiplexes one inotify instance over every job directory a
// waiting call cares about (inotify instances are few: 128 per user here).
// A subscriber gets a coalescing wake-up — a channel with room for one
// signal — whenever anything in its directory changes: a log grows, the state
// file is replaced, the directory goes away.
type watcher struct {
	f   *os.File // the inotify instance, read through the netpoller
	fd  int      // its descriptor, for add/rm watch (f.Fd would make it blocking)
	log *slog.Logger

	mu     sync.Mutex
	closed bool                 // guarded by mu; fd is not to be used once set
	byWD   map[int32]*dirWatch  // guarded by mu
	byDir  map[string]*dirWatch // guarded by mu
}

type dirWatch struct {
	wd   int32
	dir  string
	subs map[chan struct{}]struct{}
}

const watchMask = unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_CREATE |
	unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

func newWatcher(log *slog.Logger) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	w := &watcher{
		f:     os.NewFile(uintptr(fd), "inotify"), // non-blocking: reads park on the netpoller
		fd:    fd,
		log:   log,
		byWD:  make(map[int32]*dirWatch),
		byDir: make(map[string]*dirWatch),
	}
	go w.read()
	return w, nil
}

// subscribe returns a channel that receives a value (coalesced) after every
// change in dir, and a function that ends the subscription.
func (w *watcher) subscribe(dir string) (<-chan struct{}, func(), error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, nil, fmt.Errorf("watch %s: %w", dir, os.ErrClosed)
	}
	dw := w.byDir[dir]
	if dw == nil {
		wd, err := unix.InotifyAddWatch(w.fd, dir, watchMask)
		if err != nil {
			return nil, nil, fmt.Errorf("watch %s: %w", dir, err)
		}
		if old := w.byWD[int32(wd)]; old != nil {
			// The kernel reuses a wd for the same inode: share it.
			dw = old
		} else {
			dw = &dirWatch{wd: int32(wd), dir: dir, subs: make(map[chan struct{}]struct{})}
			w.byWD[dw.wd] = dw
		}
		w.byDir[dir] = dw
	}
	ch := make(chan struct{}, 1)
	dw.subs[ch] = struct{}{}
	cancel := func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(dw.subs, ch)
		if len(dw.subs) == 0 && w.byWD[dw.wd] == dw {
			delete(w.byWD, dw.wd)
			delete(w.byDir, dw.dir)
			if !w.closed {
				_, _ = unix.InotifyRmWatch(w.fd, uint32(dw.wd))
			}
		}
	}
	return ch, cancel, nil
}

func (w *watcher) read() {
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				w.log.Error("inotify read", "err", err)
			}
			return
		}
		w.dispatch(buf[:n])
	}
}

func (w *watcher) dispatch(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		size := unix.SizeofInotifyEvent + int(ev.Len)
		if size > len(b) {
			return
		}
		b = b[size:]
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			// Events were lost: wake everyone to look again.
			for _, dw := range w.byWD {
				wake(dw)
			}
			continue
		}
		dw := w.byWD[ev.Wd]
		if dw == nil {
			continue
		}
		wake(dw)
		if ev.Mask&unix.IN_IGNORED != 0 {
			// The directory is gone: the kernel dropped the watch.
			delete(w.byWD, dw.wd)
			if w.byDir[dw.dir] == dw {
				delete(w.byDir, dw.dir)
			}
		}
	}
}

// wake signals every subscriber of dw, without blocking.
func wake(dw *dirWatch) {
	for ch := range dw.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (w *watcher) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.f.Close()
}
