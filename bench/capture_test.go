package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// floodCmd is a job that writes n bytes of short lines as fast as a pipe
// allows.
func floodCmd(n int64) string {
	return fmt.Sprintf("yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv | head -c %d", n)
}

// capture measures goal 1: the capture rate of a flooding job with nobody
// reading it, with a run waiting for its end, and with a run whose
// wait_for never matches (a wait that reads every byte), against the same
// shell pipeline writing to a file of the same disk. The variants take
// turns, round after round, each round starting with the next one (a
// flood that follows another meets its dirty pages being written back),
// each after a sync; each figure is the median of its rounds', so that the
// machine's load, which drifts, weighs on all of them alike.
func capture(b *testing.B, t *table, short bool) {
	// Many short rounds: a burst of another program's work then spoils
	// one round's ratios, not the median.
	size, rounds := int64(64<<20), 8
	if short {
		size, rounds = 16<<20, 4
	}
	s, st := newService(b, jobs.Options{})
	dir := b.TempDir()
	var raw, none, waited, scanned []time.Duration
	var noneCPU, waitCPU, scanCPU []float64                    // this process's CPU per second of the flood
	var rawJob, noneJob, waitedJob, scannedJob []time.Duration // the flood's own CPU
	variants := []func(){
		func() {
			start := time.Now()
			if out, err := exec.Command("sh", "-c", "("+timedFlood(size)+") > "+dir+"/raw").CombinedOutput(); err != nil {
				b.Fatalf("raw flood: %v: %s", err, out)
			}
			raw = append(raw, time.Since(start))
			rawJob = append(rawJob, floodCPU(b, dir+"/raw"))
			os.Remove(dir + "/raw")
		},
		func() {
			cpu0 := processCPU()
			d, cpu := flood(b, s, st, size, "")
			none, noneJob = append(none, d), append(noneJob, cpu)
			noneCPU = append(noneCPU, (processCPU()-cpu0).Seconds()/d.Seconds())
		},
		func() {
			cpu0 := processCPU()
			d, cpu := flood(b, s, st, size, "wait")
			waited, waitedJob = append(waited, d), append(waitedJob, cpu)
			waitCPU = append(waitCPU, (processCPU()-cpu0).Seconds()/d.Seconds())
		},
		func() {
			cpu0 := processCPU()
			d, cpu := flood(b, s, st, size, "scan")
			scanned, scannedJob = append(scanned, d), append(scannedJob, cpu)
			scanCPU = append(scanCPU, (processCPU()-cpu0).Seconds()/d.Seconds())
		},
	}
	for r := range rounds {
		for k := range variants {
			syscall.Sync()
			variants[(r+k)%len(variants)]()
		}
	}
	rate := func(d time.Duration) string { return fmt.Sprintf("%.0f MB/s", float64(size)/1e6/d.Seconds()) }
	mid := func(d []time.Duration) time.Duration { return slices.Sorted(slices.Values(d))[len(d)/2] }
	// of is a's rate against b's, from the medians of their rounds.
	of := func(a, b []time.Duration) float64 { return mid(b).Seconds() / mid(a).Seconds() }
	t.add(fmt.Sprintf("flood of %d MiB to a file (sh: yes | head)", size>>20), rate(mid(raw)), "1×", "floor")
	t.add("capture, nobody reading", rate(mid(none)), fmt.Sprintf("%.2f of raw", of(none, raw)), "")
	t.add("capture, a run waiting for the end", rate(mid(waited)),
		fmt.Sprintf("%.2f of none, %.2f of raw", of(waited, none), of(waited, raw)), "≥0.9, ≥0.8 (goal 1)")
	t.add("  its CPU share while the job floods", fmt.Sprintf("%.3f", median(waitCPU)),
		fmt.Sprintf("none: %.3f", median(noneCPU)), "≈none (goal 1)")
	t.add("  the flood's own CPU", ms(mid(waitedJob)), fmt.Sprintf("%.2f× none's, %.2f× raw's", 1/of(waitedJob, noneJob), 1/of(waitedJob, rawJob)), "")
	t.add("capture, a run whose wait_for never matches", rate(mid(scanned)),
		fmt.Sprintf("%.2f of none", of(scanned, none)), "")
	t.add("  its CPU share while the job floods", fmt.Sprintf("%.3f", median(scanCPU)), fmt.Sprintf("none: %.3f", median(noneCPU)), "")
	t.add("  the flood's own CPU", ms(mid(scannedJob)), fmt.Sprintf("%.2f× none's", 1/of(scannedJob, noneJob)), "")
	t.gross("capture: no reader's rate / waiting run's", 1/of(waited, none), 10)
	t.gross("capture: raw rate / no reader's", 1/of(none, raw), 10)
}

