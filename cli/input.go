package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/agent-exec/agent-exec/jobs"
)

// inputVerb sends text and keys to an interactive job and prints the
// envelope with the output that answered it: agent-exec input JOB [TEXT].
func inputVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.InputRequest
	var keys string
	fs := newFlagSet("input", "input [flags] JOB [TEXT]")
	fs.Var(stringList{&req.Keys}, "key", "send the named `key` after TEXT (repeatable): enter, tab, esc, up, ctrl-c …")
	fs.StringVar(&keys, "keys", "", "comma-separated named `keys` to send after TEXT, e.g. ctrl-c or down,down,enter")
	fs.BoolVar(&req.EOF, "eof", false, "end the job's input after TEXT and keys")
	fs.IntVar(&req.Cols, "cols", 0, "resize the job's terminal to `n` columns first (with --rows)")
	fs.IntVar(&req.Rows, "rows", 0, "resize the job's terminal to `n` rows first (with --cols)")
	fs.Var(floatPtr{&req.Until}, "until", "wait up to `seconds` for the answer (default 2)")
	fs.StringVar(&req.WaitFor, "wait_for", "", "stop waiting when an output line matches this RE2 `regexp`")
	fs.IntVar(&req.IdleMS, "idle_ms", 0, "stop waiting after `ms` of silence once output started (default 300)")
	fs.IntVar(&req.MaxBytes, "max_bytes", 0, "show at most `n` bytes of output (default 16384)")
	fs.BoolVar(&req.Raw, "raw", false, "keep terminal escape sequences and carriage returns")
	fs.addAliases()
	pos, err := fs.parseInterleaved(args)
	switch {
	case err != nil:
	case len(pos) == 0:
		err = fmt.Errorf("missing JOB (a job id, id prefix or name)")
	case len(pos) > 2:
		err = fmt.Errorf("unexpected arguments after TEXT: %q (quote TEXT)", pos[2:])
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	req.JobID = pos[0]
	if len(pos) == 2 {
		req.Text = &pos[1]
	}
	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			req.Keys = append(req.Keys, k)
		}
	}
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Input(ctx, &req, nil)
	})
}
