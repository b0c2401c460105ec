// Package cli is agent-exec's command line: the MCP server command, the
// job verbs (printing the same envelope as the MCP tools, one JSON object on
// stdout) and the two commands for people, ps and logs.
//
// # Where things happen
//
//   - main.go: the globals and the verb table; flags.go: flag parsing;
//     exit.go: exit codes.
//   - verbs.go: the job verbs (run, create, start, restart, observe, kill,
//     delete, list), each one jobs operation; wait.go (waits on several
//     jobs), input.go and attach_linux.go (input, and a terminal attached
//     to a tty job), tag.go, gc.go, events.go, notify.go (notify flags),
//     stdin.go (a job's standard input from a pipe).
//   - For people: ps.go, logs.go (logs -f).
//   - mcp.go, mcp_http.go: the MCP server over stdio and HTTP;
//     bareenv.go: the warning for a bare environment.
//   - config.go, version.go, extras.go (schema, completions, the skill).
//
// Waits, control requests to supervisors, repairs of lost supervisors and
// redaction all happen in package jobs.
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lmittmann/tint"
	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

const usage = `agent-exec runs commands as durable background jobs.

Usage:
  agent-exec [--root DIR] mcp                          serve MCP on stdio
  agent-exec [--root DIR] mcp --http [ADDR] [flags]    serve MCP over HTTP (mcp --http -h for its flags)
  agent-exec [--root DIR] run [flags] -- CMD ARGS...   create, start and observe a job
  agent-exec [--root DIR] create [flags] -- CMD ARGS...
  agent-exec [--root DIR] start|restart|observe [flags] JOB
  agent-exec [--root DIR] wait [--any|--all] [--forever] JOB...
                                                       wait for the first (--all: every) job to end; exit with its status
  agent-exec [--root DIR] events [-f] [JOB...|--all] [--since TIME]
                                                       one JSON line per lifecycle event (-f: follow)
  agent-exec [--root DIR] kill [--signal SIG] [--grace S] JOB
  agent-exec [--root DIR] delete [--force] JOB
  agent-exec [--root DIR] delete [--state S] [--name N] [--tag T] [--older_than DUR] [--all] [--dry_run]
  agent-exec [--root DIR] list [flags]
  agent-exec [--root DIR] tag set JOB [TAG...]         replace a job's tags (none: remove them)
  agent-exec [--root DIR] notify set JOB [flags]       replace a job's notifications (none: remove them)
  agent-exec [--root DIR] ps [--all] [flags]           a table of jobs, for people
  agent-exec [--root DIR] logs [-f] [flags] JOB        print a job's output (-f: until it ends)
  agent-exec [--root DIR] input [flags] JOB [TEXT]     send text and keys to an interactive job
  agent-exec [--root DIR] attach JOB                   connect this terminal to a tty job (ctrl-] detaches)
  agent-exec version                                   the version, from the build (also --version)
  agent-exec [--config FILE] config                    the effective configuration and where each value came from
  agent-exec [--root DIR] gc [--older_than DUR] [--max_jobs N] [--max_bytes SIZE] [--dry_run]
                                                       remove old finished jobs (also done after each launch)
  agent-exec schema [--output] [TOOL]                  the MCP tools' JSON Schemas (no TOOL: their names)
  agent-exec completions bash|zsh|fish                 a shell completion script (job ids and names too)
  agent-exec install-skill [--claude] [--global] [--dir BASE]
                                                       write SKILL.md, teaching an agent this CLI

The job commands print the result as one JSON object on stdout. run, start,
restart, observe and wait exit with the job's status: its exit code when it
exited, 128+N when signal N killed it (its --timeout included), 124 when it
still runs when the wait reached its deadline, 126 when it could not start,
and 0 while it runs after a wait that ended as asked (--wait_for matched,
--until 0).
Other commands exit 0 when the result is ok. agent-exec's own failures (an
error result, bad usage) exit 125. One CMD argument is
a shell command line (agent-exec run -- 'make 2>&1 | tail'), several are a
program and its arguments. JOB is a job id, a unique id prefix (4+
characters) or a job name.
The root defaults to $AGENT_EXEC_ROOT, else $XDG_DATA_HOME/agent-exec/jobs,
else ~/.local/share/agent-exec/jobs. Run "agent-exec VERB -h" for a verb's flags.
`

// Main runs the command line with args (without the program name) and
// returns the exit code. An interrupt (Ctrl-C) or SIGTERM ends a waiting
// verb's wait, not the job; a second one acts as usual.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop)
	return run(ctx, args, stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
}

// stdio is what a command reads and writes: the process's standard files
// in Main, pipes and buffers in tests.
type stdio struct {
	in       io.Reader // read by --stdin -
	out, err io.Writer
}

