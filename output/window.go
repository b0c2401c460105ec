package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"
)

// ErrInvalidRequest is returned, wrapped, for a [Request] that no caller
// should build (a programming error, not a property of the log).
var ErrInvalidRequest = errors.New("invalid output request")

// Request is what a reader asked to see of one log file.
type Request struct {
	// Start and End bound the requested span in bytes, [Start, End).
	// End < 0 means the current end of the file. Both are clamped to the
	// file; Start must not be negative unless Tail is set.
	Start, End int64
	// Tail, when true, ignores Start and Forward and shows the last MaxBytes
	// of [0, End): a tail view.
	Tail bool
	// Say, with Tail, starts the text of a tail that does not start at 0
	// with one marker line that names the bytes before it and how to read
	// them; the marker counts against MaxBytes.
	Say bool
	// Forward, when true, pages forward through a span larger than MaxBytes:
	// the window shows its first MaxBytes and the caller continues from
	// NextOffset, so nothing is skipped. When false, such a span is shown as
	// its head and tail with the middle omitted (a call-relative window such
	// as "everything since the run started").
	Forward bool
	// MaxBytes bounds the bytes shown; it must be positive. Cut points move
	// to UTF-8 character boundaries, so a window may show fewer bytes, and a
	// forward page shows at least one whole character (up to 4 bytes) so
	// that paging always moves on.
	MaxBytes int
	// Encoded makes MaxBytes bound the window's text as it is encoded in a
	// JSON string instead (see [EncodedLen]: escapes, the omission marker
	// and every U+FFFD count): fewer bytes of the log are shown when their
	// text encodes longer. A forward page still shows at least one
	// character, and a head-and-tail window at least its marker line.
	Encoded bool
	// Floor is where the log's data starts: the bytes before it were
	// discarded by log rotation (see [DataStart]). No window shows them; a
	// window whose span began before Floor starts at Floor and reports it
	// in RotatedBefore.
	Floor int64
}

// Window is a bounded view of one log file.
type Window struct {
	// Text is the shown bytes, cleaned and redacted as [Options] say. When a
	// middle part is omitted, Text holds one marker line between head and
	// tail that names the omitted range and how to read it; a tail asked
	// with Say starts with one that names the bytes before it.
	Text string `json:"text"`
	// TotalBytes is the file size seen at read time.
	TotalBytes int64 `json:"total_bytes"`
	// Start and End are the raw byte offsets of what is shown, [Start, End).
	// When a middle is omitted, Start is the head's start and End the tail's
	// end.
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// Omitted is the middle part left out, nil if none.
	Omitted *Range `json:"omitted,omitempty"`
	// NextOffset is where to continue reading forward; it equals End.
	NextOffset int64 `json:"next_offset"`
	// Truncated is true when anything in the requested span is not shown.
	Truncated bool `json:"truncated"`
	// RotatedBefore, when not 0, says that the requested span began
	// before this offset and the bytes before it are gone (log rotation):
	// the window starts there.
	RotatedBefore int64 `json:"rotated_before,omitempty"`
}

// Range is a span of raw byte offsets, [Start, End).
type Range struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// headDivisor gives the head's share of MaxBytes in a head-and-tail window:
// the beginning and the end of a build are where the errors are, and the end
// matters more.
const headDivisor = 4

// Read returns the window req asks for of a log of size bytes read through f.
// It reads only the bytes it shows, plus a few bytes around each cut point
// (and, when opt redacts, the length of the longest secret), so its cost is
// O(req.MaxBytes) whatever size is.
//
// Read returns an error wrapping [ErrInvalidRequest] when req.MaxBytes is not
// positive, req.Start is negative (without Tail) or size is negative, and a
// wrapped read error, [io.ErrUnexpectedEOF] included, when f holds fewer than
// size bytes.
func Read(f io.ReaderAt, size int64, req Request, opt Options) (Window, error) {
	if err := req.validate(); err != nil {
		return Window{}, err
	}
	if size < 0 {
		return Window{}, fmt.Errorf("%w: negative size %d", ErrInvalidRequest, size)
	}
	r := newReader(f, size, opt)
	limit := int64(req.MaxBytes)
	if !req.Encoded {
		return r.read(req, limit)
	}
	floor := int64(0)
	if req.Forward && !req.Tail {
		floor = 1 // a page shows at least one character
	}
	for i := 0; ; i++ {
		w, err := r.read(req, limit)
		if err != nil {
			return Window{}, err
		}
		enc := EncodedLen(w.Text)
		if enc <= req.MaxBytes || limit <= floor {
			return w, nil
		}
		// The text encodes longer than the bytes it shows (escapes, newlines,
		// U+FFFD for invalid bytes, the omission marker): show fewer bytes,
		// in proportion, then by halves if that does not settle it.
		over := int64(enc - req.MaxBytes)
		next := min(limit-over, limit*int64(req.MaxBytes)/int64(enc))
		if i >= 8 {
			next = min(next, limit/2)
		}
		limit = max(floor, min(next, limit-1))
	}
}

