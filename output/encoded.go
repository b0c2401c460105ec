package output

import "unicode/utf8"

// EncodedLen returns the number of bytes s takes inside a JSON string as
// encoding/json writes it, quotes excluded: every returned byte a window
// shows counts against its max_bytes this way, escapes included. A quote,
// a backslash and \n, \r, \t, \b, \f take two bytes; other control
// characters, the HTML-sensitive <, > and &, U+2028, U+2029 and invalid
// UTF-8 take six (\u003c); any other character its UTF-8 length.
func EncodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n += asciiLen[c]
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// asciiLen is the encoded length of each ASCII byte.
var asciiLen = func() (t [utf8.RuneSelf]int) {
	for c := range t {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			t[c] = 2
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			t[c] = 6
		default:
			t[c] = 1
		}
	}
	return t
}()

// ClipEncoded returns the longest prefix of s, cut at a character boundary,
// whose EncodedLen is at most max, and whether it cut anything.
func ClipEncoded(s string, max int) (string, bool) {
	n := 0
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		k := EncodedLen(s[i : i+size])
		if n+k > max {
			return s[:i], true
		}
		n += k
		i += size
	}
	return s, false
}
