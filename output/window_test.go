package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	alpha     = "abcdefghijklmnopqrstuvwxyz"
	digits    = "0123456789"
	intl      = "héllo wörld ✓ あいう\n"
	hiragana8 = "ああああああああ" // 8 characters of 3 bytes
)

// readString is Read over data held in memory.
func readString(data string, req Request, opt Options) (Window, error) {
	return Read(strings.NewReader(data), int64(len(data)), req, opt)
}

func TestRead(t *testing.T) {
	hundred := strings.Repeat(digits, 10)
	lines := "aaa\n" + strings.Repeat("b", 20) + "\nccc\n"
	secret := []string{"s3cr3t"}
	tests := []struct {
		name string
		data string
		req  Request
		opt  Options
		want Window
	}{
		// Spans that fit.
		{"fits", "hello\n", Request{End: -1, MaxBytes: 100}, Options{},
			Window{Text: "hello\n", TotalBytes: 6, End: 6, NextOffset: 6}},
		{"fits exactly", alpha, Request{End: -1, MaxBytes: 26}, Options{},
			Window{Text: alpha, TotalBytes: 26, End: 26, NextOffset: 26}},
		{"span", alpha, Request{Start: 2, End: 5, MaxBytes: 10}, Options{},
			Window{Text: "cde", TotalBytes: 26, Start: 2, End: 5, NextOffset: 5}},
		{"end beyond size", alpha, Request{Start: 20, End: 100, MaxBytes: 10}, Options{},
			Window{Text: "uvwxyz", TotalBytes: 26, Start: 20, End: 26, NextOffset: 26}},
		{"start beyond size", alpha, Request{Start: 40, End: -1, MaxBytes: 10}, Options{},
			Window{TotalBytes: 26, Start: 26, End: 26, NextOffset: 26}},
		{"end before start", alpha, Request{Start: 10, End: 5, MaxBytes: 10}, Options{},
			Window{TotalBytes: 26, Start: 10, End: 10, NextOffset: 10}},
		{"empty file", "", Request{End: -1, MaxBytes: 10}, Options{},
			Window{}},
		{"empty file forward from offset", "", Request{Start: 5, End: -1, Forward: true, MaxBytes: 10}, Options{},
			Window{}},
		{"cleaned", "\x1b[31mred\x1b[0m\r\n", Request{End: -1, MaxBytes: 100}, Options{},
			Window{Text: "red\n", TotalBytes: 14, End: 14, NextOffset: 14}},
		{"raw", "\x1b[31mred\x1b[0m\r\n", Request{End: -1, MaxBytes: 100}, Options{Raw: true},
			Window{Text: "\x1b[31mred\x1b[0m\r\n", TotalBytes: 14, End: 14, NextOffset: 14}},

		// Forward pages.
		{"forward page", alpha, Request{End: -1, Forward: true, MaxBytes: 10}, Options{},
			Window{Text: "abcdefghij", TotalBytes: 26, End: 10, NextOffset: 10, Truncated: true}},
		{"forward page from offset", alpha, Request{Start: 20, End: -1, Forward: true, MaxBytes: 4}, Options{},
			Window{Text: "uvwx", TotalBytes: 26, Start: 20, End: 24, NextOffset: 24, Truncated: true}},
		{"forward page within span", alpha, Request{Start: 2, End: 12, Forward: true, MaxBytes: 4}, Options{},
			Window{Text: "cdef", TotalBytes: 26, Start: 2, End: 6, NextOffset: 6, Truncated: true}},
		{"forward last page", alpha, Request{Start: 20, End: -1, Forward: true, MaxBytes: 10}, Options{},
			Window{Text: "uvwxyz", TotalBytes: 26, Start: 20, End: 26, NextOffset: 26}},

		// Head and tail.
		{"head and tail", hundred, Request{End: -1, MaxBytes: 20}, Options{},
			Window{
				Text:       "01234\n[... 80 bytes omitted (offsets 5-85); call observe with offset=5 to read them ...]\n567890123456789",
				TotalBytes: 100, End: 100, NextOffset: 100, Truncated: true,
				Omitted: &Range{Start: 5, End: 85},
			}},
		{"head and tail of a span", hundred, Request{Start: 10, End: 90, MaxBytes: 8}, Options{},
			Window{
				Text:       "01\n[... 72 bytes omitted (offsets 12-84); call observe with offset=12 to read them ...]\n456789",
				TotalBytes: 100, Start: 10, End: 90, NextOffset: 90, Truncated: true,
				Omitted: &Range{Start: 12, End: 84},
			}},
		{"head ending in a newline", lines, Request{End: -1, MaxBytes: 16}, Options{},
			Window{
				Text:       "aaa\n[... 13 bytes omitted (offsets 4-17); call observe with offset=4 to read them ...]\nbbbbbbb\nccc\n",
				TotalBytes: 29, End: 29, NextOffset: 29, Truncated: true,
				Omitted: &Range{Start: 4, End: 17},
			}},
		{"too small for a head", alpha, Request{End: -1, MaxBytes: 3}, Options{},
			Window{
				Text:       "[... 23 bytes omitted (offsets 0-23); call observe with offset=0 to read them ...]\nxyz",
				TotalBytes: 26, End: 26, NextOffset: 26, Truncated: true,
				Omitted: &Range{Start: 0, End: 23},
			}},

		// Tail views.
		{"tail", alpha, Request{End: -1, Tail: true, MaxBytes: 10}, Options{},
			Window{Text: "qrstuvwxyz", TotalBytes: 26, Start: 16, End: 26, NextOffset: 26, Truncated: true}},
		{"tail fits", "hello", Request{End: -1, Tail: true, MaxBytes: 10}, Options{},
			Window{Text: "hello", TotalBytes: 5, End: 5, NextOffset: 5}},
		{"tail ignores start", alpha, Request{Start: -5, End: -1, Tail: true, MaxBytes: 5}, Options{},
			Window{Text: "vwxyz", TotalBytes: 26, Start: 21, End: 26, NextOffset: 26, Truncated: true}},
		{"tail up to end", alpha, Request{Start: 20, End: 10, Tail: true, MaxBytes: 4}, Options{},
			Window{Text: "ghij", TotalBytes: 26, Start: 6, End: 10, NextOffset: 10, Truncated: true}},
		{"tail of empty file", "", Request{End: -1, Tail: true, MaxBytes: 4}, Options{},
			Window{}},

		// Cut points and multi-byte characters.
		{"character wider than a page", "あ", Request{End: -1, Forward: true, MaxBytes: 2}, Options{},
			Window{Text: "あ", TotalBytes: 3, End: 3, NextOffset: 3}},
		{"character wider than a page, more follows", "あい", Request{End: -1, Forward: true, MaxBytes: 2}, Options{},
			Window{Text: "あ", TotalBytes: 6, End: 3, NextOffset: 3, Truncated: true}},
		{"page end moves back", "あい", Request{End: -1, Forward: true, MaxBytes: 4}, Options{},
			Window{Text: "あ", TotalBytes: 6, End: 3, NextOffset: 3, Truncated: true}},
		{"head end moves back", hiragana8, Request{End: -1, MaxBytes: 16}, Options{},
			Window{
				Text:       "あ\n[... 9 bytes omitted (offsets 3-12); call observe with offset=3 to read them ...]\nああああ",
				TotalBytes: 24, End: 24, NextOffset: 24, Truncated: true,
				Omitted: &Range{Start: 3, End: 12},
			}},
		{"tail start moves forward", hiragana8, Request{End: -1, MaxBytes: 14}, Options{},
			Window{
				Text:       "あ\n[... 12 bytes omitted (offsets 3-15); call observe with offset=3 to read them ...]\nあああ",
				TotalBytes: 24, End: 24, NextOffset: 24, Truncated: true,
				Omitted: &Range{Start: 3, End: 15},
			}},
		{"tail view start moves forward", "あいう", Request{End: -1, Tail: true, MaxBytes: 4}, Options{},
			Window{Text: "う", TotalBytes: 9, Start: 6, End: 9, NextOffset: 9, Truncated: true}},
		{"invalid UTF-8 is just cut", "\xe3\x81\xe3\x81", Request{End: -1, Forward: true, MaxBytes: 1}, Options{},
			Window{Text: "\uFFFD", TotalBytes: 4, End: 1, NextOffset: 1, Truncated: true}},
		{"start inside a character stays exact", "あい", Request{Start: 1, End: -1, MaxBytes: 10}, Options{},
			Window{Text: "\uFFFDい", TotalBytes: 6, Start: 1, End: 6, NextOffset: 6}},

		// Redaction.
		{"redacted", "key=s3cr3t\n", Request{End: -1, MaxBytes: 100}, Options{Redact: secret},
			Window{Text: "key=***\n", TotalBytes: 11, End: 11, NextOffset: 11}},
		{"redacted raw", "\x1b[1ms3cr3t\x1b[0m", Request{End: -1, MaxBytes: 100}, Options{Raw: true, Redact: secret},
			Window{Text: "\x1b[1m***\x1b[0m", TotalBytes: 14, End: 14, NextOffset: 14}},
		{"page end inside a secret", "ab s3cr3t cd", Request{End: -1, Forward: true, MaxBytes: 6}, Options{Redact: secret},
			Window{Text: "ab ***", TotalBytes: 12, End: 6, NextOffset: 6, Truncated: true}},
		{"page start inside a secret", "ab s3cr3t cd", Request{Start: 6, End: -1, Forward: true, MaxBytes: 6}, Options{Redact: secret},
			Window{Text: "*** cd", TotalBytes: 12, Start: 6, End: 12, NextOffset: 12}},
		{"span inside a secret", "ab s3cr3t cd", Request{Start: 4, End: 7, MaxBytes: 6}, Options{Redact: secret},
			Window{Text: "***", TotalBytes: 12, Start: 4, End: 7, NextOffset: 7}},
		{"tail start inside a secret", "ab s3cr3t cd", Request{End: -1, Tail: true, MaxBytes: 5}, Options{Redact: secret},
			Window{Text: "*** cd", TotalBytes: 12, Start: 7, End: 12, NextOffset: 12, Truncated: true}},
		{"head and tail cut through secrets", "s3cr3t-0123456789-s3cr3t", Request{End: -1, MaxBytes: 5}, Options{Redact: secret},
			Window{
				Text:       "***\n[... 19 bytes omitted (offsets 1-20); call observe with offset=1 to read them ...]\n***",
				TotalBytes: 24, End: 24, NextOffset: 24, Truncated: true,
				Omitted: &Range{Start: 1, End: 20},
			}},
		{"secret outside the window", "s3cr3t abc", Request{Start: 7, End: -1, MaxBytes: 10}, Options{Redact: secret},
			Window{Text: "abc", TotalBytes: 10, Start: 7, End: 10, NextOffset: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readString(tt.data, tt.req, tt.opt)
			if err != nil {
				t.Fatalf("Read(%q, %+v) error: %v", tt.data, tt.req, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Read(%q, %+v) =\n%s\nwant\n%s", tt.data, tt.req, fmtWindow(got), fmtWindow(tt.want))
			}
		})
	}
}

// fmtWindow shows w with its omitted range spelled out.
func fmtWindow(w Window) string {
	o := "nil"
	if w.Omitted != nil {
		o = fmt.Sprintf("%+v", *w.Omitted)
	}
	return fmt.Sprintf("{Text:%q TotalBytes:%d Start:%d End:%d Omitted:%s NextOffset:%d Truncated:%v}",
		w.Text, w.TotalBytes, w.Start, w.End, o, w.NextOffset, w.Truncated)
}

func TestReadInvalid(t *testing.T) {
	tests := []struct {
		name string
		size int64
		req  Request
	}{
		{"zero MaxBytes", 10, Request{End: -1}},
		{"negative MaxBytes", 10, Request{End: -1, MaxBytes: -1}},
		{"negative Start", 10, Request{Start: -1, End: -1, MaxBytes: 4}},
		{"negative size", -1, Request{End: -1, MaxBytes: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(alpha), tt.size, tt.req, Options{})
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("Read(size %d, %+v) error = %v, want ErrInvalidRequest", tt.size, tt.req, err)
			}
		})
	}
}

