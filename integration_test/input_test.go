package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMask: the value of a masked variable appears in no response (run,
// observe, list, wait matches: checked on the raw bytes the server wrote),
// while the log on disk keeps it.
func TestMask(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const secret = "hunter2-xyz"
	env := s.runJob(`echo "token=$SECRET"; echo "again $SECRET"; sleep 600`, obj{
		"env":      obj{"SECRET": secret, "PLAIN": "visible-value"},
		"mask":     []string{"SECRET"},
		"wait_for": "again",
		"until":    30,
		"tags":     []string{"masked"},
		"name":     "masked-job",
	})
	id := env.Job.JobID
	if env.Wait.Reason != "matched" {
		t.Fatalf("wait = %+v, output %q", env.Wait, env.Output.Text)
	}
	if !strings.Contains(env.Output.Text, "token=") || strings.Contains(env.Output.Text, secret) {
		t.Errorf("run output %q: want the line without the secret", env.Output.Text)
	}
	if env.Wait.Matched == nil || strings.Contains(env.Wait.Matched.Line, secret) {
		t.Errorf("matched line = %+v", env.Wait.Matched)
	}
	if keys := s.detail(id).EnvKeys; strings.Join(keys, ",") != "PLAIN,SECRET" {
		t.Errorf("env_keys = %v, want [PLAIN SECRET]", keys)
	}
	s.ok("observe", obj{"job_id": id})
	s.ok("observe", obj{"job_id": id, "raw": true})
	s.ok("observe", obj{"job_id": id, "offset": 0})
	s.ok("observe", obj{"job_id": id, "wait_for": "token=", "until": 5})
	s.ok("list", obj{"all": true})
	s.ok("list", obj{})
	s.ok("kill", obj{"job_id": id})
	s.ok("observe", obj{"job_id": "masked-job"})

	wire := s.raw.String()
	if !strings.Contains(wire, "token=") {
		t.Fatal("the capture of the server's output holds no job output: the check below would prove nothing")
	}
	if strings.Contains(wire, secret) {
		i := strings.Index(wire, secret)
		t.Errorf("the secret appears in a response: ...%s...", wire[max(0, i-200):min(len(wire), i+50)])
	}
	b, err := os.ReadFile(filepath.Join(s.jobDir(id), "output.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "token="+secret) {
		t.Errorf("output.log = %q, want the raw value", b)
	}
}

func TestStdin(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob("cat", obj{"stdin": "abc"})
	if env.Job.State != "exited" || env.Output.Text != "abc" {
		t.Errorf("cat with stdin abc: %s, %q", env.Job.State, env.Output.Text)
	}
	// Without stdin, standard input is empty: cat ends at once.
	if env := s.runJob("cat; echo end", nil); env.Output.Text != "end\n" {
		t.Errorf("cat without stdin: %q", env.Output.Text)
	}

	file := filepath.Join(s.dir, "input.txt")
	if err := os.WriteFile(file, []byte("line one\nline two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = s.runJob("wc -l", obj{"stdin_file": file})
	if strings.TrimSpace(env.Output.Text) != "2" {
		t.Errorf("wc -l of a two-line stdin_file: %q", env.Output.Text)
	}
	// A relative stdin_file is taken from the server's directory; the file
	// is copied at create time, so a later change does not reach the job.
	id := s.ok("create", obj{"command": "cat", "stdin_file": "input.txt"}).Job.JobID
	if err := os.WriteFile(file, []byte("changed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if env := s.ok("start", obj{"job_id": id}); env.Output.Text != "line one\nline two\n" {
		t.Errorf("stdin_file snapshot: %q", env.Output.Text)
	}
	if e := s.fail("run", obj{"command": "cat", "stdin_file": filepath.Join(s.dir, "missing")}, "invalid_input"); e.Field != "stdin_file" {
		t.Errorf("missing stdin_file: field %q", e.Field)
	}
}

// TestStdinTooLarge: stdin past the limit is refused over MCP with
// stdin_too_large, naming the argument, and creates nothing. The file form
// is used: a 64 MiB inline string costs 25-90 s of JSON handling under the
// race detector, and the inline limit is the same check, tested without the
// wire in jobs (TestDefinitionErrorsCreateNothing).
func TestStdinTooLarge(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const limit = 64 << 20
	// A sparse file costs nothing to make.
	big := filepath.Join(t.TempDir(), "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(limit + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if e := s.fail("create", obj{"command": "cat", "stdin_file": big}, "stdin_too_large"); e.Field != "stdin_file" {
		t.Errorf("field %q, want stdin_file", e.Field)
	}
	if jobs := s.listAll(); len(jobs) != 0 || len(s.root.jobDirs(t)) != 0 {
		t.Errorf("a refused stdin created jobs: %+v", jobs)
	}
}
