package cli

import (
	"context"
	"errors"

	"github.com/agent-exec/agent-exec/jobs"
)

// tagVerb is agent-exec tag set JOB [TAG...]: it replaces a job's tags
// (none given: removes them), as the MCP tool update does.
func tagVerb(ctx context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("tag", "tag set JOB [TAG...]")
	fs.addAliases()
	pos, err := fs.parseInterleaved(args)
	switch {
	case err != nil:
	case len(pos) == 0 || pos[0] != "set":
		err = errors.New("want: tag set JOB [TAG...] (replaces the job's tags; no TAG removes them)")
	case len(pos) < 2:
		err = errors.New("missing JOB (a job id, id prefix or name)")
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	tags := append([]string{}, pos[2:]...)
	req := jobs.UpdateRequest{JobID: pos[1], Tags: &tags}
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Update(ctx, &req)
	})
}
