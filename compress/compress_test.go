package compress

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agent-exec/agent-exec/output"
)

// goTestRun is go test -v output: n passing tests around one failing test.
func goTestRun(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "=== RUN   TestOK%d\n--- PASS: TestOK%d (0.00s)\n", i, i)
		if i == n/2 {
			b.WriteString("=== RUN   TestBad\n    bad_test.go:12: got 3, want 4\n--- FAIL: TestBad (0.00s)\n")
		}
	}
	b.WriteString("FAIL\nFAIL\texample.com/p\t0.01s\nFAIL\n")
	return b.String()
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes() {
		if got, err := ParseMode(string(m)); got != m || err != nil {
			t.Errorf("ParseMode(%q) = %q, %v", m, got, err)
		}
	}
	if got, err := ParseMode(""); got != Auto || err != nil {
		t.Errorf(`ParseMode("") = %q, %v, want auto`, got, err)
	}
	if _, err := ParseMode("smart"); !errors.Is(err, ErrInvalidMode) || !strings.Contains(err.Error(), "always") {
		t.Errorf(`ParseMode("smart") error = %v, want ErrInvalidMode listing the modes`, err)
	}
}

func TestCompressModes(t *testing.T) {
	text := goTestRun(200)
	cmd := []string{"go test -v ./..."}
	tests := []struct {
		name     string
		in       Input
		applied  bool
		strategy string
		kind     string
	}{
		{"off", Input{Text: text, Command: cmd, MaxBytes: 100, Mode: Off}, false, "off", ""},
		{"auto fits", Input{Text: text, Command: cmd, MaxBytes: len(text)}, false, "fits", ""},
		{"auto too big", Input{Text: text, Command: cmd, MaxBytes: 2000}, true, stratTests, kindGoTest},
		{"always", Input{Text: text, Command: cmd, MaxBytes: len(text), Mode: Always}, true, stratTests, kindGoTest},
		{"forced kind", Input{Text: text, MaxBytes: len(text), Mode: Errors}, true, stratErrors, kindErrors},
		{"unknown mode is auto", Input{Text: text, MaxBytes: len(text), Mode: "smart"}, false, "fits", ""},
		{"budget below a marker", Input{Text: text, Command: cmd, MaxBytes: 40}, false, strategyGuard, kindGoTest},
		{"nothing to omit", Input{Text: "a\nb\n", MaxBytes: 100, Mode: Always}, false, strategyGuard, kindSummary},
		{"empty", Input{Text: "", MaxBytes: 100, Mode: Always}, false, strategyGuard, ""},
		{"no budget", Input{Text: text, MaxBytes: 0}, false, strategyGuard, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rep, applied := Compress(tt.in)
			if applied != tt.applied || rep.Strategy != tt.strategy || rep.Kind != tt.kind {
				t.Fatalf("Compress = applied %v, %+v; want applied %v, strategy %q, kind %q",
					applied, rep, tt.applied, tt.strategy, tt.kind)
			}
			if !applied {
				if out != tt.in.Text || rep.ReturnedBytes != len(out) || rep.OmittedLines != 0 {
					t.Fatalf("not applied, but text or report changed: %+v", rep)
				}
				return
			}
			if len(out) > tt.in.MaxBytes || len(out) >= len(tt.in.Text) {
				t.Fatalf("%d bytes from %d with MaxBytes %d", len(out), len(tt.in.Text), tt.in.MaxBytes)
			}
			if rep.ReturnedBytes != len(out) || rep.OriginalBytes != len(text) || rep.OmittedLines == 0 {
				t.Fatalf("report %+v for %d -> %d bytes", rep, len(text), len(out))
			}
			for _, want := range []string{"--- FAIL: TestBad", "bad_test.go:12: got 3, want 4", "FAIL\texample.com/p"} {
				if !strings.Contains(out, want) {
					t.Errorf("lost %q:\n%s", want, out)
				}
			}
			checkReconstruct(t, tt.in.Text, out, tt.in.Start)
		})
	}
}

