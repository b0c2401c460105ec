package compress

import (
	"fmt"
	"strings"
	"testing"
)

var tierNames = [numTiers]string{"totals", "failure", "summary", "message", "edge", "context", "normal", "noise"}

func (t tier) String() string {
	if t < numTiers {
		return tierNames[t]
	}
	return fmt.Sprintf("tier(%d)", uint8(t))
}

// tiersOf classifies text as kind k and returns the tier of each line.
func tiersOf(k, text string) []tier {
	d := newDoc(text)
	s := summarizerFor(k)
	s.classify(d)
	d.finish(edgeSpec{}, s.distinct, s.errorLines) // no edges: test what the summarizer says
	return d.tier
}

// TestSummarizers checks the tier of chosen lines of small outputs. Each
// case lists lines of the output as "tier|line".
func TestSummarizers(t *testing.T) {
	tests := []struct {
		kind  string
		lines []string
	}{
		{kindGoTest, []string{
			"noise|=== RUN   TestA",
			"noise|--- PASS: TestA (0.00s)",
			"message|=== RUN   TestB",
			"message|    b_test.go:9: got 1, want 2",
			"failure|--- FAIL: TestB (0.00s)",
			"noise|=== RUN   TestC",
			"noise|    c_test.go:3: just a log line",
			"noise|--- PASS: TestC (0.00s)",
			"totals|FAIL",
			"totals|FAIL\texample.com/p\t0.01s",
			"summary|ok  \texample.com/q\t0.01s",
			"noise|?   \texample.com/r\t[no test files]",
		}},
		{kindGoTest, []string{ // not verbose: messages under the --- FAIL line
			"failure|--- FAIL: TestX (0.00s)",
			"failure|    --- FAIL: TestX/sub (0.00s)",
			"message|        x_test.go:5: boom",
			"failure|panic: runtime error: index out of range [3] with length 3",
			"message|goroutine 7 [running]:",
			"totals|FAIL\texample.com/p\t0.01s",
		}},
		{kindGoTestJSON, []string{
			`noise|{"Action":"run","Package":"p","Test":"TestA"}`,
			`noise|{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}`,
			`noise|{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0}`,
			`noise|{"Action":"output","Package":"p","Test":"TestB","Output":"=== RUN   TestB\n"}`,
			`message|{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: got 1\n"}`,
			`context|{"Action":"output","Package":"p","Test":"TestB","Output":"--- FAIL: TestB (0.00s)\n"}`,
			`failure|{"Action":"fail","Package":"p","Test":"TestB","Elapsed":0}`,
			`context|{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}`,
			`totals|{"Action":"fail","Package":"p","Elapsed":0.1}`,
			`summary|{"Action":"pass","Package":"q","Elapsed":0.1}`,
		}},
		{kindCargoTest, []string{
			"summary|running 3 tests",
			"noise|test a ... ok",
			"noise|test b ... ignored",
			"failure|test c ... FAILED",
			"normal|",
			"failure|---- c stdout ----",
			"message|thread 'c' panicked at src/lib.rs:3:5:",
			"message|assertion `left == right` failed",
			"context|stack backtrace:",
			"context|   0: core::panicking::panic_fmt",
			"totals|test result: FAILED. 2 passed; 1 failed; 1 ignored",
		}},
		{kindPytest, []string{
			"summary|============================= test session starts ==============================",
			"noise|tests/test_a.py::test_ok PASSED                    [ 50%]",
			"failure|tests/test_a.py::test_bad FAILED                  [100%]",
			"summary|=================================== FAILURES ===================================",
			"failure|___________________________________ test_bad ___________________________________",
			"message|>       assert 1 == 2",
			"message|E       assert 1 == 2",
			"message|tests/test_a.py:7: AssertionError",
			"summary|=========================== short test summary info ============================",
			"failure|FAILED tests/test_a.py::test_bad - assert 1 == 2",
			"totals|========================= 1 failed, 1 passed in 0.01s =========================",
		}},
		{kindUnittest, []string{
			"noise|test_ok (t.T.test_ok) ... ok",
			"failure|test_bad (t.T.test_bad) ... FAIL",
			"noise|======================================================================",
			"failure|FAIL: test_bad (t.T.test_bad)",
			"context|Traceback (most recent call last):",
			`context|  File "/src/t.py", line 5, in test_bad`,
			"message|AssertionError: 1 != 2",
			"totals|Ran 2 tests in 0.001s",
			"totals|FAILED (failures=1)",
		}},
		{kindJest, []string{
			"failure|FAIL src/a.test.js",
			"noise|  ✓ adds (2 ms)",
			"failure|  ✕ subtracts (3 ms)",
			"failure|  ● math › subtracts",
			"failure|    expect(received).toBe(expected) // Object.is equality",
			"message|    Expected: 1",
			"message|    Received: 2",
			"context|      at Object.toBe (src/a.test.js:8:79)",
			"noise|PASS src/b.test.js",
			"totals|Tests:       1 failed, 1 passed, 2 total",
		}},
		{kindVitest, []string{
			"summary| ❯ vt/m.test.js (3 tests | 1 failed) 5ms",
			"noise|     ✓ adds 1ms",
			"failure|     × divides 2ms",
			"failure| FAIL  vt/m.test.js > divides",
			"failure|AssertionError: expected NaN to be +0",
			"message| ❯ vt/m.test.js:11:46",
			"totals|      Tests  1 failed | 2 passed (3)",
		}},
		{kindGCC, []string{
			"noise|gcc -Wall -c a.c -o a.o",
			"context|a.c: In function ‘main’:",
			"failure|a.c:3:5: error: ‘x’ undeclared (first use in this function)",
			"context|    3 |     x = 1;",
			"context|      |     ^",
			"message|a.c:7:1: warning: control reaches end of non-void function [-Wreturn-type]",
			"context|a.c:3:5: note: each undeclared identifier is reported only once",
			"failure|make: *** [Makefile:2: a.o] Error 1",
			"noise|make[1]: Leaving directory '/src'",
		}},
		{kindCargoBuild, []string{
			"noise|   Compiling app v0.1.0 (/src)",
			"failure|error[E0308]: mismatched types",
			"message|  --> src/main.rs:3:5",
			"context|   |",
			"message|warning: unused variable: `x`",
			"totals|error: could not compile `app` (bin \"app\") due to 1 previous error",
		}},
		{kindTSC, []string{
			"failure|src/a.ts(4,3): error TS2322: Type 'string' is not assignable to type 'number'.",
			"message|  Type 'undefined' is not assignable to type 'Item'.",
			"totals|Found 1 error in src/a.ts:4",
		}},
		{kindESLint, []string{
			"failure|/src/a.js",
			"failure|  2:9   error    'x' is assigned a value but never used  no-unused-vars",
			"message|  3:9   warning  Expected '===' and instead saw '=='   eqeqeq",
			"message|/src/b.js",
			"message|  1:1   warning  Unexpected console statement          no-console",
			"totals|✖ 2 problems (1 error, 1 warning)",
		}},
		{kindGoBuild, []string{
			"summary|# example.com/p",
			"failure|p/a.go:4:2: undefined: x",
			"failure|p/a.go:7:12: too many return values",
			"message|\thave (string, nil)",
		}},
		{kindNPM, []string{
			"noise|npm http fetch GET 200 https://registry.example/x 10ms",
			"noise|npm warn deprecated glob@7.2.3: no longer supported",
			"context|npm warn ERESOLVE overriding peer dependency",
			"totals|added 120 packages, and audited 121 packages in 3s",
			"totals|found 0 vulnerabilities",
			"failure|npm error code E404",
		}},
		{kindGitStatus, []string{
			"summary|On branch main",
			"summary|Changes not staged for commit:",
			`noise|  (use "git add <file>..." to update what will be committed)`,
			"message|\tmodified:   a.go",
			"failure|\tboth modified:   b.go",
			"summary|Untracked files:",
			"normal|\tscratch/",
			"failure|UU c.go",
			"message| M d.go",
			"normal|?? e.go",
		}},
		{kindGitLog, []string{
			"summary|commit 0123456789abcdef0123456789abcdef01234567",
			"context|Author: A <a@example.com>",
			"context|Date:   Sun Nov 22 02:21:46 2026 +0000",
			"noise|",
			"summary|    subject line",
			"noise|",
			"noise|    body line",
		}},
		{kindGitDiff, []string{
			"summary|diff --git a/x b/x",
			"context|index 1..2 100644",
			"context|--- a/x",
			"context|+++ b/x",
			"message|@@ -1,9 +1,9 @@",
			"noise| same",
			"message|-old 1",
			"message|+new 1",
			"context|-old 2",
			"context|+new 2",
			"normal|+new 3",
			"failure|+<<<<<<< HEAD",
		}},
		{kindLogs, []string{
			"context|2026-11-22 10:00:01 INFO started pid=1",
			"context|2026-11-22 10:00:02 INFO request id=ab12cd34ef done in 3ms",
			"noise|2026-11-22 10:00:03 INFO request id=ff12cd34e0 done in 9ms",
			"failure|2026-11-22 10:00:04 ERROR request id=0012cd34e1 failed: timeout",
			"failure|Traceback (most recent call last):",
			`message|  File "/srv/app.py", line 3, in <module>`,
			"failure|TimeoutError: timed out",
			"context|2026-11-22 10:00:05 WARN slow query 900ms",
			`failure|127.0.0.1 - - [22/Nov/2026 02:33:06] "POST /api HTTP/1.1" 502 -`,
			`context|127.0.0.1 - - [22/Nov/2026 02:33:06] "GET /x HTTP/1.1" 404 -`,
			`context|127.0.0.1 - - [22/Nov/2026 02:33:06] "GET /error.html HTTP/1.1" 200 -`,
		}},
		{kindProgress, []string{
			"context|Downloading model.bin",
			"noise| 10% [==>          ] 1.2MB",
			"noise| 50% [======>      ] 6.0MB",
			"summary|100% [=============] 12MB",
			"context|saved model.bin",
		}},
		{kindJSON, []string{
			"summary|{",
			`summary|  "name": "app",`,
			`summary|  "version": "1.0.0",`,
			`context|  "scripts": {`,
			`context|    "test": "jest"`,
			"context|  },",
			`failure|  "error": "missing field",`,
			`context|  "items": [`,
			"context|    1,",
			"context|    2,",
			"context|    3,",
			"noise|    4",
			"context|  ]",
			"context|}",
		}},
		{kindTable, []string{
			"summary|NAME                     READY   STATUS             RESTARTS   AGE",
			"normal|api-7d9f8c6b5-abcde      1/1     Running            0          2d",
			"failure|api-7d9f8c6b5-fghij      0/1     CrashLoopBackOff   12         2d",
			"failure|worker-5c4b3a2-klmno     1/1     Running            3          5h",
			"failure|db-0                     0/1     Running            0          5h",
		}},
		{kindErrors, []string{
			"context|step 1",
			"context|step 2",
			"failure|fatal: could not read from remote repository",
			"context|step 3",
			"context|step 4",
			"context|step 5",
			"normal|step 6",
		}},
	}
	for _, tt := range tests {
		var want []string
		var text strings.Builder
		for _, l := range tt.lines {
			w, line, _ := strings.Cut(l, "|")
			want = append(want, w)
			text.WriteString(line + "\n")
		}
		got := tiersOf(tt.kind, text.String())
		for i, w := range want {
			if got[i].String() != w {
				t.Errorf("%s line %d %q: tier %s, want %s", tt.kind, i, strings.SplitN(tt.lines[i], "|", 2)[1], got[i], w)
			}
		}
	}
}

