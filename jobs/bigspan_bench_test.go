package jobs

import (
	"bytes"
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

// processCPU returns the CPU time (user and system) this process used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
