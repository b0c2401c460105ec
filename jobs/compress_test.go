package jobs

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// A failing `go test -v ./...` with hundreds of passing subtests: the run
// window names every failing test and its message within the default
// max_bytes. A stand-in `go` on the job's PATH prints a real capture.
func TestRunCompressesAFailingGoTest(t *testing.T) {
	s := newService(t)
	capture, err := filepath.Abs("../compress/testdata/go-test/v-fail.txt")
	if err != nil {
		t.Fatal(err)
	}
	keep, err := os.ReadFile("../compress/testdata/go-test/v-fail.keep")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	script := "#!/bin/sh\ncat " + capture + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := mustRun(t, s, &RunRequest{Definition: Definition{
		Command: Command{"go test -v ./..."},
		Env:     map[string]string{"PATH": bin + ":" + os.Getenv("PATH")},
	}})
	out := env.Output
	if env.Job.ExitCode == nil || *env.Job.ExitCode != 1 {
		t.Fatalf("job = %+v", env.Job)
	}
	if len(out.Text) > DefaultMaxBytes || out.Compression == nil || out.Compression["strategy"] == "fits" {
		t.Fatalf("window of %d bytes, compression %v: want a compressed window", len(out.Text), out.Compression)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(keep)), "\n") {
		if !strings.Contains(out.Text, line) {
			t.Errorf("the window lost %q", line)
		}
	}
	if out.Start != 0 || out.End != out.TotalBytes || !out.Truncated {
		t.Errorf("window = [%d,%d) of %d truncated=%v, want the whole run, marked truncated", out.Start, out.End, out.TotalBytes, out.Truncated)
	}
	// The raw bytes stay one call away, exact.
	page, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Offset: new(int64), MaxBytes: 1 << 20}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(capture)
	if page.Output.Text != string(want) || page.Output.Compression != nil {
		t.Fatalf("observe with offset 0 is not the raw log (%d bytes, compression %v)", len(page.Output.Text), page.Output.Compression)
	}
}

func TestCompressModes(t *testing.T) {
	s := newService(t)
	small := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"seq 1 10"}}})
	if small.Output.Compression != nil || small.Output.Text != "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n" {
		t.Fatalf("auto on a window that fits = %q %v, want it unchanged", small.Output.Text, small.Output.Compression)
	}
	big := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"seq 1 20000"}}, Observation: Observation{Compress: "off"}})
	if big.Output.Compression != nil || big.Output.Omitted == nil {
		t.Fatalf("compress off = %v omitted %v, want the plain head+tail window", big.Output.Compression, big.Output.Omitted)
	}
	if _, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}, Observation: Observation{Compress: "zip"}}, nil); codeOf(err) != CodeInvalidInput {
		t.Fatalf("compress zip = %v, want invalid_input", err)
	}
}

// env output shows secret-looking values as *** even when it fits, and
// compress off shows the raw bytes.
func TestRunMasksEnvSecrets(t *testing.T) {
	s := newService(t)
	const token = "ghp_0123456789abcdefSECRET"
	env := mustRun(t, s, &RunRequest{Definition: Definition{
		Command: Command{"env"},
		Env:     map[string]string{"GITHUB_TOKEN": token},
	}})
	if strings.Contains(env.Output.Text, token) || !strings.Contains(env.Output.Text, "GITHUB_TOKEN=***") {
		t.Fatalf("env output shows the token or lost the variable:\n%s", env.Output.Text)
	}
	raw := mustRun(t, s, &RunRequest{Definition: Definition{
		Command: Command{"env"},
		Env:     map[string]string{"GITHUB_TOKEN": token},
	}, Observation: Observation{Compress: "off"}})
	if !strings.Contains(raw.Output.Text, "GITHUB_TOKEN="+token) {
		t.Fatalf("compress off does not show the raw value")
	}
}

