package jobs

import (
	"fmt"
	"os"
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
