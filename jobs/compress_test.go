package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
