package integration_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sinkLines waits (30 s at most) for the file at path to hold n NDJSON
// events and returns them; the deliverer is the job's supervisor, another
// process, so the file is checked every 10 ms.
func sinkLines(t *testing.T, path string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(b) > 0 && len(lines) >= n {
			var out []map[string]any
			for _, l := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("%s: %q: %v", path, l, err)
				}
				out = append(out, m)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q after 30 s, want %d events", path, b, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNotifyOverStdio: run takes notify (a file sink and an output
// pattern, a command sink), update replaces it on a running job, and the
// job.finished of each goes where the definition says when the job ends.
func TestNotifyOverStdio(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := t.TempDir()
	file, cmdOut := filepath.Join(dir, "events.ndjson"), filepath.Join(dir, "cmd.ndjson")
	env := s.ok("run", obj{"command": "echo ready; echo 'ERROR: disk'; echo bye; exit 2", "until": 20,
		"notify": obj{"file": file, "command": "cat >> " + cmdOut + "; echo >> " + cmdOut,
			"match": []obj{{"pattern": "^ERROR", "match": "regex"}}}})
	id := env.Job.JobID
	got := sinkLines(t, file, 2)
	if got[0]["type"] != "job.output.matched" || got[0]["line"] != "ERROR: disk" || got[0]["offset"] != float64(6) || got[0]["job_id"] != id {
		t.Errorf("match event %v", got[0])
	}
	if got[1]["type"] != "job.finished" || got[1]["state"] != "exited" || got[1]["exit_code"] != float64(2) || got[1]["tail"] != "ready\nERROR: disk\nbye\n" {
		t.Errorf("finished event %v", got[1])
	}
	if c := sinkLines(t, cmdOut, 2); c[1]["type"] != "job.finished" {
		t.Errorf("command sink got %v", c)
	}

	// Changed while running: the end goes to the new sink.
	web := s.started("echo up; exec sleep 600", "up", obj{"notify": obj{"file": filepath.Join(dir, "old.ndjson")}})
	later := filepath.Join(dir, "later.ndjson")
	if u := s.ok("update", obj{"job_id": web.Job.JobID, "notify": obj{"file": later}}); u.Job.State != "running" {
		t.Fatalf("update: %+v", u.Job)
	}
	s.ok("kill", obj{"job_id": web.Job.JobID})
	if e := sinkLines(t, later, 1); e[0]["state"] != "killed" || e[0]["reason"] != "kill" {
		t.Errorf("killed job's event %v", e[0])
	}
	if _, err := os.Stat(filepath.Join(dir, "old.ndjson")); err == nil {
		t.Error("the replaced sink got the event")
	}

	// Failure modes are tool errors, and nothing is created.
	s.fail("run", obj{"command": "true", "notify": obj{"file": "f", "match": []obj{{"pattern": "(", "match": "regex"}}}}, "invalid_input")
	s.fail("run", obj{"command": "true", "notify": obj{"match": []obj{{"pattern": ""}}}}, "invalid_input")
	s.fail("run", obj{"command": "true", "notify": obj{"file": "f", "match": []obj{{"pattern": "x", "stream": "stderr"}}}}, "invalid_input")
	s.fail("run", obj{"command": "true", "notify": obj{"url": "http://x"}}, "invalid_input")
	s.fail("update", obj{"job_id": web.Job.JobID, "notify": obj{"file": 3}}, "invalid_input")
}
