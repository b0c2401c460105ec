package tools

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/version"
)

// Worker pool of the stdio transport: enough that long waits never hold up
// other calls (each wait is capped by the service's MaxUntil).
const (
	workerPoolSize = 64
	queueSize      = 1000
)

// Instructions teach a model the workflow in a few lines.
const Instructions = `agent-exec runs commands as durable background jobs that outlive this conversation.
- run: start a command and wait up to "until" seconds (default 10) for it to finish, print a line matching "wait_for", open "wait_for_port", or go quiet for "idle_ms". It returns the job id, its state and a bounded window of output. A job still running when the wait ends keeps running.
- observe: check on a job later (by id, unique id prefix or name): state plus the tail of its output, optionally waiting again; pass offset=next_offset to read forward without gaps.
- input: for a job started with tty (a terminal: REPLs, prompts, full-screen programs) or interactive (a stdin pipe), write text or keys (enter, ctrl-c …) and get the output that answers it; observe with view "screen" shows a tty job's screen.
- kill stops a job's whole process tree; restart runs it again under the same id; list finds jobs again after you lost track; delete removes a finished job.
Give long-lived servers a "name" (with if_running: "attach") so retries never start duplicates. Output windows are bounded by max_bytes; an omitted middle is marked with the offset to read it from.`

// NewServer builds the MCP server over svc; opts are added to its own
// options (a transport's tool-handler middleware, say).
func NewServer(svc *jobs.Service, log *slog.Logger, opts ...server.ServerOption) *server.MCPServer {
	return newServer(svc, log, false, opts...)
}

// newServer is NewServer; with tasks, it advertises the tasks capability
// and marks the tools that take a task-augmented call, whose requests the
// transport's task front answers (none reaches mcp-go).
func newServer(svc *jobs.Service, log *slog.Logger, tasks bool, opts ...server.ServerOption) *server.MCPServer {
	if tasks {
		opts = append([]server.ServerOption{server.WithTaskCapabilities(true, true, true)}, opts...)
	}
	subs := newSubscriptions(svc)
	s := server.NewMCPServer("agent-exec", version.Version(), append([]server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithResourceCapabilities(true, false),
		server.WithInstructions(Instructions),
		server.WithRecovery(),
	}, opts...)...)
	for _, t := range definitions(svc) {
		if tasks && taskTools[t.tool.Name] {
			t.tool.Execution = &mcp.ToolExecution{TaskSupport: mcp.TaskSupportOptional}
		}
		s.AddTool(t.tool, t.handler)
	}
	// Hooks an option set are kept: the subscription hooks join them.
	hooks := s.GetHooks()
	if hooks == nil {
		hooks = &server.Hooks{}
		server.WithHooks(hooks)(s)
	}
	subs.hooks(hooks)
	subs.srv = s
	addResources(s, svc)
	return s
}

// Serve speaks MCP over in and out until in closes or ctx is cancelled;
// opts are passed to NewServer. Jobs are never tied to the session: when
// it ends they keep running.
//
// A call the client cancels (notifications/cancelled) stops waiting and
// gets no response, as the protocol asks; its job keeps running.
//
// MCP tasks are served by a filter in front of the stdio server (see
// tasks.go): task-augmented calls and tasks/* requests never reach mcp-go.
func Serve(ctx context.Context, svc *jobs.Service, in io.Reader, out io.Writer, log *slog.Logger, opts ...server.ServerOption) error {
	cancelled := newCancelled(log)
	ss := server.NewStdioServer(newServer(svc, log, true, append(opts, server.WithHooks(cancelled.hooks()))...))
	ss.SetErrorLogger(slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	server.WithWorkerPoolSize(workerPoolSize)(ss)
	server.WithQueueSize(queueSize)(ss)
	lw := &lockedWriter{w: out}
	tasks := newStdioTasks(newTaskFront(svc, log), lw)
	tctx, stop := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	go tasks.filter(tctx, in, pw)
	err := ss.Listen(ctx, pr, &dropCancelled{w: lw, c: cancelled})
	stop()
	tasks.close()
	pr.Close() // a filter still reading passes no more lines
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
