package compress

import (
	"encoding/json"
	"strings"
)

// Shape detection looks at a sample of the lines: the first shapeHead and
// the last shapeTail.
const (
	shapeHead = 300
	shapeTail = 100
)

var (
	reTSCError     = lazyRegexp(`(\(\d+,\d+\): |:\d+:\d+ - )error TS\d+`)
	reESLintRow    = lazyRegexp(`^\s+\d+:\d+\s+(error|warning)\s`)
	reRustDiag     = lazyRegexp(`^(error|warning)(\[E\d+\])?: `)
	reGoDiag       = lazyRegexp(`^\S+\.go:\d+(:\d+)?: `)
	reCDiag        = lazyRegexp(`^\S+:\d+(:\d+)?: (fatal error|error|warning|note): `)
	reMakeLine     = lazyRegexp(`^g?make(\[\d+\])?: `)
	reCommit       = lazyRegexp(`^commit [0-9a-f]{7,64}\b`)
	rePercent      = lazyRegexp(`\d(\.\d+)?\s?%`)
	reTimestamp    = lazyRegexp(`^\[?(\d{4}[-/]\d\d[-/]\d\d|\d\d:\d\d:\d\d|[A-Z][a-z]{2} [ \d]\d |\d{10})`)
	reLevel        = lazyRegexp(`\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL)\b|\blevel=`)
	reAccessLog    = lazyRegexp(`"[A-Z]+ \S+ HTTP/[\d.]+" \d{3} `)
	reTableHeader  = lazyRegexp(`^ *[A-Z%][A-Z0-9%_\-/()]*( +[A-Z%][A-Z0-9%_\-/()]*){2,}\s*$`)
	rePsqlRule     = lazyRegexp(`^-+(\+-+)+$|^-{3,}$`)
	rePytestResult = lazyRegexp(`^=+ .*\d+ (passed|failed|error)`)
	reUnittestRan  = lazyRegexp(`^Ran \d+ tests? in `)
)

// shapeLines returns the first n non-blank lines of d.
func shapeLines(d *doc, n int) []string {
	var lines []string
	for i := 0; i < d.n && len(lines) < n; i++ {
		if l := d.line(i); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// shapeKind guesses the kind of output from its lines.
func shapeKind(d *doc) string {
	var lines []string
	for i := 0; i < min(d.n, shapeHead); i++ {
		lines = append(lines, d.line(i))
	}
	for i := max(shapeHead, d.n-shapeTail); i < d.n; i++ {
		lines = append(lines, d.line(i))
	}
	if len(lines) == 0 {
		return kindSummary
	}
	count := func(f func(string) bool) int {
		n := 0
		for _, l := range lines {
			if f(l) {
				n++
			}
		}
		return n
	}
	some := func(f func(string) bool) bool { return count(f) > 0 }
	first := strings.TrimLeft(d.text, " \t\r\n")

	switch {
	case some(func(l string) bool {
		return strings.HasPrefix(l, `{"Time":"`) && strings.Contains(l, `"Action":"`) ||
			strings.HasPrefix(l, `{"Action":"`)
	}):
		return kindGoTestJSON
	case strings.HasPrefix(first, "{") || strings.HasPrefix(first, "[") && jsonArrayStart(first):
		objs := count(func(l string) bool {
			l = strings.TrimSpace(l)
			return strings.HasPrefix(l, "{") && strings.HasSuffix(l, "}")
		})
		if objs >= 2 && objs*2 >= len(lines) {
			return kindNDJSON
		}
		return kindJSON
	case some(func(l string) bool {
		return strings.HasPrefix(l, "=== RUN ") || strings.HasPrefix(l, "--- FAIL: ") ||
			strings.HasPrefix(l, "--- PASS: ") || strings.HasPrefix(l, "ok  \t") || strings.HasPrefix(l, "FAIL\t")
	}):
		return kindGoTest
	case some(func(l string) bool {
		return strings.HasPrefix(l, "test result: ") || strings.HasPrefix(l, "running ") && strings.HasSuffix(l, " tests")
	}):
		return kindCargoTest
	case some(func(l string) bool {
		return strings.Contains(l, " test session starts ") || strings.HasPrefix(l, "==") && rePytestResult().MatchString(l)
	}):
		return kindPytest
	case some(func(l string) bool { return strings.HasPrefix(l, "Ran ") && reUnittestRan().MatchString(l) }):
		return kindUnittest
	case some(func(l string) bool {
		return strings.HasPrefix(l, " Test Files ") || strings.HasPrefix(l, " RUN  v")
	}):
		return kindVitest
	case some(func(l string) bool {
		return strings.HasPrefix(l, "Test Suites: ") || strings.HasPrefix(l, "Tests:       ")
	}):
		return kindJest
	case some(func(l string) bool { return strings.Contains(l, "error TS") && reTSCError().MatchString(l) }):
		return kindTSC
	case some(func(l string) bool {
		return strings.HasPrefix(l, "✖ ") && strings.Contains(l, " problem") ||
			strings.HasPrefix(l, " ") && (strings.Contains(l, "error") || strings.Contains(l, "warning")) && reESLintRow().MatchString(l)
	}):
		return kindESLint
	case some(func(l string) bool { return strings.HasPrefix(l, "diff --git ") }):
		return kindGitDiff
	case some(func(l string) bool { return strings.HasPrefix(l, "commit ") && reCommit().MatchString(l) }):
		return kindGitLog
	case some(func(l string) bool {
		return strings.HasPrefix(l, "On branch ") || strings.HasPrefix(l, "HEAD detached ")
	}):
		return kindGitStatus
	case some(func(l string) bool {
		return (strings.HasPrefix(l, "error") || strings.HasPrefix(l, "warning")) && reRustDiag().MatchString(l)
	}) &&
		some(func(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " "), "--> ") }):
		return kindCargoBuild
	case some(func(l string) bool { return strings.Contains(l, ".go:") && reGoDiag().MatchString(l) }):
		return kindGoBuild
	case some(func(l string) bool {
		return (strings.Contains(l, ": error") || strings.Contains(l, ": warning") || strings.Contains(l, ": note") ||
			strings.Contains(l, ": fatal")) && reCDiag().MatchString(l)
	}):
		return kindGCC
	case some(func(l string) bool { return strings.Contains(l, "make") && reMakeLine().MatchString(l) }):
		return kindMake
	case isTable(lines):
		return kindTable
	case count(func(l string) bool { return isTreeLine(l) })*3 >= len(lines) && len(lines) >= 3:
		return kindTree
	case count(func(l string) bool { return strings.IndexByte(l, '%') >= 0 && rePercent().MatchString(l) })*3 >= len(lines) &&
		len(lines) >= 5:
		return kindProgress
	case count(func(l string) bool {
		return logShaped(l)
	})*2 >= len(lines) && len(lines) >= 5:
		return kindLogs
	case repetitive(d):
		return kindLogs
	case some(func(l string) bool { return scanFlags(l)&flagError != 0 }):
		return kindErrors
	}
	return kindSummary
}

