package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScreenOfAFlood measures one screen request on a 500×200
// terminal whose job has written 4 MiB of scrolling lines since the screen
// was last drawn (what `yes` on a tty leaves behind in well under a second).
func BenchmarkScreenOfAFlood(b *testing.B) {
	path := filepath.Join(b.TempDir(), "output.log")
	if err := os.WriteFile(path, bytes.Repeat([]byte("y\r\n"), 4<<20/3), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		f := newScreenFeeder(path, 0, 500, 200)
		if scr := f.current(); len(scr.Lines) != 200 || scr.Lines[0] != "y" {
			b.Fatalf("screen = %q…", scr.Lines[:3])
		}
	}
}
