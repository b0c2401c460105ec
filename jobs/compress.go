package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/agent-exec/agent-exec/compress"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
	"github.com/agent-exec/agent-exec/supervisor"
)

// What compression examines of a span: all of it up to maxCompressSpan;
// of a longer one (logs of up to a GiB and more), its first headSpan
// bytes, its last tailSpan bytes, and in between every line the notable
// index names (errors, failures; see supervisor.ExtendNotable) with a little context,
// at most maxNotableLines of them. The parts are joined with holes that
// the selection never shows: each lies inside a marker with its offsets.
const (
	maxCompressSpan = 4 << 20
	headSpan        = 64 << 10
	tailSpan        = 2 << 20
	maxNotableLines = 256
	// notableBefore and notableAfter bound the context read around a
	// notable line: the line before it, and the lines after it that
	// explain it (a stack trace, an error's details).
	notableBefore = 512
	notableAfter  = 2048
)

// compressible reports whether a window is one whose span the call fixes —
// the whole run (run, start, restart, and observe of a finished run),
// what followed a write (input), or, when the caller asks for compression
// outright, the whole log (observe of a running job, without offset).
// Forward pages and the plain tail of a running job stay raw and exact.
func compressible(v callView, o *Observation, mode compress.Mode) bool {
	switch {
	case mode == compress.Off:
		return false
	case v.kind == windowRun || v.kind == windowFrom:
		return true
	default:
		return o.Offset == nil && mode != compress.Auto
	}
}

// compressWindow replaces out's window over [start, end) of the log at
// path with a compressed one when that is what the mode asks for, and
// reports what it did in out.Compression.
func compressWindow(out *OutputView, path string, m *jobstore.Meta, o *Observation, mode compress.Mode, start, end int64) error {
	if mode == compress.Auto && end-start <= int64(o.MaxBytes) && !compress.Masks(m.Command) {
		return nil // the plain window is the whole span: lossless
	}
	parts, err := examined(path, out.Stream, start, end)
	if err != nil {
		return err
	}
	text, ends, holes, err := readParts(path, parts, func(raw []byte) string {
		t := strings.ToValidUTF8(string(raw), string(utf8.RuneError))
		if !o.Raw {
			t = output.Clean(raw)
		}
		return output.Redact(t, secrets(m))
	})
	if err != nil {
		return err
	}
	budget := o.MaxBytes
	got, rep, applied := compress.Compress(compress.Input{
		Text: text, Start: start, LineEnds: ends, Holes: holes,
		Command: m.Command, MaxBytes: budget, Mode: mode,
	})
	rep.OriginalBytes = int(end - start)
	switch {
	case applied:
		out.Text = got
	case rep.Strategy == "fits" && len(holes) == 0:
		out.Text = text // cleaning made the span fit: show all of it
	default:
		out.Compression = rep.Map()
		return nil // keep the plain window
	}
	out.Start, out.End, out.NextOffset = start, end, end
	out.Truncated, out.Omitted = applied, nil
	rep.ReturnedBytes = len(out.Text)
	out.Compression = rep.Map()
	return nil
}

// part is a span of the log that compression examines, [start, end).
type part struct{ start, end int64 }

// examined returns the parts of [start, end) of the log at path that
// compression examines, in order and apart: the whole span when it is at
// most maxCompressSpan; otherwise its head, the notable lines between
// head and tail with their context, and its tail, each made of whole
// lines (a line longer than a part is cut).
func examined(path, stream string, start, end int64) ([]part, error) {
	if end-start <= maxCompressSpan {
		return []part{{start, end}}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the window to compress: %w", err)
	}
	defer f.Close()
	headEnd, err := lineBoundary(f, start+headSpan, start, false)
	if err != nil {
		return nil, err
	}
	tailStart, err := lineBoundary(f, end-tailSpan, headEnd, true)
	if err != nil {
		return nil, err
	}
	parts := []part{{start, headEnd}}
	idx := filepath.Join(filepath.Dir(path), supervisor.NotableIndexName(stream))
	lines, err := notableLines(path, idx, end, headEnd, tailStart)
	if err != nil {
		lines = nil // no index (a read-only job directory): the head and the tail still are examined
	}
	if len(lines) > maxNotableLines {
		// The first and the last: where a failure starts, and where the
		// run ended up.
		lines = append(lines[:maxNotableLines/2:maxNotableLines/2], lines[len(lines)-maxNotableLines/2:]...)
	}
	for _, l := range lines {
		a, err := lineBoundary(f, max(headEnd, l.Off-notableBefore), headEnd, true)
		if err != nil {
			return nil, err
		}
		if a > l.Off {
			a = l.Off
		}
		b, err := lineBoundary(f, min(tailStart, l.Off+notableAfter), l.Off+1, false)
		if err != nil {
			return nil, err
		}
		if last := &parts[len(parts)-1]; a <= last.end {
			last.end = max(last.end, b)
			continue
		}
		parts = append(parts, part{a, b})
	}
	if last := &parts[len(parts)-1]; tailStart <= last.end {
		last.end = end
	} else {
		parts = append(parts, part{tailStart, end})
	}
	return parts, nil
}

// lineBoundary moves p to a line start near it, within a few KiB: forward
// to the start of the next line when forward, else back to the start of
// the line p is in, but never before floor. When no newline is near, it
// returns p (a long line is cut).
func lineBoundary(f *os.File, p, floor int64, forward bool) (int64, error) {
	const look = 4 << 10
	if p <= floor {
		return floor, nil
	}
	if forward {
		buf := make([]byte, look)
		n, err := f.ReadAt(buf, p-1)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("read the window to compress: %w", err)
		}
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return p + int64(i), nil
		}
		return p, nil
	}
	lo := max(floor, p-look)
	buf := make([]byte, p-lo)
	n, err := f.ReadAt(buf, lo)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read the window to compress: %w", err)
	}
	if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
		return lo + int64(i) + 1, nil
	}
	return p, nil
}

// readParts reads the parts of the log and returns their text, joined
// with one blank hole line between two parts, the log offset where each
// line ends ([compress.Input.LineEnds]: a hole ends where the next part
// starts), and the holes' line indexes. render turns a part's raw bytes
// into its text (cleaned, redacted), keeping every newline.
func readParts(path string, parts []part, render func([]byte) string) (string, []int64, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, nil, fmt.Errorf("read the window to compress: %w", err)
	}
	defer f.Close()
	var text strings.Builder
	var ends []int64
	var holes []int
	for k, p := range parts {
		raw := make([]byte, p.end-p.start)
		if _, err := f.ReadAt(raw, p.start); err != nil && !errors.Is(err, io.EOF) {
			return "", nil, nil, fmt.Errorf("read the window to compress: %w", err)
		}
		t := render(raw)
		e := compress.LineEnds(raw, p.start)
		text.WriteString(t)
		if k == len(parts)-1 {
			ends = append(ends, e...)
			break
		}
		ends = append(ends, e[:len(e)-1]...)
		if !strings.HasSuffix(t, "\n") {
			text.WriteByte('\n') // a cut line: its rest is in the hole
			ends = append(ends, p.end)
		}
		holes = append(holes, len(ends))
		text.WriteByte('\n')
		ends = append(ends, parts[k+1].start)
	}
	return text.String(), ends, holes, nil
}
