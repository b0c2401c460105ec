package jobs

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// keySequences are the bytes a terminal sends for each named key (xterm,
// normal cursor mode).
var keySequences = map[string]string{
	"enter": "\r", "tab": "\t", "esc": "\x1b", "escape": "\x1b", "space": " ",
	"backspace": "\x7f", "delete": "\x1b[3~", "insert": "\x1b[2~",
	"up": "\x1b[A", "down": "\x1b[B", "right": "\x1b[C", "left": "\x1b[D",
	"home": "\x1b[H", "end": "\x1b[F", "pageup": "\x1b[5~", "pagedown": "\x1b[6~",
	"f1": "\x1bOP", "f2": "\x1bOQ", "f3": "\x1bOR", "f4": "\x1bOS",
	"f5": "\x1b[15~", "f6": "\x1b[17~", "f7": "\x1b[18~", "f8": "\x1b[19~",
	"f9": "\x1b[20~", "f10": "\x1b[21~", "f11": "\x1b[23~", "f12": "\x1b[24~",
}

// KeyBytes translates named keys (enter, tab, esc, backspace, delete, the
// arrows, home, end, pageup, pagedown, f1–f12, ctrl-a … ctrl-z, and a few
// more such as ctrl-[ and ctrl-\) into the bytes a terminal would send; a
// single character stands for itself.
// Names are case-insensitive; "c-x" and "ctrl+x" are accepted for ctrl-x.
func KeyBytes(keys []string) ([]byte, error) {
	if len(keys) > MaxKeys {
		return nil, invalid("keys", "at most %d keys in one call", MaxKeys)
	}
	var out []byte
	for i, k := range keys {
		if utf8.RuneCountInString(k) > MaxKeyLen {
			return nil, invalid("keys", "element %d: a key is at most %d characters", i, MaxKeyLen)
		}
		b, err := keyBytes(k)
		if err != nil {
			return nil, invalid("keys", "element %d: %v", i, err)
		}
		out = append(out, b...)
	}
	return out, nil
}

func keyBytes(k string) (string, error) {
	if utf8.RuneCountInString(k) == 1 && k != "\x00" {
		return k, nil // a single character is itself: "q", "y", "/"
	}
	name := strings.ToLower(strings.TrimSpace(k))
	if s, ok := keySequences[name]; ok {
		return s, nil
	}
	for _, p := range []string{"ctrl-", "ctrl+", "c-"} {
		if rest, ok := strings.CutPrefix(name, p); ok && len(rest) == 1 {
			c := rest[0]
			switch {
			case c >= 'a' && c <= 'z':
				return string(rune(c - 'a' + 1)), nil
			case c == '@' || c == ' ':
				return "\x00", nil
			case c == '[':
				return "\x1b", nil
			case c == '\\':
				return "\x1c", nil
			case c == ']':
				return "\x1d", nil
			case c == '^':
				return "\x1e", nil
			case c == '_':
				return "\x1f", nil
			}
		}
	}
	return "", fmt.Errorf("unknown key %q (names: enter, tab, esc, backspace, delete, up, down, left, right, home, end, pageup, pagedown, f1-f12, ctrl-a … ctrl-z)", k)
}
