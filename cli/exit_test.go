package cli

import (
	"testing"
)

// TestExitStatus (issue 8, item 14): run, start, restart and observe exit
// with the job's status, like timeout(1) and nohup(1): its exit code, 128+N
// for a signal (its own timeout included), 124 when it still runs at the
// wait's deadline, 126 when it could not start, 0 while it runs after a wait that
// ended as asked; agent-exec's own failures exit 125.
func TestExitStatus(t *testing.T) {
	root := newRoot(t)
	tests := []struct {
		name string
		want int
		args []string
	}{
		{"exit 0", 0, []string{"run", "--", "true"}},
		{"exit 1", 1, []string{"run", "--", "false"}},
		{"exit 3", 3, []string{"run", "--", "exit 3"}},
		{"killed by SIGTERM", 128 + 15, []string{"run", "--", "kill -TERM $$"}},
		{"own timeout", 128 + 15, []string{"run", "--timeout", "0.2", "--until", "30", "--", "sleep 30"}},
		{"could not start", exitNotStarted, []string{"run", "--", "/nonexistent/program", "arg"}},
		{"usage", exitFailed, []string{"run", "--no-such-flag", "--", "true"}},
		{"error envelope", exitFailed, []string{"observe", "nosuchjob"}},
		{"list", exitOK, []string{"list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agentExec(t, root, tt.want, tt.args...)
		})
	}

	// A job that still runs: 0 when the wait ended as asked or was not
	// asked for, 124 when the wait reached its deadline.
	id := agentExec(t, root, exitOK, "run", "--until", "0", "--", "echo ready; sleep 60").envelope(t).Job.JobID
	killAtEnd(t, root, id)
	agentExec(t, root, exitOK, "observe", "--until", "30", "--wait_for", "ready", id)
	agentExec(t, root, exitTimedOut, "observe", "--until", "0.2", id)
	agentExec(t, root, exitOK, "kill", id) // kill did what it was asked
	agentExec(t, root, 128+15, "observe", id)

	// start and restart report the run they started.
	id = agentExec(t, root, exitOK, "create", "--", "exit 4").envelope(t).Job.JobID
	agentExec(t, root, 4, "start", id)
	agentExec(t, root, 4, "restart", id)
	agentExec(t, root, 4, "observe", id)
}

// TestWaitExitsWithFirstFinished: wait on several jobs exits with the
// status of the first to end.
func TestWaitExitsWithFirstFinished(t *testing.T) {
	root := t.TempDir()
	a := agentExec(t, root, exitOK, "run", "--until", "0", "--name", "w-a", "--", "sleep 60").envelope(t).Job.JobID
	killAtEnd(t, root, a)
	agentExec(t, root, exitOK, "run", "--until", "0", "--name", "w-b", "--", "sleep 0.5; exit 7")
	env := agentExec(t, root, 7, "wait", "w-a", "w-b").envelope(t)
	if env.Job.Name != "w-b" || env.Wait.JobID != env.Job.JobID {
		t.Fatalf("wait named %s (%+v), want w-b", env.Job.Name, env.Wait)
	}
	agentExec(t, root, exitOK, "kill", "w-a")
	// w-b ended first, before w-a was killed.
	env = agentExec(t, root, 7, "wait", "--all", "w-a", "w-b").envelope(t)
	if env.Job.Name != "w-b" {
		t.Fatalf("wait --all named %s, want w-b (the first to end)", env.Job.Name)
	}
	agentExec(t, root, exitSignal+15, "wait", "w-a")
	agentExec(t, root, exitUsage, "wait")
}
