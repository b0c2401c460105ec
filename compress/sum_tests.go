package compress

import (
	"strings"
)

var (
	reStackFrame    = lazyRegexp(`^\s+(\d+: |at )`)
	rePytestSection = lazyRegexp(`^=+ (.*) =+$`)
	rePytestHeader  = lazyRegexp(`^_{3,} .* _{3,}$`)
	rePytestWhere   = lazyRegexp(`^\S+:\d+: \w`)
	reUnittestRow   = lazyRegexp(` \.\.\. (ok|FAIL|ERROR|skipped|expected failure|unexpected success)`)
	reExpectation   = lazyRegexp(`(?i)^\s*([-+] )?(expected|received|actual|error|assert|thrown|expect\()|^\s*[-+] `)
)

// cargoFrames is how many lines of a panic's backtrace are context; the
// rest, mostly the standard library's frames, are ordinary lines.
const cargoFrames = 4

// classifyCargoTest ranks cargo test output: failing tests and their
// stdout sections are failures, their panic messages messages, backtraces
// context, passing and ignored tests noise, and test result lines totals.
// Compiler diagnostics (a test that does not build) are ranked as by cargo
// build.
func classifyCargoTest(d *doc) {
	inFailure, inTrace := false, false
	frames := 0 // backtrace lines so far
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "test ") && strings.HasSuffix(l, " ... ok"):
			d.set(i, tierNoise, labelPassing)
		case strings.HasPrefix(l, "test ") && strings.HasSuffix(l, " ... ignored"):
			d.set(i, tierNoise, labelSkipped)
		case strings.HasPrefix(l, "test ") && strings.HasSuffix(l, " ... FAILED"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(l, "---- ") && strings.HasSuffix(l, " ----"):
			d.set(i, tierFailure, labelNone)
			inFailure, inTrace = true, false
		case strings.HasPrefix(l, "test result: ") || strings.HasPrefix(l, "error: test failed"):
			d.set(i, tierTotals, labelNone)
			inFailure = false
		case l == "failures:" || strings.HasPrefix(l, "running ") || strings.HasPrefix(t, "Running ") ||
			strings.HasPrefix(t, "Doc-tests "):
			d.set(i, tierSummary, labelNone)
			inFailure = false
		case strings.HasPrefix(t, "Compiling ") || strings.HasPrefix(t, "Finished "):
			d.set(i, tierNoise, labelBuildSteps)
		case inFailure && t == "stack backtrace:":
			d.set(i, tierContext, labelStack)
			inTrace, frames = true, 0
		case inFailure && inTrace && (reStackFrame().MatchString(l) || strings.HasPrefix(t, "note: ")):
			frames++
			if frames <= cargoFrames {
				d.set(i, tierContext, labelStack)
			} else {
				d.set(i, tierNormal, labelStack)
			}
		case inFailure && t != "":
			d.set(i, tierMessage, labelNone)
			inTrace = false
		case !inFailure && strings.HasPrefix(l, "    ") && i > 0 && (d.tier[i-1] == tierSummary || d.tier[i-1] == tierFailure) &&
			!strings.Contains(l, "|"):
			d.set(i, tierFailure, labelNone) // the failures: list
		}
	}
	classifyDiagnostics(d)
}