// TestLargeLog compresses a log large enough to be scanned in parallel.
func TestLargeLog(t *testing.T) {
	text := syntheticLog(3 << 20)
	for _, mode := range []Mode{Auto, Always} {
		out, rep, applied := Compress(Input{Text: text, Command: []string{"./server"}, MaxBytes: defaultMaxBytes, Mode: mode})
		if !applied || rep.Kind != kindLogs {
			t.Fatalf("%s: applied %v, %+v", mode, applied, rep)
		}
		for _, want := range []string{"ERROR [db] query failed", "ConnectionResetError: [Errno 104]", "WARN  [pool] slow checkout"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: lost %q", mode, want)
			}
		}
		checkReconstruct(t, text, out, 0)
	}
}

func TestReportMap(t *testing.T) {
	_, rep, _ := Compress(Input{Text: goTestRun(50), MaxBytes: 1000})
	m := rep.Map()
	for k, want := range map[string]any{"kind": rep.Kind, "mode": "auto", "strategy": rep.Strategy,
		"original_bytes": rep.OriginalBytes, "returned_bytes": rep.ReturnedBytes,
		"kept_lines": rep.KeptLines, "omitted_lines": rep.OmittedLines} {
		if m[k] != want {
			t.Errorf("Map()[%q] = %v, want %v", k, m[k], want)
		}
	}
	if len(m) != 7 {
		t.Errorf("Map() has %d keys, want 7", len(m))
	}
}

// TestDefaultWindowNamesEveryFailure is the acceptance case: a
// failing go test -v ./... over packages with hundreds of passing subtests,
// in the default window, names every failing test and its message.
func TestDefaultWindowNamesEveryFailure(t *testing.T) {
	for _, f := range loadCorpus(t) {
		if f.String() != "go-test/v-fail" {
			continue
		}
		out, rep, applied := Compress(Input{Text: f.text, Command: f.cmd, MaxBytes: defaultMaxBytes})
		if !applied || len(out) > defaultMaxBytes {
			t.Fatalf("%d bytes -> applied %v, %d bytes", len(f.text), applied, len(out))
		}
		for _, want := range []string{
			"--- FAIL: TestAdd/11+4", "calc_test.go:17: Add(11, 4) = 15, want 16",
			"--- FAIL: TestMul/7x13", "calc_test.go:29: Mul(7, 13) = 90, want 91",
			"--- FAIL: TestFields/2", `parse_test.go:22: Fields("a, b")`,
			"--- FAIL: TestFields/3", `parse_test.go:22: Fields("")`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("lost %q", want)
			}
		}
		t.Logf("%s: %d -> %d bytes, kept %d lines, omitted %d", rep.Kind, rep.OriginalBytes, rep.ReturnedBytes,
			rep.KeptLines, rep.OmittedLines)
		return
	}
	t.Fatal("no go-test/v-fail in the corpus")
}

// TestLineEndsMakeOffsetsExact cleans raw terminal output as the observation
// path does, and checks that each marker's range is exactly the raw bytes
// of the lines it stands for.
func TestLineEndsMakeOffsetsExact(t *testing.T) {
	var raw strings.Builder
	for i := range 400 {
		switch {
		case i%7 == 0:
			fmt.Fprintf(&raw, "\x1b[32mok\x1b[0m step %d\r\n", i)
		case i%11 == 0:
			fmt.Fprintf(&raw, "progress 10%%\rprogress 50%%\rprogress 100%% of %d\n", i)
		case i == 333:
			raw.WriteString("\x1b[31mERROR\x1b[0m: disk full on /dev/sda1\n")
		default:
			fmt.Fprintf(&raw, "line %d of the build, nothing to see\n", i)
		}
	}
	const start = 5000
	rawText := raw.String()
	text := output.Clean([]byte(rawText))
	ends := LineEnds([]byte(rawText), start)
	out, rep, applied := Compress(Input{Text: text, Start: start, LineEnds: ends, MaxBytes: 2048})
	if !applied || !strings.Contains(out, "ERROR: disk full") {
		t.Fatalf("applied %v, %+v:\n%s", applied, rep, out)
	}
	markers := 0
	for _, l := range strings.Split(out, "\n") {
		m := reMarker.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		markers++
		a, _ := strconv.Atoi(m[3])
		b, _ := strconv.Atoi(m[4])
		a, b = a-start, b-start
		if a > 0 && rawText[a-1] != '\n' || b < len(rawText) && rawText[b-1] != '\n' {
			t.Errorf("marker %q: range is not on raw line boundaries", l)
			continue
		}
		seg := rawText[a:b]
		n, _ := strconv.Atoi(strings.Fields(m[1])[0])
		if got := countLines(seg); got != n {
			t.Errorf("marker %q: the raw range holds %d lines", l, got)
		}
		// The omitted lines are exactly the cleaned raw range: the text
		// before the marker ends where the range's cleaned text begins.
		cleaned := output.Clean([]byte(seg))
		before := out[:strings.Index(out, l)]
		before = before[strings.LastIndex(before[:max(0, len(before)-1)], "\n")+1:] // the kept line above
		if !strings.Contains(text, before+cleaned) {
			t.Errorf("marker %q: the raw range does not clean to what was omitted", l)
		}
	}
	if markers == 0 {
		t.Fatal("no marker")
	}

	// A LineEnds that does not match the text is ignored: offsets are then
	// positions in the text.
	out2, _, _ := Compress(Input{Text: text, Start: start, LineEnds: ends[1:], MaxBytes: 2048})
	checkReconstruct(t, text, out2, start)
}

