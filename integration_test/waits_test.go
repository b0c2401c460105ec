package integration_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
)

// TestWaitSilentHint: a wait that runs out while the run has written nothing
// says what may hold the output back; one that saw output does not.
func TestWaitSilentHint(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`sleep 600`, obj{"until": 0.5})
	if env.Wait.Reason != "deadline" || !strings.Contains(env.Wait.Hint, "PYTHONUNBUFFERED=1") ||
		!strings.Contains(env.Wait.Hint, "wait_for_port") {
		t.Errorf("silent run: wait = %+v, want a hint about buffering", env.Wait)
	}
	obs := s.ok("observe", obj{"job_id": env.Job.JobID, "until": 0.2})
	if obs.Wait.Reason != "deadline" || obs.Wait.Hint == "" {
		t.Errorf("observe of the silent run: wait = %+v, want the hint", obs.Wait)
	}
	talk := s.runJob(`echo hello; sleep 600`, obj{"wait_for": "never", "until": 0.5})
	if talk.Wait.Reason != "deadline" || talk.Wait.Hint != "" {
		t.Errorf("run that wrote: wait = %+v, want no hint", talk.Wait)
	}
	tty := s.runJob(`sleep 600`, obj{"until": 0.5, "tty": true})
	if tty.Wait.Reason != "deadline" || tty.Wait.Hint == "" || strings.Contains(tty.Wait.Hint, "tty") {
		t.Errorf("silent tty run: wait = %+v, want a hint without tty advice", tty.Wait)
	}
}

// TestPythonUnbufferedByDefault: Python on a pipe writes as it goes, so a
// wait sees its output; a job's own PYTHONUNBUFFERED wins, and a tty job
// (line-buffered anyway) does not get it.
func TestPythonUnbufferedByDefault(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	// A clean environment: the one the tests run in may set the variable.
	clean := obj{"PATH": os.Getenv("PATH")}
	env := s.runJob([]string{"python3", "-c", "import time; print('serving'); time.sleep(600)"},
		obj{"wait_for": "^serving$", "until": 30, "inherit_env": false, "env": clean})
	if env.Wait.Reason != "matched" {
		t.Errorf("python on a pipe: wait = %+v, output %q; want its line seen while it runs", env.Wait, env.Output.Text)
	}
	own := s.runJob(`echo "[$PYTHONUNBUFFERED]"`, obj{"env": obj{"PYTHONUNBUFFERED": "x"}, "until": 30})
	if own.Output.Text != "[x]\n" {
		t.Errorf("the job's own PYTHONUNBUFFERED: %q, want [x]", own.Output.Text)
	}
	tty := s.runJob(`echo "[${PYTHONUNBUFFERED-unset}]"`, obj{"tty": true, "until": 30, "inherit_env": false, "env": clean})
	if strings.TrimSpace(tty.Output.Text) != "[unset]" {
		t.Errorf("tty job: %q, want PYTHONUNBUFFERED unset", tty.Output.Text)
	}
}

// TestInputAnswerAfterEcho: input to a terminal returns the answer that
// follows the echo of the typed line, not the echo alone.
func TestInputAnswerAfterEcho(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started([]string{"python3", "-i", "-q"}, `>>> $`, obj{"tty": true})
	in := s.ok("input", obj{"job_id": env.Job.JobID, "text": "import time; time.sleep(1.5); print(\"done\")\r", "until": 30})
	if in.Wait.Reason != "idle" || !strings.Contains(in.Output.Text, "done\n") {
		t.Errorf("input = %+v %q, want the answer after the echo", in.Wait, in.Output.Text)
	}
}

// jsonLen is the length of s inside a JSON string, as the server encodes it.
func jsonLen(t *testing.T, s string) int {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return len(b) - 2
}

