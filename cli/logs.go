package cli

import "context"

// logsVerb prints a job's log bytes, for people: no envelope. With -f it
// keeps printing new output until the job has ended and all of its output
// is printed; an interrupt ends it early, and that is not an error.
func logsVerb(ctx context.Context, inv *invocation, args []string) int {
	var (
		follow bool
		stream string
		offset int64
	)
	fs := newFlagSet("logs", "logs [-f] [--stream S] [--offset N] JOB")
	fs.BoolVar(&follow, "f", false, "follow: print new output as it comes, until the job ends")
	fs.BoolVar(&follow, "follow", false, "same as -f")
	fs.StringVar(&stream, "stream", "", "`stream` to print: output, stdout or stderr (default: the job's main log)")
	fs.Int64Var(&offset, "offset", 0, "start at byte `offset` of the log")
	fs.addAliases()
	var job string
	if code, ok := fs.parseJob(inv, args, &job); !ok {
		return code
	}
	svc, err := inv.service(fs)
	if err != nil {
		return inv.fail("logs", err)
	}
	defer svc.Close()
	if _, err := svc.Follow(ctx, job, stream, offset, follow, inv.out); err != nil {
		return inv.fail("logs", err)
	}
	return exitOK
}