// read returns the window req asks for, showing at most limit bytes of the
// log.
func (r *reader) read(req Request, limit int64) (Window, error) {
	r.encoded = req.Encoded
	floor := min(max(req.Floor, 0), r.size)
	if req.Tail {
		end := max(req.end(r.size), floor)
		w, err := r.tail(floor, end, limit)
		if err != nil {
			return w, err
		}
		if w.Start == floor {
			if floor > 0 {
				w.RotatedBefore = floor // the tail reaches back to what rotation kept
			}
			return w, nil
		}
		if !req.Say {
			return w, nil
		}
		// Make room for the marker (costed at its longest), then say what
		// came before.
		m := tailMarker(floor, end)
		room := limit - int64(len(m))
		if r.encoded {
			room = limit - int64(EncodedLen(m))
		}
		if w, err = r.tail(floor, end, max(0, room)); err != nil {
			return w, err
		}
		w.Text = tailMarker(floor, w.Start) + w.Text
		return w, nil
	}
	start, end := req.span(r.size)
	rotated := int64(0)
	if start < floor {
		start, end, rotated = floor, max(end, floor), floor
	}
	var w Window
	var err error
	switch {
	case end-start <= limit:
		w, err = r.whole(start, end)
	case req.Forward:
		w, err = r.page(start, end, limit)
	default:
		w, err = r.headTail(start, end, limit)
	}
	if rotated > 0 {
		w.RotatedBefore, w.Truncated = rotated, true
	}
	return w, err
}

// ReadFile is [Read] on the file at path. A missing file is an empty log: the
// window is empty, with TotalBytes 0, and the error is nil.
func ReadFile(path string, req Request, opt Options) (Window, error) {
	if err := req.validate(); err != nil {
		return Window{}, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Read(bytes.NewReader(nil), 0, req, opt)
	}
	if err != nil {
		return Window{}, fmt.Errorf("open log: %w", err)
	}
	defer f.Close() // read-only: a close error cannot lose data
	st, err := f.Stat()
	if err != nil {
		return Window{}, fmt.Errorf("stat log: %w", err)
	}
	// A log that rotation may cut while it is read: read above where its
	// data starts, then check that the cut did not pass what was read (it
	// moves on by whole blocks, rarely); if it did, read again above it.
	floor := req.Floor
	for try := 0; ; try++ {
		req.Floor = max(floor, DataStartOf(f, st.Size()))
		w, err := Read(f, st.Size(), req, opt)
		if err != nil {
			return Window{}, fmt.Errorf("read log %s: %w", path, err)
		}
		if try == 2 || w.Start == w.End || DataStartOf(f, st.Size()) <= w.Start {
			return w, nil
		}
	}
}

func (req Request) validate() error {
	if req.MaxBytes <= 0 {
		return fmt.Errorf("%w: MaxBytes %d is not positive", ErrInvalidRequest, req.MaxBytes)
	}
	if req.Start < 0 && !req.Tail {
		return fmt.Errorf("%w: negative Start %d", ErrInvalidRequest, req.Start)
	}
	return nil
}

// span returns the requested span clamped to a file of size bytes.
func (req Request) span(size int64) (start, end int64) {
	start = min(req.Start, size)
	return start, max(start, req.end(size))
}

// end returns req.End clamped to a file of size bytes.
func (req Request) end(size int64) int64 {
	if req.End < 0 || req.End > size {
		return size
	}
	return req.End
}

