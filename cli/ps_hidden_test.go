package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestPSHiddenFooter: ps run where no job lives says how many jobs live in
// other directories and that --all shows them; list reports the count.
func TestPSHiddenFooter(t *testing.T) {
	root := newRoot(t)
	dir := t.TempDir()
	agentExec(t, root, exitOK, "run", "--cwd", dir, "--", "true")
	agentExec(t, root, exitOK, "run", "--cwd", dir, "--", "true")
	r := agentExec(t, root, exitOK, "ps")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "2 more jobs in other directories") || !strings.Contains(lines[1], "--all") {
		t.Errorf("ps away from the jobs printed:\n%s\nwant the header and a footer naming 2 jobs and --all", r.stdout)
	}
	if env := agentExec(t, root, exitOK, "list").envelope(t); len(env.Jobs) != 0 || env.Hidden == nil || *env.Hidden != 2 {
		t.Errorf("list away from the jobs = %d jobs, hidden %v; want 0, hidden 2", len(env.Jobs), env.Hidden)
	}
	r = agentExec(t, root, exitOK, "ps", "--all")
	if strings.Contains(r.stdout, "other directories") || strings.Count(r.stdout, "\n") != 3 {
		t.Errorf("ps --all printed:\n%s\nwant the header and two rows, no footer", r.stdout)
	}
}

// TestPSSkippedFooter: ps names a job whose files cannot be read, and how
// to remove it.
func TestPSSkippedFooter(t *testing.T) {
	root := newRoot(t)
	id := jobstore.NewID()
	if err := os.Mkdir(filepath.Join(root, id), 0o700); err != nil {
		t.Fatal(err)
	}
	r := agentExec(t, root, exitOK, "ps", "--all")
	if !strings.Contains(r.stdout, "job "+id+" skipped") || !strings.Contains(r.stdout, "delete --force") {
		t.Errorf("ps with an unreadable job printed:\n%s\nwant a line naming it and delete --force", r.stdout)
	}
}