// invocation is one command line being run.
type invocation struct {
	root    string // the global --root, or "" for the default
	globals        // --config, --no-auto-gc
	stdio
}

func run(ctx context.Context, args []string, s stdio) int {
	var g globals
	root := ""
	for {
		// --root and the globals, in any order, before the verb.
		rest, err := takeRootAndGlobals(args, true, &root, &g)
		if err != nil {
			fmt.Fprintln(s.err, "agent-exec:", err)
			return exitUsage
		}
		if len(rest) == len(args) {
			break
		}
		args = rest
	}
	if len(args) == 0 {
		fmt.Fprint(s.err, usage)
		return exitUsage
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(s.out, usage)
		return exitOK
	case "version", "--version", "-version":
		return versionVerb(s, rest)
	case "mcp":
		// mcp takes its own flags (--http …) and --root, which may follow it.
		rest, err := takeRootAndGlobals(rest, false, &root, &g)
		if err != nil {
			fmt.Fprintln(s.err, "agent-exec:", err)
			return exitUsage
		}
		return runMCP(root, g, rest)
	}
	cmd, ok := verbs[verb]
	if !ok {
		fmt.Fprintf(s.err, "agent-exec: unknown command %q\n\n%s", verb, usage)
		return exitUsage
	}
	return cmd(ctx, &invocation{root: root, globals: g, stdio: s}, rest)
}

// takeRootAndGlobals takes --root and the globals (--config, --no-auto-gc)
// out of args: only those before the first other argument when leading,
// else anywhere before a "--". A --root or --config found replaces *root or
// g's; --no-auto-gc, once given, stays. It returns the other arguments.
func takeRootAndGlobals(args []string, leading bool, root *string, g *globals) ([]string, error) {
	split := splitRoot
	if leading {
		split = leadingRoot
	}
	r, rest, err := split(args)
	if err != nil {
		return nil, err
	}
	if r != "" {
		*root = r
	}
	more, rest, err := splitGlobals(rest, leading)
	if err != nil {
		return nil, err
	}
	if more.config != "" {
		g.config = more.config
	}
	g.noAutoGC = g.noAutoGC || more.noAutoGC
	return rest, nil
}

// leadingRoot takes the global --root flag from before the verb. A --root
// after the verb is a flag of the verb; one after a run's command belongs
// to the command.
func leadingRoot(args []string) (string, []string, error) {
	root := ""
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--root" || a == "-root":
			if len(args) < 2 {
				return "", nil, fmt.Errorf("--root needs a directory")
			}
			root, args = args[1], args[2:]
		case strings.HasPrefix(a, "--root="), strings.HasPrefix(a, "-root="):
			root, args = a[strings.IndexByte(a, '=')+1:], args[1:]
		default:
			return root, args, nil
		}
	}
	return root, args, nil
}

// splitRoot takes the --root flag out of args, wherever it stands before
// a "--".
func splitRoot(args []string) (string, []string, error) {
	root := ""
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return root, append(out, args[i:]...), nil
		case a == "--root" || a == "-root":
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("--root needs a directory")
			}
			root = args[i+1]
			i++
		case strings.HasPrefix(a, "--root="), strings.HasPrefix(a, "-root="):
			root = a[strings.IndexByte(a, '=')+1:]
		default:
			out = append(out, a)
		}
	}
	return root, out, nil
}

// openService opens the store at root (or the default root) and a Service
// over it.
func openService(root string, opt jobs.Options) (*jobs.Service, error) {
	max, err := maxRunningFromEnv()
	if err != nil {
		return nil, err
	}
	opt.MaxRunning = max
	if root == "" {
		r, err := jobstore.DefaultRoot()
		if err != nil {
			return nil, err
		}
		root = r
	}
	st, err := jobstore.Open(root)
	if err != nil {
		return nil, err
	}
	return jobs.New(st, opt)
}

// newLogger logs to w through tint, in colour only on a terminal without
// NO_COLOR.
func newLogger(w *os.File, level slog.Level) *slog.Logger {
	return slog.New(tint.NewTextHandler(w, &tint.Options{
		Level:      level,
		TimeFormat: time.TimeOnly,
		NoColor:    !isTerminal(w) || os.Getenv("NO_COLOR") != "",
	}))
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// envMaxRunning caps the jobs running at once in the root, for the MCP
// server and the command line alike.
const envMaxRunning = "AGENT_EXEC_MAX_RUNNING"

// maxRunningFromEnv reads AGENT_EXEC_MAX_RUNNING: unset or 0 means no cap.
func maxRunningFromEnv() (int, error) {
	v := os.Getenv(envMaxRunning)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 100000 {
		return 0, fmt.Errorf("%s=%q: want a whole number of jobs from 0 (no cap) to 100000", envMaxRunning, v)
	}
	return n, nil
}