// A CPU share is the CPU this process used (the launch included) over
// the flood's duration.

// flood runs a flood of size bytes as a job and returns its run's duration
// as its supervisor recorded it, and the CPU time of the flood's processes:
// with nobody reading (reader ""; the end
// is awaited on the supervisor's pidfd, which no write wakes), with a run
// waiting for its end ("wait"), or with one scanning its output ("scan").
// The log is removed afterwards.
func flood(b *testing.B, s *jobs.Service, st *jobstore.Store, size int64, reader string) (time.Duration, time.Duration) {
	until := 120.0
	if reader == "" {
		until = 0
	}
	// No compression: the selection over the whole log after the end is
	// the answer's cost, not the wait's.
	o := jobs.Observation{Until: &until, Compress: "off"}
	if reader == "scan" {
		o.WaitFor = "NEVER-PRINTED"
	}
	env, err := s.Run(context.Background(), &jobs.RunRequest{
		Definition: jobs.Definition{Command: jobs.Command{timedFlood(size)}}, Observation: o}, nil)
	if err != nil {
		b.Fatal(err)
	}
	id := env.Job.JobID
	state, err := st.ReadState(id)
	if err != nil {
		b.Fatal(err)
	}
	if state.State == jobstore.StateRunning {
		if reader != "" {
			b.Fatalf("flood (%s): the wait ended with the job running: %+v", reader, env.Wait)
		}
		gone, stop := supervisor.WatchExit(state.SupervisorPID, state.SupervisorStart)
		<-gone
		stop()
		if state, err = st.ReadState(id); err != nil {
			b.Fatal(err)
		}
	}
	if state.DurationMS == nil || state.State != jobstore.StateExited {
		b.Fatalf("flood job: %+v", state)
	}
	log := filepath.Join(st.Dir(id), jobstore.OutputLog)
	cpu := floodCPU(b, log)
	os.Remove(log)
	return time.Duration(*state.DurationMS) * time.Millisecond, cpu
}

// timedFlood is floodCmd followed by the shell's times: the user and system
// CPU time of the flood's processes, on the last line. That figure does not
// depend on the machine's load, so it tells whether a reader makes the
// job's own work dearer (a kernel event per write, say).
func timedFlood(n int64) string { return floodCmd(n) + "; times" }

// floodCPU reads the CPU time of the flood's processes, from the last line
// of the output of timedFlood (POSIX times: "0m0.52s 0m1.25s").
func floodCPU(b *testing.B, path string) time.Duration {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	tail := make([]byte, min(fi.Size(), 256))
	if _, err := f.ReadAt(tail, fi.Size()-int64(len(tail))); err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(tail)), "\n")
	var um, sm int
	var us, ss float64
	if _, err := fmt.Sscanf(lines[len(lines)-1], "%dm%fs %dm%fs", &um, &us, &sm, &ss); err != nil {
		b.Fatalf("times of the flood: %q: %v", lines[len(lines)-1], err)
	}
	return time.Duration((float64(um+sm)*60 + us + ss) * float64(time.Second))
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail for RUSAGE_SELF
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(x []float64) float64 {
	x = slices.Clone(x)
	slices.Sort(x)
	return x[len(x)/2]
}

