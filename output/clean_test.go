package output

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Text that needs nothing.
		{"empty", "", ""},
		{"plain", "hello, world\n", "hello, world\n"},
		{"tabs and newlines kept", "a\tb\n\nc\n", "a\tb\n\nc\n"},
		{"multi-byte kept", "héllo wörld ✓ あいう\n", "héllo wörld ✓ あいう\n"},
		{"literal replacement char kept", "a\uFFFDb", "a\uFFFDb"},

		// Invalid UTF-8.
		{"invalid byte", "a\xffb", "a\uFFFDb"},
		{"invalid run is one replacement", "a\xff\xfe\xfdb", "a\uFFFDb"},
		{"invalid runs apart", "\xffa\xff", "\uFFFDa\uFFFD"},
		{"truncated character at end", "ok\xe3\x81", "ok\uFFFD"},
		{"lone continuation at start", "\x81\x82ok", "\uFFFDok"},
		{"overlong encoding", "\xc0\xafx", "\uFFFDx"},
		{"surrogate half", "\xed\xa0\x80x", "\uFFFDx"},

		// CSI.
		{"color", "\x1b[31mred\x1b[0m plain", "red plain"},
		{"bold 256 color", "\x1b[1;38;5;208mwarn\x1b[m", "warn"},
		{"private cursor hide/show", "\x1b[?25lbusy\x1b[?25h", "busy"},
		{"erase line and cursor move", "\x1b[2K\x1b[10;20Hx\x1b[1A", "x"},
		{"intermediate byte", "\x1b[0 qx", "x"},
		{"unterminated at end", "abc\x1b[31", "abc"},
		{"bare introducer at end", "abc\x1b[", "abc"},
		{"cut by newline", "a\x1b[3\nb", "a\nb"},
		{"cut by non-ASCII", "a\x1b[3é", "aé"},
		{"8-bit C1 CSI", "\u009b31mred\u009b0m", "red"},

		// OSC and other string sequences.
		{"OSC title BEL", "\x1b]0;my title\x07text", "text"},
		{"OSC hyperlink ST", "\x1b]8;;http://example.com\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"OSC C1 ST", "\x1b]2;t\u009cx", "x"},
		{"C1 OSC", "\u009d0;t\x07x", "x"},
		{"OSC unterminated at end", "x\x1b]0;title", "x"},
		{"OSC cut by newline", "x\x1b]0;title\ny", "x\ny"},
		{"OSC cut by another escape", "x\x1b]0;t\x1b[1my", "xy"},
		{"DCS", "\x1bPq#0;2;0;0;0#0~~\x1b\\x", "x"},
		{"APC", "\x1b_Gf=24;AAAA\x1b\\x", "x"},

		// Other escape sequences.
		{"save/restore cursor", "\x1b7a\x1b8b", "ab"},
		{"keypad modes", "\x1b=a\x1b>b", "ab"},
		{"charset selection", "\x1b(Ba\x1b)0b", "ab"},
		{"reverse index", "a\x1bMb", "ab"},
		{"DEC line", "\x1b#8a", "a"},
		{"lone ESC at end", "a\x1b", "a"},
		{"ESC ESC", "a\x1b\x1b[1mb", "ab"},
		{"ESC before newline", "a\x1b\nb", "a\nb"},
		{"ESC before control", "a\x1b\x07b", "ab"},

		// Carriage returns.
		{"progress bar", "10%\r20%\r30%\n", "30%\n"},
		{"CRLF", "a\r\nb\r\n", "a\nb\n"},
		{"trailing CR keeps the line", "done\r", "done"},
		{"trailing CR after overwrites", "10%\r20%\r", "20%"},
		{"CR CR LF", "abc\r\r\n", "abc\n"},
		{"overwrite is per line", "line1\nab\rcd\nline3", "line1\ncd\nline3"},
		{"longer text is replaced whole", "downloading files\rdone\n", "done\n"},
		{"CR at line start", "\rx", "x"},
		{"CR then escape then text", "working\r\x1b[2Kdone\n", "done\n"},
		{"CR then invalid byte", "abc\r\xff", "\uFFFD"},
		{"CR then tab", "abc\r\tx", "\tx"},

		// Backspace.
		{"backspace", "abc\bd", "abd"},
		{"backspaces", "abc\b\b\bxyz", "xyz"},
		{"backspace at line start", "\bx", "x"},
		{"backspace deletes a character", "aあ\bb", "ab"},
		{"backspace stays in its line", "a\n\bb", "a\nb"},
		{"overstrike bold", "a\bab\bb", "ab"},
		{"backspace after CR", "ab\r\bc", "c"},

		// Other control characters.
		{"C0 dropped", "a\x00b\x07c\x0e\x1fd", "abcd"},
		{"DEL dropped", "a\x7fb", "ab"},
		{"C1 dropped", "a\u0085b\u0090", "ab"},
		{"form feed and vertical tab dropped", "a\fb\vc", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean([]byte(tt.in)); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  Options
		want string
	}{
		{"clean", "\x1b[1mtoken\x1b[0m\n10%\r20%", Options{}, "token\n20%"},
		{"raw keeps escapes and CR", "\x1b[1mtoken\x1b[0m\n10%\r20%", Options{Raw: true}, "\x1b[1mtoken\x1b[0m\n10%\r20%"},
		{"raw still fixes UTF-8", "a\xff\xfeb", Options{Raw: true}, "a\uFFFDb"},
		{"redact", "key=s3cr3t", Options{Redact: []string{"s3cr3t"}}, "key=***"},
		{"redact every occurrence", "s3cr3t s3cr3t\ns3cr3t", Options{Redact: []string{"s3cr3t"}}, "*** ***\n***"},
		{"redact adjacent occurrences", "s3cr3ts3cr3t", Options{Redact: []string{"s3cr3t"}}, "******"},
		{"redact raw", "\x1b[1ms3cr3t\x1b[0m", Options{Raw: true, Redact: []string{"s3cr3t"}}, "\x1b[1m***\x1b[0m"},
		{"redact after cleaning", "s3\x1b[0mcr3t", Options{Redact: []string{"s3cr3t"}}, "***"},
		{"redact after CR collapse", "xx\rs3cr3t\n", Options{Redact: []string{"s3cr3t"}}, "***\n"},
		{"empty value ignored", "abc", Options{Redact: []string{""}}, "abc"},
		{"longer value first", "abcdef abc", Options{Redact: []string{"abc", "abcdef"}}, "*** ***"},
		{"duplicate values", "abc", Options{Redact: []string{"abc", "abc"}}, "***"},
		{"value containing the mask", "a*b", Options{Redact: []string{"*"}}, "a***b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.opt.render([]byte(tt.in), NewRedactor(tt.opt.Redact...)); got != tt.want {
				t.Errorf("render(%q, %+v) = %q, want %q", tt.in, tt.opt, got, tt.want)
			}
		})
	}
}

