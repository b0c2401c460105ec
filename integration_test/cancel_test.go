package integration_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestCancelledCallGetsNoResponse: a client that cancels a waiting call
// (the go-sdk client sends notifications/cancelled when the call's context
// ends, as Codex does at its tool timeout) gets no response for it, the
// server goes on answering, and the job keeps running.
func TestCancelledCallGetsNoResponse(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	id := s.started("echo cancel-me; sleep 600", "cancel-me", nil).Job.JobID

	p := &mcp.CallToolParams{Name: "observe", Arguments: obj{"job_id": id, "until": 40}}
	p.SetProgressToken("tok-cancel")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.cs.CallTool(ctx, p)
		done <- err
	}()
	// A progress notification for the call means it is in its wait.
	deadline := time.After(callTimeout)
	for waiting := false; !waiting; {
		select {
		case n := <-s.progressCh:
			waiting = fmt.Sprint(n.ProgressToken) == "tok-cancel"
		case <-deadline:
			t.Fatal("no progress notification from the waiting call")
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled call returned %v, want context.Canceled", err)
		}
	case <-time.After(callTimeout):
		t.Fatal("the cancelled call did not return on the client")
	}

	// The server still answers, and the job still runs.
	pingCtx, pingCancel := context.WithTimeout(context.Background(), callTimeout)
	defer pingCancel()
	if err := s.cs.Ping(pingCtx, nil); err != nil {
		t.Fatalf("ping after the cancel: %v", err)
	}
	if env := s.ok("observe", obj{"job_id": id, "until": 1}); env.Job.State != "running" {
		t.Fatalf("job after the cancelled call: %+v, want running", env.Job)
	}

	// Of the observe calls, only the one that was not cancelled was
	// answered.
	answered := 0
	for _, r := range s.rawResults() {
		var env struct {
			Type string `json:"type"`
			Job  struct {
				JobID string `json:"job_id"`
			} `json:"job"`
		}
		if json.Unmarshal([]byte(r), &env) == nil && env.Type == "observe" && env.Job.JobID == id {
			answered++
		}
	}
	if answered != 1 {
		t.Errorf("%d observe results for the job on the wire, want 1 (the cancelled call answered):\n%s", answered,
			strings.Join(s.rawResults(), "\n"))
	}
}