// terminal measures goal 7: a tty job's capture of a flood against
// script(1) running the same command on a pseudo-terminal of its own
// (writing the same bytes to a file of the same disk), taking turns after
// a sync, each going first in turn, from the medians of the rounds; and
// how long a screen request takes while a tty job floods.
func terminal(b *testing.B, t *table, floor time.Duration, short bool) {
	size, rounds := int64(100e6), 3
	if short {
		size, rounds = 20e6, 1
	}
	s, st := newService(b, jobs.Options{})
	dir := b.TempDir()
	script, lookErr := exec.LookPath("script")
	var tty, ref []time.Duration
	variants := []func(){
		func() {
			until := 120.0
			env, err := s.Run(context.Background(), &jobs.RunRequest{
				Definition:  jobs.Definition{Command: jobs.Command{floodCmd(size)}, TTY: true},
				Observation: jobs.Observation{Until: &until}}, nil)
			if err != nil || env.Job.State != "exited" || env.Job.DurationMS == nil {
				b.Fatalf("tty flood: %+v, %v", env, err)
			}
			tty = append(tty, time.Duration(*env.Job.DurationMS)*time.Millisecond)
			os.Remove(filepath.Join(st.Dir(env.Job.JobID), jobstore.OutputLog))
		},
	}
	if lookErr == nil {
		variants = append(variants, func() {
			c := exec.Command(script, "-qc", floodCmd(size), dir+"/typescript")
			start := time.Now()
			if out, err := c.CombinedOutput(); err != nil {
				b.Fatalf("script -qc: %v: %s", err, out)
			}
			ref = append(ref, time.Since(start))
			os.Remove(dir + "/typescript")
		})
	}
	for r := range rounds {
		for k := range variants {
			syscall.Sync()
			variants[(r+k)%len(variants)]() // each goes first in turn
		}
	}
	mid := func(d []time.Duration) time.Duration { return slices.Sorted(slices.Values(d))[len(d)/2] }
	rate := func(d time.Duration) string { return fmt.Sprintf("%.1f MB/s", float64(size)/1e6/d.Seconds()) }
	what := fmt.Sprintf("tty capture of %d MB", size/1e6)
	if lookErr != nil {
		t.add(what, rate(mid(tty)), "no script(1)", "≤1.5× script -qc (goal 7)")
	} else {
		t.add(fmt.Sprintf("script -qc of %d MB", size/1e6), rate(mid(ref)), "1×", "floor")
		r := mid(tty).Seconds() / mid(ref).Seconds()
		t.add(what, rate(mid(tty)), fmt.Sprintf("%.2f× script", r), "≤1.5× script -qc (goal 7)")
		t.gross("tty capture time / script -qc's", r, 10)
	}

	lat := screenWhileFlooding(b, s, size)
	t.add(fmt.Sprintf("screen request while %d MB flow, p50", size/1e6), ms(p(lat, 50)), ratio(p(lat, 50), floor), "≤100 ms (goal 7)")
	t.add(fmt.Sprintf("screen request while %d MB flow, max of %d", size/1e6, len(lat)), ms(lat[len(lat)-1]), ratio(lat[len(lat)-1], floor), "")
	t.gross("screen request p50 while flooding / fork+exec", float64(p(lat, 50))/float64(floor), 2000)
}

// screenWhileFlooding starts a tty job that writes size bytes and asks for
// its screen every 50 ms while it runs; it returns the sorted latencies of
// the requests answered while the job was running.
func screenWhileFlooding(b *testing.B, s *jobs.Service, size int64) []time.Duration {
	zero := 0.0
	env, err := s.Run(context.Background(), &jobs.RunRequest{
		Definition:  jobs.Definition{Command: jobs.Command{floodCmd(size)}, TTY: true},
		Observation: jobs.Observation{Until: &zero}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for {
		start := time.Now()
		env, err := s.Observe(context.Background(), &jobs.StartRequest{JobID: env.Job.JobID,
			Observation: jobs.Observation{Until: &zero, View: "screen"}}, nil)
		d := time.Since(start)
		if err != nil || env.Screen == nil {
			b.Fatalf("screen of a flooding tty job: %+v, %v", env, err)
		}
		if env.Job.State != "running" {
			break
		}
		lat = append(lat, d)
		time.Sleep(50 * time.Millisecond) // a request every 50 ms, like a client polling
	}
	if len(lat) == 0 {
		b.Fatal("the tty flood ended before its screen was asked for")
	}
	slices.Sort(lat)
	return lat
}

// serverRSS measures the MCP server's resident memory after a run of a job
// that writes 100 MB (20 MB with -short) and a few observes of it: the
// server reads windows of a log, never the log.
func serverRSS(b *testing.B, t *table, call func(string, map[string]any) map[string]any, pid int, short bool) {
	size := int64(100e6)
	if short {
		size = 20e6
	}
	before := procField(b, fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
	env := call("run", map[string]any{"command": floodCmd(size), "until": 50})
	job := env["job"].(map[string]any)
	if job["state"] != "exited" {
		b.Fatalf("flood over MCP: %v", env)
	}
	id := job["job_id"].(string)
	call("observe", map[string]any{"job_id": id})
	call("observe", map[string]any{"job_id": id, "offset": 0, "max_bytes": 1 << 20})
	call("observe", map[string]any{"job_id": id, "tail_lines": 100})
	after := procField(b, fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
	peak := procField(b, fmt.Sprintf("/proc/%d/status", pid), "VmHWM:")
	call("delete", map[string]any{"job_id": id})
	t.add(fmt.Sprintf("MCP server RSS after %d MB of output", size/1e6), fmt.Sprintf("%.1f MiB", float64(after)/1024),
		fmt.Sprintf("%.1f× before", float64(after)/float64(before)), fmt.Sprintf("peak %.1f MiB", float64(peak)/1024))
	t.gross("server RSS after the flood / before", float64(after)/float64(before), 10)
}
