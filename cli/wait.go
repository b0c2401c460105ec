package cli

import (
	"context"
	"errors"

	"github.com/agent-exec/agent-exec/jobs"
)

// waitVerb waits on one or more jobs: by default until the first of them
// ends or matches (--any), with --all until every one has; at most the
// wait cap unless --forever. It prints observe's envelope (wait.job_id
// names the job that ended the wait, waited lists each one) and exits with
// the status of the first job to finish, as observe does for one job.
func waitVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.ObserveRequest
	var anyOf bool
	fs := newFlagSet("wait", "wait [--any|--all] [--forever] [flags] JOB...")
	observeFlags(fs, &req.Observation, false)
	fs.BoolVar(&anyOf, "any", false, "return when the first job ends or matches (the default)")
	fs.BoolVar(&req.All, "all", false, "return when every job has ended or matched")
	fs.BoolVar(&req.Forever, "forever", false, "wait with no deadline (not capped like --until); ctrl-c ends the wait (cancelled)")
	fs.addAliases()
	pos, err := fs.parseInterleaved(args)
	switch {
	case err != nil:
	case len(pos) == 0:
		err = errors.New("missing JOB (a job id, id prefix or name)")
	case anyOf && req.All:
		err = errors.New("give --any or --all, not both")
	case req.Forever && req.Until != nil:
		err = errors.New("--forever waits with no deadline: give it or --until, not both")
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	if !req.Forever && req.Until == nil {
		most := float64(jobs.MaxSeconds) // capped by the server's wait limit
		req.Until = &most
	}
	req.JobID = pos[0]
	req.JobIDs = pos[1:]
	if len(req.JobIDs) == 0 {
		req.JobIDs = nil
	}
	return inv.doJob(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.ObserveJobs(ctx, &req, nil)
	})
}
