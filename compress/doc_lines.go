package compress

import "strings"

// tier ranks a line: a lower tier is kept first.
type tier uint8

const (
	// tierTotals: the final counts of a run ("FAIL", "Tests: 3 failed"),
	// kept first (within a quarter of the budget) because they are short
	// and say whether the rest matters.
	tierTotals tier = iota
	// tierFailure: a failure of the detected kind: a failing test's name,
	// a compiler error, an ERROR log line, a panic.
	tierFailure
	// tierSummary: structure a reader needs to place failures: package
	// results, file headers, commit subjects, table headers.
	tierSummary
	// tierMessage: what a failure says: assertion text, expected and
	// received values, an error's location, warnings.
	tierMessage
	// tierEdge: the first and last few ordinary lines.
	tierEdge
	// tierContext: a little context: source excerpts, stack frames, the
	// lines around a generic error.
	tierContext
	// tierNormal: ordinary output, kept by auto to fill the budget from
	// both ends.
	tierNormal
	// tierNoise: passing tests, repeats, progress updates, hints: kept
	// last, by auto's filling, and never for test runs.
	tierNoise
	// tierHole: a line that stands for bytes of the log not examined
	// ([Input.Holes]): never kept, always inside a marker.
	tierHole

	numTiers
	// tierUnset marks a line no summarizer classified yet.
	tierUnset tier = 255
)

// label says why a line may be left out; markers name the label of the
// lines they stand for.
type label uint8

const (
	labelNone label = iota
	labelPassing
	labelTestProgress
	labelSkipped
	labelSimilar
	labelRepeatedErrors
	labelProgress
	labelHints
	labelUnchangedDiff
	labelChangedDiff
	labelCommitBodies
	labelCommits
	labelStack
	labelNestedJSON
	labelArrayItems
	labelRows
	labelRequests
	labelBuildSteps
	labelSource
	labelWarnings
	labelFiles
	labelMatches
	labelNested
	numLabels
)

// labelText is what a marker says of each label.
var labelText = [numLabels]string{
	labelNone:           "",
	labelPassing:        "passing tests",
	labelTestProgress:   "test progress",
	labelSkipped:        "skipped tests",
	labelSimilar:        "similar lines",
	labelRepeatedErrors: "repeated errors",
	labelProgress:       "progress updates",
	labelHints:          "git hints",
	labelUnchangedDiff:  "unchanged diff lines",
	labelChangedDiff:    "changed lines",
	labelCommitBodies:   "commit message bodies",
	labelCommits:        "older commits",
	labelStack:          "stack frames",
	labelNestedJSON:     "nested JSON",
	labelArrayItems:     "array items",
	labelRows:           "ordinary rows",
	labelRequests:       "http requests",
	labelBuildSteps:     "build steps",
	labelSource:         "source excerpts",
	labelWarnings:       "warnings",
	labelFiles:          "file names",
	labelMatches:        "more matches",
	labelNested:         "deeper entries",
}

// doc is a text split into lines, with each line's tier and label.
type doc struct {
	text string
	// n is the number of lines; start[i] is where line i begins in text
	// and start[n] == len(text). A line includes its newline.
	n     int
	start []int
	tier  []tier
	label []label
}

func newDoc(text string) *doc {
	n := countLines(text)
	d := &doc{text: text, n: n, start: make([]int, 0, n+1), tier: make([]tier, n), label: make([]label, n)}
	for pos := 0; pos < len(text); {
		d.start = append(d.start, pos)
		j := strings.IndexByte(text[pos:], '\n')
		if j < 0 {
			pos = len(text)
		} else {
			pos += j + 1
		}
	}
	d.start = append(d.start, len(text))
	for i := range d.tier {
		d.tier[i] = tierUnset
	}
	return d
}

// line returns line i without its newline.
func (d *doc) line(i int) string {
	e := d.start[i+1]
	if e > d.start[i] && d.text[e-1] == '\n' {
		e--
	}
	return d.text[d.start[i]:e]
}

// set classifies line i.
func (d *doc) set(i int, t tier, l label) {
	d.tier[i], d.label[i] = t, l
}

// setUnset classifies line i unless a summarizer already did.
func (d *doc) setUnset(i int, t tier, l label) {
	if d.tier[i] == tierUnset {
		d.tier[i], d.label[i] = t, l
	}
}

// raise makes line i at least as important as t, keeping its label when it
// already was.
func (d *doc) raise(i int, t tier) {
	if i < 0 || i >= d.n {
		return
	}
	if d.tier[i] == tierUnset || t < d.tier[i] {
		d.tier[i] = t
	}
}

