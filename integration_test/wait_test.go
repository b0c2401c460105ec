package integration_test

import (
	"fmt"
	"net"
	"testing"
	"time"
)

func TestWaitForLine(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`echo booting; echo "listening on port 8080"; sleep 600`,
		obj{"wait_for": "listening on port [0-9]+", "until": 30})
	w := env.Wait
	if w.Reason != "matched" || w.Matched == nil {
		t.Fatalf("wait = %+v, want matched", w)
	}
	if w.Matched.Pattern != "listening on port [0-9]+" || w.Matched.Line != "listening on port 8080" || w.Matched.Offset != int64(len("booting\n")) {
		t.Errorf("matched = %+v, want the line at offset 8", *w.Matched)
	}
	if pid := s.detail(env.Job.JobID).PID; env.Job.State != "running" || pid == 0 {
		t.Errorf("job = %s pid %d, want running with a pid", env.Job.State, pid)
	}

	// observe waits the same way.
	id := env.Job.JobID
	obs := s.ok("observe", obj{"job_id": id, "wait_for": "^listening", "until": 30})
	if obs.Wait.Reason != "matched" || obs.Wait.Matched.Offset != 8 {
		t.Errorf("observe wait_for = %+v", obs.Wait)
	}
}

func TestWaitForPrompt(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	// A prompt is an unfinished line: it must match without a newline.
	env := s.runJob(`printf 'Password: '; sleep 30`, obj{"wait_for": "^Password: $", "until": 30})
	if env.Wait.Reason != "matched" || env.Wait.Matched == nil {
		t.Fatalf("wait = %+v, output %q; want matched", env.Wait, env.Output.Text)
	}
	if m := env.Wait.Matched; m.Line != "Password: " || m.Offset != 0 {
		t.Errorf("matched = %+v, want line %q at 0", *m, "Password: ")
	}
	if env.Job.State != "running" || env.Output.Text != "Password: " {
		t.Errorf("job %s, output %q", env.Job.State, env.Output.Text)
	}
}

func TestWaitForNoMatchEndsAtExit(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`echo nothing to see; exit 2`, obj{"wait_for": "never printed", "until": 30})
	if env.Wait.Reason != "exited" || env.Wait.Matched != nil || env.Job.State != "exited" || *env.Job.ExitCode != 2 {
		t.Errorf("wait = %+v, job %s; want exited", env.Wait, env.Job.State)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestWaitForPort(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	port := freePort(t)
	env := s.runJob(fmt.Sprintf("exec python3 -m http.server %d --bind 127.0.0.1", port),
		obj{"wait_for_port": port, "until": 30})
	if env.Wait.Reason != "port_open" || env.Job.State != "running" {
		t.Fatalf("wait = %+v, job %s (%q); want port_open on a running job", env.Wait, env.Job.State, env.Output.Text)
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatalf("port %d reported open but: %v", port, err)
	}
	c.Close()
	k := s.ok("kill", obj{"job_id": env.Job.JobID})
	if k.Job.State != "killed" {
		t.Errorf("kill: %+v", k.Job)
	}
}

func TestWaitIdle(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`echo tick; sleep 600`, obj{"idle_ms": 300, "until": 30})
	if env.Wait.Reason != "idle" || env.Job.State != "running" || env.Output.Text != "tick\n" {
		t.Fatalf("wait = %+v, job %s, output %q; want idle on a running job", env.Wait, env.Job.State, env.Output.Text)
	}
	if env.Wait.WaitedMS < 300 {
		t.Errorf("idle after %d ms, want at least idle_ms 300", env.Wait.WaitedMS)
	}
}

// TestWaitDeadline: a wait that runs out leaves the job running.
func TestWaitDeadline(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`sleep 600`, obj{"until": 1})
	if env.Wait.Reason != "deadline" || env.Wait.UntilS != 1 || env.Job.State != "running" {
		t.Fatalf("wait = %+v, job %s; want deadline after 1 s on a running job", env.Wait, env.Job.State)
	}
	if env.Wait.WaitedMS < 1000 {
		t.Errorf("deadline after %d ms, want at least 1000", env.Wait.WaitedMS)
	}
	id := env.Job.JobID
	procs := jobProcs(id)
	if len(procs) == 0 {
		t.Fatal("no process of the job is running after the wait")
	}
	obs := s.ok("observe", obj{"job_id": id, "until": 1})
	if obs.Job.State != "running" || obs.Wait.Reason != "deadline" {
		t.Errorf("observe after the deadline: %s / %s, want still running", obs.Job.State, obs.Wait.Reason)
	}
	for _, p := range procs {
		if !p.alive() {
			t.Errorf("%s of the job died after a wait ran out", p)
		}
	}
	if sv, ok := supervisorOf(s.jobDir(id)); !ok || !sv.alive() {
		t.Error("the job's supervisor is gone after a wait ran out")
	}
}
