package supervisor

import (
	"io"
	"os"
	"sync"

	"github.com/agent-exec/agent-exec/screen"
)

// Screen feeding: a terminal emulator costs 1–3 MB per CPU-second on
// scrolling text, so it never sits on the copier's path (which must keep
// the PTY drained). The feeder reads output.log itself, woken by the copier;
// when it falls more than feedMaxBehind behind, it starts over from the last
// feedRestart bytes.
const (
	feedMaxBehind = 4 << 20
	feedRestart   = 256 << 10
)

// ScreenOf turns a rendered snapshot into the control protocol's Screen.
func ScreenOf(s screen.Snapshot) *Screen {
	out := &Screen{Cols: s.Cols, Rows: s.Rows, Lines: s.Lines, Title: s.Title, AltScreen: s.AltScreen}
	out.Cursor.Row, out.Cursor.Col = s.CursorRow, s.CursorCol
	return out
}

// screenFeeder keeps a screen up to date with a terminal job's output.
type screenFeeder struct {
	mu         sync.Mutex
	scr        *screen.Screen // guarded by mu: replaced when the feeder starts over
	cols, rows int            // guarded by mu
	path       string
	pos        int64             // next byte of the log to feed
	wake       chan struct{}     // coalescing: the copier wrote something
	asks       chan chan *Screen // snapshot requests, answered once caught up
	done       chan struct{}     // closed when run returns
}

func newScreenFeeder(path string, from int64, cols, rows int) *screenFeeder {
	return &screenFeeder{
		scr: screen.New(cols, rows), cols: cols, rows: rows, path: path, pos: from,
		wake: make(chan struct{}, 1), asks: make(chan chan *Screen), done: make(chan struct{}),
	}
}

// notify tells the feeder there is new output; it never blocks.
func (f *screenFeeder) notify() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// run feeds the screen until stop is closed, then once more, so the screen
// ends showing the last output.
func (f *screenFeeder) run(stop <-chan struct{}) {
	defer close(f.done)
	file, err := os.Open(f.path)
	if err != nil {
		return
	}
	defer file.Close()
	buf := make([]byte, 64<<10)
	for {
		select {
		case <-f.wake:
			f.feed(file, buf)
		case ask := <-f.asks:
			f.feed(file, buf)
			ask <- f.snapshot()
		case <-stop:
			f.feed(file, buf)
			return
		}
	}
}

func (f *screenFeeder) feed(file *os.File, buf []byte) {
	if fi, err := file.Stat(); err == nil && fi.Size()-f.pos > feedMaxBehind {
		f.mu.Lock()
		f.scr.Close()
		f.scr = screen.New(f.cols, f.rows)
		f.mu.Unlock()
		f.pos = fi.Size() - feedRestart
	}
	f.mu.Lock()
	scr := f.scr
	f.mu.Unlock()
	for {
		n, err := file.ReadAt(buf, f.pos)
		if n > 0 {
			scr.Write(buf[:n])
			f.pos += int64(n)
		}
		if err == io.EOF || n == 0 || err != nil {
			return
		}
	}
}

// resize follows the terminal's new size.
func (f *screenFeeder) resize(cols, rows int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cols, f.rows = cols, rows
	f.scr.Resize(cols, rows)
}

// current returns the screen once everything written so far is drawn.
func (f *screenFeeder) current() *Screen {
	ask := make(chan *Screen, 1)
	select {
	case f.asks <- ask:
		return <-ask
	case <-f.done:
		return f.snapshot()
	}
}

// snapshot is the screen as fed so far.
func (f *screenFeeder) snapshot() *Screen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ScreenOf(f.scr.Snapshot())
}
