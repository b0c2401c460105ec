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

// briefNote ends the description of a tool whose input schema publishes
// arguments without a description of their own (schemas.Brief): they are
// as in run, so a model is told each thing once.
const briefNote = " Undescribed arguments: as in run."

// newTool builds a tool from its schemas.
func newTool(name, title, description string, h hints) mcp.Tool {
	if len(schemas.Brief(name)) > 0 {
		description += briefNote
	}
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
			"Run a command as a background job that outlives the call; wait until it ends or a wait condition holds; return its state and output.",
			hints{destructive: true, openWorld: true}),
			handle("run", svc.Run)},
		{newTool("create", "Define a job without starting it",
			"Save a job definition without starting it; start runs it.",
			hints{}),
			handle("create", func(ctx context.Context, d *jobs.Definition, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.Create(ctx, d)
			})},
		{newTool("start", "Start a created job",
			"Start a job made with create, then wait as run does.",
			hints{destructive: true, openWorld: true}),
			handle("start", svc.Start)},
		{newTool("restart", "Restart a job",
			"Stop the job's run (signal, SIGKILL after grace), run its definition again under the same id, and wait as run does.",
			hints{destructive: true, openWorld: true}),
			handle("restart", svc.Restart)},
		{newTool("kill", "Kill a job's process tree",
			"Signal a running job's whole process tree, SIGKILL after grace, and return its final state. A finished job is left alone.",
			hints{destructive: true, idempotent: true}),
			handle("kill", noProgress(svc.Kill))},
		{newTool("observe", "Observe a job",
			"A job's state and a window of its output (the tail, or from offset). With until, first waits as run does (job_ids: on several). Read-only.",
			hints{readOnly: true, idempotent: true}),
			handle("observe", svc.ObserveJobs)},
		{newTool("input", "Send input to an interactive job",
			"Write text, keys, eof or a resize to a tty or interactive job, then return the output that answers it: "+
				"quiet for idle_ms, wait_for matched, the job ended or until passed.",
			hints{destructive: true, openWorld: true}),
			handle("input", svc.Input)},
		{newTool("list", "List jobs",
			"Jobs newest first with state, exit code, command and last output line; only those under the server's directory unless all.",
			hints{readOnly: true, idempotent: true}),
			handle("list", func(ctx context.Context, r *jobs.ListRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.List(ctx, r)
			})},
		{newTool("update", "Change a job's tags",
			"Replace a job's tags or notify, in any state ([] or {} removes them); its runs go on.",
			hints{idempotent: true}),
			handle("update", func(ctx context.Context, r *jobs.UpdateRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.Update(ctx, r)
			})},
		{newTool("delete", "Delete a finished job",
			"Remove a job's directory and logs; a running job only with force, which kills it first.",
			hints{destructive: true, idempotent: true}),
			handle("delete", func(ctx context.Context, r *jobs.DeleteRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.Delete(ctx, r)
			})},
		{newTool("gc", "Remove old finished jobs",
			"Remove finished jobs of the whole root, oldest first, past older_than, max_jobs or max_bytes. "+
				"Never created or running ones. Also runs, bounded, after each launch.",
			hints{destructive: true, idempotent: true}),
			handle("gc", func(ctx context.Context, r *jobs.GCRequest, _ jobs.Progress) (*jobs.Envelope, error) {
				return svc.GC(ctx, r)
			})},
	}
}