// jsonArrayStart reports whether text, which starts with "[", starts a
// JSON array rather than a "[LEVEL] message" log line or "[1/5] step":
// the bracket is alone on its line or followed by a value.
func jsonArrayStart(text string) bool {
	line, _, _ := strings.Cut(text, "\n")
	rest := strings.TrimLeft(line[1:], " \t\r")
	if rest == "" {
		return true
	}
	switch rest[0] {
	case '{', '[', '"', ']':
		return true
	case 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return json.Valid([]byte(strings.TrimRight(line, " \t\r,")))
	}
	return false
}

// isTreeLine reports whether l is an inner line of a drawn tree: it
// starts, after spaces, with a branch (├── └── ├─┬ |- `-).
func isTreeLine(l string) bool {
	t := strings.TrimLeft(l, " │|")
	return strings.HasPrefix(t, "├─") || strings.HasPrefix(t, "└─") || strings.HasPrefix(t, "|-") ||
		strings.HasPrefix(t, "`-") || strings.HasPrefix(t, "+--") || strings.HasPrefix(t, "\\--")
}

// levelWords are the levels of log lines.
var levelWords = []string{"INFO", "DEBUG", "WARN", "ERROR", "TRACE", "FATAL", "NOTICE", "CRITICAL", "level="}

// logShaped reports whether l looks like a log line: it starts with a time
// stamp, is an access log line, or names a level.
func logShaped(l string) bool {
	if l != "" && (l[0] >= '0' && l[0] <= '9' || l[0] == '[' || l[0] >= 'A' && l[0] <= 'Z') && reTimestamp().MatchString(l) {
		return true
	}
	if strings.Contains(l, " HTTP/") && reAccessLog().MatchString(l) {
		return true
	}
	for _, w := range levelWords {
		if i := strings.Index(l, w); i >= 0 && reLevel().MatchString(l) {
			return true
		}
	}
	return false
}

// isTable reports whether lines look like a table: a header of three or
// more upper-case column names, or a psql rule under the first line.
func isTable(lines []string) bool {
	if len(lines) < 2 {
		return false
	}
	if reTableHeader().MatchString(lines[0]) {
		return true
	}
	return rePsqlRule().MatchString(strings.TrimSpace(lines[1])) && strings.Contains(lines[0], "|")
}

// repetitive reports whether many of the sampled lines repeat an earlier
// one once numbers and ids are set aside.
func repetitive(d *doc) bool {
	n := min(d.n, shapeHead)
	if n < 10 {
		return false
	}
	seen := make(map[uint64]bool, n)
	rep := 0
	for i := 0; i < n; i++ {
		k, _ := scanLine(d.line(i))
		if seen[k] {
			rep++
		}
		seen[k] = true
	}
	return rep*2 >= n
}
