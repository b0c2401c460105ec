package screen

import (
	"bytes"
	"strings"
	"testing"
)

func TestTail(t *testing.T) {
	few := []byte("a\nb\nc")
	if got := Tail(few, 2); !bytes.Equal(got, few) {
		t.Errorf("Tail of 3 lines = %q, want all", got)
	}
	many := []byte(strings.Repeat("y\r\n", 10000) + "last")
	got := Tail(many, 5)
	if n := bytes.Count(got, []byte("\n")); n != 5 {
		t.Errorf("Tail kept %d newlines, want 5", n)
	}
	if !bytes.HasSuffix(got, []byte("y\r\nlast")) || !bytes.HasPrefix(got, []byte("y\r\n")) {
		t.Errorf("Tail = %q", got)
	}
	// The tail draws the same screen as the whole output.
	full, tail := Render(many, 20, 5), Render(got, 20, 5)
	if strings.Join(full.Lines, "\n") != strings.Join(tail.Lines, "\n") {
		t.Errorf("screen of the tail %q differs from the whole output's %q", tail.Lines, full.Lines)
	}
}
