package integration_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestProgress: a waiting call that carries a progress token gets
// notifications/progress about once a second; one without a token gets
// none.
func TestProgress(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	id := s.started("echo working; sleep 600", "working", nil).Job.JobID

	p := &mcp.CallToolParams{Name: "observe", Arguments: obj{"job_id": id, "until": 2.5}}
	p.SetProgressToken("tok-1")
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	rep, err := s.invoke(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.env.Wait.Reason != "deadline" {
		t.Fatalf("wait = %+v", rep.env.Wait)
	}
	got := s.progressFor("tok-1")
	if len(got) < 2 {
		t.Fatalf("%d progress notifications in a 2.5 s wait, want at least 2", len(got))
	}
	for i, n := range got {
		if i > 0 && n.Progress <= got[i-1].Progress {
			t.Errorf("progress does not increase: %v then %v", got[i-1].Progress, n.Progress)
		}
		if n.Message == "" {
			t.Errorf("progress notification %d has no message", i)
		}
	}
	if !strings.Contains(got[len(got)-1].Message, "working") {
		t.Errorf("progress message %q does not show the job's last line", got[len(got)-1].Message)
	}

	before := s.progressTotal()
	s.ok("observe", obj{"job_id": id, "until": 2.5})
	if after := s.progressTotal(); after != before {
		t.Errorf("a call without a progress token got %d notifications", after-before)
	}
}

// TestConcurrentWaits: long waits do not hold up other calls: a list
// returns while ten observe calls are still waiting.
func TestConcurrentWaits(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	id := s.started("sleep 600", "", nil).Job.JobID
	const n = 10
	calls := make([]<-chan asyncResult, n)
	for i := range calls {
		calls[i] = s.callAsync("observe", obj{"job_id": id, "until": 5}, fmt.Sprintf("wait-%d", i))
	}
	// Every observe is in the server and waiting once its first progress
	// notification has come.
	for i := range calls {
		s.awaitProgress(fmt.Sprintf("wait-%d", i), 20*time.Second)
	}
	if l := s.ok("list", obj{"all": true}).Jobs; len(l) != 1 {
		t.Errorf("list = %+v", l)
	}
	for i, ch := range calls {
		select {
		case r := <-ch:
			t.Errorf("observe %d returned before the list did: %v %v", i, r.err, r.rep)
			calls[i] = nil
		default:
		}
	}
	for i, ch := range calls {
		if ch == nil {
			continue
		}
		r := receive(t, ch, 60*time.Second)
		if r.err != nil {
			t.Errorf("observe %d: %v", i, r.err)
			continue
		}
		if w := r.rep.env.Wait; w.Reason != "deadline" || r.rep.env.Job.State != "running" {
			t.Errorf("observe %d: wait %+v, job %s", i, w, r.rep.env.Job.State)
		}
	}
}

// TestStdoutPurity: a job printing a lot on its standard output cannot
// reach the protocol stream; the client keeps working and everything the
// server wrote on its stdout is JSON-RPC.
func TestStdoutPurity(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob("yes 'not a json-rpc message' | head -c 3000000; echo; echo finished; echo to-stderr >&2", obj{"until": 30})
	if env.Job.State != "exited" || env.Output.TotalBytes < 3000000 || !strings.HasSuffix(env.Output.Text, "finished\nto-stderr\n") {
		t.Fatalf("job %s, %d bytes, tail %q", env.Job.State, env.Output.TotalBytes, env.Output.Text[max(0, len(env.Output.Text)-60):])
	}
	// Still in step: more calls succeed.
	for range 3 {
		if env := s.runJob("echo ok", nil); env.Output.Text != "ok\n" {
			t.Fatalf("run after a noisy job: %q", env.Output.Text)
		}
	}
	s.ok("list", obj{})
	if strings.Contains(s.raw.String(), "not a json-rpc message\nnot") {
		t.Error("job output appeared raw on the server's stdout")
	}
	s.rawMessages() // fails on anything that is not a JSON-RPC line
}

// TestEnvConfigInvalid: a bad AGENT_EXEC_MCP_MAX_UNTIL_SECONDS stops the
// server before it serves, with a message naming the variable.
func TestEnvConfigInvalid(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"abc", "0", "-5", "1e9"} {
		t.Run(v, func(t *testing.T) {
			r := newRoot(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, "--root", r.dir, "mcp")
			cmd.Env = append(baseEnv(), "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS="+v)
			stdin, err := cmd.StdinPipe() // held open: a server that serves would wait on it
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("the server kept running with AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=%s", v)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("exit = %v, want a non-zero status", err)
			}
			if !strings.Contains(stderr.String(), "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS") {
				t.Errorf("stderr does not name the variable:\n%s", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

// TestEnvConfigCap: AGENT_EXEC_MCP_MAX_UNTIL_SECONDS caps every wait; a
// larger until is reduced, not refused.
func TestEnvConfigCap(t *testing.T) {
	t.Parallel()
	// The subtests wait out their 2 s caps side by side: each has its own
	// server and root.
	t.Run("max and default", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, withEnv("AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=2", "AGENT_EXEC_MCP_DEFAULT_UNTIL_SECONDS=1"))
		checkCap(t, s)
	})
	t.Run("max only", func(t *testing.T) {
		t.Parallel()
		// A maximum below the built-in run default (10 s) must cap that
		// default too, not stop the server.
		if msg, refused := refusesToStart(t, "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=2"); refused {
			t.Fatalf("AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=2 alone refuses to start: %s", msg)
		}
		s := startServer(t, withEnv("AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=2"))
		checkCap(t, s)
		if env := s.runJob("sleep 600", nil); env.Wait.UntilS != 2 {
			t.Errorf("run without until: until_s %v, want the default capped to 2", env.Wait.UntilS)
		}
	})
}

func checkCap(t *testing.T, s *server) {
	t.Helper()
	env := s.runJob("sleep 600", obj{"until": 30})
	if env.Wait.UntilS != 2 || env.Wait.Reason != "deadline" || env.Job.State != "running" {
		t.Fatalf("run until 30: wait %+v, job %s; want until_s 2, deadline", env.Wait, env.Job.State)
	}
	if env.Wait.WaitedMS < 2000 {
		t.Errorf("waited %d ms, want at least 2000", env.Wait.WaitedMS)
	}
	obs := s.ok("observe", obj{"job_id": env.Job.JobID, "until": 30})
	if obs.Wait.UntilS != 2 || obs.Wait.Reason != "deadline" {
		t.Errorf("observe until 30: wait %+v, want until_s 2", obs.Wait)
	}
}

// refusesToStart runs "agent-exec mcp" with env and reports whether it
// exited at once (instead of serving), with its stderr.
func refusesToStart(t *testing.T, env ...string) (string, bool) {
	t.Helper()
	r := newRoot(t)
	cmd := exec.Command(binPath, "--root", r.dir, "mcp")
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = strings.NewReader("") // EOF: a serving server exits 0
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return strings.TrimSpace(stderr.String()), err != nil
}

// TestMaxRunning: AGENT_EXEC_MAX_RUNNING caps the jobs running at once; a
// run past it is a clear invalid_state, nothing is created and nothing
// hangs; a bad value stops the server before it serves, naming the variable.
func TestMaxRunning(t *testing.T) {
	t.Parallel()
	if msg, refused := refusesToStart(t, "AGENT_EXEC_MAX_RUNNING=lots"); !refused || !strings.Contains(msg, "AGENT_EXEC_MAX_RUNNING") {
		t.Fatalf("AGENT_EXEC_MAX_RUNNING=lots: refused %v, stderr %q", refused, msg)
	}
	s := startServer(t, withEnv("AGENT_EXEC_MAX_RUNNING=2"))
	a := s.started("sleep 600", "", nil).Job.JobID
	b := s.started("sleep 600", "", nil).Job.JobID
	before := len(s.listAll())
	e := s.fail("run", obj{"command": "sleep 600", "until": 0}, "invalid_state")
	if !strings.Contains(e.Message, "AGENT_EXEC_MAX_RUNNING") {
		t.Errorf("message %q does not name the cap", e.Message)
	}
	if after := len(s.listAll()); after != before {
		t.Errorf("jobs went from %d to %d after a refused run", before, after)
	}
	s.ok("kill", obj{"job_id": a})
	s.ok("run", obj{"command": "true"})
	s.ok("kill", obj{"job_id": b})
}

// TestLogLimit: a job that tries to write without end stops at its limit,
// reported with reason log_limit; the log is cut back to the limit.
func TestLogLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob([]string{"yes"}, obj{"log_limit": 262144, "until": 30})
	if env.Job.State != "killed" || env.Job.Reason != "log_limit" || env.Output.TotalBytes != 262144 {
		t.Fatalf("job %s/%s, log %d bytes; want killed by log_limit at 262144", env.Job.State, env.Job.Reason, env.Output.TotalBytes)
	}
	s.fail("run", obj{"command": "true", "log_limit": -1}, "invalid_input")
}