// marker returns the line that stands for the omitted range o in a window's
// text.
func marker(o Range) string {
	return fmt.Sprintf("[... %d bytes omitted (offsets %d-%d); call observe with offset=%d to read them ...]\n",
		o.End-o.Start, o.Start, o.End, o.Start)
}

// tailMarker returns the line that stands for the bytes before a tail
// window that starts at start.
func tailMarker(floor, start int64) string {
	if floor > 0 {
		return fmt.Sprintf("[... %d bytes before (offsets %d-%d; log_rotate discarded the older ones); call observe with offset=%d to read them, or compress=always for a selection ...]\n",
			start-floor, floor, start, floor)
	}
	return fmt.Sprintf("[... %d bytes before (offsets 0-%d); call observe with offset=0 to read them, or compress=always for a selection ...]\n",
		start, start)
}

// reader reads windows of one log.
type reader struct {
	f    io.ReaderAt
	size int64
	opt  Options
	// secrets are the values to redact, longest first, and replace masks
	// them.
	secrets []string
	replace *Redactor
	cache   []cached // what readAt read
	encoded bool     // limits count encoded text (Request.Encoded)
}

// cached is a span of the log already read: b holds the bytes from lo.
type cached struct {
	lo int64
	b  []byte
}

func newReader(f io.ReaderAt, size int64, opt Options) *reader {
	red := NewRedactor(opt.Redact...)
	return &reader{f: f, size: size, opt: opt, secrets: red.Values(), replace: red}
}

// whole shows all of [start, end).
func (r *reader) whole(start, end int64) (Window, error) {
	text, err := r.segment(start, end)
	if err != nil {
		return Window{}, err
	}
	return r.window(text, start, end, false), nil
}

// page shows the first limit bytes of [start, end), ending on a character
// boundary.
func (r *reader) page(start, end, limit int64) (Window, error) {
	cut := start + limit
	lo, hi, err := r.straddle(cut, start, end)
	if err != nil {
		return Window{}, err
	}
	if lo > start {
		cut = lo // the next page starts with this character
	} else if hi > cut {
		cut = hi // one character longer than limit: show it whole to move on
	}
	text, err := r.segment(start, cut)
	if err != nil {
		return Window{}, err
	}
	return r.window(text, start, cut, cut < end), nil
}

// headTail shows the head (a quarter of limit) and the tail (the rest) of
// [start, end) and omits the middle.
// When the text's encoded length is what counts, the marker line counts
// against limit too: head and tail share what is left.
func (r *reader) headTail(start, end, limit int64) (Window, error) {
	if r.encoded {
		limit = max(0, limit-int64(EncodedLen(marker(Range{Start: start + limit/headDivisor, End: end - limit}))))
	}
	headLen := limit / headDivisor
	headEnd, tailStart := start+headLen, end-(limit-headLen)
	lo, _, err := r.straddle(headEnd, start, end)
	if err != nil {
		return Window{}, err
	}
	if lo >= start && lo < headEnd {
		headEnd = lo
	}
	_, hi, err := r.straddle(tailStart, start, end)
	if err != nil {
		return Window{}, err
	}
	tailStart = max(tailStart, hi)
	head, err := r.segment(start, headEnd)
	if err != nil {
		return Window{}, err
	}
	tail, err := r.segment(tailStart, end)
	if err != nil {
		return Window{}, err
	}
	omitted := Range{Start: headEnd, End: tailStart}
	if head != "" && !strings.HasSuffix(head, "\n") {
		head += "\n"
	}
	w := r.window(head+marker(omitted)+tail, start, end, true)
	w.Omitted = &omitted
	return w, nil
}

// tail shows the last limit bytes of [0, end), starting on a character
// boundary.
func (r *reader) tail(floor, end, limit int64) (Window, error) {
	start := max(floor, end-limit)
	_, hi, err := r.straddle(start, 0, end)
	if err != nil {
		return Window{}, err
	}
	start = max(start, hi)
	text, err := r.segment(start, end)
	if err != nil {
		return Window{}, err
	}
	return r.window(text, start, end, start > 0), nil
}

func (r *reader) window(text string, start, end int64, truncated bool) Window {
	return Window{
		Text:       text,
		TotalBytes: r.size,
		Start:      start,
		End:        end,
		NextOffset: end,
		Truncated:  truncated,
	}
}