func TestLastLine(t *testing.T) {
	long := strings.Repeat("x", 5000) + "END"
	tests := []struct {
		name   string
		data   string
		maxLen int
		redact []string
		want   string
	}{
		{"trailing newline", "one\ntwo\n", 0, nil, "two"},
		{"no trailing newline", "one\ntwo", 0, nil, "two"},
		{"blank lines after", "one\ntwo\n\n  \n\t\n", 0, nil, "two"},
		{"only empty lines", "\n\n \n", 0, nil, ""},
		{"empty file", "", 0, nil, ""},
		{"CR progress", "start\n10%\r20%\r30%", 0, nil, "30%"},
		{"CR progress unfinished", "start\n10%\r20%\r", 0, nil, "20%"},
		{"CRLF", "one\r\ntwo\r\n", 0, nil, "two"},
		{"colors removed", "\x1b[32mPASS\x1b[0m ok\n", 0, nil, "PASS ok"},
		{"trimmed", "   indented  \n", 0, nil, "indented"},
		{"cut with ellipsis", "abcdefghij\n", 6, nil, "abc…"},
		{"fits exactly", "abcdef\n", 6, nil, "abcdef"},
		{"cut at character boundary", "ああああ\n", 8, nil, "あ…"},
		{"no room for ellipsis", "abcdef\n", 2, nil, "ab"},
		{"no room for ellipsis multi-byte", "ああ\n", 3, nil, "あ"},
		{"redacted", "token s3cr3t used\n", 0, []string{"s3cr3t"}, "token *** used"},
		{"redacted before cut", "s3cr3t s3cr3t\n", 6, []string{"s3cr3t"}, "***…"},
		{"line longer than reach shows its end", long, 0, nil, long[len(long)-lastLineReach:]},
		{"reach ends in the line", "x" + long[:4095] + "\n", 0, nil, strings.Repeat("x", 4095)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "output.log")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := LastLine(path, tt.maxLen, tt.redact); got != tt.want {
				t.Errorf("LastLine(%q, %d, %q) = %q, want %q", tt.data, tt.maxLen, tt.redact, got, tt.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "missing.log")
		if got := LastLine(path, 80, nil); got != "" {
			t.Errorf("LastLine(missing) = %q, want \"\"", got)
		}
	})
	t.Run("secret cut by the reach", func(t *testing.T) {
		// The 4 KiB reach starts inside the secret: no part of it may show.
		secret := "TOPSECRETVALUE"
		data := "a " + secret + " " + strings.Repeat("y", lastLineReach-8) + "\n"
		path := filepath.Join(t.TempDir(), "output.log")
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		got := LastLine(path, 0, []string{secret})
		if !strings.HasPrefix(got, mask+" y") {
			t.Errorf("LastLine(secret cut by reach) = %.20q…, want a leading %q", got, mask)
		}
	})
}

// FuzzClean checks that Clean never panics and that its output is valid
// UTF-8 without escape characters, carriage returns or control characters.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"",
		"plain text\n",
		"\x1b[31mred\x1b[0m\n",
		"10%\r20%\r30%\n",
		"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
		"\u009b1m\u009d0;t\u009c",
		"a\xff\xfe\bb\x00",
		"\x1b(B\x1b7\x1b",
		"ab\r\bc\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got := Clean(in)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q, not valid UTF-8", in, got)
		}
		for _, r := range got {
			if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f {
				t.Fatalf("Clean(%q) = %q, contains control %U", in, got, r)
			}
		}
		if n, m := strings.Count(got, "\n"), bytes.Count(in, []byte("\n")); n != m {
			t.Fatalf("Clean(%q) has %d newlines, want %d", in, n, m)
		}
		raw := Options{Raw: true}.render(in, nil)
		if !utf8.ValidString(raw) {
			t.Fatalf("render(%q, raw) = %q, not valid UTF-8", in, raw)
		}
	})
}

// BenchmarkClean cleans 1 MiB of colored build output with progress bars.
func BenchmarkClean(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; buf.Len() < 1<<20; i++ {
		buf.WriteString("\x1b[1;32m   Compiling\x1b[0m crate-")
		buf.WriteString(strings.Repeat("é", i%5))
		buf.WriteString(" v1.0 (/src/crate)\n")
		buf.WriteString("\x1b[2K[=====>    ] 50%\r\x1b[2K[==========] 100%\r\n")
		buf.WriteString("\x1b]0;building\x07warning: unused variable `x` ✓\n")
	}
	in := buf.Bytes()[:1<<20]
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		Clean(in)
	}
}
