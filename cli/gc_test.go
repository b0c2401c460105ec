package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// ageCLIJob makes job id of root look finished 40 days ago.
func ageCLIJob(t *testing.T, root, id string) {
	t.Helper()
	st, err := jobstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	state, err := st.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	fin := jobstore.Time{Time: time.Now().Add(-40 * 24 * time.Hour)}
	state.FinishedAt = &fin
	if err := st.WriteState(id, state); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, root, id string) bool {
	t.Helper()
	st, err := jobstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	return st.Exists(id)
}

func TestGCVerb(t *testing.T) {
	root := newRoot(t)
	old := agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true").envelope(t).Job.JobID
	ageCLIJob(t, root, old)
	keep := agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true").envelope(t).Job.JobID

	env := agentExec(t, root, 0, "gc", "--dry-run", "--older-than", "30d").envelope(t)
	if env.Type != "gc" || !env.GC.DryRun || len(env.GC.Deleted) != 1 || env.GC.Deleted[0].ID != old || !exists(t, root, old) {
		t.Fatalf("gc --dry-run = %+v, want job %s listed and kept", env.GC, old)
	}
	env = agentExec(t, root, 0, "gc", "--older_than", "30d").envelope(t)
	if len(env.GC.Deleted) != 1 || exists(t, root, old) || !exists(t, root, keep) {
		t.Fatalf("gc = %+v, want job %s removed and %s kept", env.GC, old, keep)
	}
	if env.GC.OlderThanS != 30*86400 || env.GC.MaxJobs != 1000 || env.GC.MaxBytes != 2<<30 {
		t.Errorf("limits = %d s, %d jobs, %d bytes; want the defaults 30d, 1000, 2GiB", env.GC.OlderThanS, env.GC.MaxJobs, env.GC.MaxBytes)
	}

	if code := errorCode(t, agentExec(t, root, exitFailed, "gc", "--older-than", "soon")); code != "invalid_input" {
		t.Errorf("gc --older-than soon: code %s, want invalid_input", code)
	}
	agentExec(t, root, exitUsage, "gc", "--max-jobs", "many")
	agentExec(t, root, exitUsage, "gc", "extra")
}

