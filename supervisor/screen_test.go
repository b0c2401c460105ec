package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScreenDrawnOnlyWhenAsked: the screen of a terminal job costs nothing
// until somebody asks for it (no emulator is built, nothing is drawn as the
// job writes); a request draws only what the log gained since the last
// one, so a full-screen program keeps its whole screen; a flood between two
// requests is drawn from its last screenful.
func TestScreenDrawnOnlyWhenAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output.log")
	log, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	write := func(s string) {
		t.Helper()
		if _, err := log.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	write("before this run\r\n")
	from, _ := log.Seek(0, 1)
	f := newScreenFeeder(path, from, 40, 10)

	// A full-screen program draws a frame, then changes one cell of it.
	write("\x1b[2J\x1b[1;1Htop frame\x1b[10;1Hbottom frame")
	if f.scr != nil {
		t.Fatal("an emulator was built before anybody asked for the screen")
	}
	scr := f.current()
	if scr.Lines[0] != "top frame" || scr.Lines[9] != "bottom frame" {
		t.Fatalf("first screen = %q", scr.Lines)
	}
	write("\x1b[5;1Hmiddle")
	scr = f.current()
	if scr.Lines[0] != "top frame" || scr.Lines[4] != "middle" || scr.Lines[9] != "bottom frame" {
		t.Fatalf("screen after an update = %q; want the frame kept and the update drawn", scr.Lines)
	}

	// A flood of scrolling lines, far more than feedRestart, between two
	// requests: the screen shows its last lines.
	var flood strings.Builder
	for i := 0; flood.Len() <= 2*feedRestart; i++ {
		fmt.Fprintf(&flood, "\r\nline %d", i)
	}
	write(flood.String())
	lines := strings.Split(flood.String(), "\r\n")
	scr = f.current()
	if got, want := scr.Lines[9], lines[len(lines)-1]; got != want {
		t.Fatalf("last row after a flood = %q, want %q", got, want)
	}
	if got, want := scr.Lines[0], lines[len(lines)-10]; got != want {
		t.Fatalf("first row after a flood = %q, want %q", got, want)
	}
	for _, l := range scr.Lines {
		if strings.Contains(l, "before this run") {
			t.Fatalf("a line of an earlier run is on the screen: %q", scr.Lines)
		}
	}
}