// TestMaxBytesCountsEncodedBytes: max_bytes bounds what a call returns as
// encoded JSON — NUL bytes, invalid UTF-8 and HTML characters included, in
// raw mode too, and a huge matched line with the window.
func TestMaxBytesCountsEncodedBytes(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, c := range []struct {
		command string
		args    obj
	}{
		{"head -c 100000 /dev/zero", obj{"raw": true}},
		{"head -c 100000 /dev/zero", obj{}},
		{"head -c 100000 /dev/urandom", obj{"raw": true}},
		{"yes '<a href=\"x\">&</a>' | head -c 100000", obj{"compress": "off"}},
	} {
		for _, maxBytes := range []int{256, 16384} {
			args := obj{"until": 30, "max_bytes": maxBytes}
			for k, v := range c.args {
				args[k] = v
			}
			env := s.runJob(c.command, args)
			if n := jsonLen(t, env.Output.Text); n > maxBytes {
				t.Errorf("%s %v max_bytes %d: text encodes to %d bytes", c.command, c.args, maxBytes, n)
			}
			raw := args["raw"] == true
			obs := s.ok("observe", obj{"job_id": env.Job.JobID, "max_bytes": maxBytes, "raw": raw})
			if n := jsonLen(t, obs.Output.Text); n > maxBytes {
				t.Errorf("observe %s %v max_bytes %d: text encodes to %d bytes", c.command, c.args, maxBytes, n)
			}
			page := s.ok("observe", obj{"job_id": env.Job.JobID, "max_bytes": maxBytes, "offset": 10, "raw": raw})
			if n := jsonLen(t, page.Output.Text); n > maxBytes || page.Output.NextOffset <= 10 {
				t.Errorf("page of %s %v max_bytes %d: text encodes to %d bytes, next_offset %d", c.command, c.args, maxBytes, n, page.Output.NextOffset)
			}
		}
	}
	env := s.runJob(`python3 -c "print('x' * 131072)"; sleep 600`, obj{"wait_for": "^x+$", "until": 30, "max_bytes": 256})
	if env.Wait.Reason != "matched" {
		t.Fatalf("wait = %+v, want matched", env.Wait)
	}
	line, text := jsonLen(t, env.Wait.Matched.Line), jsonLen(t, env.Output.Text)
	if line+text > 256 || !strings.HasPrefix(env.Wait.Matched.Line, "xxx") {
		t.Errorf("matched line of %d and text of %d encoded bytes, want at most 256 together", line, text)
	}
}

// TestWaitForPortOfTheJob: wait_for_port answers port_open only when a
// process of the job listens; a port another process holds is not the
// job's readiness, and the answer says who holds it.
func TestWaitForPortOfTheJob(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	env := s.runJob(fmt.Sprintf("exec python3 -m http.server %d --bind 127.0.0.1", port),
		obj{"wait_for_port": port, "until": 30})
	if env.Wait.Reason == "port_open" {
		t.Fatalf("wait = %+v, job %s: port_open for a port this job does not listen on", env.Wait, env.Job.State)
	}
	if !strings.Contains(env.Wait.Hint, "outside this job") {
		t.Errorf("wait = %+v, want a hint that another process holds port %d", env.Wait, port)
	}
	quiet := s.runJob("sleep 600", obj{"wait_for_port": port, "until": 1})
	if quiet.Wait.Reason != "deadline" || !strings.Contains(quiet.Wait.Hint, "outside this job") {
		t.Errorf("sleep: wait = %+v, want deadline with the hint", quiet.Wait)
	}
	// The job's own listener, on a port taken through a child process.
	own := freePort(t)
	srv := s.runJob(fmt.Sprintf("python3 -m http.server %d --bind 127.0.0.1 & wait", own),
		obj{"wait_for_port": own, "until": 30})
	if srv.Wait.Reason != "port_open" || srv.Wait.Hint != "" {
		t.Errorf("own server: wait = %+v (%q), want port_open", srv.Wait, srv.Output.Text)
	}
}

// TestWaitForFloodEndsByDeadline: a wait_for that cannot keep up with a
// flood of output still ends at its deadline.
func TestWaitForFloodEndsByDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MB")
	}
	t.Parallel()
	s := startServer(t)
	// No literal that a match must contain: every line is matched on its own.
	env := s.runJob("yes | head -c 64000000", obj{"wait_for": "^\\d+$", "until": 1, "compress": "off"})
	if env.Wait.Reason != "deadline" {
		t.Errorf("wait = %+v, want deadline: the scan held the call past until", env.Wait)
	}
}