// TestDistinctFailures: failures that differ only in numbers and ids are
// failures only the first few times; the others are ordinary lines.
func TestDistinctFailures(t *testing.T) {
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "a%d.c:%d:1: error: unused variable ‘x%d’\n", i, i+1, i)
	}
	b.WriteString("z.c:1:1: error: expected ‘;’ before ‘}’ token\n")
	got := tiersOf(kindGCC, b.String())
	for i, tr := range got {
		want := tierFailure
		if i >= similarFailures && i < 10 {
			want = tierNormal
		}
		if tr != want {
			t.Errorf("line %d: %s, want %s", i, tr, want)
		}
	}
	// Test runners keep every failing test.
	var g strings.Builder
	for i := range 10 {
		fmt.Fprintf(&g, "--- FAIL: TestCase/%d (0.00s)\n", i)
	}
	for i, tr := range tiersOf(kindGoTest, g.String()) {
		if tr != tierFailure {
			t.Errorf("go test line %d: %s, want failure", i, tr)
		}
	}
}

func TestScanLine(t *testing.T) {
	same := [][2]string{
		{"2026-11-22 10:00:01 INFO job id=6513270e269e done in 86ms", "2026-11-22 10:00:09 INFO job id=892f902bd23f done in 3ms"},
		{"GET /static/p1.html 200", "GET /static/p22.html 200"},
		{"req=c8d04605312f8088 ok", "req=deadbeefcafebabe ok"},
	}
	for _, p := range same {
		if a, _ := scanLine(p[0]); a != func() uint64 { b, _ := scanLine(p[1]); return b }() {
			t.Errorf("scanLine(%q) != scanLine(%q)", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"INFO job done", "ERROR job done"},
		{"user alice logged in", "user alina logged in"},
		{"a b", "ab"},
		{"connection refused", "connection reset"},
	}
	for _, p := range differ {
		a, _ := scanLine(p[0])
		b, _ := scanLine(p[1])
		if a == b {
			t.Errorf("scanLine(%q) == scanLine(%q)", p[0], p[1])
		}
	}
	flags := []struct {
		line string
		want uint8
	}{
		{"ERROR: disk full", flagError},
		{"KeyError: 'x'", flagError},
		{"java.io.IOException: closed", flagError},
		{"0 errors, 2 warnings", flagNumber | flagWarn | flagCounts},
		{"no errors found", 0},
		{"Tests: 3 failed, 10 passed, 13 total", flagError | flagCounts | flagNumber},
		{"WARN slow", flagWarn},
		{"all good", 0},
		{"terrorism", 0},
	}
	for _, f := range flags {
		if got := scanFlags(f.line); got != f.want {
			t.Errorf("scanFlags(%q) = %b, want %b", f.line, got, f.want)
		}
	}
}

func TestKeyTableGrows(t *testing.T) {
	kt := newKeyTable(1)
	for i := range uint64(1000) {
		if kt.inc(i<<40+1) != 1 {
			t.Fatalf("key %d counted twice", i)
		}
	}
	for i := range uint64(1000) {
		if got := kt.inc(i<<40 + 1); got != 2 {
			t.Fatalf("key %d: count %d, want 2", i, got)
		}
	}
	if kt.inc(0) != 3 { // 0 is folded into 1
		t.Error("key 0 is not key 1")
	}
	if kt.used != 1000 {
		t.Errorf("used %d, want 1000", kt.used)
	}
}
