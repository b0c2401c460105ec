package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvFilesOverStdio: env_files of run and create are resolved against
// cwd, read at each start, masked like env, and never stored in
// meta.json; a bad or missing file is invalid_input at create and
// launch_failed at a later start, naming the file.
func TestEnvFilesOverStdio(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := t.TempDir()
	const secret = "envfile-secret-93xq"
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte("# app\nexport IT_TOKEN=\""+secret+"\"\nIT_MODE=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := s.runJob(`echo "mode=$IT_MODE token=$IT_TOKEN"`, obj{"cwd": dir, "env_files": []any{"app.env"},
		"env": obj{"IT_MODE": "env"}, "mask": []any{"IT_TOKEN"}, "until": 20})
	if env.Output.Text != "mode=env token=***\n" {
		t.Fatalf("output %q, want env over the file and the token masked", env.Output.Text)
	}
	b, err := os.ReadFile(filepath.Join(s.jobDir(env.Job.JobID), "meta.json"))
	if err != nil || strings.Contains(string(b), secret) || !strings.Contains(string(b), filepath.Join(dir, "app.env")) {
		t.Fatalf("meta.json (%v): want the path, not the value:\n%s", err, b)
	}

	e := s.fail("create", obj{"command": "true", "cwd": dir, "env_files": []any{"nope.env"}}, "invalid_input")
	if e.Field != "env_files" || !strings.Contains(e.Message, filepath.Join(dir, "nope.env")) {
		t.Fatalf("missing file at create: %+v", e)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.env"), []byte("OK=1\nIT_TOKEN='"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e = s.fail("run", obj{"command": "true", "cwd": dir, "env_files": []any{"bad.env"}}, "invalid_input")
	if !strings.Contains(e.Message, "bad.env: line 2") || strings.Contains(e.Message, secret) {
		t.Fatalf("malformed file: %+v, want the file and line and no value", e)
	}

	created := s.ok("create", obj{"command": "echo $IT_MODE", "cwd": dir, "env_files": []any{filepath.Join(dir, "app.env")}})
	if err := os.Remove(filepath.Join(dir, "app.env")); err != nil {
		t.Fatal(err)
	}
	e = s.fail("start", obj{"job_id": created.Job.JobID}, "launch_failed")
	if !strings.Contains(e.Message, filepath.Join(dir, "app.env")+": does not exist") {
		t.Fatalf("start without the file: %+v", e)
	}
	if strings.Contains(s.raw.String(), secret) {
		t.Fatal("the masked value is on the wire")
	}
}
