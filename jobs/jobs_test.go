package jobs

import (
	"context"
	"os"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// TestMain lets the test binary act as the supervisor: Launch re-executes
// /proc/self/exe, which here is this binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervisor.ModeArg {
		os.Exit(supervisor.Main(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func newService(t *testing.T) *Service { return newServiceB(t) }

func newServiceB(t testing.TB) *Service {
	t.Helper()
	st, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, Options{Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Stop what the test left running and wait for every supervisor to
		// exit, so the temporary root can be removed.
		ids, _ := st.IDs()
		for _, id := range ids {
			if state, err := st.ReadState(id); err == nil && state.State == jobstore.StateRunning {
				s.Kill(context.Background(), &KillRequest{JobID: id, Signal: []byte("9")})
			}
			if l, err := st.LockSupervisor(id); err == nil {
				l.Unlock()
			}
		}
		s.Close()
	})
	return s
}

func TestRunEcho(t *testing.T) {
	s := newService(t)
	env, err := s.Run(context.Background(), &RunRequest{Definition: Definition{Command: Command{"echo hello"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if env.Job.State != "exited" || env.Job.ExitCode == nil || *env.Job.ExitCode != 0 {
		t.Fatalf("job = %+v", env.Job)
	}
	if env.Output.Text != "hello\n" {
		t.Fatalf("text = %q, want %q", env.Output.Text, "hello\n")
	}
	if env.Wait.Reason != WaitExited {
		t.Fatalf("wait = %+v", env.Wait)
	}
}
