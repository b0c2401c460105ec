package jobs

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// The engine's figures, printed as ratios against floors measured in the
// same run (absolute times on a shared machine are noise):
//
//	go test -run '^$' -bench 'Engine' -benchtime 3x ./jobs/

// floodCmd writes 128 MiB as fast as a pipe allows.
const floodCmd = "yes 0123456789abcdef | head -c 134217728"

// BenchmarkEngineCaptureRate reports the capture rate of a flooding job
// with a waiting run (waiter/none), and with a run whose wait_for never
// matches (the wait that reads every byte: scan/none), against the same job
// with no reader, and that against a raw write of the same bytes to the
// same disk (none/raw).
func BenchmarkEngineCaptureRate(b *testing.B) {
	s := newServiceB(b)
	dir := b.TempDir()
	var raw, none, waited, scanned time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := exec.Command("sh", "-c", floodCmd+" > "+dir+"/raw").Run(); err != nil {
			b.Fatal(err)
		}
		raw += time.Since(t0)
		none += floodRun(b, s, "")
		waited += floodRun(b, s, "wait")
		scanned += floodRun(b, s, "scan")
	}
	b.ReportMetric(float64(none)/float64(waited), "waiter/none")
	b.ReportMetric(float64(none)/float64(scanned), "scan/none")
	b.ReportMetric(float64(raw)/float64(none), "none/raw")
}

// floodRun runs the flood as a job and returns its run's duration as the
// supervisor recorded it: with no reader (""), with a run waiting for its
// end ("wait"), or with one scanning its output ("scan").
func floodRun(b *testing.B, s *Service, reader string) time.Duration {
	b.Helper()
	until := 120.0
	o := Observation{Until: &until}
	if reader == "scan" {
		o.WaitFor = "NEVER-PRINTED"
	}
	waiter := reader != ""
	if !waiter {
		zero := 0.0
		o.Until = &zero
	}
	env, err := s.Run(b.Context(), &RunRequest{Definition: Definition{Command: Command{floodCmd}}, Observation: o}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if !waiter {
		if _, err := s.waitTerminal(b.Context(), env.Job.JobID, 120*time.Second); err != nil {
			b.Fatal(err)
		}
	}
	_, st, err := s.read(env.Job.JobID)
	if err != nil || st.DurationMS == nil {
		b.Fatalf("flood job: %+v, %v", st, err)
	}
	return time.Duration(*st.DurationMS) * time.Millisecond
}

// BenchmarkEngineExitNoticed reports how long after a job's last act (it
// prints the time, then exits) a waiting observe returns: p50 and p95 in
// ms, and p50 against a raw fork+exec+wait of the same shell; and how long
// after it the supervisor's recorded finish time lies (p50-recorded-ms: the
// part of the latency that is the supervisor's, not the waiter's), and how
// long after the final state's write (its fsync and rename, then the
// waiter's wake-up, read and window) the waiter returns.
func BenchmarkEngineExitNoticed(b *testing.B) {
	s := newServiceB(b)
	// noticed by the waiter; the reaping the supervisor recorded; noticed
	// after the final state was written (its fsync and rename included)
	var lat, recorded, written []time.Duration
	var rawTotal time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := exec.Command("sh", "-c", "date +%s%N").Run(); err != nil {
			b.Fatal(err)
		}
		rawTotal += time.Since(t0)
		zero := 0.0
		env, err := s.Run(b.Context(), &RunRequest{Definition: Definition{Command: Command{"sleep 0.2; date +%s%N"}},
			Observation: Observation{Until: &zero}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		until := 30.0
		env, err = s.Observe(b.Context(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{Until: &until}}, nil)
		noticed := time.Now()
		if err != nil || env.Job.State != "exited" {
			b.Fatalf("observe = %+v, %v", env, err)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(env.Output.Text), 10, 64)
		if err != nil {
			b.Fatalf("output %q: %v", env.Output.Text, err)
		}
		lat = append(lat, noticed.Sub(time.Unix(0, ns)))
		_, st, err := s.read(env.Job.JobID)
		if err != nil || st.FinishedAt == nil {
			b.Fatalf("state %+v, %v", st, err)
		}
		recorded = append(recorded, st.FinishedAt.Sub(time.Unix(0, ns)))
		if fi, err := os.Stat(s.store.Path(env.Job.JobID, jobstore.StateFile)); err == nil {
			written = append(written, noticed.Sub(fi.ModTime()))
		}
	}
	slices.Sort(written)
	b.ReportMetric(float64(written[len(written)/2].Microseconds())/1000, "p50-after-write-ms")
	slices.Sort(recorded)
	b.ReportMetric(float64(recorded[len(recorded)/2].Microseconds())/1000, "p50-recorded-ms")
	slices.Sort(lat)
	p50, p95 := lat[len(lat)/2], lat[len(lat)*95/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(p50)/(float64(rawTotal)/float64(len(lat))), "p50/raw-spawn")
}

// BenchmarkEngineThreads150Waits reports the process's OS threads while
// 150 observes wait on 5 running jobs.
func BenchmarkEngineThreads150Waits(b *testing.B) {
	s := newServiceB(b)
	for b.Loop() {
		var ids []string
		for range 5 {
			zero := 0.0
			env, err := s.Run(b.Context(), &RunRequest{Definition: Definition{Command: Command{"sleep 3"}},
				Observation: Observation{Until: &zero}}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, env.Job.JobID)
		}
		before := threads(b)
		var wg sync.WaitGroup
		for i := range 150 {
			wg.Go(func() {
				until := 30.0
				if _, err := s.Observe(b.Context(), &StartRequest{JobID: ids[i%5], Observation: Observation{Until: &until}}, nil); err != nil {
					b.Error(err)
				}
			})
		}
		peak := 0
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			peak = max(peak, threads(b))
		}
		wg.Wait()
		b.ReportMetric(float64(peak), "threads")
		b.ReportMetric(float64(before), "threads-idle")
	}
}

func threads(b *testing.B) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}
