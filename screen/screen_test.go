package screen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// hangDeadline is how long a Write may take before a test calls it hung. It
// is generous on purpose: these tests catch hangs, not slowness.
const hangDeadline = 30 * time.Second

// writeWithin writes p to s in a goroutine and fails the test if the write
// does not return within hangDeadline.
func writeWithin(t *testing.T, s *Screen, p []byte) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = s.Write(p)
	}()
	select {
	case <-done:
	case <-time.After(hangDeadline):
		t.Fatalf("Write(%.40q) did not return within %v", p, hangDeadline)
	}
}

// checkShape fails the test unless snap is internally consistent.
func checkShape(t *testing.T, snap Snapshot) {
	t.Helper()
	if err := shapeErr(snap); err != nil {
		t.Fatal(err)
	}
}

// shapeErr describes what is inconsistent in snap, or returns nil.
func shapeErr(snap Snapshot) error {
	if snap.Cols < 1 || snap.Cols > MaxCols || snap.Rows < 1 || snap.Rows > MaxRows {
		return fmt.Errorf("size = %dx%d, want within [1,%d]x[1,%d]", snap.Cols, snap.Rows, MaxCols, MaxRows)
	}
	if len(snap.Lines) != snap.Rows {
		return fmt.Errorf("len(Lines) = %d, want Rows = %d", len(snap.Lines), snap.Rows)
	}
	if snap.CursorRow < 0 || snap.CursorRow >= snap.Rows || snap.CursorCol < 0 || snap.CursorCol >= snap.Cols {
		return fmt.Errorf("cursor = (%d,%d), want inside %dx%d", snap.CursorRow, snap.CursorCol, snap.Cols, snap.Rows)
	}
	return nil
}

// checkWorks fails the test unless s still draws text.
func checkWorks(t *testing.T, s *Screen) {
	t.Helper()
	writeWithin(t, s, []byte("\x1b[r\x1b[?69l\x1b[H\x1b[2Jok"))
	snap := s.Snapshot()
	checkShape(t, snap)
	if snap.Lines[0] != "ok" {
		t.Fatalf("after clearing and writing \"ok\": Lines[0] = %q, want \"ok\"", snap.Lines[0])
	}
}

func TestPrintf(t *testing.T) {
	// The bytes of printf '\033[2J\033[H0123456789\033[5;10HX\033]0;my title\007'.
	snap := Render([]byte("\x1b[2J\x1b[H0123456789\x1b[5;10HX\x1b]0;my title\x07"), 80, 24)
	checkShape(t, snap)
	if got, want := snap.Lines[0], "0123456789"; got != want {
		t.Errorf("Lines[0] = %q, want %q", got, want)
	}
	if got, want := snap.Lines[4], "         X"; got != want {
		t.Errorf("Lines[4] = %q, want %q (X in column 9)", got, want)
	}
	if got, want := snap.Title, "my title"; got != want {
		t.Errorf("Title = %q, want %q", got, want)
	}
	if snap.CursorRow != 4 || snap.CursorCol != 10 {
		t.Errorf("cursor = (%d,%d), want (4,10)", snap.CursorRow, snap.CursorCol)
	}
	if snap.Cols != 80 || snap.Rows != 24 || snap.AltScreen || snap.Resets != 0 {
		t.Errorf("Snapshot = %dx%d alt=%v resets=%d, want 80x24 alt=false resets=0", snap.Cols, snap.Rows, snap.AltScreen, snap.Resets)
	}
}

