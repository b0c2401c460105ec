package integration_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestResources (issue 12, item 5): the job list and a job's output are
// resources (the output through a template), the output is the masked
// tail, and a subscriber to a running job's output is told once its run
// ends; reading a missing job or a foreign URI is an error, subscribing to
// a finished job never notifies.
func TestResources(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	tpl, err := s.cs.ListResourceTemplates(ctx, nil)
	if err != nil || len(tpl.ResourceTemplates) != 1 || tpl.ResourceTemplates[0].URITemplate != "agent-exec://jobs/{id}/output" {
		t.Fatalf("resource templates: %+v, %v", tpl, err)
	}
	list, err := s.cs.ListResources(ctx, nil)
	if err != nil || len(list.Resources) != 1 || list.Resources[0].URI != "agent-exec://jobs" {
		t.Fatalf("resources: %+v, %v", list, err)
	}

	done := s.runJob(`echo "token=$IT_RES_TOKEN"; echo finished`, obj{
		"env": obj{"IT_RES_TOKEN": "resource-secret-value"}, "mask": []any{"IT_RES_TOKEN"}, "until": 20})
	if done.Job.State != "exited" {
		t.Fatalf("job did not finish: %+v", done.Job)
	}
	doneURI := "agent-exec://jobs/" + done.Job.JobID + "/output"
	out, err := s.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: doneURI})
	if err != nil || len(out.Contents) != 1 {
		t.Fatalf("read %s: %+v, %v", doneURI, out, err)
	}
	if text := out.Contents[0].Text; !strings.Contains(text, "token=***") || !strings.Contains(text, "finished") ||
		strings.Contains(text, "resource-secret-value") {
		t.Errorf("output resource %q: want the masked tail", text)
	}
	jobsRes, err := s.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "agent-exec://jobs"})
	if err != nil || len(jobsRes.Contents) != 1 || !strings.Contains(jobsRes.Contents[0].Text, done.Job.JobID) {
		t.Fatalf("read the job list: %+v, %v", jobsRes, err)
	}
	for _, uri := range []string{"agent-exec://jobs/no-such-job/output", "agent-exec://elsewhere"} {
		if _, err := s.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri}); err == nil {
			t.Errorf("read %s: no error", uri)
		}
	}

	// A finished job's subscription is acknowledged and stays silent; the
	// running job's notification below is the only one.
	if err := s.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: doneURI}); err != nil {
		t.Fatalf("subscribe to a finished job: %v", err)
	}
	running := s.runJob(`read line; echo "got $line"`, obj{"interactive": true, "until": 0})
	uri := "agent-exec://jobs/" + running.Job.JobID + "/output"
	if err := s.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	s.ok("input", obj{"job_id": running.Job.JobID, "text": "hello\n", "eof": true})
	select {
	case got := <-s.updated:
		if got != uri {
			t.Fatalf("resources/updated for %s, want %s", got, uri)
		}
	case <-ctx.Done():
		t.Fatal("no notifications/resources/updated within 30 s of the job's end")
	}
	env := s.ok("observe", obj{"job_id": running.Job.JobID})
	if env.Job.State != "exited" {
		t.Errorf("job state after the notification: %s", env.Job.State)
	}
}
