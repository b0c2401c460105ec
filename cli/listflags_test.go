package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobs"
)

// TestBoolFlagWord (issue 8, item 17): a boolean flag followed by a
// separate true or false is refused, never read as the flag plus a
// command or JOB named false; the = form works.
func TestBoolFlagWord(t *testing.T) {
	root := newRoot(t)
	for _, args := range [][]string{
		{"run", "--inherit-env", "false"},
		{"run", "--inherit_env", "false", "--", "env"},
		{"run", "--tty", "true"},
		{"create", "--interactive", "FALSE", "--", "cat"},
		{"observe", "--raw", "true", "somejob"},
		{"list", "--all", "false"},
		{"delete", "nosuchjob", "--force", "true"},
	} {
		r := agentExec(t, root, exitUsage, args...)
		if r.stdout != "" || !strings.Contains(r.stderr, "takes no separate value") {
			t.Errorf("agent-exec %q: stdout %q stderr %q, want a usage error", args, r.stdout, r.stderr)
		}
	}
	env := agentExec(t, root, exitOK, "run", "--inherit-env=false", "--env", "ONLY=1", "--", "env").envelope(t)
	if !strings.Contains(env.Output.Text, "ONLY=1") || strings.Contains(env.Output.Text, "HOME=") {
		t.Errorf("--inherit-env=false: environment %q", env.Output.Text)
	}
	// A flag's value may be true or false; so may a word after --.
	agentExec(t, root, exitOK, "run", "--name", "true", "--", "true")
	agentExec(t, root, 1, "run", "--tty", "--", "false")
}

// TestListTagsAndLimit (issue 8, item 17): repeated --tag filters on every
// tag (AND), tags are stored once each, and --limit 0 lists every job.
func TestListTagsAndLimit(t *testing.T) {
	root := newRoot(t)
	both := agentExec(t, root, exitOK, "create", "--tag", "a", "--tag", "b", "--tag", "a", "--", "true").envelope(t).Job
	if !slices.Equal(both.Tags, []string{"a", "b"}) {
		t.Errorf("tags a b a stored as %q, want [a b]", both.Tags)
	}
	onlyA := agentExec(t, root, exitOK, "create", "--tag", "a", "--", "true").envelope(t).Job.JobID
	ids := func(args ...string) []string {
		t.Helper()
		var out []string
		for _, j := range agentExec(t, root, exitOK, append([]string{"list", "--all"}, args...)...).envelope(t).Jobs {
			out = append(out, j.JobID)
		}
		return out
	}
	if got := ids("--tag", "a", "--tag", "b"); !slices.Equal(got, []string{both.JobID}) {
		t.Errorf("list --tag a --tag b = %q, want only %s", got, both.JobID)
	}
	if got := ids("--tag", "a"); !slices.Equal(got, []string{onlyA, both.JobID}) {
		t.Errorf("list --tag a = %q, want %s %s", got, onlyA, both.JobID)
	}

	for range jobs.DefaultListLimit {
		agentExec(t, root, exitOK, "create", "--", "true")
	}
	total := jobs.DefaultListLimit + 2
	if got := len(ids()); got != jobs.DefaultListLimit {
		t.Errorf("list = %d jobs, want the default %d", got, jobs.DefaultListLimit)
	}
	env := agentExec(t, root, exitOK, "list", "--all", "--limit", "0").envelope(t)
	if len(env.Jobs) != total || env.Truncated == nil || *env.Truncated {
		t.Errorf("list --limit 0 = %d jobs (truncated %v), want all %d", len(env.Jobs), env.Truncated, total)
	}
	if r := agentExec(t, root, exitOK, "ps", "--all", "--limit", "0"); strings.Count(r.stdout, "created") != total {
		t.Errorf("ps --limit 0 shows %d jobs, want all %d:\n%s", strings.Count(r.stdout, "created"), total, r.stdout)
	}
}
