package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// watcher multiplexes one inotify instance over every job directory a
// waiting call cares about (inotify instances are few: 128 per user here).
// A subscriber gets a coalescing wake-up — a channel with room for one
// signal — whenever something it asked about changes in its directory: a log
// grows, the state file is replaced, the directory goes away. A subscriber
// that names the files it cares about is not woken by the others, so a wait
// for a job's end costs nothing per write of a flooding job; and while no
// subscriber of a directory cares about file contents, the kernel is not
// asked for write events at all.
type watcher struct {
	f   *os.File // the inotify instance, read through the netpoller
	fd  int      // its descriptor, for add/rm watch (f.Fd would make it blocking)
	log *slog.Logger

	// writeGap is the least time between two write events of one
	// directory (outputGap; tests lengthen it).
	writeGap time.Duration

	mu     sync.Mutex
	closed bool                 // guarded by mu; fd is not to be used once set
	byWD   map[int32]*dirWatch  // guarded by mu
	byDir  map[string]*dirWatch // guarded by mu
}

type dirWatch struct {
	wd   int32
	dir  string
	mask uint32
	subs map[*watchSub][]string // the names each subscriber cares about; nil: all
	// paused: the kernel was last told not to report writes, for writeGap
	// after one was reported (see pauseWrites).
	paused bool
}

// watchSub is one subscriber: notify is called, under the watcher's lock
// and so without blocking, with the name of the file that changed ("" for
// the directory itself or for a lost event queue).
type watchSub struct {
	notify func(name string)
}

// baseMask reports files created, replaced, closed after writing or removed,
// and the directory itself going away; modifyMask adds every write.
const (
	baseMask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_CREATE |
		unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
	modifyMask = baseMask | unix.IN_MODIFY
)

// maskFor returns the events the subscribers of dw need: writes only when
// one of them watches a file that is written in place (every file but the
// atomically replaced state file), and not while they are paused.
func (dw *dirWatch) maskFor() uint32 {
	if dw.paused {
		return baseMask
	}
	for _, names := range dw.subs {
		if names == nil || slices.ContainsFunc(names, writtenInPlace) {
			return modifyMask
		}
	}
	return baseMask
}

// writtenInPlace tells the files whose writes are reported as they happen:
// every file but the atomically replaced state file.
func writtenInPlace(name string) bool { return name != jobstore.StateFile }

func newWatcher(log *slog.Logger) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	w := &watcher{
		f:        os.NewFile(uintptr(fd), "inotify"), // non-blocking: reads park on the netpoller
		fd:       fd,
		log:      log,
		writeGap: outputGap,
		byWD:     make(map[int32]*dirWatch),
		byDir:    make(map[string]*dirWatch),
	}
	go w.read()
	return w, nil
}

// subscribe returns a channel that receives a value (coalesced) after every
// change in dir to one of the files names (any file when names is empty), or
// to dir itself, and a function that ends the subscription.
func (w *watcher) subscribe(dir string, names ...string) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	cancel, err := w.notify(dir, func(string) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, names...)
	if err != nil {
		return nil, nil, err
	}
	return ch, cancel, nil
}

// notify calls fn (without blocking: it runs under the watcher's lock)
// after every change in dir to one of the files names (any file when names
// is empty), or to dir itself, until the returned function is called.
func (w *watcher) notify(dir string, fn func(name string), names ...string) (func(), error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, fmt.Errorf("watch %s: %w", dir, os.ErrClosed)
	}
	if len(names) == 0 {
		names = nil
	}
	ch := &watchSub{notify: fn}
	dw := w.byDir[dir]
	if dw == nil {
		probe := &dirWatch{subs: map[*watchSub][]string{ch: names}}
		mask := probe.maskFor()
		wd, err := unix.InotifyAddWatch(w.fd, dir, mask)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", dir, err)
		}
		if old := w.byWD[int32(wd)]; old != nil {
			// The kernel reuses a wd for the same inode: share it (its mask
			// was just replaced by ours, and is set right below).
			dw = old
		} else {
			dw = &dirWatch{wd: int32(wd), dir: dir, mask: mask, subs: make(map[*watchSub][]string)}
			w.byWD[dw.wd] = dw
		}
		w.byDir[dir] = dw
	}
	dw.subs[ch] = names
	w.setMask(dw)
	cancel := func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(dw.subs, ch)
		if w.byWD[dw.wd] != dw {
			return
		}
		if len(dw.subs) == 0 {
			delete(w.byWD, dw.wd)
			delete(w.byDir, dw.dir)
			if !w.closed {
				_, _ = unix.InotifyRmWatch(w.fd, uint32(dw.wd))
			}
			return
		}
		w.setMask(dw)
	}
	return cancel, nil
}

// setMask asks the kernel for the events dw's subscribers need now. A
// failure (the directory is gone) leaves the old mask, which asks for more.
func (w *watcher) setMask(dw *dirWatch) {
	want := dw.maskFor()
	if want == dw.mask || w.closed {
		return
	}
	if wd, err := unix.InotifyAddWatch(w.fd, dw.dir, want); err == nil && int32(wd) == dw.wd {
		dw.mask = want
	}
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
		name := b[unix.SizeofInotifyEvent:size]
		b = b[size:]
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			// Events were lost: wake everyone to look again.
			for _, dw := range w.byWD {
				wake(dw, "")
			}
			continue
		}
		dw := w.byWD[ev.Wd]
		if dw == nil {
			continue
		}
		wake(dw, eventName(name))
		if ev.Mask&unix.IN_MODIFY != 0 {
			w.pauseWrites(dw)
		}
		if ev.Mask&unix.IN_IGNORED != 0 {
			// The directory is gone: the kernel dropped the watch.
			delete(w.byWD, dw.wd)
			if w.byDir[dw.dir] == dw {
				delete(w.byDir, dw.dir)
			}
		}
	}
}

// pauseWrites stops the kernel reporting writes in dw's directory for
// writeGap, after which resumeWrites tells every subscriber of a file
// written in place to look again. A flooding job's writes then cost the
// kernel no event and this process no wake-up, but one per writeGap;
// w.mu is held.
func (w *watcher) pauseWrites(dw *dirWatch) {
	if dw.paused || w.closed {
		return
	}
	dw.paused = true
	w.setMask(dw)
	time.AfterFunc(w.writeGap, func() { w.resumeWrites(dw) })
}

// resumeWrites ends a pause of dw's write events. Writes made during the
// pause raised no event, so every subscriber of a file written in place is
// told to look (a subscriber finds out itself whether the file grew).
func (w *watcher) resumeWrites(dw *dirWatch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	dw.paused = false
	if w.closed || w.byWD[dw.wd] != dw {
		return // the watch is gone
	}
	w.setMask(dw)
	for sub, names := range dw.subs {
		if names == nil {
			sub.notify("")
			continue
		}
		for _, name := range names {
			if writtenInPlace(name) {
				sub.notify(name)
			}
		}
	}
}

// eventName returns the file name an inotify event carries (NUL-padded),
// or "" for an event about the directory itself.
func eventName(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// wake signals, without blocking, every subscriber of dw that cares about
// the file name ("": the directory itself, or unknown: everyone).
func wake(dw *dirWatch, name string) {
	for sub, names := range dw.subs {
		if name != "" && names != nil && !slices.Contains(names, name) {
			continue
		}
		sub.notify(name)
	}
}

func (w *watcher) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.f.Close()
}