func TestTitle(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"OSC 0 with BEL", "\x1b]0;my title\x07", "my title"},
		{"OSC 2 with ST", "\x1b]2;other\x1b\\", "other"},
		{"semicolons", "\x1b]0;a;b; c;\x07", "a;b; c;"},
		{"OSC 2 semicolons", "\x1b]2;vim: x.go;1\x07", "vim: x.go;1"},
		{"empty", "\x1b]0;x\x07\x1b]2;\x07", ""},
		{"icon name only", "\x1b]0;kept\x07\x1b]1;icon\x07", "kept"},
		{"last wins", "\x1b]0;one\x07\x1b]2;two\x07", "two"},
		{"split over writes", "\x1b]0;sp|lit;x\x07", "split;x"},
		{"invalid UTF-8", "\x1b]0;a\xffb\x07", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(80, 24)
			for part := range strings.SplitSeq(tt.in, "|") {
				_, _ = s.Write([]byte(part))
			}
			if got := s.Snapshot().Title; got != tt.want {
				t.Errorf("Title after %q = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAltScreen(t *testing.T) {
	s := New(20, 5)
	_, _ = s.Write([]byte("main text"))
	_, _ = s.Write([]byte("\x1b[?1049h"))
	snap := s.Snapshot()
	if !snap.AltScreen || snap.Lines[0] != "" {
		t.Fatalf("after \\e[?1049h: AltScreen = %v, Lines[0] = %q, want true, \"\"", snap.AltScreen, snap.Lines[0])
	}
	_, _ = s.Write([]byte("\x1b[Hfull screen"))
	if got := s.Snapshot().Lines[0]; got != "full screen" {
		t.Fatalf("on the alternate screen: Lines[0] = %q, want \"full screen\"", got)
	}
	_, _ = s.Write([]byte("\x1b[?1049l"))
	snap = s.Snapshot()
	if snap.AltScreen || snap.Lines[0] != "main text" {
		t.Fatalf("after \\e[?1049l: AltScreen = %v, Lines[0] = %q, want false, \"main text\"", snap.AltScreen, snap.Lines[0])
	}
	if snap.CursorRow != 0 || snap.CursorCol != 9 {
		t.Errorf("after \\e[?1049l: cursor = (%d,%d), want the saved (0,9)", snap.CursorRow, snap.CursorCol)
	}
}

func TestQueriesDoNotBlock(t *testing.T) {
	queries := []struct{ name, in string }{
		{"DA1", "\x1b[c"},
		{"DA2", "\x1b[>c"},
		{"DSR 5", "\x1b[5n"},
		{"DSR 6", "\x1b[6n"},
		{"DECXCPR", "\x1b[?6n"},
		{"DECRQM", "\x1b[?25$p"},
		{"DECRQM ANSI", "\x1b[4$p"},
		{"OSC 10", "\x1b]10;?\x07"},
		{"OSC 11", "\x1b]11;?\x07"},
		{"in-band resize", "\x1b[?2048h"},
		{"many", strings.Repeat("\x1b[c\x1b[6n", 1000)},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			s := New(80, 24)
			writeWithin(t, s, []byte("before"+q.in+" after"))
			if got := s.Snapshot().Lines[0]; got != "before after" {
				t.Errorf("Lines[0] = %q, want \"before after\"", got)
			}
			s.Resize(70, 20) // replies to in-band resize reports must not block either
			checkWorks(t, s)
		})
	}
}

