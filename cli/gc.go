package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobs"
)

func gcVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.GCRequest
	fs := newFlagSet("gc", "gc [--older_than DUR] [--max_jobs N] [--max_bytes SIZE] [--unreadable] [--dry_run]")
	fs.Var(rawString{&req.OlderThan}, "older_than", "remove finished jobs older than `DUR` (30d, 12h, 90m, 3600s; 0: no age limit; default: the configured one, 30d)")
	fs.Var(intPtr{&req.MaxJobs}, "max_jobs", "keep at most `N` jobs in the root, removing the oldest finished ones (0: no limit; default: the configured one)")
	fs.Var(rawString{&req.MaxBytes}, "max_bytes", "keep the root's jobs within `SIZE` (bytes, or 512M, 2GiB), removing the oldest finished ones (0: no limit; default: the configured one)")
	fs.BoolVar(&req.Unreadable, "unreadable", false, "also remove jobs whose state cannot be read, when their directory is older than older_than")
	fs.BoolVar(&req.DryRun, "dry_run", false, "only report what would be removed")
	fs.addAliases()
	if code, ok := fs.parseNone(inv, args); !ok {
		return code
	}
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.GC(ctx, &req)
	})
}

// launchFlags adds the flags of the verbs that launch a run (run, start,
// restart).
func launchFlags(fs *flagSet) {
	fs.BoolVar(&fs.noAutoGC, "no_auto_gc", false, "do not collect old jobs after this launch (see gc)")
}

// releaseStdout points the process's standard output at /dev/null once the
// result is printed, so a reader of the pipe (x=$(agent-exec run …)) gets
// its end while the collection after a launch finishes.
func (inv *invocation) releaseStdout() {
	if f, ok := inv.out.(*os.File); !ok || f != os.Stdout {
		return
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer null.Close()
	_ = unix.Dup2(int(null.Fd()), 1)
}

// rawString is a string flag passed on as a JSON string argument.
type rawString struct{ p *json.RawMessage }

func (v rawString) String() string {
	if v.p == nil || len(*v.p) == 0 {
		return ""
	}
	var s string
	_ = json.Unmarshal(*v.p, &s)
	return s
}

func (v rawString) Set(s string) error {
	b, _ := json.Marshal(s) // a string always encodes
	*v.p = b
	return nil
}

// intPtr is an integer flag that stays nil unless given.
type intPtr struct{ p **int }

func (v intPtr) String() string {
	if v.p == nil || *v.p == nil {
		return ""
	}
	return strconv.Itoa(**v.p)
}

func (v intPtr) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("want a whole number")
	}
	*v.p = &n
	return nil
}
