package screen

import (
	"bytes"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// payloadSize bounds the data of one OSC, DCS, APC, PM or SOS sequence the
// parser keeps; longer payloads are cut. Only titles (OSC 0/2) are shown,
// and 4 KiB is plenty for them.
const payloadSize = 4 << 10

// newEmulator builds a hardened emulator of cols×rows for s. Its handlers
// run inside Emulator.Write, that is with s.mu held, so they may touch s.
func (s *Screen) newEmulator(cols, rows int) *vt.Emulator {
	e := vt.NewEmulator(cols, rows)

	// Replies to queries go into an io.Pipe and the library blocks until they
	// are read. Closing the write end makes every reply fail at once
	// (io.ErrClosedPipe, which the library ignores). TestQueriesDoNotBlock
	// guards this against a library upgrade.
	if pw, ok := e.InputPipe().(*io.PipeWriter); ok {
		_ = pw.Close() // closing an io.PipeWriter never fails
	}

	// Nothing shows scrollback. The public API can only shrink the main
	// screen's, and 0 means "default", hence 1; the hooks then remove both.
	e.SetScrollbackSize(1)
	detachScrollback(e)
	shrinkPayload(e, payloadSize)

	// Parameter caps. A handler registered later runs first; returning false
	// passes the sequence on to the built-in handler, which reads the same
	// parameter array and so sees the capped values.
	e.RegisterCsiHandler('r', func(p ansi.Params) bool {
		// DECSTBM: a bottom margin below the screen is stored as is and the
		// next scroll indexes past the last row.
		capParams(p, 2, e.Height())
		return false
	})
	e.RegisterCsiHandler('s', func(p ansi.Params) bool {
		// DECSLRM (with DECLRMM set): the same with a right margin.
		capParams(p, 2, e.Width())
		return false
	})
	for _, cmd := range []int{'X', 'I', 'Z'} {
		e.RegisterCsiHandler(cmd, func(p ansi.Params) bool {
			// ECH, CHT, CBT loop once per count; no count past the width
			// changes the result.
			capParams(p, 1, e.Width())
			return false
		})
	}
	e.RegisterCsiHandler('b', func(p ansi.Params) bool {
		// REP prints the previous character count times (2^31 takes
		// minutes).
		if len(p) > 0 {
			if n := p[0].Param(1); n > 0 {
				p[0] = ansi.Param(ansi.Parameter(repCount(n, e.Width(), e.Height()), p[0].HasMore()))
			}
		}
		return false
	})
	e.RegisterCsiHandler('J', func(p ansi.Params) bool {
		// ED 2 copies the screen into the current screen's scrollback before
		// clearing it, and the alternate screen's scrollback cannot be
		// limited through the API. ED 3 clears the screen just the same and
		// empties that scrollback instead. A no-op while the hooks work;
		// bounds full-screen redraws if they stop working.
		if len(p) > 0 && e.IsAltScreen() && p[0].Param(0) == 2 {
			p[0] = ansi.Param(ansi.Parameter(3, p[0].HasMore()))
		}
		return false
	})

	// Titles: the built-in OSC 0/2 handler splits the payload on every ';'
	// and drops titles that contain one.
	for _, cmd := range []int{0, 2} {
		e.RegisterOscHandler(cmd, func(data []byte) bool {
			// data is "0;title" or "2;title".
			if _, title, ok := bytes.Cut(data, []byte{';'}); ok {
				s.title = strings.ToValidUTF8(string(title), "\uFFFD")
			}
			return true
		})
	}
	return e
}

// capParams lowers each of the first k parameters of p that exceeds limit
// to limit. Missing parameters stay missing.
func capParams(p ansi.Params, k, limit int) {
	for i := 0; i < k && i < len(p); i++ {
		if p[i].Param(0) > limit {
			p[i] = ansi.Param(ansi.Parameter(limit, p[i].HasMore()))
		}
	}
}

// repCount returns a REP count below w·(h+2) that leaves the same screen as
// n. The library repeats only narrow characters. Once a full screen plus one
// row of them has been printed, each further w characters scroll one row and
// the picture repeats, so past that point n can be reduced modulo w. Inside
// left/right margins, which shorten the row, the result is close, not exact.
func repCount(n, w, h int) int {
	limit := w * (h + 1)
	if n <= limit {
		return n
	}
	return limit + (n-limit)%w
}