func TestCrashInputs(t *testing.T) {
	// Inputs that panicked the unguarded library during the evaluation. The
	// parameter caps must prevent the panic, not only the recovery.
	tests := []struct {
		name       string
		cols, rows int
		in         string
	}{
		{"DECSTBM below screen then DL", 80, 5, "\x1b[1;10r\x1b[M"},
		{"DECSTBM below screen then IL", 80, 5, "\x1b[1;10r\x1b[L"},
		{"DECSTBM below screen then SU", 80, 5, "\x1b[1;10r\x1b[S"},
		{"DECSTBM below screen then RI", 80, 5, "\x1b[1;10r\x1bM"},
		{"DECSTBM below screen then LF", 80, 5, "\x1b[1;10r\x1b[9;1H\n\n\n\n\n\n"},
		{"DECSTBM both below screen", 80, 5, "\x1b[7;10r\x1b[M\n\n\n\n\n"},
		{"fuzz: DECSTBM 0;10", 45, 8, "000\x1b[0;10r000\x1b[M"},
		{"DECSLRM past width then ICH", 80, 24, "\x1b[?69h\x1b[1;100s\x1b[@"},
		{"DECSLRM past width then SU", 80, 24, "\x1b[?69h\x1b[1;100s\x1b[S"},
		{"DECSLRM past width then DCH", 80, 24, "\x1b[?69h\x1b[1;100s\x1b[P"},
		{"DECSLRM and DECSTBM huge", 80, 24, "\x1b[?69h\x1b[99999999;99999999s\x1b[99999999;99999999rX\x1b[L\x1b[M"},
		{"huge CUP", 80, 24, "\x1b[99999999;99999999HX\x1b[9223372036854775807;9223372036854775807HY"},
		{"huge SGR", 80, 24, "\x1b[38;2;99999999;99999999;99999999mX\x1b[38;5;99999999mY"},
		{"many params", 80, 24, "\x1b[" + strings.Repeat("1;", 10000) + "mX"},
		{"XTWINOPS resize", 80, 24, "\x1b[8;99999;99999tX"},
		{"DECCOLM", 80, 24, "\x1b[?40h\x1b[?3hX\x1b[?3lY"},
		{"tabs", 80, 24, "\x1b[99999999I\t\t\x1b[3g\tX\x1b[99999999Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.cols, tt.rows)
			writeWithin(t, s, []byte(tt.in))
			if r := s.Snapshot().Resets; r != 0 {
				t.Errorf("Resets = %d after %q, want 0 (the caps should prevent the panic)", r, tt.in)
			}
			checkShape(t, s.Snapshot())
			checkWorks(t, s)
		})
	}
}

func TestResizeClamps(t *testing.T) {
	tests := []struct {
		cols, rows         int
		wantCols, wantRows int
	}{
		{-1, 5, 1, 5},
		{0, 0, 1, 1},
		{-100, -100, 1, 1},
		{100000, 100000, MaxCols, MaxRows},
		{132, 50, 132, 50},
	}
	for _, tt := range tests {
		s := New(80, 24)
		_, _ = s.Write([]byte("\x1b[1;24r\x1b[24;80Hx"))
		s.Resize(tt.cols, tt.rows)
		snap := s.Snapshot()
		checkShape(t, snap)
		if snap.Cols != tt.wantCols || snap.Rows != tt.wantRows {
			t.Errorf("Resize(%d, %d): size = %dx%d, want %dx%d", tt.cols, tt.rows, snap.Cols, snap.Rows, tt.wantCols, tt.wantRows)
		}
		_, _ = s.Write([]byte("\x1b[M\x1b[L\n\n\n\x1bM\x1b[S\x1b[T"))
		if snap.Resets != 0 {
			t.Errorf("Resize(%d, %d): Resets = %d, want 0", tt.cols, tt.rows, snap.Resets)
		}
		s.Resize(80, 24)
		checkWorks(t, s)

		if snap := New(tt.cols, tt.rows).Snapshot(); snap.Cols != tt.wantCols || snap.Rows != tt.wantRows {
			t.Errorf("New(%d, %d): size = %dx%d, want %dx%d", tt.cols, tt.rows, snap.Cols, snap.Rows, tt.wantCols, tt.wantRows)
		}
	}
}

