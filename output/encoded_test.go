package output

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestEncodedLen(t *testing.T) {
	for _, s := range []string{"", "plain", "a\"b\\c\n\r\t\b\f", "\x00\x01\x1f\x7f", "<a href=\"x&y\">", "héllo ✓ あ 😀",
		"\u2028\u2029", "\uFFFD", strings.Repeat("\x00", 100)} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := EncodedLen(s), len(b)-2; got != want {
			t.Errorf("EncodedLen(%q) = %d, want %d (json %s)", s, got, want, b)
		}
	}
	if got, cut := ClipEncoded("ab<cd", 8); got != "ab<" || !cut {
		t.Errorf("ClipEncoded = %q %v, want ab< cut", got, cut)
	}
	if got, cut := ClipEncoded("abc", 3); got != "abc" || cut {
		t.Errorf("ClipEncoded = %q %v, want abc whole", got, cut)
	}
}

// TestReadEncodedBound: with Encoded, every kind of window's text encodes
// within MaxBytes whatever the bytes (NULs, invalid UTF-8, HTML, escapes),
// in raw and cleaned mode, and a forward page still moves on.
func TestReadEncodedBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	logs := map[string][]byte{
		"nul":     make([]byte, 200<<10),
		"invalid": bytes.Repeat([]byte{0xff, 'a'}, 100<<10),
		"html":    bytes.Repeat([]byte("<a>&\"\\\n"), 30<<10),
		"random":  random,
		"text":    bytes.Repeat([]byte("compiling foo v1.2.3\n"), 10<<10),
	}
	for name, data := range logs {
		for _, maxBytes := range []int{256, 1000, 16384} {
			for _, raw := range []bool{false, true} {
				reqs := []Request{
					{End: -1, MaxBytes: maxBytes, Encoded: true},
					{End: -1, Tail: true, MaxBytes: maxBytes, Encoded: true},
					{Start: 100, End: -1, Forward: true, MaxBytes: maxBytes, Encoded: true},
					{Start: int64(len(data)) - 200, End: -1, MaxBytes: maxBytes, Encoded: true},
				}
				for _, req := range reqs {
					w, err := Read(bytes.NewReader(data), int64(len(data)), req, Options{Raw: raw})
					if err != nil {
						t.Fatal(err)
					}
					if n := EncodedLen(w.Text); n > maxBytes {
						t.Errorf("%s raw=%v %+v: text encodes to %d bytes, more than %d", name, raw, req, n, maxBytes)
					}
					if req.Forward && w.End <= w.Start {
						t.Errorf("%s raw=%v %+v: page [%d, %d) does not move on", name, raw, req, w.Start, w.End)
					}
				}
			}
		}
	}
}

// TestReadEncodedBounded: fitting the encoded bound does not read the log
// again and again.
func TestReadEncodedBounded(t *testing.T) {
	const size = 10 << 30
	const maxBytes = 4096
	for _, req := range []Request{
		{End: -1, MaxBytes: maxBytes, Encoded: true},
		{Start: size / 2, End: -1, Forward: true, MaxBytes: maxBytes, Encoded: true},
		{End: -1, Tail: true, MaxBytes: maxBytes, Encoded: true},
	} {
		f := &patternFile{size: size}
		w, err := Read(f, size, req, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if f.read > maxBytes+64 {
			t.Errorf("Read(10 GiB, %+v) read %d bytes, want at most %d", req, f.read, maxBytes+64)
		}
		if n := EncodedLen(w.Text); n > maxBytes || n < maxBytes*3/4 {
			t.Errorf("Read(10 GiB, %+v) text encodes to %d bytes, want close to %d", req, n, maxBytes)
		}
	}
}
