package jobs

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

func newServiceWith(t *testing.T, opt Options) *Service {
	t.Helper()
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opt.Cwd = t.TempDir()
	s, err := New(store, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ids, _ := store.IDs()
		for _, id := range ids {
			if l, err := store.LockSupervisor(id); err == nil {
				l.Unlock()
			}
		}
		s.Close()
	})
	return s
}

func TestShellWrapperAndBaseEnv(t *testing.T) {
	s := newServiceWith(t, Options{Shell: []string{"bash", "-c"}, Env: map[string]string{"PAGER": "cat", "X": "base"}})
	until := 20.0
	env, err := s.Run(context.Background(), &RunRequest{
		Definition:  Definition{Command: Command{`echo "bash=${BASH_VERSION:+yes} pager=$PAGER x=$X"`}, Env: map[string]string{"X": "own"}},
		Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := env.Output.Text, "bash=yes pager=cat x=own\n"; got != want {
		t.Fatalf("output = %q, want %q (the configured wrapper, the base env, the job's own env winning)", got, want)
	}
	m, err := s.Store().ReadMeta(env.Job.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Wrapper, []string{"bash", "-c"}) {
		t.Errorf("meta wrapper = %q, want it recorded for restarts", m.Wrapper)
	}
	// An argv command is never wrapped.
	env, err = s.Run(context.Background(), &RunRequest{Definition: Definition{Command: Command{"echo", "$0"}},
		Observation: Observation{Until: &until}}, nil)
	if err != nil || env.Output.Text != "$0\n" {
		t.Fatalf("argv run = %q, %v; want $0 printed as is", env.Output.Text, err)
	}
}

func TestDefaultWindowOptions(t *testing.T) {
	s := newServiceWith(t, Options{MaxBytes: 300, Compress: "off"})
	until := 20.0
	env, err := s.Run(context.Background(), &RunRequest{Definition: Definition{Command: Command{"head -c 5000 /dev/zero | tr '\\0' x"}},
		Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if env.Output.TotalBytes != 5000 || !env.Output.Truncated || len(env.Output.Text) > 600 || env.Output.Compression != nil {
		t.Fatalf("output = %d bytes shown of %d, truncated %v, compression %v; want about 300 (the configured max_bytes), no compression",
			len(env.Output.Text), env.Output.TotalBytes, env.Output.Truncated, env.Output.Compression)
	}
	// A call's own max_bytes still wins.
	env, err = s.Observe(context.Background(), &StartRequest{JobID: env.Job.JobID, Observation: Observation{MaxBytes: 4096}}, nil)
	if err != nil || strings.Count(env.Output.Text, "x") < 4000 {
		t.Fatalf("observe with max_bytes 4096: %d bytes, %v", len(env.Output.Text), err)
	}
}
