package jobs

import (
	"errors"
	"io"
	"os"
)

// echoReach bounds the output an echo is looked for in: a terminal echoes
// each typed character as at most a few bytes, plus redraws.
const echoReach = 64 << 10

// echoSkip finds where a terminal's echo of the input just written ends in
// the log, so that the wait for the answer starts after it: an input call's
// idle clock and its wait_for look at the answer, not at the echo.
//
// The echo is the input's printable characters, in order, amid carriage
// returns, newlines, other control characters and escape sequences (line
// editors such as readline redraw as they echo). The answer begins at the
// first printable character that is not the next one expected, or that
// comes after the whole input has been echoed. Output that is not an echo
// at all (echo turned off, a program that draws its own screen) starts the
// answer at its first printable character that differs from the input.
type echoSkip struct {
	want []byte // the printable bytes of the input
	seen int    // how many of want have been echoed
	from int64  // where the input's output begins
	pos  int64  // the next byte of the log to look at
	esc  escState
	done bool
	end  int64 // once done: where the answer begins
}

type escState uint8

const (
	escNone escState = iota
	escStart
	escCSI
	escString // OSC, DCS and the like: up to BEL or ESC \
	escStringEsc
)

func newEchoSkip(input []byte, from int64) *echoSkip {
	e := &echoSkip{from: from, pos: from}
	// The keys' escape sequences (arrows, function keys) are not echoed
	// as typed: keep the plain characters only.
	for _, c := range input {
		if !e.skip(c) {
			e.want = append(e.want, c)
		}
	}
	e.esc = escNone
	return e
}

// feed looks at b, the log's bytes from e.pos on, and reports whether the
// answer has begun.
func (e *echoSkip) feed(b []byte) bool {
	for i, c := range b {
		if e.skip(c) {
			continue
		}
		if e.seen < len(e.want) && c == e.want[e.seen] {
			e.seen++
			continue
		}
		e.done, e.end = true, e.pos+int64(i)
		return true
	}
	e.pos += int64(len(b))
	return false
}

// skip advances the escape-sequence state by c and reports whether c is
// part of a sequence or a control character, never echoed text.
func (e *echoSkip) skip(c byte) bool {
	switch e.esc {
	case escStart:
		switch c {
		case '[':
			e.esc = escCSI
		case ']', 'P', 'X', '^', '_':
			e.esc = escString
		default:
			if c < 0x20 || c > 0x2f { // not an intermediate byte: the final one
				e.esc = escNone
			}
		}
		return true
	case escCSI:
		if c >= 0x40 && c <= 0x7e {
			e.esc = escNone
		}
		return true
	case escString:
		switch c {
		case 0x07, '\n':
			e.esc = escNone
		case 0x1b:
			e.esc = escStringEsc
		}
		return true
	case escStringEsc:
		e.esc = escNone
		return true
	}
	if c == 0x1b {
		e.esc = escStart
		return true
	}
	return c < 0x20 || c == 0x7f
}

// scanTo feeds e the bytes of the log at path up to offset to (at most
// echoReach past the input's start) and reports whether the answer has
// begun. Past that reach, whatever the bytes are, the answer has begun.
func (e *echoSkip) scanTo(path string, to int64) (bool, error) {
	if e.done {
		return true, nil
	}
	limit := e.from + echoReach
	if e.pos >= limit {
		e.done, e.end = true, e.pos
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close() // read-only: a close error cannot lose data
	if to <= e.pos {
		return false, nil
	}
	buf := make([]byte, min(to, limit)-e.pos)
	n, err := f.ReadAt(buf, e.pos)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if e.feed(buf[:n]) {
		return true, nil
	}
	if e.pos >= limit {
		e.done, e.end = true, e.pos
		return true, nil
	}
	return false, nil
}