// classifyPytest ranks pytest output: failing and erroring tests (in the
// progress lines, the FAILURES section headers and the short summary) are
// failures, E lines and the failing source line messages, the rest of a
// failure's report context, passing and skipped tests noise, and the final
// counts totals.
func classifyPytest(d *doc) {
	section := ""
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		if m := rePytestSection().FindStringSubmatch(l); m != nil {
			section = m[1]
			if rePytestResult().MatchString(l) {
				d.set(i, tierTotals, labelNone)
			} else {
				d.set(i, tierSummary, labelNone)
			}
			continue
		}
		switch section {
		case "FAILURES", "ERRORS":
			switch {
			case rePytestHeader().MatchString(l):
				d.set(i, tierFailure, labelNone)
			case strings.HasPrefix(l, "E ") || strings.HasPrefix(l, ">") || rePytestWhere().MatchString(l):
				d.set(i, tierMessage, labelNone)
			case strings.HasPrefix(l, "_ _ _"):
				d.set(i, tierNoise, labelSource)
			default:
				d.set(i, tierContext, labelSource)
			}
		case "short test summary info":
			if strings.HasPrefix(l, "FAILED ") || strings.HasPrefix(l, "ERROR ") {
				d.set(i, tierFailure, labelNone)
			}
		default:
			switch {
			case strings.Contains(l, " PASSED") || strings.Contains(l, " XPASS"):
				d.set(i, tierNoise, labelPassing)
			case strings.Contains(l, " SKIPPED") || strings.Contains(l, " XFAIL"):
				d.set(i, tierNoise, labelSkipped)
			case strings.Contains(l, " FAILED") || strings.Contains(l, " ERROR"):
				d.set(i, tierFailure, labelNone)
			case isPytestDots(l):
				if strings.ContainsAny(dotsOf(l), "FE") {
					d.set(i, tierContext, labelProgress)
				} else {
					d.set(i, tierNoise, labelProgress)
				}
			case strings.HasPrefix(l, "platform ") || strings.HasPrefix(l, "rootdir: ") ||
				strings.HasPrefix(l, "collect"):
				d.set(i, tierContext, labelNone)
			}
		}
	}
}

// isPytestDots reports whether l is a progress line of pytest's default
// output: "tests/test_x.py ..F.s [ 40%]" or a continuation of dots.
func isPytestDots(l string) bool {
	return strings.HasSuffix(l, "%]") && strings.Contains(l, " [")
}

// dotsOf returns the result characters of a pytest progress line.
func dotsOf(l string) string {
	s := l[:strings.LastIndex(l, " [")]
	if j := strings.IndexByte(s, ' '); j >= 0 && strings.Contains(s[:j], ".py") {
		s = s[j:]
	}
	return strings.TrimSpace(s)
}

// classifyUnittest ranks python -m unittest output: FAIL and ERROR rows and
// headers are failures, the exception and assertion lines of a report
// messages, its traceback frames context, passing and skipped rows noise,
// and Ran/OK/FAILED totals.
func classifyUnittest(d *doc) {
	inReport := false
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		switch {
		case reUnittestRow().MatchString(l):
			switch {
			case strings.HasSuffix(l, " ... ok"):
				d.set(i, tierNoise, labelPassing)
			case strings.Contains(l, " ... skipped"), strings.HasSuffix(l, " ... expected failure"):
				d.set(i, tierNoise, labelSkipped)
			default:
				d.set(i, tierFailure, labelNone)
			}
		case strings.HasPrefix(l, "FAIL: ") || strings.HasPrefix(l, "ERROR: "):
			d.set(i, tierFailure, labelNone)
			inReport = true
		case strings.HasPrefix(l, "=====") || strings.HasPrefix(l, "-----"):
			d.set(i, tierNoise, labelNone)
		case reUnittestRan().MatchString(l) || l == "OK" || strings.HasPrefix(l, "OK (") || strings.HasPrefix(l, "FAILED ("):
			d.set(i, tierTotals, labelNone)
			inReport = false
		case inReport && strings.HasPrefix(l, "Traceback "):
			d.set(i, tierContext, labelStack)
		case inReport && strings.HasPrefix(l, " "):
			d.set(i, tierContext, labelStack)
		case inReport && l != "":
			d.set(i, tierMessage, labelNone)
		}
	}
}

