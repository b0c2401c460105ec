package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/agent-exec/agent-exec/jobs"
)

// verb is one command after agent-exec. ctx ends on an interrupt: it bounds
// waiting, never a job.
type verb func(ctx context.Context, inv *invocation, args []string) int

// verbs maps the job commands to their implementations.
var verbs = map[string]verb{
	"run":     runVerb,
	"create":  createVerb,
	"start":   startVerb,
	"restart": restartVerb,
	"observe": observeVerb,
	"wait":    waitVerb,
	"events":  eventsVerb,
	"kill":    killVerb,
	"delete":  deleteVerb,
	"list":    listVerb,
	"ps":      psVerb,
	"logs":    logsVerb,
	"input":   inputVerb,
	"attach":  attachVerb,
	"gc":      gcVerb,
	"tag":     tagVerb,
	"notify":  notifyVerb,
	"config":  configVerb,

	"schema":        schemaVerb,
	"completions":   completionsVerb,
	"install-skill": installSkillVerb,
	"__complete":    completeVerb, // hidden: the completion scripts' job candidates
}

// operation runs one jobs operation on the service.
type operation func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error)

// do opens the service and runs op, then prints its envelope (or the error
// envelope) as one line of JSON: exit 0 when it is ok, else 125 (126 for
// launch_failed).
func (inv *invocation) do(ctx context.Context, fs *flagSet, op operation) int {
	svc, err := inv.service(fs)
	if err != nil {
		return inv.print(nil, err)
	}
	defer svc.Close() // waits for background work: the collection after a launch
	code := inv.print(op(ctx, svc))
	inv.releaseStdout()
	return code
}

// doJob is do for the verbs that report a job's outcome (run, start,
// restart, observe): an ok envelope exits with the job's status (see
// outcomeExit).
func (inv *invocation) doJob(ctx context.Context, fs *flagSet, op operation) int {
	var env *jobs.Envelope
	code := inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		e, err := op(ctx, svc)
		env = e
		return e, err
	})
	if code != exitOK || env == nil {
		return code
	}
	return outcomeExit(env, ctx.Err() != nil)
}

// service opens the service over the root: the verb's --root, else the
// global one, else the default.
func (inv *invocation) service(fs *flagSet) (*jobs.Service, error) {
	root := inv.root
	if fs != nil && fs.root != "" {
		root = fs.root
	}
	g := inv.globals
	if fs != nil {
		g.noAutoGC = g.noAutoGC || fs.noAutoGC
		if fs.config != "" {
			g.config = fs.config
		}
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Field: "config", Message: "bad configuration: " + err.Error()}
	}
	svc, err := openService(root, serviceOptions(cfg))
	if err != nil {
		return nil, &jobs.Error{Code: jobs.CodeIO, Message: "open the job store: " + err.Error()}
	}
	return svc, nil
}

func (inv *invocation) print(env *jobs.Envelope, err error) int {
	if err != nil {
		env = jobs.ErrorEnvelope(err)
	}
	enc := json.NewEncoder(inv.out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		fmt.Fprintln(inv.err, "agent-exec: write the result:", err)
		return exitFailed
	}
	if !env.OK {
		return errorExit(env.Error)
	}
	return exitOK
}

