package compress

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Mode says whether Compress selects, and with which summarizer.
type Mode string

// Modes. The zero Mode is [Auto].
const (
	// Auto returns the text unchanged when it fits in MaxBytes; otherwise
	// it keeps failures, totals, summaries, their context, the head and the
	// tail, in that order, then fills what room is left from both ends.
	Auto Mode = "auto"
	// Always summarizes even when the text fits: it keeps failures,
	// totals, summaries, messages, context and a short head and tail, and
	// omits ordinary lines and noise.
	Always Mode = "always"
	// Off never compresses: the caller shows its plain window.
	Off Mode = "off"

	// The forced kinds behave as Always with the named summarizer.
	Errors  Mode = "errors"
	Tests   Mode = "tests"
	Logs    Mode = "logs"
	Diff    Mode = "diff"
	JSON    Mode = "json"
	Table   Mode = "table"
	Summary Mode = "summary"
)

// ErrInvalidMode is returned, wrapped, by [ParseMode] for an unknown mode.
var ErrInvalidMode = errors.New("invalid compress mode")

// Modes returns every valid mode, in the order a help text lists them.
func Modes() []Mode {
	return []Mode{Auto, Always, Off, Errors, Tests, Logs, Diff, JSON, Table, Summary}
}

// ParseMode returns the Mode named s; "" is [Auto]. An unknown name yields
// an error wrapping [ErrInvalidMode] that lists the valid ones.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Auto, nil
	}
	for _, m := range Modes() {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, 0, 10)
	for _, m := range Modes() {
		names = append(names, string(m))
	}
	return "", fmt.Errorf("%w %q: want one of %s", ErrInvalidMode, s, strings.Join(names, ", "))
}

// Input is what Compress works on.
type Input struct {
	// Text is the output to compress: the whole span the window covers, as
	// the reader will see it (cleaned and redacted). Compress never puts
	// back anything the caller removed or masked. It costs about 2.5 ms of
	// CPU per MiB; a caller bounds it (4 MiB is plenty), and a Text over
	// 2 GiB is returned unchanged.
	Text string
	// Start is the log offset where Text begins; markers report offsets
	// from it.
	Start int64
	// LineEnds, when not nil, gives for each line of Text the log offset
	// just past its end: LineEnds[k] ends the line that ends with Text's
	// (k+1)-th newline, and the last element (there are exactly
	// strings.Count(Text, "\n")+1) is the log offset where Text ends. Pass
	// it when Text is cleaned, so byte positions in Text are not log
	// offsets; [LineEnds] computes it from the raw bytes. When its length
	// does not match, it is ignored and offsets are Start plus the byte
	// position in Text.
	LineEnds []int64
	// Command is the job's command: one element is a shell command line,
	// more are an argv. It picks the summarizer; nil means "by shape only".
	Command []string
	// Holes, when not nil, are the indexes of lines of Text that stand
	// for bytes of the log that are not in Text (a caller that examines
	// only parts of a long log joins them with one blank line each, whose
	// LineEnds entry is where the next part starts). A hole is never
	// shown: it is always inside a marker, which then counts bytes, not
	// lines, and a text with holes is always selected from (in auto too),
	// within MaxBytes but not necessarily shorter than Text. Holes need
	// LineEnds; invalid indexes are ignored.
	Holes []int
	// MaxBytes bounds the returned text; it must be positive.
	MaxBytes int
	// Mode is the requested mode; "" means [Auto]. An unknown mode is
	// treated as Auto (validate with [ParseMode] first).
	Mode Mode
}

// Report says what Compress did. Its JSON form is the observation's
// output.compression object.
type Report struct {
	// Kind is the detected (or forced) kind of output, such as "go-test",
	// "cargo-build", "git-diff", "logs" or "summary"; empty when Compress
	// did not look (off, or auto with a text that fits).
	Kind string `json:"kind"`
	// Mode is the mode applied: auto, always, off or a forced kind.
	Mode string `json:"mode"`
	// Strategy names what was done: a summarizer such as
	// "test-failures", or "fits", "off", "expansion-guard" when the text
	// was returned unchanged.
	Strategy string `json:"strategy"`
	// OriginalBytes is len(Input.Text); ReturnedBytes is the length of the
	// returned text.
	OriginalBytes int `json:"original_bytes"`
	ReturnedBytes int `json:"returned_bytes"`
	// KeptLines counts the lines of Text shown at least in part;
	// OmittedLines those left out entirely.
	KeptLines    int `json:"kept_lines"`
	OmittedLines int `json:"omitted_lines"`
}

