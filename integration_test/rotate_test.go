package integration_test

import (
	"os"
	"strings"
	"testing"
)

// TestLogRotateOverStdio: a run with log_rotate keeps about its last
// log_rotate bytes on disk; windows keep absolute offsets and say where the
// kept data starts; a bad value is invalid_input.
func TestLogRotateOverStdio(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const keep = 65536
	env := s.runJob("head -c 1048576 /dev/zero | tr '\\0' x; echo; echo END", obj{"log_rotate": keep, "until": 30})
	if env.Job.State != "exited" || env.Output.RotatedBefore == 0 || !strings.HasSuffix(env.Output.Text, "END\n") {
		t.Fatalf("run: state %s, output start %d rotated_before %d", env.Job.State, env.Output.Start, env.Output.RotatedBefore)
	}
	obs := s.ok("observe", obj{"job_id": env.Job.JobID, "offset": 0, "max_bytes": 1024})
	if obs.Output.Start != env.Output.RotatedBefore || obs.Output.RotatedBefore != obs.Output.Start || strings.ContainsRune(obs.Output.Text, 0) {
		t.Fatalf("observe from 0: %+v", obs.Output)
	}
	if obs.Output.TotalBytes != 1048576+5 {
		t.Fatalf("total_bytes %d: offsets must stay absolute", obs.Output.TotalBytes)
	}
	fi, err := os.Stat(s.detail(env.Job.JobID).OutputLog)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 1048576+5 {
		t.Fatalf("log size %d", fi.Size())
	}
	e := s.fail("create", obj{"command": "true", "log_rotate": 1000}, "invalid_input")
	if e.Field != "log_rotate" {
		t.Fatalf("log_rotate 1000: %+v", e)
	}
	s.fail("create", obj{"command": "true", "log_rotate": -1}, "invalid_input")
}