func TestLineEnds(t *testing.T) {
	got := LineEnds([]byte("ab\n\ncd"), 10)
	want := []int64{13, 14, 16}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("LineEnds = %v, want %v", got, want)
	}
	if got := LineEnds(nil, 7); fmt.Sprint(got) != "[7]" {
		t.Errorf("LineEnds(nil) = %v, want [7]", got)
	}
}

func TestLongLineIsCutOnCharacters(t *testing.T) {
	line := strings.Repeat("héllo wörld ✓ あいう ", 5000) // 150 KB, multi-byte characters
	for _, text := range []string{line, "start\n" + line + "\nend\n"} {
		for _, mode := range []Mode{Auto, Always} {
			out, rep, applied := Compress(Input{Text: text, MaxBytes: 4096, Mode: mode})
			if !applied || !utf8.ValidString(out) || len(out) > 4096 {
				t.Fatalf("%s: applied %v, valid %v, %d bytes, %+v", mode, applied, utf8.ValidString(out), len(out), rep)
			}
			if !strings.Contains(out, "part of a line omitted") {
				t.Errorf("%s: no partial-line marker:\n%s", mode, out)
			}
			checkReconstruct(t, text, out, 0)
		}
	}
}

// TestMasksStayMasked: Compress shows only the input's own lines and
// markers, so a masked value stays masked and nothing is invented.
func TestMasksStayMasked(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, "GET /api?token=*** status=200 req=%d\n", i)
	}
	b.WriteString("ERROR auth failed for token=*** user=alice\n")
	text := b.String()
	out, _, applied := Compress(Input{Text: text, MaxBytes: 1024, Mode: Always})
	if !applied || !strings.Contains(out, "ERROR auth failed for token=*** user=alice") {
		t.Fatalf("applied %v:\n%s", applied, out)
	}
	for _, l := range strings.SplitAfter(out, "\n") {
		if l != "" && !reMarker.MatchString(strings.TrimSuffix(l, "\n")) && !strings.Contains(text, l) {
			t.Errorf("output line %q is not from the input", l)
		}
	}
}

func FuzzCompress(f *testing.F) {
	f.Add("a\nb\nc\n", 50, "auto", "")
	f.Add(goTestRun(30), 600, "always", "go test ./...")
	f.Add("x\r\n\n\n"+strings.Repeat("é", 900)+"\nERROR boom\n", 300, "errors", "sh -c make")
	f.Add("{\"a\": [1,2,3]}\n", 10, "json", "")
	f.Fuzz(func(t *testing.T, text string, max int, mode, cmd string) {
		if !utf8.ValidString(text) || max < 0 || max > 1<<20 {
			return
		}
		out, rep, applied := Compress(Input{Text: text, Command: []string{cmd}, MaxBytes: max, Mode: Mode(mode)})
		if !applied {
			if out != text {
				t.Fatal("not applied but changed")
			}
			return
		}
		if len(out) > max || len(out) >= len(text) || !utf8.ValidString(out) || rep.ReturnedBytes != len(out) {
			t.Fatalf("%d -> %d bytes (max %d), valid %v, %+v", len(text), len(out), max, utf8.ValidString(out), rep)
		}
		checkReconstruct(t, text, out, 0)
	})
}