// defineFlags adds the flags of a job definition (run and create).
func defineFlags(fs *flagSet, d *jobs.Definition) {
	fs.StringVar(&d.Cwd, "cwd", "", "working `directory` of the job (default: the current one)")
	fs.Var(envFlag{&d.Env}, "env", "set `KEY=VALUE` in the job's environment (repeatable)")
	fs.Var(stringList{&d.EnvFiles}, "env_file", "read `FILE` of KEY=VALUE lines into the job's environment at each start, before --env (repeatable; relative to --cwd)")
	fs.Var(boolPtr{&d.InheritEnv}, "inherit_env", "start from this process's environment (default true; --inherit_env=false for a clean one)")
	fs.Var(stringList{&d.Mask}, "mask", "never show the value of variable `KEY` in any output (repeatable)")
	fs.Var(stringPtr{&d.Stdin}, "stdin", "the job's standard input `TEXT`; - waits for and reads this command's own standard input (read without it too when it is a file, or a pipe with input ready within a second)")
	fs.StringVar(&d.StdinFile, "stdin_file", "", "the job's standard input is a snapshot of `file`")
	fs.Float64Var(&d.Timeout, "timeout", 0, "hard runtime limit in `seconds` (0: none)")
	fs.Var(floatPtr{&d.KillAfter}, "kill_after", "`seconds` between SIGTERM and SIGKILL at the timeout (default 5)")
	fs.Int64Var(&d.LogLimit, "log_limit", 0, "most `bytes` of output a run may write; past it the job is killed (0: no limit)")
	fs.Var(sizeFlag{&d.LogRotate}, "log_rotate", "keep about the last `SIZE` bytes (or 64K, 10M) of each log of a long run, freeing older ones (default: keep all)")
	fs.StringVar(&d.Streams, "streams", "", "`mode`: merged (stdout and stderr in one log, the default) or separate")
	fs.StringVar(&d.Name, "name", "", "job `name`, unique among unfinished jobs")
	fs.StringVar(&d.IfRunning, "if_running", "", "`policy` when a job of that name is unfinished: error (the default), attach or restart")
	fs.Var(stringList{&d.Tags}, "tag", "add `tag` to the job (repeatable)")
	fs.BoolVar(&d.TTY, "tty", false, "run the job on a pseudo-terminal (REPLs, prompts, full-screen programs); see input and attach")
	fs.BoolVar(&d.Interactive, "interactive", false, "keep the job's standard input open for input")
	fs.IntVar(&d.Cols, "cols", 0, "terminal width of a tty job, in `columns` (default 120)")
	fs.IntVar(&d.Rows, "rows", 0, "terminal height of a tty job, in `rows` (default 40)")
	notifyFlags(fs, &d.Notify, "notify_")
}

// observeFlags adds the observation flags; offset only for observe.
func observeFlags(fs *flagSet, o *jobs.Observation, offset bool) {
	fs.Var(floatPtr{&o.Until}, "until", "wait up to `seconds` for the job to end (run, start, restart: 10; observe: 0; at most 50)")
	fs.StringVar(&o.WaitFor, "wait_for", "", "stop waiting when an output line matches this RE2 `regexp`")
	fs.IntVar(&o.WaitForPort, "wait_for_port", 0, "stop waiting when a process of the job listens on TCP `port`")
	fs.IntVar(&o.IdleMS, "idle_ms", 0, "stop waiting after `ms` milliseconds without output")
	if offset {
		fs.Var(int64Ptr{&o.Offset}, "offset", "show the output forward from byte `offset` (default: the tail)")
		fs.StringVar(&o.View, "view", "", "`view`: text (the default) or screen (a tty job's screen as a person sees it, instead of a text window)")
		fs.IntVar(&o.TailLines, "tail_lines", 0, "show the last `n` lines (at most 10000) instead of the tail's bytes")
		fs.BoolVar(&o.Detail, "detail", false, "also show the job's command, cwd, tags, pid, times and log paths")
	}
	fs.StringVar(&o.Stream, "stream", "", "`stream` to show: output, stdout or stderr")
	fs.IntVar(&o.MaxBytes, "max_bytes", 0, "show at most `n` bytes of output (default 16384)")
	fs.BoolVar(&o.Raw, "raw", false, "keep terminal escape sequences and carriage returns")
	fs.StringVar(&o.Compress, "compress", "", "output compression `mode`: auto (the default), always, off, or a kind: errors, tests, logs, diff, json, table, summary")
}

func runVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.RunRequest
	fs := newFlagSet("run", "run [flags] [--] CMD [ARGS...]")
	defineFlags(fs, &req.Definition)
	var noStdin bool
	stdinFlags(fs, &noStdin)
	observeFlags(fs, &req.Observation, false)
	launchFlags(fs)
	fs.addAliases()
	cmd, err := fs.parseLeading(args)
	if err == nil {
		err = inv.commandAndStdin(cmd, &req.Definition)
	}
	if err == nil {
		err = inv.autoStdin("run", &req.Definition, noStdin)
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	return inv.doJob(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		if err := inv.readStdin(&req.Definition); err != nil {
			return nil, err
		}
		return svc.Run(ctx, &req, nil)
	})
}

