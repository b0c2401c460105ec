package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestMaskInheritedValue (issue 8, security 1): a masked variable the job
// inherited is redacted with the value its run had, recorded by the
// launcher in a 0600 file of the job, also for a reader whose environment
// lacks the variable: observe, compression, list, ps and logs. A restart
// under another value records that one too, and both stay masked.
func TestMaskInheritedValue(t *testing.T) {
	root := newRoot(t)
	const key, first, second = "AGENT_EXEC_TEST_TOKEN", "hunter2-first", "hunter2-second"
	t.Setenv(key, first)
	r := agentExec(t, root, exitOK, "run", "--mask", key, "--wait_for", "token=", "--", "echo token=$"+key)
	env := r.envelope(t)
	id := env.Job.JobID
	noSecret := func(what, out string) {
		t.Helper()
		for _, v := range []string{first, second, "hunter2"} {
			if strings.Contains(out, v) {
				t.Errorf("%s shows the masked value %q:\n%s", what, v, out)
			}
		}
		if !strings.Contains(out, "token=***") {
			t.Errorf("%s does not show token=***:\n%s", what, out)
		}
	}
	noSecret("run", r.stdout)

	b, err := os.ReadFile(filepath.Join(root, id, jobstore.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), first) {
		t.Errorf("meta.json holds the inherited masked value:\n%s", b)
	}
	fi, err := os.Stat(filepath.Join(root, id, jobstore.SecretsFile))
	if err != nil {
		t.Fatalf("the launcher recorded no masked values: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s is %v, want 0600", jobstore.SecretsFile, fi.Mode().Perm())
	}

	// A restart from an environment with another value.
	t.Setenv(key, second)
	noSecret("restart", agentExec(t, root, exitOK, "restart", id).stdout)

	// Readers without the variable.
	os.Unsetenv(key)
	noSecret("observe", agentExec(t, root, exitOK, "observe", id).stdout)
	noSecret("observe --compress always", agentExec(t, root, exitOK, "observe", "--compress", "always", id).stdout)
	noSecret("list --all", agentExec(t, root, exitOK, "list", "--all").stdout)
	noSecret("ps --all", agentExec(t, root, exitOK, "ps", "--all").stdout)
	logs := agentExec(t, root, exitOK, "logs", id).stdout
	noSecret("logs", logs)
	if logs != "token=***\ntoken=***\n" {
		t.Errorf("logs = %q, want both runs' lines masked", logs)
	}
}
