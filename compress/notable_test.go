package compress

import (
	"strings"
	"testing"
)

// Notable finds exactly the lines whose words scanFlags counts as errors,
// in every corpus file, in one piece and split in two.
func TestNotableMatchesScanFlags(t *testing.T) {
	files := loadCorpus(t)
	var all strings.Builder
	for _, f := range files {
		all.WriteString(f.text)
		if !strings.HasSuffix(f.text, "\n") {
			all.WriteString("\n")
		}
	}
	text := all.String()
	for len(text) < 2<<20 { // past the size that splits the work in two
		text += text
	}
	want := map[int64]uint64{}
	for pos := 0; pos < len(text); {
		e := strings.IndexByte(text[pos:], '\n')
		if e < 0 {
			e = len(text) - pos
		}
		if key, f := scanLine(text[pos : pos+e]); f&flagError != 0 {
			want[int64(pos)+100] = key
		}
		pos += e + 1
	}
	got := map[int64]uint64{}
	last := int64(-1)
	Notable([]byte(text), 100, func(off int64, key uint64) {
		if off <= last {
			t.Fatalf("offset %d after %d: not in order", off, last)
		}
		last = off
		got[off] = key
	})
	if len(got) != len(want) {
		t.Errorf("Notable found %d lines, scanFlags %d", len(got), len(want))
	}
	for off, key := range want {
		if g, ok := got[off]; !ok || g != key {
			end := strings.IndexByte(text[off-100:], '\n')
			t.Errorf("line at %d %q: found %v", off, text[off-100:off-100+int64(max(end, 0))], ok)
		}
	}
}

// A hole (bytes of the log not in Text) is never shown: it lies inside a
// marker that counts bytes and names its offsets, in every mode, even
// when the text would fit.
func TestHolesAreAlwaysMarked(t *testing.T) {
	// Two parts of a log: [1000, 1012) and [5000, 5017), joined by a hole.
	text := "first line\n" + "\n" + "ERROR: boom\nlast\n"
	ends := []int64{1011, 5000, 5012, 5017, 5017}
	for _, mode := range []Mode{Auto, Always, Errors} {
		out, rep, applied := Compress(Input{Text: text, Start: 1000, LineEnds: ends, Holes: []int{1}, MaxBytes: 4096, Mode: mode})
		if !applied {
			t.Fatalf("%s: not applied (%+v)", mode, rep)
		}
		if !strings.Contains(out, "[... 3989 bytes omitted (offsets 1011-5000); read with offset=1011 ...]") ||
			!strings.Contains(out, "ERROR: boom") {
			t.Errorf("%s: %q", mode, out)
		}
		if rep.KeptLines+rep.OmittedLines != 3 {
			t.Errorf("%s: kept %d + omitted %d, want the 3 lines of the log", mode, rep.KeptLines, rep.OmittedLines)
		}
	}
}
