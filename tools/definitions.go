package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/schemas"
)

type toolDef struct {
	tool    mcp.Tool
	handler server.ToolHandlerFunc
}

// hints are a tool's four annotations, all set explicitly: mcp-go's
// defaults (destructive, open world) are wrong for most of ours.
type hints struct{ readOnly, destructive, idempotent, openWorld bool }

func newTool(name, title, description string, h hints) mcp.Tool {
	t := mcp.NewTool(name,
		mcp.WithDescription(description),
		mcp.WithRawInputSchema(schemas.Input(name)),
		mcp.WithRawOutputSchema(schemas.Output(name)),
		mcp.WithToolAnnotation(mcp.ToolAnnotation{
			Title:           title,
			ReadOnlyHint:    mcp.ToBoolPtr(h.readOnly),
			DestructiveHint: mcp.ToBoolPtr(h.destructive),
			IdempotentHint:  mcp.ToBoolPtr(h.idempotent),
			OpenWorldHint:   mcp.ToBoolPtr(h.openWorld),
		}),
	)
	// mcp.NewTool fills in a default InputSchema ({"type":"object"}); with
	// the raw schema set as well, mcp-go refuses to marshal the tool and
	// tools/list gets no answer at all. The raw schema is the only one.
	t.InputSchema = mcp.ToolInputSchema{}
	return t
}

func definitions(svc *jobs.Service) []toolDef {
	noProgress := func(f func(context.Context, *jobs.KillRequest) (*jobs.Envelope, error)) operation[jobs.KillRequest] {
		return func(ctx context.Context, a *jobs.KillRequest, _ jobs.Progress) (*jobs.Envelope, error) {
			return f(ctx, a)
		}
	}
	return []toolDef{
		{newTool("run", "Run a command as a background job",
			"Start a command as a durable background job and wait up to `until` seconds (default 10) for it to finish, "+
				"match `wait_for`, open `wait_for_port` or go idle. Returns the job (id, state, exit code) and the output of this run "+
				"(head and tail when larger than max_bytes). The job keeps running after the call returns; use observe to check on it. "+
				"command: an array (one element = a shell command line, run with sh -c; more = exec'd directly) or a string (a shell command line).",
			hints{destructive: true, openWorld: true}),
			handle("run", svc.Run)},
		{newTool("create", "Define a job without starting it",
			"Save a job definition (same fields as run) without starting it; start it later with start.",
			hints{}),
			handle("create", func(ctx context.Context, d *jobs.Definition, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.Create(ctx, d)
			})},
		{newTool("start", "Start a created job",
			"Start a job made with create, then wait and observe as run does.",
			hints{destructive: true, openWorld: true}),
			handle("start", svc.Start)},
		{newTool("restart", "Restart a job",
			"Stop the job's current run (signal, then SIGKILL after grace seconds) and start the same definition again under the same id; then observe as run does.",
			hints{destructive: true, openWorld: true}),
			handle("restart", svc.Restart)},
		{newTool("kill", "Kill a job's process tree",
			"Send a signal (default SIGTERM) to a running job's whole process tree, SIGKILL after grace seconds (default 5), and report the final state. Killing a finished job does nothing.",
			hints{destructive: true, idempotent: true}),
			handle("kill", noProgress(svc.Kill))},
		{newTool("observe", "Observe a job",
			"Report a job's state and a window of its output: the tail by default, or forward from offset (pass next_offset back to read on). "+
				"With until > 0, first wait for the job to finish, match wait_for, open wait_for_port or go idle. "+
				"view: screen adds, for a tty job, the screen a person would see now (full-screen programs). Never changes the job.",
			hints{readOnly: true, idempotent: true}),
			handle("observe", svc.Observe)},
		{newTool("input", "Send input to an interactive job",
			"Write text and/or named keys (enter, tab, esc, arrows, ctrl-c …) to a job started with tty or interactive, optionally "+
				"end its input (eof) or resize its terminal (cols, rows), then return the output that came after the write: the call returns "+
				"once the output has been quiet for idle_ms (default 300, counted from the first output), wait_for matches, the job ends, "+
				"or until (default 2 s). On a tty, end a line with \r or the key enter; ctrl-c interrupts the foreground program. "+
				"A job that does not read never hangs the call: input.written says how many bytes it took.",
			hints{destructive: true, openWorld: true}),
			handle("input", svc.Input)},
		{newTool("list", "List jobs",
			"List jobs newest first with state, exit code, command and last output line. By default only jobs whose cwd is inside the server's working directory; all=true for every job.",
			hints{readOnly: true, idempotent: true}),
			handle("list", func(ctx context.Context, r *jobs.ListRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.List(ctx, r)
			})},
		{newTool("update", "Change a job's tags",
			"Replace the tags of a job in any state (an empty array removes them); its runs are not affected.",
			hints{idempotent: true}),
			handle("update", func(ctx context.Context, r *jobs.UpdateRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.Update(ctx, r)
			})},
		{newTool("delete", "Delete a finished job",
			"Remove a job's directory and logs. A running job is refused unless force=true, which kills it first.",
			hints{destructive: true, idempotent: true}),
			handle("delete", func(ctx context.Context, r *jobs.DeleteRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.Delete(ctx, r)
			})},
		{newTool("gc", "Remove old finished jobs",
			"Remove finished jobs of the whole root, oldest first: those that ended longer ago than older_than, and the oldest while the root "+
				"holds more than max_jobs jobs or max_bytes bytes (defaults: the configured policy, 30d / 1000 / 2GiB; 0 = no limit). "+
				"Never removes created or running jobs. dry_run reports what would go. Runs automatically, bounded, after each launch.",
			hints{destructive: true, idempotent: true}),
			handle("gc", func(ctx context.Context, r *jobs.GCRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.GC(ctx, r)
			})},
	}
}
