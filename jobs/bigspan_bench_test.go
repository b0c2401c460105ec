package jobs

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/compress"
	"github.com/agent-exec/agent-exec/jobstore"
)

// BenchmarkSelect1GiB measures the selection a run or an observe with
// compress makes of a 1 GiB log with one failure line in its middle: the
// first call, which builds the notable index over the whole log
// (cold_s, and the CPU time it used, cold_cpu_s: the wall time of a loaded
// machine is mostly waiting for a core), a call with the index up to date (warm_ms, per op), and a call
// after 1 MiB more was written (extend_ms). Each result is checked to
// hold the failure and the first line within the default window. Run it
// with
//
//	go test -run XXX -bench BenchmarkSelect1GiB -benchtime 5x ./jobs/
func BenchmarkSelect1GiB(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, jobstore.OutputLog)
	const failure = "--- FAIL: TestTransfer (0.02s) transfer_test.go:88: balance = 90, want 100"
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	var chunk bytes.Buffer
	for i := 0; chunk.Len() < 1<<20; i++ {
		fmt.Fprintf(&chunk, "2026-12-01T10:00:00.000Z INFO request handled path=/api/items/%d status=200 dur=%dms\n", i, i%97)
	}
	if _, err := f.WriteString("starting test run with 4 workers\n"); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 1024; i++ {
		if i == 512 {
			f.WriteString(failure + "\n")
		}
		if _, err := f.Write(chunk.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	m := &jobstore.Meta{Command: []string{"./run-tests"}}
	o := &Observation{MaxBytes: DefaultMaxBytes}
	call := func() *OutputView {
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		out := &OutputView{Stream: "output"}
		if err := compressWindow(out, path, m, o, compress.Auto, 0, st.Size()); err != nil {
			b.Fatal(err)
		}
		if !strings.Contains(out.Text, failure) || !strings.Contains(out.Text, "starting test run") || len(out.Text) > DefaultMaxBytes {
			b.Fatalf("the selection (%d bytes) lost the failure or the first line:\n%s", len(out.Text), out.Text)
		}
		return out
	}
	t0, c0 := time.Now(), processCPU(b)
	call()
	cold, coldCPU := time.Since(t0), processCPU(b)-c0
	t0 = time.Now()
	n := 0
	var out *OutputView
	for b.Loop() {
		out = call()
		n++
	}
	warm := time.Since(t0) / time.Duration(n)
	af, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	af.Write(chunk.Bytes())
	af.Close()
	t0 = time.Now()
	call()
	extend := time.Since(t0)
	b.ReportMetric(cold.Seconds(), "cold_s")
	b.ReportMetric(coldCPU.Seconds(), "cold_cpu_s")
	b.ReportMetric(float64(warm.Microseconds())/1000, "warm_ms")
	b.ReportMetric(float64(extend.Microseconds())/1000, "extend_ms")
	b.ReportMetric(float64(len(out.Text)), "result_bytes")
}

// BenchmarkSelect1GiBFirstCall measures what goal 4 of the compression
// work asks: the first selection (an observe of the finished run) after a
// real supervisor captured 1 GiB of output with a failure line in its
// middle, the index kept by the supervisor as the log grew. It reports
// that call's wall time (first_ms), how far behind the log the index was
// when the run ended (lag_MiB: what the supervisor's catch-up and that
// call still had to scan), and the run's own duration (run_s). Run it with
//
//	go test -run XXX -bench BenchmarkSelect1GiBFirstCall -benchtime 3x ./jobs/
func BenchmarkSelect1GiBFirstCall(b *testing.B) {
	s := newServiceB(b)
	var first, run time.Duration
	var lag int64
	n := 0
	for b.Loop() {
		f, r, l := firstSelection(b, s, 1<<30)
		first, run, lag = first+f, run+r, lag+l
		n++
	}
	b.ReportMetric(float64(first.Microseconds())/1000/float64(n), "first_ms")
	b.ReportMetric(float64(lag)/float64(n)/(1<<20), "lag_MiB")
	b.ReportMetric(run.Seconds()/float64(n), "run_s")
}

// firstSelection runs a job that prints a first line, size bytes of INFO
// lines with one failure in their middle, and returns how long the first
// observe after its end took (its result checked to hold the failure and
// the first line within the default window), the run's duration, and how
// many bytes the index lacked at the run's end. The job is deleted after.
func firstSelection(b *testing.B, s *Service, size int) (first, run time.Duration, lag int64) {
	const failure = "--- FAIL: TestTransfer (0.02s) transfer_test.go:88: balance = 90, want 100"
	info := "yes '2026-12-01T10:00:00.000Z INFO request handled path=/api/items/1234 status=200 dur=12ms' | head -c " + fmt.Sprint(size/2) + "; echo"
	cmd := "echo 'starting test run with 4 workers'; " + info + "; echo '" + failure + "'; " + info
	until := 600.0
	env, err := s.Run(b.Context(), &RunRequest{Definition: Definition{Command: Command{cmd}},
		Observation: Observation{Until: &until, Compress: "off", MaxBytes: 256}}, nil)
	if err != nil || env.Job.State != jobstore.StateExited {
		b.Fatalf("the 1 GiB job: %+v, %v", env, err)
	}
	id := env.Job.JobID
	defer s.Delete(context.Background(), &DeleteRequest{JobID: id, Force: true})
	_, st, err := s.read(id)
	if err != nil || st.DurationMS == nil {
		b.Fatalf("the 1 GiB job: %+v, %v", st, err)
	}
	if raw, err := os.ReadFile(s.store.Path(id, "notable.output.idx")); err == nil && len(raw) >= 32 {
		lag = max(0, env.Output.TotalBytes-int64(binary.LittleEndian.Uint64(raw[16:])))
	} else {
		lag = env.Output.TotalBytes
	}
	t0 := time.Now()
	obs, err := s.Observe(b.Context(), &StartRequest{JobID: id}, nil)
	first = time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	if t := obs.Output.Text; !strings.Contains(t, failure) || !strings.Contains(t, "starting test run") || len(t) > DefaultMaxBytes {
		b.Fatalf("the first selection (%d bytes) lost the failure or the first line:\n%s", len(t), t)
	}
	return first, time.Duration(*st.DurationMS) * time.Millisecond, lag
}

// processCPU returns the CPU time (user and system) this process used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