// classifyJSTest ranks jest and vitest output: failing tests (✕, ×, ●,
// FAIL headers) are failures, what a failure report says (expected and
// received values, the error, the pointed source line) messages, the rest
// of the report context, passing and skipped tests noise, and the Tests /
// Test Files / Test Suites lines totals.
func classifyJSTest(d *doc) {
	inReport := false
	first := false // the next message line is the first of a report
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "✓ ") || strings.HasPrefix(t, "√ ") || strings.HasPrefix(t, "✔ "):
			d.set(i, tierNoise, labelPassing)
			inReport = false
		case strings.HasPrefix(t, "○ ") || strings.HasPrefix(t, "↓ ") || strings.HasPrefix(t, "skipped "):
			d.set(i, tierNoise, labelSkipped)
		case strings.HasPrefix(t, "✕ ") || strings.HasPrefix(t, "× ") || strings.HasPrefix(t, "✗ ") ||
			strings.HasPrefix(t, "● ") && !strings.HasPrefix(t, "● Console"):
			d.set(i, tierFailure, labelNone)
			inReport = strings.HasPrefix(t, "● ")
			first = inReport
		case strings.HasPrefix(l, "FAIL ") || strings.HasPrefix(l, " FAIL "):
			d.set(i, tierFailure, labelNone)
			inReport = strings.Contains(l, " > ")
			first = inReport
		case strings.HasPrefix(l, "PASS ") || strings.HasPrefix(l, " PASS "):
			d.set(i, tierNoise, labelPassing)
			inReport = false
		case strings.HasPrefix(t, "❯ ") && strings.Contains(t, " failed)"):
			d.set(i, tierSummary, labelNone)
		case strings.HasPrefix(t, "Tests:") || strings.HasPrefix(t, "Test Suites:") || strings.HasPrefix(t, "Test Files "),
			strings.HasPrefix(t, "Tests ") && strings.Contains(t, "("):
			d.set(i, tierTotals, labelNone)
			inReport = false
		case strings.HasPrefix(t, "Snapshots:") || strings.HasPrefix(t, "Time:") || strings.HasPrefix(t, "Ran all test") ||
			strings.HasPrefix(t, "Start at ") || strings.HasPrefix(t, "Duration ") || strings.HasPrefix(t, "RUN  v"):
			d.set(i, tierSummary, labelNone)
			inReport = false
		case strings.HasPrefix(t, "⎯"):
			if strings.Contains(t, "Failed") || strings.Contains(t, "Errors") {
				d.set(i, tierSummary, labelNone)
			} else {
				d.set(i, tierNoise, labelNone)
			}
			inReport = false
		case inReport && first:
			d.set(i, tierFailure, labelNone) // what the failure says
			first = false
		case inReport && (reExpectation().MatchString(l) || strings.HasPrefix(t, ">") || strings.HasPrefix(t, "❯ ") ||
			scanFlags(l)&flagError != 0):
			d.set(i, tierMessage, labelNone)
		case inReport && strings.HasPrefix(t, "at "):
			d.set(i, tierContext, labelStack)
		case inReport:
			d.set(i, tierContext, labelSource)
		}
	}
}

// classifyGenericTests ranks the output of a test runner this package does
// not know: lines with a failure word or mark are failures, lines with a
// pass mark or word noise, and counts totals.
func classifyGenericTests(d *doc) {
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		f := scanFlags(l)
		t := strings.TrimSpace(l)
		switch {
		case f&flagCounts != 0 && len(l) < 200:
			d.set(i, tierTotals, labelNone)
		case f&flagError != 0 || strings.HasPrefix(t, "✕") || strings.HasPrefix(t, "×") || strings.HasPrefix(t, "✗") ||
			strings.HasPrefix(t, "not ok "):
			d.set(i, tierFailure, labelNone)
			d.context(i, 1, 3)
		case strings.HasPrefix(t, "✓") || strings.HasPrefix(t, "✔") || strings.HasPrefix(t, "ok ") ||
			strings.Contains(l, "PASS") || strings.HasSuffix(t, " ok") || strings.HasSuffix(t, " passed"):
			d.set(i, tierNoise, labelPassing)
		}
	}
}
