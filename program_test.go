package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// TestSiblingSupervisor builds agent-exec and agent-exec-supervisor from a
// committed copy of this source into one directory, and checks that a job's
// supervisor is the sibling and the job works; that AGENT_EXEC_SUPERVISOR=self
// and a sibling from another commit make agent-exec supervise with itself.
func TestSiblingSupervisor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module twice")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	src, bin, root := t.TempDir(), t.TempDir(), t.TempDir()
	files, err := exec.Command("git", "ls-files", "-z", "-co", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(dir string, env []string, name string, args ...string) string {
		t.Helper()
		c := exec.Command(name, args...)
		c.Dir = dir
		c.Env = append(os.Environ(), env...)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	git := func(args ...string) {
		run(src, nil, "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"}, args...)...)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "copy")
	run(src, nil, "go", "build", "-buildvcs=true", "-o", bin+"/", ".", "./cmd/"+supervisor.SiblingName)
	agentExec := filepath.Join(bin, "agent-exec")
	sibling := filepath.Join(bin, supervisor.SiblingName)

	// supervisorExe starts a long job and returns the executable of its
	// supervisor, then kills the job.
	supervisorExe := func(env ...string) string {
		t.Helper()
		var res struct {
			Job struct {
				ID string `json:"job_id"`
			} `json:"job"`
		}
		out := run("/", env, agentExec, "--root", root, "run", "--until", "0", "--", "sleep", "600")
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Job.ID == "" {
			t.Fatalf("run: %v: %s", err, out)
		}
		defer run("/", nil, agentExec, "--root", root, "kill", "--signal", "KILL", res.Job.ID)
		data, err := os.ReadFile(filepath.Join(root, res.Job.ID, jobstore.StateFile))
		if err != nil {
			t.Fatal(err)
		}
		var st jobstore.State
		if err := json.Unmarshal(data, &st); err != nil || st.SupervisorPID == 0 {
			t.Fatalf("state: %v %s", err, data)
		}
		exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(st.SupervisorPID), "exe"))
		if err != nil {
			t.Fatal(err)
		}
		return exe
	}

	if exe := supervisorExe(); exe != sibling {
		t.Errorf("supervisor runs %s, want the sibling %s", exe, sibling)
	}
	out := run("/", nil, agentExec, "--root", root, "run", "--", "sh", "-c", "echo from-the-job; exit 0")
	if !strings.Contains(out, `"exit_code":0`) || !strings.Contains(out, `from-the-job\n`) {
		t.Errorf("a job supervised by the sibling: %s", out)
	}
	if exe := supervisorExe(supervisor.ProgramEnvVar + "=self"); exe != agentExec {
		t.Errorf("with %s=self the supervisor runs %s, want %s", supervisor.ProgramEnvVar, exe, agentExec)
	}

	// A sibling from another commit is never used.
	git("commit", "-q", "--allow-empty", "-m", "another")
	run(src, nil, "go", "build", "-buildvcs=true", "-o", sibling, "./cmd/"+supervisor.SiblingName)
	if exe := supervisorExe(); exe != agentExec {
		t.Errorf("with a sibling from another commit the supervisor runs %s, want %s", exe, agentExec)
	}
	out = run("/", nil, agentExec, "--root", root, "run", "--", "echo", "still-works")
	if !strings.Contains(out, `"exit_code":0`) || !strings.Contains(out, `still-works\n`) {
		t.Errorf("a job with a stale sibling beside: %s", out)
	}
}
