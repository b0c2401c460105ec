// Package cli is agent-exec's command line: the MCP server command, the
// job verbs (printing the same envelope as the MCP tools, one JSON object on
// stdout) and the two commands for people, ps and logs.
package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"
	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// Exit codes.
const (
	exitOK    = 0
	exitJob   = 1 // a job-domain error: the envelope says which
	exitUsage = 2
)

const usage = `agent-exec runs commands as durable background jobs.

Usage:
  agent-exec [--root DIR] mcp                     serve MCP on stdio
  agent-exec [--root DIR] run [flags] -- CMD ARGS...
  agent-exec [--root DIR] create [flags] -- CMD ARGS...
  agent-exec [--root DIR] start|restart|observe [flags] JOB
  agent-exec [--root DIR] kill [--signal SIG] [--grace S] JOB
  agent-exec [--root DIR] delete [--force] JOB
  agent-exec [--root DIR] list [flags]
  agent-exec [--root DIR] ps [--all]              a table of jobs, for people
  agent-exec [--root DIR] logs [-f] JOB           print a job's output (-f: follow until it ends)

JOB is a job id, a unique id prefix (4+ characters) or a job name.
The root defaults to $AGENT_EXEC_ROOT, else $XDG_DATA_HOME/agent-exec/jobs,
else ~/.local/share/agent-exec/jobs. Run "agent-exec VERB -h" for a verb's flags.
`

// Main runs the command line with args (without the program name) and
// returns the exit code.
func Main(args []string) int {
	root, args, err := splitRoot(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent-exec:", err)
		return exitUsage
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return exitUsage
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "help", "-h", "--help":
		fmt.Print(usage)
		return exitOK
	case "mcp":
		return runMCP(root, rest)
	}
	cmd, ok := verbs[verb]
	if !ok {
		fmt.Fprintf(os.Stderr, "agent-exec: unknown command %q\n\n%s", verb, usage)
		return exitUsage
	}
	return cmd(root, rest)
}

// splitRoot takes the global --root flag out of args, wherever it stands
// before a "--".
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

var _ io.Writer = (*os.File)(nil)
