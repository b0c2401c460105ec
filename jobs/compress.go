package jobs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/agent-exec/agent-exec/compress"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
)

// maxCompressSpan bounds the bytes compression examines: a larger span is
// examined from its last maxCompressSpan bytes, and the rest is named in a
// marker line.
const maxCompressSpan = 4 << 20

// compressible reports whether a window is one whose span the call fixes —
// the whole run (run, start, restart), what followed a write (input), or,
// when the caller asks for compression outright, the whole log (observe
// without offset). Forward pages and the plain tail stay raw and exact.
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
	cut, prefix := start, ""
	raw, err := readSpan(path, &cut, end)
	if err != nil {
		return err
	}
	if cut > start {
		prefix = fmt.Sprintf("[... %d bytes not examined (offsets %d-%d); read with offset=%d ...]\n", cut-start, start, cut, start)
	}
	text := strings.ToValidUTF8(string(raw), string(utf8.RuneError))
	if !o.Raw {
		text = output.Clean(raw)
	}
	text = output.Redact(text, secrets(m))
	budget := o.MaxBytes - len(prefix)
	got, rep, applied := compress.Compress(compress.Input{
		Text: text, Start: cut, LineEnds: compress.LineEnds(raw, cut),
		Command: m.Command, MaxBytes: budget, Mode: mode,
	})
	rep.OriginalBytes = int(end - start)
	switch {
	case applied:
		out.Text = prefix + got
	case rep.Strategy == "fits" && prefix == "":
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

// readSpan reads [*cut, end) of the log, at most maxCompressSpan bytes: for
// a larger span it moves *cut forward to the first line start of the last
// maxCompressSpan bytes.
func readSpan(path string, cut *int64, end int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the window to compress: %w", err)
	}
	defer f.Close()
	from := *cut
	if end-from > maxCompressSpan {
		from = end - maxCompressSpan
	}
	raw := make([]byte, end-from)
	if _, err := f.ReadAt(raw, from); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read the window to compress: %w", err)
	}
	if from > *cut {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 && i+1 < len(raw) {
			raw, from = raw[i+1:], from+int64(i)+1
		}
	}
	*cut = from
	return raw, nil
}
