package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// Widths of the ps columns that can grow without bound, in characters.
const (
	psIDLen      = 10 // the millisecond part of an id: unique unless two jobs share a millisecond
	psCommandMax = 40
	psLastMax    = 60
)

// psVerb prints the jobs of list as an aligned table, for people.
func psVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.ListRequest
	fs := newFlagSet("ps", "ps [--all] [--state S] [--limit N] [flags]")
	listFlags(fs, &req)
	fs.addAliases()
	if code, ok := fs.parseNone(inv, args); !ok {
		return code
	}
	listFlagsParsed(fs, &req)
	svc, err := inv.service(fs)
	if err != nil {
		return inv.fail("ps", err)
	}
	defer svc.Close()
	env, err := svc.List(ctx, &req)
	if err != nil {
		return inv.fail("ps", err)
	}
	// Short ids must resolve: compare them with every job in the store,
	// not only the ones shown.
	ids, err := svc.Store().IDs()
	if err != nil {
		return inv.fail("ps", err)
	}
	writePS(inv, env.Jobs, ids, time.Now())
	for _, sk := range env.Skipped {
		fmt.Fprintf(inv.out, "(job %s skipped: %s; delete --force removes it)\n", sk.JobID, sk.Reason)
	}
	if env.Hidden != nil && *env.Hidden > 0 {
		fmt.Fprintln(inv.out, hiddenFooter(*env.Hidden))
	}
	if env.Truncated != nil && *env.Truncated {
		fmt.Fprintf(inv.err, "agent-exec ps: showing the newest %d jobs; --limit N shows more, --limit 0 all\n", len(env.Jobs))
	}
	return exitOK
}

// hiddenFooter tells that n jobs matching the filters live in other
// directories, and how to see them.
func hiddenFooter(n int) string {
	jobsWord := "jobs"
	if n == 1 {
		jobsWord = "job"
	}
	return fmt.Sprintf("(%d more %s in other directories; --all shows them)", n, jobsWord)
}

// fail reports err on stderr, for the verbs that are for eyes.
func (inv *invocation) fail(verb string, err error) int {
	e := jobs.AsError(err)
	fmt.Fprintf(inv.err, "agent-exec %s: %s\n", verb, e.Message)
	return exitFailed
}

func writePS(inv *invocation, list []jobs.Summary, allIDs []string, now time.Time) {
	prefixes := make(map[string]int, len(allIDs))
	for _, id := range allIDs {
		prefixes[shortID(id)]++
	}
	tw := tabwriter.NewWriter(inv.out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tAGE\tEXIT\tCOMMAND\tLAST LINE")
	for _, j := range list {
		id := shortID(j.JobID)
		if prefixes[id] > 1 {
			id = j.JobID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			id, orDash(j.Name), stateCell(j), age(j.CreatedAt, now), exitCell(j),
			cut(commandLine(j.Command), psCommandMax), cut(j.LastLine, psLastMax))
	}
	tw.Flush()
}

func shortID(id string) string {
	if len(id) <= psIDLen {
		return id
	}
	return id[:psIDLen]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stateCell folds the outcome into the state: exited(0), killed(SIGTERM),
// failed(launch_error).
func stateCell(j jobs.Summary) string {
	switch {
	case j.State == jobstore.StateExited && j.ExitCode != nil:
		return fmt.Sprintf("exited(%d)", *j.ExitCode)
	case j.State == jobstore.StateKilled && j.Signal != "":
		return "killed(" + j.Signal + ")"
	case j.State == jobstore.StateFailed && j.Reason != "":
		return "failed(" + j.Reason + ")"
	}
	return j.State
}

func exitCell(j jobs.Summary) string {
	if j.ExitCode == nil {
		return "-"
	}
	return strconv.Itoa(*j.ExitCode)
}

// age is the time since created, humanised: 12s, 5m, 3h, 2d.
func age(created string, now time.Time) string {
	t, err := time.Parse(time.RFC3339Nano, created)
	if err != nil {
		return "?"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// commandLine shows a command as one line: a shell command line as it is,
// an argv joined by spaces with the arguments that need it quoted.
func commandLine(cmd []string) string {
	if len(cmd) == 1 {
		return cmd[0]
	}
	parts := make([]string, len(cmd))
	for i, a := range cmd {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`'"\$`+"`", r) }) {
			a = strconv.Quote(a)
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// cut makes s one table cell of at most n characters: control characters
// (tabs and newlines would break the table) become spaces, and a longer
// string ends in "…".
func cut(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