// context raises the lines [i-before, i+after] other than i to tierContext.
func (d *doc) context(i, before, after int) {
	for j := max(0, i-before); j <= min(d.n-1, i+after); j++ {
		if j != i {
			d.raise(j, tierContext)
		}
	}
}

// edgeSpec is how many ordinary lines count as the head and the tail.
type edgeSpec struct{ head, tail int }

// edgeScan bounds how far from each end finish looks for edge lines.
const edgeScan = 64

// similarFailures is how many failures (or warnings) that look alike stay
// so when a summarizer asks for distinct ones.
const similarFailures = 3

// finish classifies what the summarizer left: generic errors and totals in
// unclassified lines, the rest as ordinary; with distinct, it ranks
// failures and warnings beyond the first few that look alike as ordinary
// lines; then it marks the head and tail.
func (d *doc) finish(e edgeSpec, distinct, errorLines bool) {
	const unset = 0x80 // in flags: the line was not classified
	flags := make([]uint8, d.n)
	parallel(d.n, func(from, to int) {
		for i := from; i < to; i++ {
			if d.tier[i] == tierUnset {
				flags[i] = scanFlags(d.line(i)) | unset
			}
		}
	})
	for i, f := range flags {
		switch {
		case f&unset == 0:
		case f&flagCounts != 0 && len(d.line(i)) < 200:
			d.raise(i, tierTotals)
		case f&flagError != 0:
			d.raise(i, tierMessage)
		case f&flagWarn != 0:
			d.raise(i, tierContext)
		}
	}
	for i, f := range flags {
		if f&unset != 0 && f&flagCounts == 0 && f&flagError != 0 {
			d.context(i, 1, 2)
		}
	}
	var seen *keyTable
	for i := range d.tier {
		switch {
		case d.tier[i] == tierUnset:
			d.tier[i] = tierNormal
		case distinct && (d.tier[i] == tierFailure || d.tier[i] == tierMessage && d.label[i] == labelWarnings):
			if seen == nil {
				seen = newKeyTable(64)
			}
			if k, _ := scanLine(stripLocation(d.line(i))); seen.inc(k) > similarFailures {
				if d.tier[i] == tierFailure {
					d.label[i] = labelRepeatedErrors
				}
				d.tier[i] = tierNormal
			}
		}
	}
	if errorLines {
		d.keepErrorLines()
	}
	d.edges(e)
}

// stripLocation returns l without a leading diagnostic location
// ("path:12:5: ", "path(12,5): "), so that one message in many files
// looks alike.
func stripLocation(l string) string {
	j := strings.Index(l, ": ")
	if j <= 0 || j > 200 || strings.IndexByte(l[:j], ' ') >= 0 {
		return l
	}
	loc := l[:j]
	if k := strings.IndexAny(loc, ":("); k > 0 && k+1 < len(loc) && loc[k+1] >= '0' && loc[k+1] <= '9' {
		return l[j+2:]
	}
	return l
}

// keepErrorLines raises every line that reads as an error (see
// [isErrorLine]) to a message, unless its summarizer left it out on
// purpose (a repeat of an error already kept, a passing test's log); of
// lines that look alike, the first few.
func (d *doc) keepErrorLines() {
	var seen *keyTable
	for i := 0; i < d.n; i++ {
		if d.tier[i] <= tierMessage || d.label[i] == labelRepeatedErrors || d.label[i] == labelPassing ||
			d.label[i] == labelSkipped || d.label[i] == labelHints || d.label[i] == labelStack {
			continue
		}
		l := d.line(i)
		if !isErrorLine(l) {
			continue
		}
		if seen == nil {
			seen = newKeyTable(64)
		}
		if k, _ := scanLine(l); seen.inc(k) <= similarFailures {
			d.tier[i] = tierMessage
		}
	}
}

// edges marks the first e.head and last e.tail non-blank lines that are
// ordinary or context among the first and last edgeScan lines.
func (d *doc) edges(e edgeSpec) {
	for i, got := 0, 0; i < min(d.n, edgeScan) && got < e.head; i++ {
		if d.edge(i) {
			got++
		}
	}
	for i, got := d.n-1, 0; i >= max(0, d.n-edgeScan) && got < e.tail; i-- {
		if d.edge(i) {
			got++
		}
	}
}

// edge makes line i an edge if it is a non-blank ordinary or context line.
func (d *doc) edge(i int) bool {
	if (d.tier[i] == tierNormal || d.tier[i] == tierContext) && strings.TrimSpace(d.line(i)) != "" {
		d.tier[i] = tierEdge
		return true
	}
	return false
}