func createVerb(ctx context.Context, inv *invocation, args []string) int {
	var d jobs.Definition
	fs := newFlagSet("create", "create [flags] [--] CMD [ARGS...]")
	defineFlags(fs, &d)
	var noStdin bool
	stdinFlags(fs, &noStdin)
	fs.addAliases()
	cmd, err := fs.parseLeading(args)
	if err == nil {
		err = inv.commandAndStdin(cmd, &d)
	}
	if err == nil {
		err = inv.autoStdin("create", &d, noStdin)
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		if err := inv.readStdin(&d); err != nil {
			return nil, err
		}
		return svc.Create(ctx, &d)
	})
}

// commandAndStdin checks the command and --stdin - before anything is
// opened: both are usage errors.
func (inv *invocation) commandAndStdin(cmd []string, d *jobs.Definition) error {
	if len(cmd) == 0 {
		return errors.New("missing the command: one argument is a shell command line, several a program and its arguments")
	}
	d.Command = jobs.Command(cmd)
	if d.Stdin != nil && *d.Stdin == "-" {
		if f, ok := inv.in.(*os.File); ok && isTerminal(f) {
			return errors.New("--stdin -: standard input is a terminal; pipe the input in, or use --stdin TEXT or --stdin_file")
		}
		if inv.in == nil {
			return errors.New("--stdin -: no standard input")
		}
	}
	return nil
}

// readStdin replaces --stdin - by what this command's standard input holds
// (a little more than the limit at most, so the limit is reported).
func (inv *invocation) readStdin(d *jobs.Definition) error {
	if d.Stdin == nil || *d.Stdin != "-" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(inv.in, jobs.MaxStdinBytes+1))
	if err != nil {
		return &jobs.Error{Code: jobs.CodeIO, Field: "stdin", Message: "stdin: read standard input: " + err.Error()}
	}
	s := string(b)
	d.Stdin = &s
	return nil
}

func startVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.StartRequest
	fs := newFlagSet("start", "start [flags] JOB")
	observeFlags(fs, &req.Observation, false)
	launchFlags(fs)
	fs.addAliases()
	if code, ok := fs.parseJob(inv, args, &req.JobID); !ok {
		return code
	}
	return inv.doJob(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Start(ctx, &req, nil)
	})
}

func restartVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.RestartRequest
	var sig string
	fs := newFlagSet("restart", "restart [--signal SIG] [--grace S] [flags] JOB")
	fs.StringVar(&sig, "signal", "", "`signal` that stops the current run: a name (TERM, SIGINT) or a number (default TERM)")
	fs.Var(floatPtr{&req.Grace}, "grace", "`seconds` before SIGKILL (default 5)")
	observeFlags(fs, &req.Observation, false)
	launchFlags(fs)
	fs.addAliases()
	if code, ok := fs.parseJob(inv, args, &req.JobID); !ok {
		return code
	}
	req.Signal = signalArg(sig)
	return inv.doJob(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Restart(ctx, &req, nil)
	})
}

func observeVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.StartRequest
	fs := newFlagSet("observe", "observe [flags] JOB")
	observeFlags(fs, &req.Observation, true)
	fs.BoolVar(&req.Forever, "forever", false, "wait with no deadline (not capped like --until) until the job ends or the wait is satisfied; ctrl-c ends the wait (cancelled)")
	fs.addAliases()
	if code, ok := fs.parseJob(inv, args, &req.JobID); !ok {
		return code
	}
	if req.Forever && req.Until != nil {
		return fs.usageError(inv.stdio, errors.New("--forever waits with no deadline: give it or --until, not both"))
	}
	return inv.doJob(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Observe(ctx, &req, nil)
	})
}

func killVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.KillRequest
	var sig string
	fs := newFlagSet("kill", "kill [--signal SIG] [--grace S] JOB")
	fs.StringVar(&sig, "signal", "", "`signal` to send to the job's tree: a name (TERM, SIGINT) or a number (default TERM)")
	fs.Var(floatPtr{&req.Grace}, "grace", "`seconds` before SIGKILL (default 5)")
	fs.addAliases()
	if code, ok := fs.parseJob(inv, args, &req.JobID); !ok {
		return code
	}
	req.Signal = signalArg(sig)
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Kill(ctx, &req)
	})
}

func deleteVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.DeleteRequest
	fs := newFlagSet("delete", "delete [--force] JOB | delete [--state S] [--name N] [--tag T] [--older_than DUR] [--cwd DIR | --all] [--dry_run]")
	fs.BoolVar(&req.Force, "force", false, "kill a running job first")
	fs.StringVar(&req.State, "state", "", "without JOB: every job in `state` created, exited, killed or failed (with JOB: only if it is in it; so for the other filters)")
	fs.StringVar(&req.Name, "name", "", "filter: jobs named `name`")
	fs.StringVar(&req.Tag, "tag", "", "filter: jobs tagged `tag`")
	fs.Var(rawString{&req.OlderThan}, "older_than", "filter: jobs that ended more than `DUR` ago (7d, 12h)")
	fs.StringVar(&req.Cwd, "cwd", "", "with filters: jobs whose directory is `dir` or below it (default: the current one)")
	fs.BoolVar(&req.All, "all", false, "with filters: jobs of every directory")
	fs.BoolVar(&req.DryRun, "dry_run", false, "with filters: only report what would be deleted")
	fs.addAliases()
	pos, err := fs.parseInterleaved(args)
	switch {
	case err != nil:
	case len(pos) > 1:
		err = fmt.Errorf("unexpected arguments after JOB: %q", pos[1:])
	case len(pos) == 1:
		req.JobID = pos[0]
	case !req.Bulk():
		err = errors.New("missing JOB (a job id, id prefix or name), or filters (--state, --name, --tag, --older_than)")
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.Delete(ctx, &req)
	})
}

// listFlags adds the filters of list (and ps).
func listFlags(fs *flagSet, req *jobs.ListRequest) {
	fs.StringVar(&req.State, "state", "", "only jobs in `state` created, running, exited, killed or failed")
	fs.StringVar(&req.Name, "name", "", "only jobs named `name`")
	fs.Var(stringList{&req.Tags}, "tag", "only jobs tagged `tag` (repeatable: jobs with every one of them; a trailing * matches a prefix: ns.*)")
	fs.StringVar(&req.Cwd, "cwd", "", "only jobs whose directory is `dir` or below it")
	fs.BoolVar(&req.All, "all", false, "jobs of every directory (default: the current one and below)")
	fs.IntVar(&req.Limit, "limit", 0, "at most `n` jobs, newest first (default 50; 0: all)")
}

// listFlagsParsed completes req once list's or ps's flags are parsed: an
// explicit --limit 0 means every job.
func listFlagsParsed(fs *flagSet, req *jobs.ListRequest) {
	if req.Limit == 0 && fs.isSet("limit") {
		req.NoLimit = true
	}
}

func listVerb(ctx context.Context, inv *invocation, args []string) int {
	var req jobs.ListRequest
	fs := newFlagSet("list", "list [flags]")
	listFlags(fs, &req)
	fs.addAliases()
	if code, ok := fs.parseNone(inv, args); !ok {
		return code
	}
	listFlagsParsed(fs, &req)
	return inv.do(ctx, fs, func(ctx context.Context, svc *jobs.Service) (*jobs.Envelope, error) {
		return svc.List(ctx, &req)
	})
}

// parseJob parses flags around exactly one JOB argument. When it fails it
// has reported the usage error and returns the exit code.
func (fs *flagSet) parseJob(inv *invocation, args []string, job *string) (int, bool) {
	pos, err := fs.parseInterleaved(args)
	switch {
	case err != nil:
	case len(pos) == 0:
		err = errors.New("missing JOB (a job id, id prefix or name)")
	case len(pos) > 1:
		err = fmt.Errorf("unexpected arguments after JOB: %q", pos[1:])
	}
	if err != nil {
		return fs.usageError(inv.stdio, err), false
	}
	*job = pos[0]
	return 0, true
}

// parseNone parses flags and no positional argument.
func (fs *flagSet) parseNone(inv *invocation, args []string) (int, bool) {
	pos, err := fs.parseInterleaved(args)
	if err == nil && len(pos) > 0 {
		err = fmt.Errorf("unexpected arguments: %q", pos)
	}
	if err != nil {
		return fs.usageError(inv.stdio, err), false
	}
	return 0, true
}

// signalArg passes --signal on as the tool argument would come: a number
// as a JSON number, a name as a JSON string, nothing as nothing.
func signalArg(sig string) json.RawMessage {
	if sig == "" {
		return nil
	}
	if n, err := strconv.Atoi(sig); err == nil {
		return json.RawMessage(strconv.Itoa(n))
	}
	b, _ := json.Marshal(sig) // a string always encodes
	return b
}
