package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// Resource addresses: the job list, and one job's output.
const (
	jobsURI           = "agent-exec://jobs"
	outputURIPrefix   = "agent-exec://jobs/"
	outputURISuffix   = "/output"
	outputURITemplate = "agent-exec://jobs/{id}/output"
	// resourceTailBytes bounds the output resource: the tail of the log.
	resourceTailBytes = jobs.DefaultMaxBytes
	// maxSubscriptions bounds the watches of all sessions together: each
	// is one goroutine waiting for a job's run to end.
	maxSubscriptions = 256
)

// addResources registers the job list and the output template on s.
func addResources(s *server.MCPServer, svc *jobs.Service) {
	s.AddResource(mcp.NewResource(jobsURI, "jobs",
		mcp.WithResourceDescription("Every job of the root, newest first (JSON, as the list tool)."),
		mcp.WithMIMEType("application/json")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			env, err := svc.List(ctx, &jobs.ListRequest{All: true})
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(env)
			if err != nil {
				return nil, fmt.Errorf("encode job list: %w", err)
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: jobsURI, MIMEType: "application/json", Text: string(b)}}, nil
		})
	s.AddResourceTemplate(mcp.NewResourceTemplate(outputURITemplate, "job output",
		mcp.WithTemplateDescription("The tail of a job's output (masked values hidden); subscribe to be told when its run ends."),
		mcp.WithTemplateMIMEType("text/plain")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			env, err := svc.Observe(ctx, &jobs.StartRequest{JobID: templateArg(req.Params.Arguments["id"]),
				Observation: jobs.Observation{Until: new(float64), MaxBytes: resourceTailBytes}}, nil)
			if err != nil {
				return nil, err
			}
			text := ""
			if env.Output != nil {
				text = env.Output.Text
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/plain", Text: text}}, nil
		})
}

// templateArg is a resource-template variable's value: mcp-go hands them
// over as []string.
func templateArg(v any) string {
	switch a := v.(type) {
	case []string:
		if len(a) > 0 {
			return a[0]
		}
	case string:
		return a
	}
	return ""
}

// outputJob returns the job reference of an output resource's URI.
func outputJob(uri string) (string, bool) {
	ref, ok := strings.CutPrefix(uri, outputURIPrefix)
	if !ok {
		return "", false
	}
	ref, ok = strings.CutSuffix(ref, outputURISuffix)
	if !ok || ref == "" || strings.Contains(ref, "/") {
		return "", false
	}
	return ref, true
}

// subscriptions watches the jobs behind subscribed output resources and
// sends notifications/resources/updated to the subscribing session when
// the job's current run ends. A watch ends with that notification, with
// unsubscribe or with its session.
type subscriptions struct {
	svc *jobs.Service
	srv *server.MCPServer

	mu      sync.Mutex
	watches map[subKey]*watchEntry
}

// watchEntry is one watch; a pointer, so that a watch ending removes
// itself and never a newer watch of the same key.
type watchEntry struct{ cancel context.CancelFunc }

type subKey struct{ session, uri string }

func newSubscriptions(svc *jobs.Service) *subscriptions {
	return &subscriptions{svc: svc, watches: map[subKey]*watchEntry{}}
}

// hooks wires the subscription tracking into h.
func (m *subscriptions) hooks(h *server.Hooks) {
	h.AddAfterSubscribe(func(ctx context.Context, _ any, r *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		m.subscribe(sessionID(ctx), r.Params.URI)
	})
	h.AddAfterUnsubscribe(func(ctx context.Context, _ any, r *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		m.unsubscribe(subKey{sessionID(ctx), r.Params.URI})
	})
	h.AddOnUnregisterSession(func(_ context.Context, cs server.ClientSession) {
		m.endSession(cs.SessionID())
	})
}

func sessionID(ctx context.Context) string {
	if cs := server.ClientSessionFromContext(ctx); cs != nil {
		return cs.SessionID()
	}
	return ""
}

// subscribe starts a watch of uri's job for session when the job is
// running; other URIs, finished or unknown jobs and watches beyond the
// bound are acknowledged but never notified. It runs before the client
// gets its answer, so a run that ends right after is still seen.
func (m *subscriptions) subscribe(session, uri string) {
	ref, ok := outputJob(uri)
	if !ok {
		return
	}
	peek := jobs.Observation{Until: new(float64), MaxBytes: jobs.MinMaxBytes}
	env, err := m.svc.Observe(context.Background(), &jobs.StartRequest{JobID: ref, Observation: peek}, nil)
	if err != nil || env.Job == nil || env.Job.State != jobstore.StateRunning {
		return
	}
	id, run := env.Job.JobID, env.Job.Run
	key := subKey{session, uri}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.watches[key]; dup || len(m.watches) >= maxSubscriptions {
		return
	}
	// The watch must outlive the subscribe request: its own context.
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchEntry{cancel: cancel}
	m.watches[key] = w
	go func() {
		defer m.remove(key, w)
		m.watch(ctx, key, id, run)
	}()
}

// watch waits for run of job id to end, then notifies key's session.
func (m *subscriptions) watch(ctx context.Context, key subKey, id string, run int) {
	wait := jobs.Observation{Forever: true, MaxBytes: jobs.MinMaxBytes}
	env, err := m.svc.Observe(ctx, &jobs.StartRequest{JobID: id, Observation: wait}, nil)
	if err != nil || ctx.Err() != nil || env.Job == nil || (env.Job.State == jobstore.StateRunning && env.Job.Run == run) {
		return
	}
	_ = m.srv.SendNotificationToSpecificClient(key.session, mcp.MethodNotificationResourceUpdated, map[string]any{"uri": key.uri})
}

func (m *subscriptions) unsubscribe(key subKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok := m.watches[key]; ok {
		w.cancel()
		delete(m.watches, key)
	}
}

// remove ends w and forgets it, unless key names a newer watch by now.
func (m *subscriptions) remove(key subKey, w *watchEntry) {
	w.cancel()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.watches[key] == w {
		delete(m.watches, key)
	}
}

func (m *subscriptions) endSession(session string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, w := range m.watches {
		if key.session == session {
			w.cancel()
			delete(m.watches, key)
		}
	}
}
