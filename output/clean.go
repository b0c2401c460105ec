package output

import (
	"strings"
	"unicode/utf8"
)

// Options says how raw log bytes become the text of a [Window].
// The zero value cleans the text and redacts nothing.
type Options struct {
	// Raw, when true, skips escape-sequence stripping and carriage-return
	// collapsing. Invalid UTF-8 still becomes U+FFFD, because the text ends up
	// in JSON, which must be valid UTF-8.
	Raw bool
	// Redact lists secret values. Every occurrence in the returned text is
	// replaced by "***", in raw mode too; a value cut by a window edge is
	// masked as well, so no part of it is shown. Empty strings are ignored.
	Redact []string
}

// mask replaces every redacted value.
const mask = "***"

// Control characters that Clean interprets.
const (
	bel = 0x07
	bs  = 0x08
	esc = 0x1b
	del = 0x7f
)

// C1 control characters that open a sequence, as runes (their 8-bit forms
// are not valid UTF-8 and become U+FFFD instead).
const (
	c1DCS = 0x90
	c1SOS = 0x98
	c1CSI = 0x9b
	c1ST  = 0x9c
	c1OSC = 0x9d
	c1PM  = 0x9e
	c1APC = 0x9f
)

// Clean turns raw terminal output into plain text. The result is valid UTF-8
// (each run of invalid bytes becomes one U+FFFD) and contains no escape
// character, no carriage return and no control character other than '\n'
// and '\t'.
//
// Clean removes:
//   - CSI sequences: ESC [ or U+009B, parameter and intermediate bytes
//     (0x20–0x3F), then a final byte (0x40–0x7E), e.g. colors and ESC[?25l;
//   - string sequences: OSC (ESC ]), DCS (ESC P), SOS (ESC X), PM (ESC ^) and
//     APC (ESC _), up to BEL, ESC \ or U+009C;
//   - other escape sequences: ESC, intermediate bytes (0x20–0x2F), one final
//     byte (0x30–0x7E), e.g. ESC 7, ESC =, ESC ( B;
//   - other C0 and C1 control characters, and DEL.
//
// A sequence cut short by a byte that cannot continue it is dropped up to
// that byte, and the byte is processed normally; a sequence unfinished at
// the end of b is dropped. A string sequence ends at a newline too, so a
// missing terminator never swallows the rest of the output.
//
// Clean collapses carriage-return overwrites: after a '\r', the next
// character written starts its line over, so "10%\r20%\r30%\n" becomes
// "30%\n". A '\r' followed by nothing before the newline or the end of b
// overwrites nothing: "\r\n" is a plain newline and a trailing "\r" keeps
// its line. A backspace deletes the previous character of the line.
//
// Clean runs in one pass, in time linear in len(b).
func Clean(b []byte) string {
	c := cleaner{out: make([]byte, 0, len(b))}
	c.run(b)
	return string(c.out)
}

// cleaner holds the state of one Clean pass.
type cleaner struct {
	out []byte
	// lineStart is the index in out where the current line begins.
	lineStart int
	// overwrite is set by a '\r': the next character written replaces the
	// current line.
	overwrite bool
	// invalid is set while a run of invalid UTF-8 is being replaced, so the
	// run yields one U+FFFD.
	invalid bool
}

func (c *cleaner) run(b []byte) {
	for i := 0; i < len(b); {
		if b[i] >= 0x20 && b[i] < del {
			// Fast path: a run of printable ASCII.
			j := i + 1
			for j < len(b) && b[j] >= 0x20 && b[j] < del {
				j++
			}
			c.write(b[i:j])
			i = j
			continue
		}
		if b[i] < utf8.RuneSelf {
			i = c.control(b, i)
			continue
		}
		i = c.nonASCII(b, i)
	}
}

// write appends printable text to the current line.
func (c *cleaner) write(p []byte) {
	c.begin()
	c.invalid = false
	c.out = append(c.out, p...)
}

// begin prepares the current line for a character: a pending carriage
// return makes it start over.
func (c *cleaner) begin() {
	if c.overwrite {
		c.out = c.out[:c.lineStart]
		c.overwrite = false
	}
}

// control handles the ASCII control character (or DEL) at b[i] and returns
// the index of the next byte to process.
func (c *cleaner) control(b []byte, i int) int {
	c.invalid = false
	switch b[i] {
	case '\n':
		c.out = append(c.out, '\n')
		c.lineStart = len(c.out)
		c.overwrite = false
	case '\t':
		c.write(b[i : i+1])
	case '\r':
		c.overwrite = true
	case bs:
		c.backspace()
	case esc:
		return skipEscape(b, i)
	}
	return i + 1
}

// backspace deletes the last character of the current line. After a '\r'
// the cursor is at the start of the line, so there is nothing to delete.
func (c *cleaner) backspace() {
	if c.overwrite || len(c.out) == c.lineStart {
		return
	}
	_, n := utf8.DecodeLastRune(c.out[c.lineStart:])
	c.out = c.out[:len(c.out)-n]
}

// nonASCII handles the byte b[i] >= 0x80 and returns the index of the next
// byte to process.
func (c *cleaner) nonASCII(b []byte, i int) int {
	r, n := utf8.DecodeRune(b[i:])
	switch {
	case r == utf8.RuneError && n == 1:
		if !c.invalid {
			c.begin()
			c.out = utf8.AppendRune(c.out, utf8.RuneError)
			c.invalid = true
		}
		return i + 1
	case r == c1CSI:
		c.invalid = false
		return skipCSI(b, i+n)
	case r == c1OSC || r == c1DCS || r == c1SOS || r == c1PM || r == c1APC:
		c.invalid = false
		return skipString(b, i+n)
	case r >= 0x80 && r <= 0x9f:
		c.invalid = false
		return i + n
	}
	c.write(b[i : i+n])
	return i + n
}

// skipEscape skips the escape sequence that starts with the ESC at b[i] and
// returns the index of the first byte after it.
func skipEscape(b []byte, i int) int {
	j := i + 1
	if j == len(b) {
		return j
	}
	switch b[j] {
	case '[':
		return skipCSI(b, j+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(b, j+1)
	}
	for j < len(b) && b[j] >= 0x20 && b[j] <= 0x2f {
		j++
	}
	if j < len(b) && b[j] >= 0x30 && b[j] <= 0x7e {
		j++
	}
	return j
}

// skipCSI skips the parameters and final byte of a CSI sequence whose
// introducer ends just before b[j].
func skipCSI(b []byte, j int) int {
	for j < len(b) && b[j] >= 0x20 && b[j] <= 0x3f {
		j++
	}
	if j < len(b) && b[j] >= 0x40 && b[j] <= 0x7e {
		j++
	}
	return j
}

// skipString skips the body and terminator of a string sequence (OSC, DCS,
// SOS, PM, APC) whose introducer ends just before b[j]. A newline or an ESC
// that does not start ST ends the sequence without being consumed.
func skipString(b []byte, j int) int {
	for ; j < len(b); j++ {
		switch b[j] {
		case bel:
			return j + 1
		case '\n':
			return j
		case esc:
			if j+1 < len(b) && b[j+1] == '\\' {
				return j + 2
			}
			return j
		case 0xc2:
			if j+1 < len(b) && b[j+1] == c1ST {
				return j + 2
			}
		}
	}
	return j
}

// render turns raw bytes into the text of a window, as opt asks.
func (opt Options) render(b []byte, r *Redactor) string {
	var s string
	if opt.Raw {
		s = strings.ToValidUTF8(string(b), string(utf8.RuneError))
	} else {
		s = Clean(b)
	}
	return r.String(s)
}
