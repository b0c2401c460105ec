package supervisor

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/agent-exec/agent-exec/screen"
)

// Screen feeding: a terminal emulator costs a third of a CPU-second per MiB
// of scrolling text at 120×40, and twenty times that at 500×200, so it never
// sits on the copier's path (which must keep the PTY drained) nor on the
// supervisor's loop (which must reap, time out and kill on time). The feeder
// reads output.log itself, woken by the copier, and its work is bounded:
//
//   - a pass feeds the log up to its size when the pass began, never chasing
//     a job that keeps writing, and stops after a time budget;
//   - a pass feeds at most the last feedRestart bytes and the last few
//     screenfuls of lines (scrolling costs a redraw per line): when more is
//     waiting, the screen starts over from that tail;
//   - once it is more than feedMaxBehind bytes behind, background feeding
//     stops altogether (a flooding job costs it nothing) until a request
//     redraws the screen from the tail.
const (
	feedMaxBehind = 1 << 20
	feedRestart   = 256 << 10
	feedChunk     = 8 << 10
	// passBudget bounds a background pass; the feeder comes back to the
	// rest after answering whatever is waiting.
	passBudget = 100 * time.Millisecond
	// askBudget bounds the drawing done for one screen request: past it the
	// answer is the screen as drawn so far (a little behind the log).
	askBudget = 2 * time.Second
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
	from       int64             // where this run's output starts in the log
	pos        int64             // next byte of the log to feed
	stale      bool              // too far behind: redraw from the tail when asked
	wake       chan struct{}     // coalescing: the copier wrote something
	asks       chan chan *Screen // snapshot requests, answered once caught up
	done       chan struct{}     // closed when run returns
}

func newScreenFeeder(path string, from int64, cols, rows int) *screenFeeder {
	return &screenFeeder{
		scr: screen.New(cols, rows), cols: cols, rows: rows, path: path, from: from, pos: from,
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
	for {
		select {
		case <-f.wake:
			f.catchUp(file, false)
		case ask := <-f.asks:
			f.catchUp(file, true)
			ask <- f.snapshot()
		case <-stop:
			f.catchUp(file, true)
			return
		}
	}
}

// catchUp feeds the screen with the log up to its size now, within a time
// budget: askBudget when somebody waits for the screen, passBudget for
// background work. It never feeds more than feedRestart bytes nor more lines
// than can still show (see [screen.Tail]): past that it starts over from the
// tail. A background pass that finds the feeder more than feedMaxBehind
// behind gives up until asked.
func (f *screenFeeder) catchUp(file *os.File, asked bool) {
	fi, err := file.Stat()
	if err != nil {
		return
	}
	target := fi.Size()
	if target-f.pos > feedMaxBehind {
		f.stale = true
	}
	if f.stale && !asked || target <= f.pos && !f.stale {
		return
	}
	start, fresh := f.pos, f.stale
	if fresh || target-start > feedRestart {
		start, fresh = max(f.from, target-feedRestart), true
	}
	data := make([]byte, target-start)
	n, err := file.ReadAt(data, start)
	if err != nil && err != io.EOF {
		return
	}
	data = data[:n]
	f.mu.Lock()
	rows := f.rows
	f.mu.Unlock()
	if tail := screen.Tail(data, rows); len(tail) < len(data) {
		start, fresh, data = start+int64(len(data)-len(tail)), true, tail
	}
	if fresh {
		f.restart(start)
	}
	f.mu.Lock()
	scr := f.scr
	f.mu.Unlock()
	budget := passBudget
	if asked {
		budget = askBudget
	}
	deadline := time.Now().Add(budget)
	for len(data) > 0 {
		chunk := data[:min(len(data), feedChunk)]
		scr.Write(chunk)
		f.pos += int64(len(chunk))
		data = data[len(chunk):]
		if len(data) > 0 && time.Now().After(deadline) {
			f.notify() // the rest later, after what else waits
			return
		}
	}
}

// restart throws the screen away and feeds again from offset at.
func (f *screenFeeder) restart(at int64) {
	f.mu.Lock()
	f.scr.Close()
	f.scr = screen.New(f.cols, f.rows)
	f.mu.Unlock()
	f.pos, f.stale = at, false
}

// resize follows the terminal's new size.
func (f *screenFeeder) resize(cols, rows int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cols, f.rows = cols, rows
	f.scr.Resize(cols, rows)
}

// current returns the screen once everything written so far is drawn, or
// as far as askBudget allowed. It may take that long: never call it from
// the supervisor's loop.
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