func TestSlowSequencesReturn(t *testing.T) {
	// Counts the library loops over. None may hang; REP was 29 s of CPU.
	seqs := []string{
		"A\x1b[99999999b", "A\x1b[2147483647b", "\x1b[999999b",
		"A\x1b[99999999L", "A\x1b[99999999M", "A\x1b[99999999@", "A\x1b[99999999P",
		"A\x1b[99999999X", "\x1b[99999999S", "\x1b[99999999T", "\x1b[99999999C",
		"\x1b[99999999D", "\x1b[99999999I", "\x1b[99999999Z",
		"\x1b[?1049h\x1b[H\x1b[1;24r" + strings.Repeat("x\x1b[99999999b", 10),
	}
	for _, in := range seqs {
		s := New(120, 40)
		writeWithin(t, s, []byte(in))
		checkShape(t, s.Snapshot())
	}
	// The REP cap grows with the screen; the largest screen must not hang.
	writeWithin(t, New(MaxCols, MaxRows), []byte("A\x1b[2147483647b"))
}

func TestREPCapIsExact(t *testing.T) {
	// REP with a count past the cap must leave the same screen as printing
	// the character that many times. (The library repeats only a narrow
	// character: after a wide one it repeats the last narrow one, if any.)
	for _, size := range [][2]int{{7, 3}, {8, 4}, {1, 2}, {5, 1}} {
		for _, ch := range []string{"A", "\x1b(0q"} { // q is a line-drawing ─
			for _, n := range []int{1, 5, 20, 29, 30, 31, 35, 36, 57, 58, 61, 100, 263, 1000} {
				for _, prefix := range []string{"", "\x1b[2;3H", "\x1b[?7l", "\x1b[1;2r\x1b[2;1H", "\x1b[4h"} {
					w, h := size[0], size[1]
					rep := Render(fmt.Appendf(nil, "%s%s\x1b[%db", prefix, ch, n), w, h)
					want := Render([]byte(prefix+ch+strings.Repeat(ch[len(ch)-1:], n)), w, h)
					if fmt.Sprint(rep) != fmt.Sprint(want) {
						t.Errorf("%dx%d %q then %q REP %d:\n got %+v\nwant %+v", w, h, prefix, ch, n, rep, want)
					}
				}
			}
		}
	}
	if got, limit := repCount(1<<31-1, 120, 40), 120*42; got >= limit {
		t.Errorf("repCount(2^31-1, 120, 40) = %d, want under %d", got, limit)
	}
}

func TestWideCharacters(t *testing.T) {
	tests := []struct {
		in      string
		cols    int
		want    []string
		wantCol int
	}{
		{"あ", 20, []string{"あ", ""}, 2},
		{"aあb", 20, []string{"aあb", ""}, 4},
		{"日本語", 20, []string{"日本語", ""}, 6},
		{"あいう\x1b[1;2Hz", 20, []string{" zいう", ""}, 2}, // the left half of あ is cleared
		// Known library bugs at the right edge (charmbracelet/x issue 975,
		// pull requests 957 and 977), pinned so that an upgrade that fixes
		// them is noticed: then take tmux's result, given in the comments,
		// and update the package doc.
		{"xxxあy", 5, []string{"xxx y", ""}, 5 - 1}, // tmux: "xxxあ", "y", col 1
		{"xxxxあy", 5, []string{"xxxx", "y"}, 1},    // tmux: "xxxx", "あy", col 3
	}
	for _, tt := range tests {
		snap := Render([]byte(tt.in), tt.cols, 2)
		if fmt.Sprint(snap.Lines) != fmt.Sprint(tt.want) || snap.CursorCol != tt.wantCol {
			t.Errorf("Render(%q, %d, 2): Lines %q, cursor col %d, want %q, col %d", tt.in, tt.cols, snap.Lines, snap.CursorCol, tt.want, tt.wantCol)
		}
	}
}