func TestReadShortReader(t *testing.T) {
	// The caller says the log has 100 bytes, but only 26 are there.
	_, err := Read(strings.NewReader(alpha), 100, Request{End: -1, MaxBytes: 10}, Options{})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Read(short reader) error = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "output.log")
	if err := os.WriteFile(path, []byte("one\ntwo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.log")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		req  Request
		want Window
	}{
		{"file", path, Request{End: -1, MaxBytes: 100},
			Window{Text: "one\ntwo\n", TotalBytes: 8, End: 8, NextOffset: 8}},
		{"tail", path, Request{End: -1, Tail: true, MaxBytes: 4},
			Window{Text: "two\n", TotalBytes: 8, Start: 4, End: 8, NextOffset: 8, Truncated: true}},
		{"missing file", filepath.Join(dir, "missing.log"), Request{Start: 10, End: -1, MaxBytes: 100},
			Window{}},
		{"empty file", empty, Request{End: -1, MaxBytes: 100},
			Window{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(tt.path, tt.req, Options{})
			if err != nil {
				t.Fatalf("ReadFile(%s, %+v) error: %v", tt.path, tt.req, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadFile(%s, %+v) =\n%s\nwant\n%s", tt.path, tt.req, fmtWindow(got), fmtWindow(tt.want))
			}
		})
	}
	t.Run("invalid request", func(t *testing.T) {
		_, err := ReadFile(filepath.Join(dir, "missing.log"), Request{End: -1}, Options{})
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("ReadFile(missing, MaxBytes 0) error = %v, want ErrInvalidRequest", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if _, err := ReadFile(dir, Request{End: -1, MaxBytes: 100}, Options{}); err == nil {
			t.Errorf("ReadFile(directory) error = nil, want an error")
		}
	})
}

// TestReadForwardPaging pages through a whole file with small windows and
// checks that the pages reassemble it exactly, never splitting a character.
func TestReadForwardPaging(t *testing.T) {
	data := strings.Repeat(intl, 40)
	for _, maxBytes := range []int{1, 2, 3, 4, 5, 7, 16, 100, 4096} {
		for _, opt := range []Options{{}, {Raw: true}} {
			t.Run(fmt.Sprintf("%d/raw=%v", maxBytes, opt.Raw), func(t *testing.T) {
				var sb strings.Builder
				off := int64(0)
				for pages := 0; off < int64(len(data)); pages++ {
					if pages > len(data) {
						t.Fatalf("paging did not finish after %d pages", pages)
					}
					req := Request{Start: off, End: -1, Forward: true, MaxBytes: maxBytes}
					w, err := readString(data, req, opt)
					if err != nil {
						t.Fatalf("Read(%+v) error: %v", req, err)
					}
					checkPage(t, data, req, w)
					sb.WriteString(w.Text)
					off = w.NextOffset
				}
				if got := sb.String(); got != data {
					t.Errorf("pages of MaxBytes %d reassemble to %q, want %q", maxBytes, got, data)
				}
			})
		}
	}
}

// checkPage checks one forward page w of data read with req.
func checkPage(t *testing.T, data string, req Request, w Window) {
	t.Helper()
	shown := w.End - w.Start
	switch {
	case w.Start != req.Start:
		t.Fatalf("Read(%+v).Start = %d, want %d", req, w.Start, req.Start)
	case w.NextOffset != w.End:
		t.Fatalf("Read(%+v).NextOffset = %d, want End %d", req, w.NextOffset, w.End)
	case shown <= 0:
		t.Fatalf("Read(%+v) shows %d bytes, want progress", req, shown)
	case shown > int64(req.MaxBytes) && (shown > utf8.UTFMax || utf8.RuneCountInString(data[w.Start:w.End]) != 1):
		t.Fatalf("Read(%+v) shows %d bytes, want at most MaxBytes or one character", req, shown)
	case w.Truncated != (w.End < int64(len(data))):
		t.Fatalf("Read(%+v).Truncated = %v with End %d of %d", req, w.Truncated, w.End, len(data))
	case strings.ContainsRune(w.Text, utf8.RuneError):
		t.Fatalf("Read(%+v).Text = %q, splits a character", req, w.Text)
	}
}

// TestReadHeadTail checks head-and-tail windows over many sizes: the omitted
// range is exact, the head and tail have their shares of MaxBytes, cuts fall on
// character boundaries and the text holds exactly one marker line.
func TestReadHeadTail(t *testing.T) {
	data := strings.Repeat(intl, 20)
	for _, maxBytes := range []int{4, 5, 9, 16, 33, 100, 255} {
		for _, start := range []int64{0, 1, 7, 30} {
			req := Request{Start: start, End: -1, MaxBytes: maxBytes}
			w, err := readString(data, req, Options{})
			if err != nil {
				t.Fatalf("Read(%+v) error: %v", req, err)
			}
			o := w.Omitted
			if o == nil {
				t.Fatalf("Read(%+v).Omitted = nil, want a range", req)
			}
			headWant, tailWant := int64(maxBytes/4), int64(maxBytes-maxBytes/4)
			head, tail := o.Start-w.Start, w.End-o.End
			if w.Start != start || w.End != int64(len(data)) || !w.Truncated || w.NextOffset != w.End {
				t.Errorf("Read(%+v) = {Start %d End %d Next %d Truncated %v}, want {%d %d %d true}",
					req, w.Start, w.End, w.NextOffset, w.Truncated, start, len(data), len(data))
			}
			if head > headWant || head < headWant-utf8.UTFMax+1 {
				t.Errorf("Read(%+v) head = %d bytes, want %d (less up to 3)", req, head, headWant)
			}
			if tail > tailWant || tail < tailWant-utf8.UTFMax+1 {
				t.Errorf("Read(%+v) tail = %d bytes, want %d (less up to 3)", req, tail, tailWant)
			}
			headText := Clean([]byte(data[w.Start:o.Start]))
			if headText != "" && !strings.HasSuffix(headText, "\n") {
				headText += "\n"
			}
			want := headText + marker(*o) + Clean([]byte(data[o.End:w.End]))
			if w.Text != want {
				t.Errorf("Read(%+v).Text = %q, want %q", req, w.Text, want)
			}
			if n := strings.Count(w.Text, "bytes omitted"); n != 1 {
				t.Errorf("Read(%+v).Text has %d marker lines, want 1", req, n)
			}
			if start == 0 && strings.ContainsRune(w.Text, utf8.RuneError) {
				t.Errorf("Read(%+v).Text = %q, splits a character", req, w.Text)
			}
		}
	}
}

// patternFile is a large log that exists only as a pattern; it counts the
// bytes read from it.
type patternFile struct {
	size int64
	read int64
}

func (p *patternFile) ReadAt(b []byte, off int64) (int, error) {
	if off >= p.size {
		return 0, io.EOF
	}
	n := min(int64(len(b)), p.size-off)
	for i := range n {
		b[i] = intl[(off+i)%int64(len(intl))]
	}
	p.read += n
	if n < int64(len(b)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// TestReadBounded checks that a window over a 10 GiB log reads O(MaxBytes).
func TestReadBounded(t *testing.T) {
	const size = 10 << 30
	const maxBytes = 4096
	// Each cut point may read a few bytes around it, and a secret's length on
	// each side of a segment.
	const slack = 64
	tests := []struct {
		name string
		req  Request
		opt  Options
	}{
		{"head and tail", Request{End: -1, MaxBytes: maxBytes}, Options{}},
		{"forward page", Request{Start: size / 2, End: -1, Forward: true, MaxBytes: maxBytes}, Options{}},
		{"tail", Request{End: -1, Tail: true, MaxBytes: maxBytes}, Options{}},
		{"redacted", Request{End: -1, MaxBytes: maxBytes}, Options{Redact: []string{"wörld"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &patternFile{size: size}
			if _, err := Read(f, size, tt.req, tt.opt); err != nil {
				t.Fatalf("Read(10 GiB, %+v) error: %v", tt.req, err)
			}
			if f.read > maxBytes+slack {
				t.Errorf("Read(10 GiB, %+v) read %d bytes, want at most %d", tt.req, f.read, maxBytes+slack)
			}
		})
	}
}

// FuzzRead checks that any request on any data yields a consistent window,
// and that forward paging reassembles the data.
func FuzzRead(f *testing.F) {
	f.Add([]byte(intl), int64(0), int64(-1), 4, false, true, false)
	f.Add([]byte(strings.Repeat(intl, 5)), int64(3), int64(50), 7, false, false, false)
	f.Add([]byte(hiragana8), int64(0), int64(-1), 2, true, false, true)
	f.Add([]byte("\x1b[31mred\x1b[0m\r\n10%\r20%\n\xff\xfe"), int64(1), int64(-1), 3, false, false, true)
	f.Add([]byte("あ"), int64(5), int64(1), 0, false, false, false)
	f.Add([]byte(alpha), int64(-3), int64(4), 1, true, true, false)
	f.Fuzz(func(t *testing.T, data []byte, start, end int64, maxBytes int, tail, forward, raw bool) {
		req := Request{Start: start, End: end, Tail: tail, Forward: forward, MaxBytes: maxBytes}
		opt := Options{Raw: raw, Redact: []string{"wö"}}
		w, err := Read(bytes.NewReader(data), int64(len(data)), req, opt)
		if maxBytes <= 0 || start < 0 && !tail {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("Read(%+v) error = %v, want ErrInvalidRequest", req, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Read(%+v) error: %v", req, err)
		}
		checkWindow(t, data, req, w)
		pageThrough(t, data, min(maxBytes, len(data)+1))
	})
}

// checkWindow checks the invariants of any window w of data read with req.
func checkWindow(t *testing.T, data []byte, req Request, w Window) {
	t.Helper()
	if w.TotalBytes != int64(len(data)) || w.Start < 0 || w.Start > w.End || w.End > w.TotalBytes || w.NextOffset != w.End {
		t.Fatalf("Read(%+v) = {Total %d Start %d End %d Next %d}, want 0 <= Start <= End = Next <= Total %d",
			req, w.TotalBytes, w.Start, w.End, w.NextOffset, len(data))
	}
	shown := w.End - w.Start
	if o := w.Omitted; o != nil {
		if o.Start < w.Start || o.Start >= o.End || o.End > w.End {
			t.Fatalf("Read(%+v).Omitted = %+v outside [%d, %d)", req, *o, w.Start, w.End)
		}
		shown -= o.End - o.Start
	}
	if shown > int64(req.MaxBytes)+utf8.UTFMax-1 {
		t.Fatalf("Read(%+v) shows %d bytes, want at most MaxBytes", req, shown)
	}
	if !utf8.ValidString(w.Text) {
		t.Fatalf("Read(%+v).Text = %q, not valid UTF-8", req, w.Text)
	}
	if strings.Contains(w.Text, "wö") {
		t.Fatalf("Read(%+v).Text = %q, shows a secret", req, w.Text)
	}
}

// pageThrough reads data in forward pages of maxBytes and checks that they
// cover it exactly.
func pageThrough(t *testing.T, data []byte, maxBytes int) {
	t.Helper()
	var sb strings.Builder
	f := bytes.NewReader(data)
	off := int64(0)
	for pages := 0; off < int64(len(data)); pages++ {
		if pages > len(data) {
			t.Fatalf("paging with MaxBytes %d did not finish", maxBytes)
		}
		req := Request{Start: off, End: -1, Forward: true, MaxBytes: maxBytes}
		w, err := Read(f, int64(len(data)), req, Options{Raw: true})
		if err != nil {
			t.Fatalf("Read(%+v) error: %v", req, err)
		}
		if w.Start != off || w.End <= off {
			t.Fatalf("Read(%+v) = [%d, %d), want a page starting at %d", req, w.Start, w.End, off)
		}
		sb.WriteString(w.Text)
		off = w.NextOffset
	}
	if utf8.Valid(data) && sb.String() != string(data) {
		t.Fatalf("pages of MaxBytes %d reassemble to %q, want %q", maxBytes, sb.String(), data)
	}
}

// A tail asked with Say names the bytes before it in one first line,
// within MaxBytes; one that starts at 0, or asked without Say, does not.
func TestTailSaysWhatCameBefore(t *testing.T) {
	log := []byte(strings.Repeat("line of the log\n", 1000))
	for _, encoded := range []bool{false, true} {
		w, err := Read(bytes.NewReader(log), int64(len(log)), Request{End: -1, Tail: true, Say: true, MaxBytes: 500, Encoded: encoded}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("[... %d bytes before (offsets 0-%d); call observe with offset=0 to read them", w.Start, w.Start)
		if !strings.HasPrefix(w.Text, want) || len(w.Text) > 500 || !w.Truncated || w.End != int64(len(log)) {
			t.Errorf("encoded %v: window [%d,%d) of %d bytes: %q", encoded, w.Start, w.End, len(w.Text), w.Text[:min(len(w.Text), 150)])
		}
		if !strings.HasSuffix(w.Text, string(log[w.Start:])) {
			t.Errorf("encoded %v: the text after the marker is not the log from %d", encoded, w.Start)
		}
	}
	w, _ := Read(bytes.NewReader(log), int64(len(log)), Request{End: -1, Tail: true, MaxBytes: 500}, Options{})
	if strings.HasPrefix(w.Text, "[...") {
		t.Error("a tail without Say has a marker")
	}
	w, _ = Read(bytes.NewReader(log[:100]), 100, Request{End: -1, Tail: true, Say: true, MaxBytes: 500}, Options{})
	if w.Text != string(log[:100]) {
		t.Errorf("a whole log with Say = %q", w.Text)
	}
}

func TestLastLinesStart(t *testing.T) {
	log := "one\ntwo\nthree\nfour\n"
	for _, tc := range []struct {
		log   string
		n     int
		reach int64
		start int64
		ok    bool
	}{
		{log, 1, 100, 14, true},
		{log, 2, 100, 8, true},
		{log, 4, 100, 0, true},
		{log, 9, 100, 0, true},
		{"one\ntwo", 1, 100, 4, true}, // an unfinished last line counts
		{log, 3, 5, 0, false},         // three lines do not fit in 5 bytes
		{log, 1, 5, 14, true},
		{"", 3, 100, 0, true},
	} {
		start, ok, err := lastLinesStart(strings.NewReader(tc.log), int64(len(tc.log)), tc.n, tc.reach)
		if err != nil || start != tc.start || ok != tc.ok {
			t.Errorf("last %d lines of %q within %d = %d %v %v, want %d %v", tc.n, tc.log, tc.reach, start, ok, err, tc.start, tc.ok)
		}
	}
}