// bigLogScript writes a log of about mib MiB: a fatal first line, INFO
// lines, one ERROR line with a stack line in the middle, and more INFO
// lines.
func bigLogScript(t *testing.T, mib int) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "gen.py")
	src := `import sys
w = sys.stdout.write
w("fatal: config file /etc/app.toml: unknown key 'listen_adress'\n")
line = "2026-12-01T10:00:00.000Z INFO request handled path=/api/items status=200 dur=12ms %08d\n"
n = ` + strconv.Itoa(mib) + ` * 1024 * 1024 // len(line % 0) // 2
for i in range(n):
    w(line % i)
w("2026-12-01T10:05:00.000Z ERROR database connection lost: read tcp 10.0.0.7:5432: i/o timeout\n")
w("    at db.(*Pool).Get (pool.go:88)\n")
for i in range(n):
    w(line % i)
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return script
}

// A log much larger than what compression reads whole keeps its first
// line and the error in its middle, in run and in observe with compress.
func TestCompressBigLogKeepsHeadAndMiddleError(t *testing.T) {
	s := newService(t)
	script := bigLogScript(t, 24)
	until := 30.0
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"python3", script}},
		Observation: Observation{Until: &until}})
	if env.Job.State != "exited" {
		t.Fatalf("job = %+v", env.Job)
	}
	const first = "fatal: config file /etc/app.toml: unknown key 'listen_adress'"
	const middle = "ERROR database connection lost: read tcp 10.0.0.7:5432: i/o timeout"
	check := func(what string, out *OutputView) {
		t.Helper()
		if out.TotalBytes < 20<<20 || len(out.Text) > DefaultMaxBytes {
			t.Fatalf("%s: %d bytes of text from %d", what, len(out.Text), out.TotalBytes)
		}
		for _, want := range []string{first, middle} {
			if !strings.Contains(out.Text, want) {
				t.Errorf("%s lost %q:\n%s", what, want, out.Text[:min(len(out.Text), 2000)])
			}
		}
		if strings.Contains(out.Text, "not examined") {
			t.Errorf("%s: part of the log was not examined", what)
		}
	}
	check("run", env.Output)
	obs, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Compress: "always"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("observe compress always", obs.Output)
}

// Observe of a finished run returns the selection run returned; with an
// offset it pages the raw log; the tail of a running job says what came
// before it.
func TestObserveFinishedRunSelectsAsRun(t *testing.T) {
	s := newService(t)
	capture, err := filepath.Abs("../compress/testdata/go-test/v-fail.txt")
	if err != nil {
		t.Fatal(err)
	}
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"cat " + capture + "; exit 1"}}})
	obs, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if obs.Output.Text != env.Output.Text || obs.Output.Compression == nil {
		t.Fatalf("observe of the finished run (%d bytes, %v) differs from run's window (%d bytes)",
			len(obs.Output.Text), obs.Output.Compression, len(env.Output.Text))
	}
	page, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Offset: new(int64), MaxBytes: 4096}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(capture)
	if page.Output.Text != string(raw[:len(page.Output.Text)]) || page.Output.Compression != nil || page.Output.NextOffset != int64(len(page.Output.Text)) {
		t.Fatalf("a page from offset 0 is not the raw log: %d bytes, next %d", len(page.Output.Text), page.Output.NextOffset)
	}

	until := 20.0
	running := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"seq 1 100000; echo ready; sleep 60"}},
		Observation: Observation{WaitFor: "^ready", Until: &until}})
	defer s.Kill(context.Background(), &KillRequest{JobID: running.Job.JobID})
	tail, err := s.Observe(t.Context(), &StartRequest{JobID: running.Job.JobID, Observation: Observation{MaxBytes: 1024}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tail.Output.Text, "[... ") || !strings.Contains(tail.Output.Text, "offset=0") ||
		!strings.HasSuffix(tail.Output.Text, "ready\n") || !tail.Output.Truncated {
		t.Fatalf("the tail of a running job = %q", tail.Output.Text)
	}
}

// tail_lines shows the last lines, whole, when they fit max_bytes, and
// the tail that fits when they do not; it is for observe only.
func TestObserveTailLines(t *testing.T) {
	s := newService(t)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"seq 1 5000"}}})
	id := env.Job.JobID
	obs := func(o Observation) *OutputView {
		t.Helper()
		e, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: o}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e.Output
	}
	if out := obs(Observation{TailLines: 3}); out.Text != "4998\n4999\n5000\n" || out.Compression != nil || out.End != out.TotalBytes {
		t.Fatalf("tail_lines 3 = %q %v", out.Text, out.Compression)
	}
	if out := obs(Observation{TailLines: 5000, MaxBytes: 1 << 16}); out.Text[:2] != "1\n" || out.Start != 0 {
		t.Fatalf("tail_lines 5000 = %d bytes from %d", len(out.Text), out.Start)
	}
	if out := obs(Observation{TailLines: 5000, MaxBytes: 1024}); len(out.Text) > 1024 || !strings.HasSuffix(out.Text, "5000\n") ||
		!strings.Contains(out.Text, "offset=0") || !out.Truncated {
		t.Fatalf("tail_lines 5000 in 1024 bytes = %d bytes %q…", len(out.Text), out.Text[:min(80, len(out.Text))])
	}
	for _, o := range []Observation{{TailLines: -1}, {TailLines: MaxTailLines + 1}, {TailLines: 2, Offset: new(int64)}} {
		if _, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: o}, nil); codeOf(err) != CodeInvalidInput {
			t.Errorf("observe %+v = %v, want invalid_input", o, err)
		}
	}
	if _, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}, Observation: Observation{TailLines: 2}}, nil); codeOf(err) != CodeInvalidInput {
		t.Errorf("run with tail_lines = %v, want invalid_input", err)
	}
}

// The supervisor keeps a long log's notable index as the log grows, and
// completes it once the run is over, with no reader asking: the first
// selection after the run reads the index instead of the log. A failure in
// the middle of the log and the fatal first line are in that selection.
func TestSupervisorKeepsTheNotableIndex(t *testing.T) {
	size := 96 << 20
	if testing.Short() {
		size = 8 << 20
	}
	s := newService(t)
	until := 120.0
	cmd := fmt.Sprintf("echo 'fatal: the config file is missing, using defaults'; "+
		"yes 'INFO all good here, nothing to see' | head -c %d; echo; echo 'ERROR: disk full while writing the cache'; "+
		"yes 'INFO all good here, nothing to see' | head -c %d; echo", size/2, size/2)
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{cmd}},
		Observation: Observation{Until: &until, Compress: "off"}}) // off: run reads no index
	if env.Job.State != "exited" {
		t.Fatalf("job = %+v", env.Job)
	}
	_, st, err := s.read(env.Job.JobID)
	if err != nil {
		t.Fatal(err)
	}
	waitExit(t, st.SupervisorPID, st.SupervisorStart) // the catch-up is over
	logPath := s.store.Path(env.Job.JobID, jobstore.OutputLog)
	raw, err := os.ReadFile(s.store.Path(env.Job.JobID, supervisor.NotableIndexName("output")))
	if err != nil {
		t.Fatalf("no index after the run: %v", err)
	}
	fi, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 32 || binary.LittleEndian.Uint64(raw[16:]) != uint64(fi.Size()) {
		t.Fatalf("the index does not cover the %d bytes of the log: header % x", fi.Size(), raw[:min(32, len(raw))])
	}
	obs, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ERROR: disk full while writing the cache", "fatal: the config file is missing"} {
		if !strings.Contains(obs.Output.Text, want) {
			t.Errorf("the selection lost %q:\n%s", want, obs.Output.Text[:min(len(obs.Output.Text), 2000)])
		}
	}
	if len(obs.Output.Text) > DefaultMaxBytes {
		t.Errorf("the selection is %d bytes", len(obs.Output.Text))
	}
}
