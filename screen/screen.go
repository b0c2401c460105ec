package screen

import (
	"strings"
	"sync"

	"github.com/charmbracelet/x/vt"
)

// Size limits. New and Resize clamp every size into [1, MaxCols]×[1, MaxRows]:
// the library panics on sizes below one, and a screen of MaxCols×MaxRows
// already costs about 20 MiB.
const (
	MaxCols = 500
	MaxRows = 200
)

// writeSlice is the most input one locked step of Write feeds the emulator,
// a few milliseconds of work, so that Snapshot never waits long.
const writeSlice = 16 << 10

// Snapshot is the screen as a person would see it.
type Snapshot struct {
	// Cols and Rows are the size of the screen.
	Cols, Rows int
	// Lines holds Rows strings, one per row, with trailing spaces trimmed. A
	// wide character (CJK, most emoji) appears once although it covers two
	// columns, so len([]rune(line)) is not a column count.
	Lines []string
	// CursorRow and CursorCol are zero-based. After a character is written to
	// the last column the cursor stays on that column (a pending wrap), where
	// tmux reports column Cols.
	CursorRow, CursorCol int
	// Title is the last window title set with OSC 0 or OSC 2, "" if none.
	Title string
	// AltScreen reports whether a full-screen program has switched to the
	// alternate screen (less, vim, htop …).
	AltScreen bool
	// Resets counts how often the emulator panicked and was rebuilt blank.
	// When it is not zero, output written before the last reset is missing
	// from Lines. The title survives a reset.
	Resets int
}

// Screen emulates a terminal of a fixed size fed with a job's output. It is
// safe for concurrent use. The zero value is not usable; call New.
type Screen struct {
	mu     sync.Mutex
	emu    *vt.Emulator // guarded by mu; nil after Close
	cols   int          // guarded by mu
	rows   int          // guarded by mu
	title  string       // guarded by mu; set by the OSC handlers inside emu.Write
	resets int          // guarded by mu
	final  Snapshot     // guarded by mu; the screen at Close
}

// New returns a blank screen of cols×rows, each clamped into
// [1, MaxCols]×[1, MaxRows].
func New(cols, rows int) *Screen {
	s := &Screen{}
	s.cols, s.rows = clampSize(cols, rows)
	s.emu = s.newEmulator(s.cols, s.rows)
	return s
}

// Write feeds p, the raw output of the job, to the screen. Escape sequences
// and UTF-8 characters may be split across calls. Write never blocks on
// anything but the lock, never panics, and always returns len(p), nil; after
// Close it discards p.
func (s *Screen) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		n := cut(rest, writeSlice)
		s.write(rest[:n])
		rest = rest[n:]
	}
	return len(p), nil
}

// write feeds one slice under the lock. A panic inside the library leaves
// its state unknown, so the emulator is replaced by a blank one.
func (s *Screen) write(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emu == nil {
		return
	}
	defer func() {
		if recover() != nil {
			s.emu = s.newEmulator(s.cols, s.rows)
			s.resets++
		}
	}()
	// The library's Write returns an error only once the emulator is closed,
	// which never happens here (Close drops the emulator instead).
	_, _ = s.emu.Write(p)
}

// cut returns how many bytes of p to feed in one step: all of p if it is no
// longer than limit, otherwise as much as fits up to the last ASCII byte.
// The library completes a grapheme cluster at the end of each Write, so
// cutting in front of an ASCII byte (which never extends a cluster) keeps
// combining marks and emoji sequences with their base character.
func cut(p []byte, limit int) int {
	if len(p) <= limit {
		return len(p)
	}
	for i := limit; i > 0; i-- {
		if p[i] < 0x80 {
			return i
		}
	}
	return limit
}

// Resize changes the size of the screen to cols×rows, each clamped into
// [1, MaxCols]×[1, MaxRows]. Like a real terminal it keeps the text where it
// is and cuts off what no longer fits; the job redraws once it handles
// SIGWINCH. Resize after Close does nothing.
func (s *Screen) Resize(cols, rows int) {
	cols, rows = clampSize(cols, rows)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emu == nil {
		return
	}
	s.cols, s.rows = cols, rows
	defer func() {
		if recover() != nil {
			s.emu = s.newEmulator(cols, rows)
			s.resets++
		}
	}()
	s.emu.Resize(cols, rows)
}

// Snapshot returns the current screen. After Close it returns the screen as
// it was at Close.
func (s *Screen) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emu == nil {
		return s.final
	}
	return s.snapshot()
}

// snapshot reads the screen; the caller holds mu and s.emu is not nil.
func (s *Screen) snapshot() Snapshot {
	e := s.emu
	w, h := e.Width(), e.Height()
	lines := make([]string, h)
	var b strings.Builder
	for y := range h {
		b.Reset()
		for x := 0; x < w; {
			c := e.CellAt(x, y)
			if c == nil || c.Content == "" {
				// Out of range, or the right half of a wide character whose
				// left half was overwritten: it shows as a blank.
				b.WriteByte(' ')
				x++
				continue
			}
			b.WriteString(c.Content)
			x += max(c.Width, 1) // skip the columns a wide character covers
		}
		lines[y] = strings.TrimRight(b.String(), " ")
	}
	pos := e.CursorPosition()
	return Snapshot{
		Cols:      w,
		Rows:      h,
		Lines:     lines,
		CursorRow: pos.Y,
		CursorCol: pos.X,
		Title:     s.title,
		AltScreen: e.IsAltScreen(),
		Resets:    s.resets,
	}
}

// Close releases the emulator (about 1 MiB at 120×40) and keeps the final
// screen for Snapshot. Later Writes and Resizes are ignored. Close is
// idempotent and always returns nil.
func (s *Screen) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.emu == nil {
		return nil
	}
	s.final = s.snapshot()
	s.emu = nil
	return nil
}

// Render replays data (e.g. the tail of a log) into a fresh screen of
// cols×rows and returns its snapshot. The replay starts from a blank screen,
// so data that begins in the middle of a program's output shows only what
// that part of the output drew; full-screen programs redraw often enough
// for a tail to show the whole screen. Rendering scrolling text costs about
// a third of a CPU-second per MiB, so pass a bounded tail.
func Render(data []byte, cols, rows int) Snapshot {
	s := New(cols, rows)
	_, _ = s.Write(data) // never fails
	snap := s.Snapshot()
	_ = s.Close() // never fails
	return snap
}

// clampSize clamps a size into [1, MaxCols]×[1, MaxRows].
func clampSize(cols, rows int) (int, int) {
	return min(max(cols, 1), MaxCols), min(max(rows, 1), MaxRows)
}
