package jobs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestEnvFiles: env files are resolved against the job's directory,
// applied between the inherited environment and env, re-read at each
// start, and their masked values are redacted without ever being written to
// meta.json.
func TestEnvFiles(t *testing.T) {
	s := newService(t)
	t.Setenv("AE_LAYER", "inherited")
	dir := s.opt.Cwd
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const secret1, secret2 = "first-secret-4711", "second-secret-0815"
	write("a.env", "# app\nexport AE_LAYER=file-a\nAE_TOKEN='"+secret1+"'\nAE_OVER=a\n")
	write("b.env", "AE_OVER=\"b\"\n")
	run := func(req *RunRequest) *Envelope { return mustRun(t, s, req) }
	env := run(&RunRequest{Definition: Definition{
		Command:  Command{`echo "layer=$AE_LAYER over=$AE_OVER tok=$AE_TOKEN env=$AE_ENV"`},
		EnvFiles: []string{"a.env", filepath.Join(dir, "b.env")},
		Env:      map[string]string{"AE_ENV": "given"},
		Mask:     []string{"AE_TOKEN"},
	}, Observation: Observation{Until: f64(20)}})
	if want := "layer=file-a over=b tok=*** env=given\n"; env.Output.Text != want {
		t.Fatalf("output = %q, want %q", env.Output.Text, want)
	}
	id := env.Job.JobID
	meta, err := os.ReadFile(filepath.Join(s.store.Dir(id), jobstore.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(meta), secret1) || !strings.Contains(string(meta), filepath.Join(dir, "a.env")) {
		t.Fatalf("meta.json = %s: want the resolved paths and no value", meta)
	}

	// The file changes: the restart reads it again, and the new value is
	// masked as well as the old one, which is still in the log.
	write("a.env", "AE_TOKEN="+secret2+"\n")
	env, err = s.Restart(t.Context(), &RestartRequest{JobID: id, Observation: Observation{Until: f64(20)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "layer=inherited over=b tok=*** env=given\n"; env.Output.Text != want {
		t.Fatalf("after the restart output = %q, want %q", env.Output.Text, want)
	}
	full, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Offset: new(int64)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(full)
	if strings.Contains(string(b), secret1) || strings.Contains(string(b), secret2) {
		t.Fatalf("observe shows a masked value: %s", b)
	}

	// A file gone by the next start fails the launch, naming the file.
	if err := os.Remove(filepath.Join(dir, "b.env")); err != nil {
		t.Fatal(err)
	}
	_, err = s.Restart(t.Context(), &RestartRequest{JobID: id}, nil)
	if codeOf(err) != CodeLaunchFailed || !strings.Contains(err.Error(), filepath.Join(dir, "b.env")+": does not exist") {
		t.Fatalf("restart without the file: %v, want launch_failed naming it", err)
	}
}

// TestEnvFilesCheckedAtCreate: a missing or malformed file fails the
// definition with invalid_input, naming the file and line but not the value.
func TestEnvFilesCheckedAtCreate(t *testing.T) {
	s := newService(t)
	bad := filepath.Join(s.opt.Cwd, "bad.env")
	if err := os.WriteFile(bad, []byte("OK=1\nTOKEN=\"open-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{"missing.env", filepath.Join(s.opt.Cwd, "missing.env") + ": does not exist"},
		{"bad.env", bad + ": line 2: TOKEN: the quoted value has no closing quote"},
	} {
		_, err := s.Create(t.Context(), &Definition{Command: Command{"true"}, EnvFiles: []string{tc.file}})
		if codeOf(err) != CodeInvalidInput || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "open-secret") {
			t.Errorf("%s: %v, want invalid_input with %q", tc.file, err, tc.want)
		}
	}
	ids, _ := s.store.IDs()
	if len(ids) != 0 {
		t.Fatalf("a refused definition left jobs: %v", ids)
	}
}

// TestEnvFilesMaskedWithoutInheritance: masked values from env files are
// redacted also for a job that does not inherit the environment.
func TestEnvFilesMaskedWithoutInheritance(t *testing.T) {
	s := newService(t)
	const secret = "bare-secret-5521"
	p := filepath.Join(s.opt.Cwd, "s.env")
	if err := os.WriteFile(p, []byte("AE_TOKEN="+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	no := false
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"echo tok=$AE_TOKEN"}, EnvFiles: []string{p},
		InheritEnv: &no, Mask: []string{"AE_TOKEN"}}, Observation: Observation{Until: f64(20)}})
	if env.Output.Text != "tok=***\n" {
		t.Fatalf("output %q, want the value masked", env.Output.Text)
	}
	obs, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID}, nil)
	if err != nil || strings.Contains(obs.Output.Text, secret) {
		t.Fatalf("observe: %v %q", err, obs.Output.Text)
	}
}

// TestEnvFilesOverConfiguredEnv: the configured defaults ([env]) come
// before the env files, and the job's own env after them.
func TestEnvFilesOverConfiguredEnv(t *testing.T) {
	s := newService(t)
	s.opt.Env = map[string]string{"AE_A": "config", "AE_B": "config", "AE_C": "config"}
	p := filepath.Join(s.opt.Cwd, "f.env")
	if err := os.WriteFile(p, []byte("AE_A=file\nAE_C=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"echo $AE_A $AE_B $AE_C"}, EnvFiles: []string{p},
		Env: map[string]string{"AE_C": "own"}}, Observation: Observation{Until: f64(20)}})
	if env.Output.Text != "file config own\n" {
		t.Fatalf("output %q, want file config own", env.Output.Text)
	}
}
