package output

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"strings"
)

// Redactor replaces secret values by "***". It is the one redaction of
// agent-exec: windows ([Read], through [Options.Redact]), single strings
// ([Redactor.String]) and byte streams ([Redactor.Writer]) all mask the
// same values the same way: the longest value first where two match at one
// place, in one pass, so no value can leave part of a longer one visible.
//
// A nil *Redactor, or one built from no non-empty value, redacts nothing.
type Redactor struct {
	values  []string // distinct, non-empty, longest first
	replace *strings.Replacer
}

// NewRedactor returns a Redactor of values; empty values and repeats are
// ignored.
func NewRedactor(values ...string) *Redactor {
	vals := secrets(values)
	return &Redactor{values: vals, replace: replacer(vals)}
}

// Values returns the distinct non-empty values, longest first. The caller
// must not modify the slice.
func (r *Redactor) Values() []string {
	if r == nil {
		return nil
	}
	return r.values
}

// String returns s with every value replaced by "***".
func (r *Redactor) String(s string) string {
	if r == nil || r.replace == nil {
		return s
	}
	return r.replace.Replace(s)
}

// Redact replaces every occurrence of the values of secretValues in s with
// "***": NewRedactor(secretValues...).String(s).
func Redact(s string, secretValues []string) string {
	return NewRedactor(secretValues...).String(s)
}

// secrets returns the distinct non-empty values of redact, longest first, so
// that where two values match at the same place the longer one is masked.
func secrets(redact []string) []string {
	var out []string
	for _, s := range redact {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return out
}

// replacer returns a Replacer that masks every value of vals in one pass, or
// nil when there is nothing to redact.
func replacer(vals []string) *strings.Replacer {
	if len(vals) == 0 {
		return nil
	}
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, mask)
	}
	return strings.NewReplacer(pairs...)
}

// RedactWriter writes bytes through to an io.Writer with every value of its
// Redactor replaced by "***". A value may be split across writes, so a tail
// that is the beginning of a value is held back until later bytes (or
// Flush) settle it.
type RedactWriter struct {
	w       io.Writer
	values  [][]byte  // longest first, so the longest match wins
	first   [256]bool // the first bytes of the values
	pending []byte    // held back: a proper prefix of some value
	out     []byte
}

// Writer returns a RedactWriter that writes to w.
func (r *Redactor) Writer(w io.Writer) *RedactWriter {
	rw := &RedactWriter{w: w}
	for _, v := range r.Values() {
		rw.values = append(rw.values, []byte(v))
		rw.first[v[0]] = true
	}
	return rw
}

// Held returns the number of bytes held back: the bytes written that have
// not reached the underlying writer yet, in one form or the other.
func (rw *RedactWriter) Held() int { return len(rw.pending) }

// Write writes p, redacted, except a tail that may begin a value. It
// returns len(p) when the underlying writer took what it was given.
func (rw *RedactWriter) Write(p []byte) (int, error) {
	if len(rw.values) == 0 {
		return rw.w.Write(p)
	}
	b := p
	if len(rw.pending) > 0 {
		b = append(rw.pending, p...)
	}
	if err := rw.scan(b, false); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is held back, redacted: no more bytes will come.
func (rw *RedactWriter) Flush() error {
	if len(rw.pending) == 0 {
		return nil
	}
	return rw.scan(rw.pending, true)
}

// scan writes b with the values replaced. Unless final, a tail of b that
// may be the start of a value (or of a longer one than it already holds)
// is kept in pending instead.
func (rw *RedactWriter) scan(b []byte, final bool) error {
	rw.out = rw.out[:0]
	i, plain := 0, 0 // b[plain:i] is clear text not yet copied to out
scan:
	for i < len(b) {
		if !rw.first[b[i]] {
			i++
			continue
		}
		rest := b[i:]
		for _, v := range rw.values { // longest first
			if bytes.HasPrefix(rest, v) {
				rw.out = append(append(rw.out, b[plain:i]...), mask...)
				i += len(v)
				plain = i
				continue scan
			}
			if !final && len(rest) < len(v) && bytes.HasPrefix(v, rest) {
				break scan // maybe this value: wait for more
			}
		}
		i++
	}
	rw.out = append(rw.out, b[plain:i]...)
	rw.pending = append(rw.pending[:0:0], b[i:]...)
	if len(rw.out) == 0 {
		return nil
	}
	_, err := rw.w.Write(rw.out)
	return err
}
