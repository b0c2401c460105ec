package compress

import (
	"fmt"
	"strings"
	"testing"
)

// env output shows the value of a secret-looking variable as ***, in auto
// (even when the text fits) and always, and never in a marker-cut piece.
func TestEnvMasksSecretValues(t *testing.T) {
	text := "HOME=/home/dev\nGITHUB_TOKEN=ghp_abcdefghijklmnop\nDB_PASSWORD=hunter22\nSSH_AUTH_SOCK=/tmp/agent.1\n" +
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG\nPATH=/usr/bin\n" + strings.Repeat("X_PLAIN=value\n", 200)
	secrets := []string{"ghp_abcdefghijklmnop", "hunter22", "wJalrXUtnFEMI/K7MDENG"}
	for _, cmd := range [][]string{{"env"}, {"printenv"}, {"env -u FOO"}} {
		for _, tc := range []struct {
			mode Mode
			max  int
		}{{Auto, 1 << 20}, {Auto, 600}, {Always, 16384}, {Logs, 16384}, {Summary, 600}} {
			out, rep, applied := Compress(Input{Text: text, Command: cmd, MaxBytes: tc.max, Mode: tc.mode})
			if !applied || rep.Kind != kindEnv && tc.mode != Logs && tc.mode != Summary {
				t.Fatalf("%q %s %d: applied %v kind %q", cmd, tc.mode, tc.max, applied, rep.Kind)
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%q %s %d: the value %q is shown", cmd, tc.mode, tc.max, s)
				}
			}
			if !strings.Contains(out, "GITHUB_TOKEN=***\n") || !strings.Contains(out, "SSH_AUTH_SOCK=/tmp/agent.1") {
				t.Errorf("%q %s %d: masked wrongly:\n%s", cmd, tc.mode, tc.max, out[:min(len(out), 300)])
			}
		}
	}
	if out, _, applied := Compress(Input{Text: text, Command: []string{"env"}, MaxBytes: 1 << 20, Mode: Off}); applied || out != text {
		t.Error("compress off changed env output: off is how a model reads the raw bytes")
	}
	if out, _, _ := Compress(Input{Text: text, Command: []string{"cat", ".env"}, MaxBytes: 1 << 20}); out != text {
		t.Error("a fitting text of another command changed")
	}
}

// "[LEVEL] message" lines are logs, not a JSON array; JSON arrays are still
// JSON.
func TestBracketLevelsAreNotJSON(t *testing.T) {
	for text, want := range map[string]string{
		strings.Repeat("[INFO] Building module\n[INFO] Downloading x\n", 20) + "[ERROR] Failed\n": kindLogs,
		"[WARN] low disk\n" + strings.Repeat("[INFO] tick 1\n", 30):                               kindLogs,
		"[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n":                                                     kindJSON,
		"[{\"a\":1},{\"a\":2}]\n":                                                                 kindJSON,
		"[1, 2, 3]\n":                                                                             kindJSON,
	} {
		if got := shapeKind(newDoc(text)); got != want {
			t.Errorf("shapeKind(%.30q) = %q, want %q", text, got, want)
		}
	}
}

// A line that reads as an error is kept whatever the kind's summarizer
// made of the lines around it.
func TestErrorLinesKeptWhateverTheKind(t *testing.T) {
	cases := []struct {
		cmd, line, errLine string
	}{
		{"ls -la /srv", "-rw-r--r-- 1 root root 4096 Jan  1 00:00 file%d.txt", "ERROR: stale file handle on /srv/nfs"},
		{"find /srv", "/srv/data/sub/deep/file%d", "fatal: unable to read /srv/data/index"},
		{"tree", "│   │   ├── file%d.go", "├── private [error opening dir]"},
		{"mvn -B verify", "[INFO] Compiling %d source files", "[ERROR] Failed to execute goal on project web"},
		{"terraform plan", "      + tag%d = \"x\"", "Error: Invalid provider configuration"},
		{"./run.sh", "processed batch %d", "2026-12-01T10:00:00Z ERROR worker crashed: out of memory"},
	}
	for _, tc := range cases {
		var b strings.Builder
		for i := 0; i < 3000; i++ {
			if i == 1500 {
				b.WriteString(tc.errLine + "\n")
			}
			fmt.Fprintf(&b, tc.line+"\n", i)
		}
		for _, mode := range []Mode{Auto, Always} {
			out, rep, _ := Compress(Input{Text: b.String(), Command: []string{tc.cmd}, MaxBytes: 4096, Mode: mode})
			if !strings.Contains(out, tc.errLine) {
				t.Errorf("%s (%s, kind %s) lost %q", tc.cmd, mode, rep.Kind, tc.errLine)
			}
		}
	}
}

func TestIsErrorLine(t *testing.T) {
	for l, want := range map[string]bool{
		"error: could not compile":                  true,
		"ERROR: Could not build wheels":             true,
		"[ERROR] Failed to execute goal":            true,
		"2026-12-01 10:00:00 [error] worker died":   true,
		"10:00:01 ERROR db: timeout":                true,
		"fatal: not a git repository":               true,
		"panic: runtime error: index out of range":  true,
		"Error: Invalid reference":                  true,
		"E1201 15:51:12.638042   16358 memcache.go": true,
		`time=x level=error msg="boom"`:             true,
		"Traceback (most recent call last):":        true,
		"npm ERR! code ELIFECYCLE":                  true,
		"errors.New(\"x\")":                         false,
		"errorCount := 0":                           false,
		"Error handling is described in ch. 3":      false,
		"--- PASS: TestErrorPath (0.00s)":           false,
		"+	return fmt.Errorf(\"x\")":                false,
		"no errors found":                           false,
	} {
		if got := isErrorLine(l); got != want {
			t.Errorf("isErrorLine(%q) = %v, want %v", l, got, want)
		}
	}
}

// The corpus, compressed with always at the default window, is at least
// 60 % smaller overall (BenchmarkCorpus prints the figure per kind).
func TestCorpusReduction(t *testing.T) {
	in, out := 0, 0
	for _, f := range loadCorpus(t) {
		o, _, _ := Compress(Input{Text: f.text, Command: f.cmd, MaxBytes: defaultMaxBytes, Mode: Always})
		in += len(f.text)
		out += len(o)
	}
	if r := 100 * (1 - float64(out)/float64(in)); r < 60 {
		t.Errorf("overall reduction %.1f %%, want at least 60 %%", r)
	}
}
