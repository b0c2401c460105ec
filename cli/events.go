package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/agent-exec/agent-exec/jobs"
)

// eventsVerb prints one JSON line per recorded lifecycle event (created,
// started, matched, exited, killed, failed, supervisor_lost, restarted…)
// of the given jobs, or of every job of the root; with -f it then follows
// them, and the jobs created later, until interrupted. --since TIME skips events
// recorded before TIME (a line's "time"): to resume after a restart, pass
// the time of the last line handled and drop the ids already seen.
func eventsVerb(ctx context.Context, inv *invocation, args []string) int {
	var (
		follow, all bool
		since       string
	)
	fs := newFlagSet("events", "events [-f] [JOB...|--all] [--since TIME]")
	fs.BoolVar(&follow, "f", false, "follow: print new events as they are recorded, until interrupted")
	fs.BoolVar(&follow, "follow", false, "same as -f")
	fs.BoolVar(&all, "all", false, "every job of the root (the default when no JOB is given)")
	fs.StringVar(&since, "since", "", "skip events recorded before `TIME` (RFC 3339, as a line's time)")
	fs.addAliases()
	refs, err := fs.parseInterleaved(args)
	var from time.Time
	switch {
	case err != nil:
	case all && len(refs) > 0:
		err = errors.New("give JOB... or --all, not both")
	case since != "":
		if from, err = time.Parse(time.RFC3339Nano, since); err != nil {
			err = fmt.Errorf("--since: %w", err)
		}
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	svc, err := inv.service(fs)
	if err != nil {
		return inv.fail("events", err)
	}
	defer svc.Close()
	err = svc.Events(ctx, refs, from, follow, func(l *jobs.EventLine) error {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		_, err = inv.out.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return inv.fail("events", err)
	}
	return exitOK
}
