package output

import (
	"os"
	"strings"
	"unicode/utf8"
)

// lastLineReach bounds how much of a log LastLine reads.
const lastLineReach = 4 << 10

// ellipsis marks a line LastLine shortened.
const ellipsis = "…"

// LastLine returns the last non-empty line of the log at path, cleaned and
// redacted, with surrounding white space trimmed: the line shown in job
// lists. A line longer than maxLen bytes is cut at a character boundary and
// ends in "…", the whole staying within maxLen bytes; maxLen <= 0 means no
// limit. LastLine reads at most the last 4 KiB of the file (plus the length
// of the longest secret, to mask one cut by that bound), so a longer line
// shows only its end. A missing or unreadable file, or one with no
// non-empty line in that reach, yields "".
func LastLine(path string, maxLen int, redact []string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close() // read-only: a close error cannot lose data
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	req := Request{End: -1, Tail: true, MaxBytes: lastLineReach}
	w, err := Read(f, st.Size(), req, Options{Redact: redact})
	if err != nil {
		return ""
	}
	return shorten(lastNonEmpty(w.Text), maxLen)
}

// lastNonEmpty returns the last line of s that is not blank, trimmed.
func lastNonEmpty(s string) string {
	for s != "" {
		i := strings.LastIndexByte(s, '\n')
		if line := strings.TrimSpace(s[i+1:]); line != "" {
			return line
		}
		if i < 0 {
			break
		}
		s = s[:i]
	}
	return ""
}

// shorten cuts the valid UTF-8 string s to at most maxLen bytes at a
// character boundary, ending it in an ellipsis when there is room for one.
func shorten(s string, maxLen int) string {
	if maxLen <= 0 || len(s) <= maxLen {
		return s
	}
	if maxLen <= len(ellipsis) {
		return s[:runeFloor(s, maxLen)]
	}
	return s[:runeFloor(s, maxLen-len(ellipsis))] + ellipsis
}

// runeFloor returns the largest character boundary of s that is <= i.
func runeFloor(s string, i int) int {
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
