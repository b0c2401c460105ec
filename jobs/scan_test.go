package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestRequiredLiterals: the literals found are ones every match contains,
// case-insensitive ones lowered; patterns with a part that needs no
// literal, or non-ASCII literals, give none.
func TestRequiredLiterals(t *testing.T) {
	for _, c := range []struct {
		pattern string
		want    []string
		fold    bool
	}{
		{"READY", []string{"READY"}, false},
		{"(?i)error", []string{"error"}, true},
		{"Listening on port \\d+", []string{"Listening on port "}, false},
		{"^\\d+ passed", []string{" passed"}, false},
		{"Compiled successfully|Failed to compile", []string{"Compiled successfully", "Failed to compile"}, false},
		{"(?i)(ready|started)", []string{"ready", "started"}, true},
		{"(done)+", []string{"done"}, false},
		{"^\\d+$", nil, false},
		{"ready|\\d+", nil, false},
		{"x*", nil, false},
		{"a|", nil, false},
		{"(?:ab){0,2}", nil, false},
		{"prêt", nil, false},
		{"a|b|c|d|e|f|g|h|i", nil, false},
	} {
		lits, fold := requiredLiterals(c.pattern)
		var got []string
		for _, l := range lits {
			got = append(got, string(l))
		}
		if !slices.Equal(got, c.want) || (got != nil && fold != c.fold) {
			t.Errorf("%q: literals %q fold %v, want %q fold %v", c.pattern, got, fold, c.want, c.fold)
		}
	}
}

// TestLineScannerSkipsNothing: skipping runs of lines that contain none of
// a pattern's required literals finds the same first match as matching
// every line on its own.
func TestLineScannerSkipsNothing(t *testing.T) {
	var log strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&log, "compiling crate-%d v1.%d.0\n", i, i%7)
	}
	tail := []string{"  Finished dev target in 3.2s", "ERROR: Failed to compile", "Server listening on port 8080",
		"12 passed, 0 failed", "Ready.", "ＲＥＡＤＹ", "KELVIN \u212a"}
	for _, line := range tail {
		log.WriteString(line + "\n")
	}
	path := filepath.Join(t.TempDir(), "output.log")
	if err := os.WriteFile(path, []byte(log.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"(?i)failed", "Failed to compile|error", "listening on port \\d+", "^\\d+ passed",
		"(?i)ready\\.", "(?i)k", "(?i)kelvin", "(?i)\u212a", "nope|nada", "crate-19999 ", "ＲＥＡＤＹ"} {
		re := regexp.MustCompile(pattern)
		want := int64(-1)
		off := int64(0)
		for line := range strings.Lines(log.String()) {
			if re.MatchString(strings.TrimSuffix(line, "\n")) {
				want = off
				break
			}
			off += int64(len(line))
		}
		l := newLineScanner(re, pattern, path, 0, nil)
		got := int64(-1)
		for {
			m, more, err := l.step()
			if err != nil {
				t.Fatal(err)
			}
			if m != nil {
				got = m.Offset
				break
			}
			if !more {
				break
			}
		}
		l.close()
		if got != want {
			t.Errorf("%q: first match at %d, want %d", pattern, got, want)
		}
	}
}