// straddle reports the valid multi-byte UTF-8 character of the file that
// contains the cut point p strictly inside it, as its offsets [lo, hi), looking
// only at bytes in [from, to). It returns lo = hi = -1 when p is on a
// character boundary, or when the bytes around p are not valid UTF-8 (then
// the caller just cuts at p).
func (r *reader) straddle(p, from, to int64) (lo, hi int64, err error) {
	first, last := max(from, p-utf8.UTFMax+1), min(to, p+utf8.UTFMax-1)
	if p <= first || p >= last {
		return -1, -1, nil
	}
	buf, err := r.readAt(first, last)
	if err != nil {
		return -1, -1, err
	}
	i, j, ok := straddleBuf(buf, int(p-first))
	if !ok {
		return -1, -1, nil
	}
	return first + int64(i), first + int64(j), nil
}

// straddleBuf reports the valid multi-byte character buf[lo:hi] with
// lo < i < hi.
func straddleBuf(buf []byte, i int) (lo, hi int, ok bool) {
	if i <= 0 || i >= len(buf) || utf8.RuneStart(buf[i]) {
		return 0, 0, false
	}
	for lo = i - 1; lo >= 0 && lo > i-utf8.UTFMax; lo-- {
		if !utf8.RuneStart(buf[lo]) {
			continue
		}
		c, n := utf8.DecodeRune(buf[lo:])
		if c == utf8.RuneError && n == 1 || lo+n <= i {
			return 0, 0, false
		}
		return lo, lo + n, true
	}
	return 0, 0, false
}

// segment returns the text of the bytes [a, b). A secret that a or b cuts
// through is masked whole: its part inside the segment becomes "***".
func (r *reader) segment(a, b int64) (string, error) {
	if a >= b {
		return "", nil
	}
	reach := int64(0)
	if len(r.secrets) > 0 {
		reach = int64(len(r.secrets[0]) - 1)
	}
	lo, hi := max(0, a-reach), min(r.size, b+reach)
	buf, err := r.readAt(lo, hi)
	if err != nil {
		return "", err
	}
	i, j := int(a-lo), int(b-lo)
	from, to := i, j
	for _, s := range r.secrets {
		from = max(from, coverEnd(buf, s, i))
		to = min(to, coverStart(buf, s, j))
	}
	if from >= to {
		return mask, nil
	}
	var sb strings.Builder
	if from > i {
		sb.WriteString(mask)
	}
	sb.WriteString(r.opt.render(buf[from:to], r.replace))
	if to < j {
		sb.WriteString(mask)
	}
	return sb.String(), nil
}

// coverEnd returns the end of the last occurrence of s in buf that has p
// strictly inside it, or p when there is none.
func coverEnd(buf []byte, s string, p int) int {
	lo, hi := max(0, p-len(s)+1), min(len(buf), p+len(s)-1)
	if hi-lo < len(s) {
		return p
	}
	// Every occurrence within [lo, hi) has p strictly inside it.
	if q := bytes.LastIndex(buf[lo:hi], []byte(s)); q >= 0 {
		return lo + q + len(s)
	}
	return p
}

// coverStart returns the start of the first occurrence of s in buf that has p
// strictly inside it, or p when there is none.
func coverStart(buf []byte, s string, p int) int {
	lo, hi := max(0, p-len(s)+1), min(len(buf), p+len(s)-1)
	if hi-lo < len(s) {
		return p
	}
	if q := bytes.Index(buf[lo:hi], []byte(s)); q >= 0 {
		return lo + q
	}
	return p
}

// readAt reads the bytes [lo, hi) of the log. Bytes read before are not
// read again: a window that shrinks to fit its encoded size re-reads
// parts of what it read, so its cost stays O(MaxBytes). The bytes returned
// must not be modified.
func (r *reader) readAt(lo, hi int64) ([]byte, error) {
	if hi <= lo {
		return nil, nil
	}
	for _, c := range r.cache {
		if lo >= c.lo && hi <= c.lo+int64(len(c.b)) {
			return c.b[lo-c.lo : hi-c.lo], nil
		}
	}
	buf := make([]byte, hi-lo)
	n, err := r.f.ReadAt(buf, lo)
	if n == len(buf) {
		// A ReaderAt may report io.EOF with a full read.
		r.cache = append(r.cache, cached{lo: lo, b: buf})
		return buf, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("read bytes %d-%d: %w", lo, hi, err)
}