func TestSplitWrites(t *testing.T) {
	// Escape sequences and UTF-8 split at every byte give the same screen.
	in := []byte("\x1b[2J\x1b[Hab\x1b[31mé日本\x1b[0m\x1b]0;t;x\x07\x1b[3;4Hz")
	want := Render(in, 20, 4)
	for i := range in {
		s := New(20, 4)
		_, _ = s.Write(in[:i])
		_, _ = s.Write(in[i:])
		if got := s.Snapshot(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("split at %d: %+v, want %+v", i, got, want)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  int
	}{
		{"abc", 5, 3},
		{"abcdef", 3, 3},           // cut in front of 'd'
		{"ab\u0301\u0301cd", 4, 1}, // keep the accents with their base
		{"é\u0301\u0301\u0301", 3, 3},
	}
	for _, tt := range tests {
		if got := cut([]byte(tt.in), tt.limit); got != tt.want {
			t.Errorf("cut(%q, %d) = %d, want %d", tt.in, tt.limit, got, tt.want)
		}
	}
}

func TestLongWriteMatchesChunks(t *testing.T) {
	// A write longer than writeSlice is fed in slices; the screen must equal
	// the one fed by line.
	var b bytes.Buffer
	for i := range 1500 {
		fmt.Fprintf(&b, "\x1b[3%dmline %05d e\u0301 日本 \x1b[0m%s\n", i%8, i, strings.Repeat("x", i%70))
	}
	whole := Render(b.Bytes(), 100, 30)
	s := New(100, 30)
	for line := range bytes.Lines(b.Bytes()) {
		_, _ = s.Write(line)
	}
	if got := s.Snapshot(); fmt.Sprint(got) != fmt.Sprint(whole) {
		t.Errorf("one Write of %d bytes:\n%+v\nwant (by line)\n%+v", b.Len(), whole, got)
	}
}

func TestRecoversFromPanic(t *testing.T) {
	s := New(30, 5)
	_, _ = s.Write([]byte("\x1b]0;kept\x07lost"))
	// No input is known to panic the guarded emulator; plant a handler that
	// does. The rebuilt emulator does not have it.
	s.mu.Lock()
	s.emu.RegisterCsiHandler('y', func(ansi.Params) bool { panic("planted") })
	s.mu.Unlock()
	n, err := s.Write([]byte("\x1b[y"))
	if n != 3 || err != nil {
		t.Errorf("Write = %d, %v, want 3, nil", n, err)
	}
	snap := s.Snapshot()
	checkShape(t, snap)
	if snap.Resets != 1 || snap.Lines[0] != "" || snap.Title != "kept" || snap.Cols != 30 || snap.Rows != 5 {
		t.Errorf("after a panic: %+v, want Resets 1, blank 30x5, title \"kept\"", snap)
	}
	checkWorks(t, s)
	writeWithin(t, s, []byte("\x1b[c")) // the rebuilt emulator drops replies too
}

func TestClose(t *testing.T) {
	s := New(20, 3)
	_, _ = s.Write([]byte("final\x1b]2;title\x07"))
	want := s.Snapshot()
	for range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
	}
	if n, err := s.Write([]byte("\x1b[2Jignored")); n != 11 || err != nil {
		t.Errorf("Write after Close = %d, %v, want 11, nil", n, err)
	}
	s.Resize(5, 5)
	if got := s.Snapshot(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Snapshot after Close = %+v, want the screen at Close %+v", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	// Writes, resizes and snapshots race; run with -race.
	s := New(80, 24)
	var feeders, readers sync.WaitGroup
	feeders.Go(func() {
		for i := range 1000 {
			fmt.Fprintf(s, "\x1b[3%dmline %d\x1b[0m\r\n\x1b]0;t%d\x07\x1b[6n", i%8, i, i)
		}
	})
	feeders.Go(func() {
		for i := range 300 {
			s.Resize(60+i%40, 10+i%20)
		}
	})
	done := make(chan struct{})
	for range 2 {
		readers.Go(func() {
			for {
				if err := shapeErr(s.Snapshot()); err != nil {
					t.Error(err)
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	feeders.Wait()
	close(done)
	readers.Wait()
	_ = s.Close()
	checkShape(t, s.Snapshot())
}

func TestCaptures(t *testing.T) {
	// Real programs recorded on a pseudo-terminal; the wanted rows are what
	// tmux showed for the same bytes (see testdata/README.md).
	tests := []struct {
		name               string
		cursorRow, cursorX int
		alt                bool
	}{
		{"python", 5, 0, false},
		{"top", 23, 79, false}, // tmux: column 80, the pending wrap
		{"htop", 23, 79, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.name+".raw"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", tt.name+".want"))
			if err != nil {
				t.Fatal(err)
			}
			wantLines := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
			snap := Render(raw, 80, 24)
			checkShape(t, snap)
			for i := range max(len(wantLines), len(snap.Lines)) {
				var got, w string
				if i < len(snap.Lines) {
					got = snap.Lines[i]
				}
				if i < len(wantLines) {
					w = wantLines[i]
				}
				if got != w {
					t.Errorf("row %d = %q, want %q", i, got, w)
				}
			}
			if snap.CursorRow != tt.cursorRow || snap.CursorCol != tt.cursorX || snap.AltScreen != tt.alt {
				t.Errorf("cursor (%d,%d) alt %v, want (%d,%d) alt %v", snap.CursorRow, snap.CursorCol, snap.AltScreen, tt.cursorRow, tt.cursorX, tt.alt)
			}
		})
	}
}

func TestHooksApplied(t *testing.T) {
	// Fails when a library upgrade moves the fields hooks.go reaches into.
	e := vt.NewEmulator(10, 5)
	if !detachScrollback(e) {
		t.Error("detachScrollback found no field scrs [2]vt.Screen in vt.Emulator")
	}
	if !shrinkPayload(e, payloadSize) {
		t.Error("shrinkPayload found no field parser *ansi.Parser in vt.Emulator")
	}
	s := New(10, 5)
	scrs := fieldOf[[2]vt.Screen](s.emu, "scrs")
	if scrs == nil || scrs[0].Scrollback() != nil || scrs[1].Scrollback() != nil {
		t.Error("New left a scrollback buffer in place")
	}
	// A title longer than the payload buffer is cut, not lost.
	_, _ = s.Write([]byte("\x1b]2;" + strings.Repeat("t", 1<<20) + "\x07"))
	if got := len(s.Snapshot().Title); got == 0 || got > payloadSize {
		t.Errorf("len(Title) after a 1 MiB title = %d, want 1..%d", got, payloadSize)
	}
}

// heapInUse returns the live heap after collecting garbage.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	const n = 10
	before := heapInUse()
	screens := make([]*Screen, n)
	for i := range screens {
		screens[i] = New(120, 40)
	}
	fresh := float64(heapInUse()-before) / n / (1 << 20)
	t.Logf("New(120, 40): %.2f MiB each", fresh)
	if fresh > 2 {
		t.Errorf("New(120, 40) uses %.2f MiB, want under 2 (the package doc says about 1.1)", fresh)
	}

	// Scrolling on either screen and full redraws of the alternate one must
	// not pile up scrollback: without the hooks this grows by ~75 MiB.
	var text, frames bytes.Buffer
	for i := range 6000 {
		fmt.Fprintf(&text, "%06d %s\r\n", i, strings.Repeat("lorem ipsum ", 9))
	}
	frames.WriteString("\x1b[H\x1b[2J")
	for r := range 40 {
		fmt.Fprintf(&frames, "\x1b[%d;1H\x1b[7mrow %02d %s\x1b[m", r+1, r, strings.Repeat("#", 100))
	}
	s := screens[0]
	_, _ = s.Write(text.Bytes())
	_, _ = s.Write([]byte("\x1b[?1049h\x1b[1;40r\x1b[40;1H"))
	_, _ = s.Write(text.Bytes())
	for range 100 {
		_, _ = s.Write(frames.Bytes())
	}
	_, _ = s.Write([]byte("\x1b[?1049l"))
	grown := float64(heapInUse()-before)/(1<<20) - fresh*n
	t.Logf("after 12 000 scrolled lines and 100 full redraws: %.2f MiB more", grown)
	if grown > 5 {
		t.Errorf("a screen grew by %.2f MiB after scrolling and redraws, want under 5", grown)
	}
	for _, s := range screens {
		_ = s.Close()
	}
}

func FuzzWrite(f *testing.F) {
	seeds := []string{
		"\x1b[2J\x1b[H0123456789\x1b[5;10HX\x1b]0;my title\x07",
		"\x1b[?1049h\x1b[1;24r\x1b[L\x1b[M\x1b[?1049l",
		"a世\u0301\x1b[3b",
		"\x1bP1$r\x1b\\",
		"\x1b[38:2::1:2:3m",
		"\x1b_Gf=24;AAAA\x1b\\",
		"\x1b[?69h\x1b[2;9s\x1b[3;7r\x1b[4;4H\x1b[L\x1b[@\x1b[S",
		"\x1b[?6h\x1b[?69h\x1b[2;5s\x1bD\x1bM\x1b[2T",
		"000\x1b[0;10r000\x1b[M",
		"\x1b[1;10r\x1b[M",
		"\x1b[?69h\x1b[1;100s\x1b[@",
		"A\x1b[99999b\x1b[c\x1b[6n\x1b]11;?\x07",
	}
	for _, s := range seeds {
		f.Add([]byte(s), int8(80), int8(24), int8(40), int8(10), uint16(7))
	}
	f.Add([]byte("\x1b[1;10r\x1b[M"), int8(80), int8(5), int8(-1), int8(5), uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, cols, rows, cols2, rows2 int8, split uint16) {
		s := New(int(cols), int(rows))
		k := int(split) % (len(data) + 1)
		_, _ = s.Write(data[:k])
		checkShape(t, s.Snapshot())
		s.Resize(int(cols2), int(rows2))
		_, _ = s.Write(data[k:])
		checkShape(t, s.Snapshot())
		s.Resize(int(rows), int(cols))
		snap := s.Snapshot()
		checkShape(t, snap)
		if snap.Resets != 0 {
			// Recovered, but an input the caps should have defused.
			t.Errorf("the library panicked (Resets = %d)", snap.Resets)
		}
		_ = s.Close()
	})
}

// compilerOutput returns about size bytes of coloured compiler-like output.
func compilerOutput(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "\x1b[1m./internal/pkg%d/file_%d.go:%d:%d: \x1b[31merror:\x1b[0m\x1b[1m undefined: someIdentifier%d\x1b[0m\r\n", i%17, i%23, i%900+1, i%80+1, i)
		case 1:
			fmt.Fprintf(&b, "  %4d | \tresult, err := someIdentifier%d(ctx, request.Field, options...)\r\n", i%900+1, i)
		case 2:
			b.WriteString("       | \t               \x1b[32m^~~~~~~~~~~~~~~\x1b[0m\r\n")
		case 3:
			fmt.Fprintf(&b, "\x1b[1m./cmd/tool/main.go:%d:%d: \x1b[35mwarning:\x1b[0m\x1b[1m unused variable 'x%d' [-Wunused]\x1b[0m\r\n", i%300+1, i%40+1, i)
		}
	}
	return b.Bytes()
}

func BenchmarkWrite(b *testing.B) {
	in := compilerOutput(1 << 20)
	s := New(120, 40)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		for rest := in; len(rest) > 0; {
			n := min(len(rest), 4096) // the size of a PTY read
			_, _ = s.Write(rest[:n])
			rest = rest[n:]
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	s := New(120, 40)
	_, _ = s.Write(compilerOutput(64 << 10))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Snapshot()
	}
}

func BenchmarkNew(b *testing.B) {
	// B/op includes what the library allocates and the hooks then drop (the
	// 4 MiB payload buffer); the live heap per screen is in TestMemory.
	b.ReportAllocs()
	for b.Loop() {
		_ = New(120, 40).Close()
	}
}
