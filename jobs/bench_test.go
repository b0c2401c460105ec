package jobs

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// BenchmarkRunTrue measures a whole run of `true`: create, launch the
// supervisor, handshake, exec, exit, terminal state, window.
func BenchmarkRunTrue(b *testing.B) {
	s := newServiceB(b)
	for b.Loop() {
		env, err := s.Run(b.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}}, nil)
		if err != nil || env.Job.State != "exited" {
			b.Fatalf("run = %+v, %v", env, err)
		}
	}
}

// BenchmarkObserveTail measures an observe of the tail of a 64 MiB log.
func BenchmarkObserveTail(b *testing.B) {
	s := newServiceB(b)
	env, err := s.Run(b.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	line := strings.Repeat("x", 99) + "\n"
	f, err := os.OpenFile(detailOf(b, s, env.Job.JobID).OutputLog, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	chunk := strings.Repeat(line, 10000)
	for i := 0; i < 64<<20/len(chunk); i++ {
		fmt.Fprint(f, chunk)
	}
	f.Close()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Observe(b.Context(), &StartRequest{JobID: env.Job.JobID}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLineScanner measures wait_for's scan of a 16 MiB log of short
// lines: with a literal every match contains, case-sensitive or not (runs
// of plain lines without it skipped at once), and without one (every line
// matched on its own).
func BenchmarkLineScanner(b *testing.B) {
	path := b.TempDir() + "/output.log"
	data := strings.Repeat("compiling foo v1.2.3\n", 16<<20/21)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, pattern := range []string{"NOPE", "(?i)nope", "^\\d+$"} {
		b.Run(pattern, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			re := regexp.MustCompile(pattern)
			for b.Loop() {
				l := newLineScanner(re, pattern, path, 0, nil)
				for {
					m, more, err := l.step()
					if err != nil || m != nil {
						b.Fatalf("step = %v, %v", m, err)
					}
					if !more {
						break
					}
				}
				l.close()
			}
		})
	}
}

// fillRoot writes n finished jobs into store's root directly (the store's
// fsyncs would make a 10 000-job root take minutes), each with a meta,
// state, events file and a 2000-byte log.
func fillRoot(b *testing.B, store *jobstore.Store, n int) {
	b.Helper()
	fin := jobstore.Time{Time: time.Now().Add(-time.Minute)}
	for range n {
		id := jobstore.NewID()
		m, _ := json.Marshal(&jobstore.Meta{ID: id, Command: []string{"true"}, Cwd: "/", Streams: jobstore.StreamsMerged,
			Tags: []string{}, CreatedAt: jobstore.Now()})
		st, _ := json.Marshal(&jobstore.State{State: jobstore.StateExited, Run: 1, FinishedAt: &fin, UpdatedAt: fin})
		if err := os.Mkdir(store.Dir(id), 0o700); err != nil {
			b.Fatal(err)
		}
		for name, data := range map[string][]byte{jobstore.MetaFile: m, jobstore.StateFile: st,
			jobstore.OutputLog: make([]byte, 2000), jobstore.EventsFile: []byte(`{"event":"created"}` + "\n")} {
			if err := os.WriteFile(store.Path(id, name), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRunAutoGC10k measures a whole run of `true` on a root of 10 000
// finished jobs, with the collection after each launch off, on with no
// minimum interval (every launch starts a pass unless one still runs, each
// scanning 1000 jobs and deleting up to 50 by the job count), and on with
// the default minute between passes. A pass starts once the run has its
// answer, so what it costs a launch is the CPU it takes from the next one.
func BenchmarkRunAutoGC10k(b *testing.B) {
	store, err := jobstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	fillRoot(b, store, 10000)
	for _, c := range []struct {
		auto     bool
		interval time.Duration
	}{{false, 0}, {true, 0}, {true, DefaultGCInterval}} {
		b.Run(fmt.Sprintf("auto=%v/interval=%v", c.auto, c.interval), func(b *testing.B) {
			cfg := DefaultGCConfig()
			cfg.Auto, cfg.Interval = c.auto, c.interval
			s, err := New(store, Options{Cwd: b.TempDir(), GC: &cfg})
			if err != nil {
				b.Fatal(err)
			}
			passes := 0
			s.gcDone = func(_ *jobstore.GCResult, err error) {
				if err == nil {
					passes++ // not a skipped one (busy, or too recent)
				}
			}
			for b.Loop() {
				env, err := s.Run(b.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}}, nil)
				if err != nil || env.Job.State != "exited" {
					b.Fatalf("run = %+v, %v", env, err)
				}
			}
			b.StopTimer()
			s.Close()
			b.ReportMetric(float64(passes)/float64(b.N), "passes/op")
		})
	}
}

// BenchmarkNameCheck10k measures the name check of a named create in a
// root of 10 000 finished jobs whose name is in use: with the name index
// it reads the one job that holds the name (the index is built by the
// first create, before the timer starts).
func BenchmarkNameCheck10k(b *testing.B) {
	s := newServiceB(b)
	for i := range 10000 {
		id := jobstore.NewID()
		dir := s.store.Dir(id)
		if err := os.Mkdir(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		meta := fmt.Sprintf(`{"job_id":%q,"name":"job-%d","command":["true"],"shell":true,"cwd":"/","inherit_env":true,"kill_after_s":5,"streams":"merged","tags":[],"created_at":"2026-01-01T00:00:00.000Z"}`, id, i)
		state := `{"state":"exited","reason":"exit","exit_code":0,"run":1,"updated_at":"2026-01-01T00:00:00.000Z"}`
		if os.WriteFile(dir+"/meta.json", []byte(meta), 0o600) != nil || os.WriteFile(dir+"/state.json", []byte(state), 0o600) != nil {
			b.Fatal("write job files")
		}
	}
	if _, err := s.Create(b.Context(), &Definition{Command: Command{"true"}, Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Create(b.Context(), &Definition{Command: Command{"true"}, Name: "bench"}); codeOf(err) != CodeNameInUse {
			b.Fatalf("create of a name in use = %v", err)
		}
	}
}
