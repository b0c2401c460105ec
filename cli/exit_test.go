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
