package cli

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// notifyField is a flag that sets one part of a job's notify, making it
// when the first such flag is given.
type notifyField struct {
	n   **jobstore.Notify
	set func(n *jobstore.Notify, v string) error
}

func (f notifyField) String() string { return "" }

func (f notifyField) Set(v string) error {
	if *f.n == nil {
		*f.n = &jobstore.Notify{}
	}
	return f.set(*f.n, v)
}

// notifyFlags adds the flags of a job's notifications, filling *n. A
// file is taken relative to this command's directory.
func notifyFlags(fs *flagSet, n **jobstore.Notify, prefix string) {
	fs.Var(notifyField{n, func(n *jobstore.Notify, v string) error { n.Command = v; return nil }},
		prefix+"command", "notify: run shell `command` with each event as JSON on its standard input")
	fs.Var(notifyField{n, func(n *jobstore.Notify, v string) error {
		abs, err := filepath.Abs(v)
		n.File = abs
		return err
	}}, prefix+"file", "notify: append each event as one JSON line to `file`")
	fs.Var(notifyField{n, func(n *jobstore.Notify, v string) error {
		n.Match = append(n.Match, jobstore.NotifyMatch{Pattern: v, Match: jobstore.MatchContains})
		return nil
	}}, prefix+"match", "notify: an event for output lines containing `text` (repeatable)")
	fs.Var(notifyField{n, func(n *jobstore.Notify, v string) error {
		n.Match = append(n.Match, jobstore.NotifyMatch{Pattern: v, Match: jobstore.MatchRegex})
		return nil
	}}, prefix+"regex", "notify: an event for output lines matching RE2 `regexp` (repeatable)")
}

// notifyVerb is agent-exec notify set JOB [flags]: it replaces a job's
// notifications (no flag: removes them), as the MCP tool update does.
func notifyVerb(ctx context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("notify", "notify set JOB [--command CMD] [--file FILE] [--match TEXT]... [--regex RE]...")
	var n *jobstore.Notify
	notifyFlags(fs, &n, "")
	fs.addAliases()
	pos, err := fs.parseInterleaved(args)
	switch {
	case err != nil:
	case len(pos) == 0 || pos[0] != "set":
		err = errors.New("want: notify set JOB [flags] (replaces the job's notifications; no flag removes them)")
	case len(pos) != 2:
		err = errors.New("want one JOB (a job id, id prefix or name)")
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	if n == nil {
		n = &jobstore.Notify{}
	}
	req := jobs.UpdateRequest{JobID: pos[1], Notify: n}
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Update(ctx, &req)
	})
}
