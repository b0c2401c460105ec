package jobs

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/output"
)

// TestLogRotate: a job with log_rotate keeps about its last log_rotate
// bytes; offsets stay absolute, and windows asked for discarded bytes start
// where the data starts and say so. Bad values are refused.
func TestLogRotate(t *testing.T) {
	s := newService(t)
	const keep = 64 << 10
	// 1 MiB of numbered lines, then END.
	env := mustRun(t, s, &RunRequest{Definition: Definition{
		Command:   Command{`i=0; while [ $i -lt 16384 ]; do printf '%063d\n' $i; i=$((i+1)); done; echo END`},
		LogRotate: keep,
	}, Observation: Observation{Until: f64(30)}})
	if env.Job.State != "exited" {
		t.Fatalf("job %+v", env.Job)
	}
	fi, err := os.Stat(detailOf(t, s, env.Job.JobID).OutputLog)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Size() != 1<<20+4 {
		t.Fatalf("log size %d, want %d: offsets must not move", fi.Size(), 1<<20+4)
	}
	if used := st.Blocks * 512; used > 2*keep+int64(st.Blksize) {
		t.Fatalf("%d bytes allocated, want at most about %d", used, 2*keep)
	}
	// The run's window began at 0: it starts where the data starts.
	if env.Output.RotatedBefore <= 0 || env.Output.Start != env.Output.RotatedBefore || !strings.HasSuffix(env.Output.Text, "END\n") {
		t.Fatalf("run window: start %d rotated_before %d", env.Output.Start, env.Output.RotatedBefore)
	}
	base := env.Output.RotatedBefore
	if base < fi.Size()-2*keep || base > fi.Size()-keep {
		t.Fatalf("data starts at %d, want within the last %d..%d bytes", base, keep, 2*keep)
	}
	obs, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Offset: new(int64), MaxBytes: 4096}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if obs.Output.Start != base || obs.Output.RotatedBefore != base || strings.ContainsRune(obs.Output.Text, 0) {
		t.Fatalf("observe from 0: start %d rotated_before %d text %.80q", obs.Output.Start, obs.Output.RotatedBefore, obs.Output.Text)
	}
	// A line's offset is its offset in the whole output: line i starts at 64*i.
	line := int64(16000)
	off := line * 64
	obs, err = s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Offset: &off, MaxBytes: 256}}, nil)
	if err != nil || !strings.HasPrefix(obs.Output.Text, fmt.Sprintf("%063d\n", line)) || obs.Output.RotatedBefore != 0 {
		t.Fatalf("observe at line %d: %v %q", line, err, obs.Output.Text)
	}
	// Compression looks only at the kept bytes.
	obs, err = s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Compress: "always", MaxBytes: 4096}}, nil)
	if err != nil || strings.ContainsRune(obs.Output.Text, 0) || !strings.Contains(obs.Output.Text, "END") {
		t.Fatalf("compressed tail: %v %.200q", err, obs.Output.Text)
	}
	for _, v := range []int64{-1, 1, MinLogRotate - 1, MaxLogRotate + 1} {
		if _, err := s.Create(t.Context(), &Definition{Command: Command{"true"}, LogRotate: v}); codeOf(err) != CodeInvalidInput {
			t.Errorf("log_rotate %d: %v, want invalid_input", v, err)
		}
	}
}

// TestLogRotateWhileRunning: a running job's log is cut by the
// supervisor's periodic check, not only at the end. The punch is a write
// to the file (inotify IN_MODIFY), which the test waits on.
func TestLogRotateWhileRunning(t *testing.T) {
	s := newService(t)
	const keep = 64 << 10
	env := mustRun(t, s, &RunRequest{Definition: Definition{
		Command:   Command{`head -c 1048576 /dev/zero | tr '\0' x; echo READY; exec sleep 60`},
		LogRotate: keep,
	}, Observation: Observation{Until: f64(30), WaitFor: "READY"}})
	if env.Job.State != "running" {
		t.Fatalf("job %+v", env.Job)
	}
	logPath := detailOf(t, s, env.Job.JobID).OutputLog
	in, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(in), "inotify")
	defer f.Close()
	if _, err := unix.InotifyAddWatch(in, logPath, unix.IN_MODIFY); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	buf := make([]byte, 4096)
	for output.DataStart(logPath) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the running job's log was not cut within 30 s")
		}
		f.SetReadDeadline(deadline)
		f.Read(buf) // the next modification of the log, or the deadline
	}
	obs, err := s.Observe(t.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Offset: new(int64), MaxBytes: 1024}}, nil)
	if err != nil || obs.Output.RotatedBefore == 0 || strings.ContainsRune(obs.Output.Text, 0) {
		t.Fatalf("observe from 0 of the running job: %v %+v", err, obs.Output)
	}
}

// TestLogRotateTTY: a tty job's log, which the supervisor copies from the
// terminal, is cut the same way.
func TestLogRotateTTY(t *testing.T) {
	s := newService(t)
	const keep = 64 << 10
	env := mustRun(t, s, &RunRequest{Definition: Definition{
		Command: Command{`head -c 1048576 /dev/zero | tr '\0' x; echo; echo END`}, TTY: true, LogRotate: keep,
	}, Observation: Observation{Until: f64(30)}})
	if env.Job.State != "exited" || env.Output.RotatedBefore == 0 || !strings.Contains(env.Output.Text, "END") {
		t.Fatalf("tty run: state %s, start %d, rotated_before %d", env.Job.State, env.Output.Start, env.Output.RotatedBefore)
	}
	fi, err := os.Stat(detailOf(t, s, env.Job.JobID).OutputLog)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Size() < 1<<20 || st.Blocks*512 > 2*keep+int64(st.Blksize) {
		t.Fatalf("size %d, %d bytes allocated: want the size kept and about %d held", fi.Size(), st.Blocks*512, 2*keep)
	}
}
