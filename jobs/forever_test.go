package jobs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestObserveForever: a wait with Forever is not capped by MaxUntil: it
// lasts until the job ends; cancelling the context ends it as cancelled.
func TestObserveForever(t *testing.T) {
	s := newService(t)
	s.opt.MaxUntil = 100 * time.Millisecond
	gate := filepath.Join(t.TempDir(), "go")
	env := mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"while [ ! -e " + gate + " ]; do sleep 0.05; done; echo done"}},
		Observation: Observation{Until: f64(0)}})
	id := env.Job.JobID
	if _, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Until: f64(1), Forever: true}}, nil); codeOf(err) != CodeInvalidInput {
		t.Fatalf("until with forever: %v, want invalid_input", err)
	}

	got := make(chan *Envelope, 1)
	go func() {
		env, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Forever: true}}, nil)
		if err != nil {
			t.Error(err)
		}
		got <- env
	}()
	// Ten times MaxUntil passes without an answer: the cap does not apply.
	select {
	case env := <-got:
		t.Fatalf("the forever wait ended after less than 1 s: %+v", env.Wait)
	case <-time.After(time.Second):
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case env := <-got:
		if env == nil || env.Wait.Reason != WaitExited || env.Job.State != jobstore.StateExited || env.Wait.UntilS != Forever.Seconds() {
			t.Fatalf("forever wait: %+v", env)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the forever wait did not end when the job did")
	}

	// Cancelled: the wait ends as cancelled, the job runs on.
	env = mustRun(t, s, &RunRequest{Definition: Definition{Command: Command{"sleep 60"}}, Observation: Observation{Until: f64(0)}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	obs, err := s.Observe(ctx, &StartRequest{JobID: env.Job.JobID, Observation: Observation{Forever: true}}, nil)
	if err != nil || obs.Wait.Reason != WaitCancelled || obs.Job.State != jobstore.StateRunning {
		t.Fatalf("cancelled forever wait: %+v, %v", obs, err)
	}
}
