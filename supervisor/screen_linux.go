package supervisor

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/agent-exec/agent-exec/screen"
)

// Screen drawing: a terminal emulator costs a third of a CPU-second per MiB
// of scrolling text at 120×40, and twenty times that at 500×200, so nothing
// feeds it while nobody looks: the copier only writes output.log, and a
// screen request draws what the log gained since the last request, on the
// requester's goroutine (never the supervisor's loop, which must reap, time
// out and kill on time). The drawing of one request is bounded:
//
//   - it draws the log up to its size when the request came, never chasing
//     a job that keeps writing, and stops after a time budget;
//   - it draws at most the last feedRestart bytes and the last screenful of
//     lines (scrolling costs a redraw per line): when more was written since
//     the last request, the screen starts over from that tail. A full-screen
//     program asked about now and then keeps its screen whole, since only
//     what changed is drawn.
const (
	feedRestart = 256 << 10
	feedChunk   = 8 << 10
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

// screenFeeder draws a terminal job's screen from its log when asked.
type screenFeeder struct {
	draw sync.Mutex // held by the request that is drawing: one at a time
	pos  int64      // guarded by draw: next byte of the log to draw

	mu         sync.Mutex
	scr        *screen.Screen // guarded by mu: made by the first request, replaced when drawing starts over
	cols, rows int            // guarded by mu
	path       string
	from       int64 // where this run's output starts in the log
}

func newScreenFeeder(path string, from int64, cols, rows int) *screenFeeder {
	return &screenFeeder{cols: cols, rows: rows, path: path, from: from, pos: from}
}

// catchUp draws the log up to its size now, within askBudget. It never
// draws more than feedRestart bytes nor more lines than can still show (see
// [screen.Tail]): past that it starts over from the tail. f.draw is held.
func (f *screenFeeder) catchUp() {
	file, err := os.Open(f.path)
	if err != nil {
		return
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return
	}
	target := fi.Size()
	if target <= f.pos {
		return
	}
	f.mu.Lock()
	rows, fresh := f.rows, f.scr == nil
	f.mu.Unlock()
	start := f.pos
	if target-start > feedRestart {
		start, fresh = max(f.from, target-feedRestart), true
	}
	data := make([]byte, target-start)
	n, err := file.ReadAt(data, start)
	if err != nil && err != io.EOF {
		return
	}
	data = data[:n]
	if tail := screen.Tail(data, rows); len(tail) < len(data) {
		start, fresh, data = start+int64(len(data)-len(tail)), true, tail
	}
	if fresh {
		f.restart(start)
	}
	f.mu.Lock()
	scr := f.scr
	f.mu.Unlock()
	deadline := time.Now().Add(askBudget)
	for len(data) > 0 {
		chunk := data[:min(len(data), feedChunk)]
		scr.Write(chunk)
		f.pos += int64(len(chunk))
		data = data[len(chunk):]
		if time.Now().After(deadline) {
			return // the rest at the next request
		}
	}
}

// restart throws the screen away and feeds again from offset at.
func (f *screenFeeder) restart(at int64) {
	f.mu.Lock()
	if f.scr != nil {
		f.scr.Close()
	}
	f.scr = screen.New(f.cols, f.rows)
	f.mu.Unlock()
	f.pos = at
}

// resize follows the terminal's new size.
func (f *screenFeeder) resize(cols, rows int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cols, f.rows = cols, rows
	if f.scr != nil {
		f.scr.Resize(cols, rows)
	}
}

// current returns the screen once everything written so far is drawn, or
// as far as askBudget allowed. It may take that long: never call it from
// the supervisor's loop.
func (f *screenFeeder) current() *Screen {
	f.draw.Lock()
	defer f.draw.Unlock()
	f.catchUp()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.scr == nil {
		f.scr = screen.New(f.cols, f.rows) // nothing written yet
	}
	return ScreenOf(f.scr.Snapshot())
}