// Map returns r as the map the observation envelope carries.
func (r Report) Map() map[string]any {
	return map[string]any{
		"kind":           r.Kind,
		"mode":           r.Mode,
		"strategy":       r.Strategy,
		"original_bytes": r.OriginalBytes,
		"returned_bytes": r.ReturnedBytes,
		"kept_lines":     r.KeptLines,
		"omitted_lines":  r.OmittedLines,
	}
}

// maxText bounds the text Compress works on: offsets inside it are kept in
// 32 bits. A caller reads a few MiB at most.
const maxText = math.MaxInt32

// Strategies reported when the text is returned unchanged.
const (
	strategyOff   = "off"
	strategyFits  = "fits"
	strategyGuard = "expansion-guard"
)

// Compress returns the text a reader should see of in.Text, what it did,
// and whether it changed anything. When applied is false, text is in.Text
// unchanged: the mode is off; or auto and the text fits in MaxBytes; or
// selection could not produce a text that is both within MaxBytes and
// shorter than in.Text (MaxBytes too small for even one marker line, or
// nothing worth omitting). The caller then shows in.Text, or its plain
// head+tail window when in.Text does not fit.
//
// When applied is true, text is at most in.MaxBytes bytes, shorter than
// in.Text, and made only of in.Text's bytes (kept in order) and marker
// lines; see the package documentation.
func Compress(in Input) (text string, rep Report, applied bool) {
	mode, err := ParseMode(string(in.Mode))
	if err != nil {
		mode = Auto
	}
	rep = Report{Mode: string(mode), OriginalBytes: len(in.Text)}
	original := in.Text
	unchanged := func(strategy string) (string, Report, bool) {
		rep.Strategy = strategy
		rep.ReturnedBytes = len(original)
		rep.KeptLines = countLines(original)
		return original, rep, false
	}
	switch {
	case mode == Off:
		return unchanged(strategyOff)
	case in.MaxBytes <= 0 || in.Text == "" || len(in.Text) > maxText:
		return unchanged(strategyGuard)
	}
	masked := 0
	if Masks(in.Command) {
		in.Text, in.LineEnds, masked = maskEnv(in.Text, in.LineEnds, in.Start)
	}
	if mode == Auto && len(in.Text) <= in.MaxBytes && len(in.Holes) == 0 {
		if masked == 0 {
			return unchanged(strategyFits)
		}
		rep.Kind, rep.Strategy = kindEnv, stratEnv
		rep.ReturnedBytes, rep.KeptLines = len(in.Text), countLines(in.Text)
		return in.Text, rep, true
	}

	d := newDoc(in.Text)
	s := pick(mode, in.Command, d)
	rep.Kind, rep.Strategy = s.kind, s.strategy
	s.classify(d)
	d.finish(s.edges, s.distinct, s.errorLines)
	holes := 0
	for _, h := range in.Holes {
		if h >= 0 && h < d.n && d.tier[h] != tierHole {
			d.tier[h], d.label[h] = tierHole, labelNone
			holes++
		}
	}

	fill := fillNone
	switch {
	case mode == Auto && isTestKind(s.kind):
		fill = fillNormal // passing tests tell a model nothing: never fill with them
	case mode == Auto:
		fill = fillAll
	}
	out, kept, ok := newSelection(d, in).run(fill)
	if !ok || len(out) > in.MaxBytes || len(out) >= len(original) && holes == 0 {
		t, r, a := unchanged(strategyGuard)
		r.Kind = s.kind
		return t, r, a
	}
	rep.ReturnedBytes = len(out)
	rep.KeptLines = kept
	rep.OmittedLines = d.n - kept - holes
	return out, rep, true
}

// Masks reports whether Compress masks secrets in the output of cmd: it
// prints the environment (env, printenv), and the value of every variable
// whose name looks secret (*TOKEN*, *SECRET*, *PASSWORD*, *KEY*, …) is
// shown as "***" in every mode but off, even when the text fits. A
// caller examines such a window even when it would show a fitting one
// unchanged.
func Masks(cmd []string) bool {
	return commandKind(cmd) == kindEnv
}

// LineEnds returns, for raw bytes that start at log offset start, the log
// offset just past each newline, followed by start+len(raw): the
// [Input.LineEnds] of the text cleaned from raw, since cleaning keeps every
// newline.
func LineEnds(raw []byte, start int64) []int64 {
	ends := make([]int64, 0, 64)
	for i, c := range raw {
		if c == '\n' {
			ends = append(ends, start+int64(i)+1)
		}
	}
	return append(ends, start+int64(len(raw)))
}

// countLines counts the lines of s: its newlines, plus one for a last line
// without one.
func countLines(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && s[len(s)-1] != '\n' {
		n++
	}
	return n
}