func TestRunCollectsOldJobs(t *testing.T) {
	root := newRoot(t)
	old := agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true").envelope(t).Job.JobID
	ageCLIJob(t, root, old)
	agentExec(t, root, 0, "run", "--no-auto-gc", "--", "true")
	if !exists(t, root, old) {
		t.Fatal("run --no-auto-gc removed an old job")
	}
	// The command returns once its collection is done.
	agentExec(t, root, 0, "run", "--", "true")
	if exists(t, root, old) {
		t.Fatal("run did not collect the 40-day-old job")
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFileReachesJobs(t *testing.T) {
	root := newRoot(t)
	cfg := writeConfig(t, "[shell]\nwrapper = [\"bash\", \"-c\"]\n[env]\nPAGER = \"cat\"\n")
	env := agentExec(t, root, 0, "--config", cfg, "run", "--", `echo "${BASH_VERSION:+bash} $PAGER"`).envelope(t)
	if env.Output.Text != "bash cat\n" {
		t.Fatalf("output = %q, want the configured wrapper and env", env.Output.Text)
	}
	// --config after the verb works as well.
	env = agentExec(t, root, 0, "run", "--config", cfg, "--", `echo $PAGER`).envelope(t)
	if env.Output.Text != "cat\n" {
		t.Fatalf("output = %q, want cat", env.Output.Text)
	}
}

func TestBadConfigStopsCommand(t *testing.T) {
	root := newRoot(t)
	cfg := writeConfig(t, "[gc]\nolder_than = \"soon\"\n")
	r := agentExec(t, root, exitFailed, "--config", cfg, "run", "--", "true")
	env := r.envelope(t)
	if env.Error == nil || !strings.Contains(env.Error.Message, cfg+":2: key gc.older_than") {
		t.Fatalf("error = %+v, want the file, line and key named", env.Error)
	}
	st, _ := jobstore.Open(root)
	if ids, _ := st.IDs(); len(ids) != 0 {
		t.Fatalf("a command with a bad configuration created jobs %v", ids)
	}
	r = agentExec(t, root, exitUsage, "--config", cfg, "config")
	if !strings.Contains(r.stderr, "key gc.older_than") {
		t.Errorf("config with a bad file: stderr %q, want the key named", r.stderr)
	}
}

func TestConfigVerbShowsOrigins(t *testing.T) {
	cfg := writeConfig(t, "[gc]\nmax_jobs = 10\nmax_bytes = \"1M\"\n")
	t.Setenv("AGENT_EXEC_GC_MAX_JOBS", "20")
	r := agentExec(t, t.TempDir(), 0, "--config", cfg, "config", "--no-auto-gc")
	var v struct {
		File     string `json:"file"`
		Settings []struct {
			Key    string `json:"key"`
			Value  any    `json:"value"`
			Origin struct {
				Source string `json:"source"`
				Where  string `json:"where"`
			} `json:"origin"`
		} `json:"settings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("config printed %q: %v", r.stdout, err)
	}
	got := map[string]string{}
	for _, s := range v.Settings {
		got[s.Key] = fmt.Sprintf("%v from %s %s", s.Value, s.Origin.Source, s.Origin.Where)
	}
	want := map[string]string{
		"gc.auto":       "false from flag --no-auto-gc",
		"gc.max_jobs":   "20 from env AGENT_EXEC_GC_MAX_JOBS",
		"gc.max_bytes":  "1048576 from file " + cfg + ":3",
		"gc.older_than": "30d from default ",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
	if v.File != cfg {
		t.Errorf("file = %q, want %q", v.File, cfg)
	}
}

func TestDeleteVerbByFilters(t *testing.T) {
	root := newRoot(t)
	dir := t.TempDir()
	a := agentExec(t, root, 0, "run", "--no-auto-gc", "--cwd", dir, "--tag", "ci", "--", "true").envelope(t).Job.JobID
	b := agentExec(t, root, 0, "run", "--no-auto-gc", "--cwd", dir, "--", "true").envelope(t).Job.JobID
	ageCLIJob(t, root, b)
	env := agentExec(t, root, 0, "delete", "--all", "--tag", "ci", "--dry-run").envelope(t)
	if env.Bulk == nil || len(env.Bulk.Deleted) != 1 || env.Bulk.Deleted[0].JobID != a || !exists(t, root, a) {
		t.Fatalf("delete --tag ci --dry-run = %+v, want %s listed and kept", env.Bulk, a)
	}
	env = agentExec(t, root, 0, "delete", "--all", "--older-than", "30d").envelope(t)
	if len(env.Bulk.Deleted) != 1 || env.Bulk.Deleted[0].JobID != b || exists(t, root, b) || !exists(t, root, a) {
		t.Fatalf("delete --older-than 30d = %+v, want only %s removed", env.Bulk, b)
	}
	agentExec(t, root, exitUsage, "delete")
	agentExec(t, root, exitUsage, "delete", a, b)
	if env := agentExec(t, root, 0, "delete", "--tag", "other", a).envelope(t); len(env.Bulk.Deleted) != 0 || !exists(t, root, a) {
		t.Errorf("delete JOB --tag other (it is tagged ci) = %+v, want it kept", env.Bulk)
	}
}

// Without a configuration file, config shows the defaults and where a file
// would be read from.
func TestConfigVerbWithoutFile(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	r := agentExec(t, t.TempDir(), 0, "config")
	var v struct {
		File     string `json:"file"`
		Searched string `json:"searched"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("config printed %q: %v", r.stdout, err)
	}
	if want := filepath.Join(xdg, "agent-exec", "config.toml"); v.File != "" || v.Searched != want {
		t.Errorf("config = file %q, searched %q; want no file, searched %s", v.File, v.Searched, want)
	}
}
