package compress

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// corpusFile is one captured output of testdata/<kind>/<name>.txt, with
// the command that produced it (<name>.cmd) and the lines a reader must
// not lose (<name>.keep, one exact substring a line).
type corpusFile struct {
	dir, name string
	text      string
	cmd       []string
	keep      []string
}

func (f corpusFile) String() string { return f.dir + "/" + f.name }

func loadCorpus(t testing.TB) []corpusFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var out []corpusFile
	for _, p := range paths {
		base := strings.TrimSuffix(p, ".txt")
		text, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cmd, err := os.ReadFile(base + ".cmd")
		if err != nil {
			t.Fatal(err)
		}
		keep, err := os.ReadFile(base + ".keep")
		if err != nil {
			t.Fatal(err)
		}
		f := corpusFile{
			dir:  filepath.Base(filepath.Dir(p)),
			name: filepath.Base(base),
			text: string(text),
			cmd:  []string{strings.TrimSpace(string(cmd))},
		}
		for _, k := range strings.Split(string(keep), "\n") {
			if k != "" {
				f.keep = append(f.keep, k)
			}
		}
		if len(f.keep) == 0 {
			t.Errorf("%s: empty .keep", f)
		}
		for _, k := range f.keep {
			if !strings.Contains(f.text, k) {
				t.Errorf("%s: must-keep %q is not in the text", f, k)
			}
		}
		out = append(out, f)
	}
	return out
}

// DefaultMaxBytes mirrors the observation default.
const defaultMaxBytes = 16384

// autoBudget is the MaxBytes that forces auto to choose on a text of n
// bytes: 4096, or three quarters of a smaller text, but never under 600
// bytes: a smaller text is mostly must-keep lines, and a smaller window
// cannot hold them and a marker.
func autoBudget(n int) int {
	return max(600, min(4096, n*3/4))
}

