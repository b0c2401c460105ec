package compress

import "strings"

// panicLines is how many lines after a panic are its message (the value,
// the signal, the first frames); the rest of the stack is context.
const panicLines = 16

// classifyGoTest ranks go test's text output, verbose or not: a failing
// test's --- FAIL line is a failure, and so is a package's FAIL line, a
// panic or a build error; what a failing test logged (and the === RUN line
// that names it in -v output) is its message; passing tests, their logs
// and the === lines of passing tests are noise.
func classifyGoTest(d *doc) {
	failed := map[string]bool{}
	for i := 0; i < d.n; i++ {
		t := strings.TrimLeft(d.line(i), " \t")
		if name, ok := strings.CutPrefix(t, "--- FAIL: "); ok {
			failed[testName(name)] = true
		}
	}
	cur := ""                // the test named by the last === line
	block, blockAt := "", -1 // the test of the last --- line, and its indent
	stack := -1              // lines since a panic began, -1 outside one
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimLeft(l, " \t")
		indent := len(l) - len(t)
		if stack >= 0 {
			switch {
			case strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "ok  ") || strings.HasPrefix(l, "exit status "):
				stack = -1
			case stack < panicLines:
				d.set(i, tierMessage, labelStack)
				stack++
				continue
			default:
				d.set(i, tierContext, labelStack)
				continue
			}
		}
		switch {
		case strings.HasPrefix(l, "=== "):
			verb, name, _ := strings.Cut(l[4:], " ")
			name = strings.TrimSpace(name)
			if verb != "PAUSE" {
				cur, block, blockAt = name, "", -1
			}
			if failed[name] && verb != "PAUSE" {
				d.set(i, tierMessage, labelTestProgress)
			} else {
				d.set(i, tierNoise, labelTestProgress)
			}
		case strings.HasPrefix(t, "--- FAIL: "):
			d.set(i, tierFailure, labelNone)
			block, blockAt = testName(t[len("--- FAIL: "):]), indent
		case strings.HasPrefix(t, "--- PASS: "):
			d.set(i, tierNoise, labelPassing)
			block, blockAt = testName(t[len("--- PASS: "):]), indent
		case strings.HasPrefix(t, "--- SKIP: "):
			d.set(i, tierNoise, labelSkipped)
			block, blockAt = testName(t[len("--- SKIP: "):]), indent
		case l == "FAIL" || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "FAIL "):
			d.set(i, tierTotals, labelNone)
			cur, block, blockAt = "", "", -1
		case l == "PASS" || strings.HasPrefix(l, "ok  ") || strings.HasPrefix(l, "ok \t"):
			d.set(i, tierSummary, labelNone)
			cur, block, blockAt = "", "", -1
		case strings.HasPrefix(l, "?   \t"):
			d.set(i, tierNoise, labelNone)
		case strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: "):
			d.set(i, tierFailure, labelNone)
			stack = 0
		case strings.HasPrefix(l, "# "):
			d.set(i, tierSummary, labelNone)
		case indent == 0 && reGoDiag().MatchString(l):
			d.set(i, tierFailure, labelNone) // a build error
		case strings.HasPrefix(l, "exit status ") || strings.HasPrefix(l, "coverage: "):
			d.set(i, tierSummary, labelNone)
		default:
			owner := cur
			if blockAt >= 0 && indent > blockAt {
				owner = block
			}
			switch {
			case owner != "" && failed[owner]:
				d.set(i, tierMessage, labelNone)
			case owner != "" && indent > 0:
				d.set(i, tierNoise, labelPassing) // a passing test's log
			}
		}
	}
}

// testName returns the name in the rest of a --- line, "TestX/sub (0.00s)".
func testName(rest string) string {
	if j := strings.LastIndex(rest, " ("); j >= 0 {
		return rest[:j]
	}
	return strings.TrimSpace(rest)
}

// classifyGoTestJSON ranks go test -json events: events of failing tests
// are failures (their --- FAIL output and fail action) and messages (their
// other output); events of passing and skipped tests are noise; package
// results are totals and summaries.
func classifyGoTestJSON(d *doc) {
	failed := map[string]bool{}
	parents := map[string]bool{} // failed tests with a failed subtest
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		if jsonField(l, "Action") == "fail" {
			pkg, test := jsonField(l, "Package"), jsonField(l, "Test")
			failed[pkg+"\x00"+test] = true
			for j := strings.LastIndexByte(test, '/'); j > 0; j = strings.LastIndexByte(test[:j], '/') {
				parents[pkg+"\x00"+test[:j]] = true
			}
		}
	}
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		if !strings.HasPrefix(l, "{") {
			continue
		}
		action, test := jsonField(l, "Action"), jsonField(l, "Test")
		fail := failed[jsonField(l, "Package")+"\x00"+test]
		out := strings.TrimLeft(jsonField(l, "Output"), " ")
		switch {
		case action == "fail" || action == "build-fail":
			switch {
			case test == "":
				d.set(i, tierTotals, labelNone)
			case parents[jsonField(l, "Package")+"\x00"+test]:
				d.set(i, tierContext, labelNone) // its failed subtests say more
			default:
				d.set(i, tierFailure, labelNone)
			}
		case action == "build-output":
			d.set(i, tierMessage, labelNone)
		case action == "output" && fail && test != "":
			switch {
			case strings.HasPrefix(out, "--- FAIL"):
				d.set(i, tierContext, labelNone) // the fail action says it too
			case strings.HasPrefix(out, "=== "):
				d.set(i, tierNoise, labelTestProgress)
			default:
				d.set(i, tierMessage, labelNone)
			}
		case action == "output" && test == "":
			switch {
			case strings.HasPrefix(out, "panic: "):
				d.set(i, tierFailure, labelNone)
			case strings.HasPrefix(out, "FAIL"):
				d.set(i, tierContext, labelNone) // the package's fail action says it too
			case strings.HasPrefix(out, "ok  ") || strings.HasPrefix(out, "PASS"):
				d.set(i, tierSummary, labelNone)
			case strings.HasPrefix(out, "?   "):
				d.set(i, tierNoise, labelNone)
			case fail:
				d.set(i, tierMessage, labelNone)
			}
		case action == "pass" && test == "":
			d.set(i, tierSummary, labelNone)
		case action == "skip":
			d.set(i, tierNoise, labelSkipped)
		case action == "output" || action == "pass":
			d.set(i, tierNoise, labelPassing)
		case action != "":
			d.set(i, tierNoise, labelTestProgress) // start, run, pause, cont
		}
	}
}

// jsonField returns the raw (still escaped) value of the string field key
// in the one-line JSON object l, or "" when it has none. It does not parse
// JSON: it finds "key":" and reads to the next unescaped quote, which is
// enough for go test -json events.
func jsonField(l, key string) string {
	j := strings.Index(l, `"`+key+`":`)
	if j < 0 {
		return ""
	}
	v := strings.TrimLeft(l[j+len(key)+3:], " ")
	if !strings.HasPrefix(v, `"`) {
		return ""
	}
	v = v[1:]
	for k := 0; k < len(v); k++ {
		switch v[k] {
		case '\\':
			k++
		case '"':
			return v[:k]
		}
	}
	return v
}
