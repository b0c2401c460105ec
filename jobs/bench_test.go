package jobs

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
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
	f, err := os.OpenFile(env.Job.OutputLog, os.O_WRONLY|os.O_APPEND, 0)
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
// lines: with a literal prefix (runs of plain lines skipped at once), and
// without one (every line matched on its own).
func BenchmarkLineScanner(b *testing.B) {
	path := b.TempDir() + "/output.log"
	data := strings.Repeat("compiling foo v1.2.3\n", 16<<20/21)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, pattern := range []string{"NOPE", "(?i)nope"} {
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