func dump(t *testing.T, f corpusFile, mode string, out string) {
	dir := os.Getenv("COMPRESS_DUMP")
	if dir == "" {
		return
	}
	p := filepath.Join(dir, f.dir+"-"+f.name+"."+mode+".txt")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCorpusKeepsMustKeepLines(t *testing.T) {
	for _, f := range loadCorpus(t) {
		for _, tc := range []struct {
			mode Mode
			max  int
		}{
			{Always, defaultMaxBytes},
			{Auto, autoBudget(len(f.text))},
		} {
			t.Run(f.String()+"/"+string(tc.mode), func(t *testing.T) {
				out, rep, applied := Compress(Input{Text: f.text, Command: f.cmd, MaxBytes: tc.max, Mode: tc.mode})
				dump(t, f, string(tc.mode), out)
				if tc.mode == Auto && tc.max < len(f.text) && !applied {
					t.Errorf("auto with MaxBytes %d < %d did not apply: %+v", tc.max, len(f.text), rep)
				}
				var lost []string
				for _, k := range f.keep {
					if !strings.Contains(out, k) {
						lost = append(lost, k)
					}
				}
				if len(lost) > 0 {
					t.Errorf("%s lost %d of %d must-keep lines (kind %s, %d -> %d bytes):\n%s",
						tc.mode, len(lost), len(f.keep), rep.Kind, len(f.text), len(out), strings.Join(lost, "\n"))
				}
			})
		}
	}
}

// reMarker matches a marker line and captures its offsets.
var reMarker = regexp.MustCompile(`^\[\.\.\. (.+) omitted \((.*)offsets (\d+)-(\d+)\); read with offset=(\d+) \.\.\.\]$`)

// checkReconstruct verifies that out is text with omitted runs replaced by
// markers whose offsets (relative to start) are exactly the omitted bytes:
// putting the named bytes back in place of each marker gives text.
func checkReconstruct(t *testing.T, text, out string, start int64) {
	t.Helper()
	pos := 0
	lines := strings.SplitAfter(out, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for k, l := range lines {
		if m := reMarker.FindStringSubmatch(strings.TrimSuffix(l, "\n")); m != nil {
			a, _ := strconv.ParseInt(m[3], 10, 64)
			b, _ := strconv.ParseInt(m[4], 10, 64)
			if m[5] != m[3] {
				t.Fatalf("marker %q: read offset %s is not the range start", l, m[5])
			}
			if int(a-start) != pos {
				t.Fatalf("marker %d %q starts at %d, want %d", k, l, a-start, pos)
			}
			if b <= a || int(b-start) > len(text) {
				t.Fatalf("marker %q: bad range for a text of %d bytes", l, len(text))
			}
			pos = int(b - start)
			continue
		}
		switch {
		case strings.HasPrefix(text[pos:], l):
			pos += len(l)
		case strings.HasSuffix(l, "\n") && strings.HasPrefix(text[pos:], l[:len(l)-1]) &&
			k+1 < len(lines) && reMarker.MatchString(strings.TrimSuffix(lines[k+1], "\n")):
			pos += len(l) - 1 // a newline added before a marker, after part of a line
		default:
			t.Fatalf("output line %d %q is not the text at %d (%q)", k, l, pos, text[pos:min(len(text), pos+len(l))])
		}
	}
	if pos != len(text) {
		t.Fatalf("output covers %d of %d bytes", pos, len(text))
	}
}

// checkMaskedLines verifies a selection of masked env output: at line
// granularity, markers name exactly the omitted lines of text, and each
// kept line is the text's line, or its masked form.
func checkMaskedLines(t *testing.T, text, out string, start int64) {
	t.Helper()
	masked, _, _ := maskEnv(text, nil, 0)
	orig, shown := strings.SplitAfter(text, "\n"), strings.SplitAfter(masked, "\n")
	k, pos := 0, int64(0) // the next line of text, and its offset
	for _, l := range strings.SplitAfter(strings.TrimSuffix(out, "\n"), "\n") {
		if m := reMarker.FindStringSubmatch(strings.TrimSuffix(l, "\n")); m != nil {
			a, _ := strconv.ParseInt(m[3], 10, 64)
			b, _ := strconv.ParseInt(m[4], 10, 64)
			if a-start != pos {
				t.Fatalf("marker %q starts at %d, want %d", l, a-start, pos)
			}
			for pos < b-start && k < len(orig) {
				pos += int64(len(orig[k]))
				k++
			}
			if pos != b-start {
				t.Fatalf("marker %q does not end at a line end (%d)", l, pos)
			}
			continue
		}
		if k >= len(orig) || strings.TrimSuffix(l, "\n") != strings.TrimSuffix(shown[k], "\n") {
			t.Fatalf("output line %q is not line %d of the masked text", l, k)
		}
		pos += int64(len(orig[k]))
		k++
	}
	if pos != int64(len(text)) {
		t.Fatalf("output covers %d of %d bytes", pos, len(text))
	}
}

func TestCorpusMarkersAreExact(t *testing.T) {
	for _, f := range loadCorpus(t) {
		budgets := []int{256, 1000, autoBudget(len(f.text)), defaultMaxBytes}
		if raceEnabled {
			budgets = budgets[2:]
		}
		for _, mode := range []Mode{Always, Auto} {
			for _, max := range budgets {
				t.Run(fmt.Sprintf("%s/%s/%d", f, mode, max), func(t *testing.T) {
					const start = 1_000_000
					out, _, applied := Compress(Input{Text: f.text, Start: start, Command: f.cmd, MaxBytes: max, Mode: mode})
					if !applied {
						if out != f.text {
							t.Fatal("not applied, but the text changed")
						}
						return
					}
					if Masks(f.cmd) {
						checkMaskedLines(t, f.text, out, start)
						return
					}
					checkReconstruct(t, f.text, out, start)
				})
			}
		}
	}
}

func TestCorpusExpansionGuard(t *testing.T) {
	for _, f := range loadCorpus(t) {
		modes, budgets := Modes(), []int{1, 100, 256, 700, autoBudget(len(f.text)), defaultMaxBytes, 1 << 20}
		if raceEnabled {
			modes, budgets = []Mode{Auto, Always, Errors}, []int{100, 700, autoBudget(len(f.text))}
		}
		for _, mode := range modes {
			for _, max := range budgets {
				out, rep, applied := Compress(Input{Text: f.text, Command: f.cmd, MaxBytes: max, Mode: mode})
				switch {
				case !applied && out != f.text:
					t.Errorf("%s %s %d: not applied but changed", f, mode, max)
				case applied && (len(out) > max || len(out) >= len(f.text)):
					t.Errorf("%s %s %d: %d bytes from %d", f, mode, max, len(out), len(f.text))
				case rep.ReturnedBytes != len(out) || rep.OriginalBytes != len(f.text):
					t.Errorf("%s %s %d: report %+v for %d -> %d bytes", f, mode, max, rep, len(f.text), len(out))
				case applied && rep.KeptLines+rep.OmittedLines != countLines(f.text):
					t.Errorf("%s %s %d: kept %d + omitted %d lines != %d", f, mode, max, rep.KeptLines, rep.OmittedLines, countLines(f.text))
				}
			}
		}
	}
}

// corpusKinds is the kind each corpus directory's command routes to, with
// the exceptions by file.
var corpusKinds = map[string]string{
	"cargo":     "",
	"eslint":    kindESLint,
	"gcc":       "",
	"git":       "",
	"go-build":  "",
	"go-test":   "",
	"jest":      kindJest,
	"json":      "",
	"logs":      "",
	"npm":       "",
	"progress":  kindProgress, // curl is not routed: its output is often a body
	"pytest":    kindPytest,
	"table":     kindTable,
	"tsc":       kindTSC,
	"unittest":  kindUnittest,
	"vitest":    kindVitest,
	"search":    kindSearch,
	"files":     kindFiles,
	"source":    kindSource,
	"env":       kindEnv,
	"pip":       kindPip,
	"lint":      kindLint,
	"docker":    kindDocker,
	"kubectl":   kindKubectl,
	"terraform": kindTerraform,
	"jvm":       kindJVM,
	"dotnet":    "",
	"make":      "",
	"tree":      kindTree,
}

var corpusFileKinds = map[string]string{
	"cargo/build-fail":          kindCargoBuild,
	"cargo/build-warn":          kindCargoBuild,
	"cargo/test-fail":           kindCargoTest,
	"gcc/gcc-fail":              kindGCC,
	"gcc/make-fail":             kindGCC, // make runs gcc: its output's shape decides
	"git/diff-big":              kindGitDiff,
	"git/diff-small":            kindGitDiff,
	"git/log":                   kindGitLog,
	"git/log-long":              kindGitLog,
	"git/log-oneline":           kindGitLog,
	"git/log-stat-long":         kindGitLog,
	"git/merge-conflict":        kindErrors,
	"git/show":                  kindGitShow,
	"git/status":                kindGitStatus,
	"git/status-conflict":       kindGitStatus,
	"go-build/build-fail":       kindGoBuild,
	"go-build/vet":              kindGoVet,
	"go-build/vet-fail":         kindGoVet,
	"go-test/fail":              kindGoTest,
	"go-test/json-fail":         kindGoTestJSON,
	"go-test/json-pass":         kindGoTestJSON,
	"go-test/panic":             kindGoTest,
	"go-test/v-fail":            kindGoTest,
	"go-test/v-pass":            kindGoTest,
	"json/cargo-build-messages": kindNDJSON,
	"json/cargo-metadata":       kindJSON,
	"json/go-list":              kindJSON,
	"json/npm-ls":               kindJSON,
	"json/npm-ls-min":           kindJSON,
	"logs/app-worker":           kindLogs,
	"logs/http-server":          kindLogs,
	"logs/slog-json":            kindNDJSON,
	"npm/install-http":          kindNPM,
	"npm/run-missing":           kindNPM,
	"npm/test-fail":             kindJest,
	"progress/curl":             kindSummary,
	"logs/bracket-levels":       kindLogs,
	"kubectl/get-refused":       kindKubectl, // no table: the connection failed
	"dotnet/build-fail":         kindDotnet,
	"dotnet/test-fail":          kindDotnetTest,
	"make/test-unittest":        kindUnittest,
}

func TestCorpusKinds(t *testing.T) {
	for _, f := range loadCorpus(t) {
		want := corpusFileKinds[f.String()]
		if want == "" {
			want = corpusKinds[f.dir]
		}
		d := newDoc(f.text)
		if got := pick(Always, f.cmd, d).kind; got != want {
			t.Errorf("%s: kind %q, want %q", f, got, want)
		}
	}
}

// TestCorpusShapes checks that the output alone, without its command,
// routes to the same summarizer for the kinds a shape identifies.
func TestCorpusShapes(t *testing.T) {
	same := []string{kindGoTest, kindGoTestJSON, kindCargoTest, kindPytest, kindUnittest, kindJest, kindVitest,
		kindTSC, kindESLint, kindGitDiff, kindGitLog, kindGitStatus, kindCargoBuild, kindTable, kindProgress, kindJSON}
	for _, f := range loadCorpus(t) {
		want := corpusFileKinds[f.String()]
		if want == "" {
			want = corpusKinds[f.dir]
		}
		if !slices.Contains(same, want) || f.name == "curl" || f.name == "log-oneline" || f.name == "get-refused" {
			continue
		}
		d := newDoc(f.text)
		if got := summarizerFor(shapeKind(d)).strategy; got != summarizerFor(want).strategy {
			t.Errorf("%s: by shape %q (%s), want %q", f, shapeKind(d), got, want)
		}
	}
}
