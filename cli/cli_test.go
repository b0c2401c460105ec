package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/internal/testutil"
	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/supervisor"
)

// TestMain lets the test binary act as the supervisor: Launch re-executes
// /proc/self/exe, which here is this binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervisor.ModeArg {
		os.Exit(supervisor.Main(os.Args[2:]))
	}
	if os.Getenv(actAsCLI) == "1" {
		// The test binary as agent-exec itself, for tests that need a
		// separate process (attach, inside a terminal of the test's own).
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// newRoot returns a temporary jobs root that is removed only after every
// supervisor of its jobs has exited: a supervisor writes a little (its log,
// the last event) after it records a final state, and that races with the
// removal of the root.
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	t.Cleanup(func() { testutil.AwaitSupervisors(t, root, 30*time.Second) })
	return root
}

// result is what one command line did.
type result struct {
	code        int
	stdout      string
	stderr      string
	commandLine []string
}

// invoke runs the command line args on root with ctx and standard input in.
func invoke(t *testing.T, ctx context.Context, root string, in io.Reader, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	full := append([]string{"--root", root}, args...)
	code := run(ctx, full, stdio{in: in, out: &out, err: &errOut})
	return result{code: code, stdout: out.String(), stderr: errOut.String(), commandLine: args}
}

// agentExec runs args on root and expects exit code want.
func agentExec(t *testing.T, root string, want int, args ...string) result {
	t.Helper()
	r := invoke(t, t.Context(), root, strings.NewReader(""), args...)
	if r.code != want {
		t.Fatalf("agent-exec %q = exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}

// envelope decodes the one line of JSON a job verb prints.
func (r result) envelope(t *testing.T) *jobs.Envelope {
	t.Helper()
	if !strings.HasSuffix(r.stdout, "\n") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("agent-exec %q printed %q, want one line of JSON", r.commandLine, r.stdout)
	}
	var env jobs.Envelope
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("agent-exec %q: decode %q: %v", r.commandLine, r.stdout, err)
	}
	if env.SchemaVersion != jobs.SchemaVersion {
		t.Fatalf("schema_version = %q", env.SchemaVersion)
	}
	return &env
}

func errorCode(t *testing.T, r result) jobs.Code {
	t.Helper()
	env := r.envelope(t)
	if env.OK || env.Error == nil {
		t.Fatalf("agent-exec %q = %s, want an error envelope", r.commandLine, r.stdout)
	}
	return env.Error.Code
}

// killAtEnd makes sure job does not outlive the test.
func killAtEnd(t *testing.T, root, job string) {
	t.Cleanup(func() {
		invoke(t, context.WithoutCancel(t.Context()), root, nil, "delete", "--force", job)
	})
}

func TestRunEcho(t *testing.T) {
	root := newRoot(t)
	env := agentExec(t, root, exitOK, "run", "--", "echo hello").envelope(t)
	if !env.OK || env.Type != "run" {
		t.Fatalf("envelope = %+v", env)
	}
	if env.Job.State != "exited" || env.Job.ExitCode == nil || *env.Job.ExitCode != 0 {
		t.Fatalf("job = %+v", env.Job)
	}
	if env.Output.Text != "hello\n" {
		t.Fatalf("text = %q, want %q", env.Output.Text, "hello\n")
	}
	if env.Wait.Reason != jobs.WaitExited {
		t.Fatalf("wait = %+v", env.Wait)
	}
}

func TestRunCommandForms(t *testing.T) {
	root := newRoot(t)
	tests := []struct {
		args []string
		text string
	}{
		// One argument: a shell command line.
		{[]string{"run", "--", "echo hi | tr h H"}, "Hi\n"},
		// Several: an argv, exec'd without a shell.
		{[]string{"run", "--", "echo", "a | b", "$HOME"}, "a | b $HOME\n"},
		// Without "--", from the first positional argument on; later flags
		// belong to the command.
		{[]string{"run", "echo", "--name", "x"}, "--name x\n"},
		{[]string{"run", "--max_bytes", "300", "echo", "--root", "/"}, "--root /\n"},
	}
	for _, tt := range tests {
		env := agentExec(t, root, exitOK, tt.args...).envelope(t)
		if env.Output.Text != tt.text {
			t.Errorf("agent-exec %q: text = %q, want %q", tt.args, env.Output.Text, tt.text)
		}
	}
}

func TestRunMissingProgram(t *testing.T) {
	root := newRoot(t)
	r := agentExec(t, root, exitNotStarted, "run", "--", "/nonexistent/program", "arg")
	if code := errorCode(t, r); code != jobs.CodeLaunchFailed {
		t.Fatalf("code = %s, want %s", code, jobs.CodeLaunchFailed)
	}
	// A run that could not start leaves nothing behind.
	env := agentExec(t, root, exitOK, "list", "--all").envelope(t)
	if len(env.Jobs) != 0 {
		t.Fatalf("list after a failed run = %+v, want no jobs", env.Jobs)
	}
}

func TestUsageErrors(t *testing.T) {
	root := newRoot(t)
	tests := [][]string{
		{"run", "--bogus", "--", "true"},
		{"run", "--until", "soon", "--", "true"},
		{"run", "--env", "NOEQUALS", "--", "true"},
		{"run"},
		{"create", "--name", "x"},
		{"observe"},
		{"observe", "a1b2", "c3d4"},
		{"kill", "--grace"},
		{"list", "extra"},
		{"ps", "--all", "extra"},
		{"logs"},
		{"frobnicate"},
		{},
	}
	for _, args := range tests {
		r := agentExec(t, root, exitUsage, args...)
		if r.stdout != "" {
			t.Errorf("agent-exec %q printed %q on stdout, want nothing", args, r.stdout)
		}
		if !strings.Contains(r.stderr, "usage") && !strings.Contains(r.stderr, "Usage") {
			t.Errorf("agent-exec %q: stderr = %q, want the usage", args, r.stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	root := newRoot(t)
	for _, args := range [][]string{{"--help"}, {"run", "-h"}, {"kill", "--help"}} {
		r := agentExec(t, root, exitOK, args...)
		if !strings.Contains(strings.ToLower(r.stdout), "usage") {
			t.Errorf("agent-exec %q: stdout = %q, want the usage", args, r.stdout)
		}
	}
	r := agentExec(t, root, exitOK, "run", "-h")
	for _, want := range []string{"--wait_for regexp (or --wait-for)", "--inherit_env (or --inherit-env)", "--tag tag"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run -h does not show %q:\n%s", want, r.stdout)
		}
	}
}

func TestRunEnvAndStdin(t *testing.T) {
	root := newRoot(t)
	env := agentExec(t, root, exitOK, "run", "--env", "GREETING=hi there", "--env", "B=2", "--", `echo "$GREETING/$B"`).envelope(t)
	if env.Output.Text != "hi there/2\n" {
		t.Fatalf("text = %q", env.Output.Text)
	}
	if env.Job.EnvKeys != nil {
		t.Errorf("run's job has env_keys %v: they are observe --detail's", env.Job.EnvKeys)
	}
	detail := agentExec(t, root, exitOK, "observe", "--detail", env.Job.JobID).envelope(t)
	if got := strings.Join(detail.Job.EnvKeys, ","); got != "B,GREETING" {
		t.Fatalf("observe --detail: env_keys = %q", got)
	}
	// Kebab-case aliases, and an explicit false for a default-true flag.
	t.Setenv("AGENT_EXEC_TEST_INHERITED", "leak")
	env = agentExec(t, root, exitOK, "run", "--inherit-env=false", "--env", "A=b", "--", `echo "$AGENT_EXEC_TEST_INHERITED|$A"`).envelope(t)
	if env.Output.Text != "|b\n" {
		t.Fatalf("inherit-env=false: text = %q, want %q", env.Output.Text, "|b\n")
	}
	env = agentExec(t, root, exitOK, "run", "--", `echo "$AGENT_EXEC_TEST_INHERITED"`).envelope(t)
	if env.Output.Text != "leak\n" {
		t.Fatalf("inherited: text = %q", env.Output.Text)
	}
	// Masked values never show.
	env = agentExec(t, root, exitOK, "run", "--env", "TOKEN=s3cr3t", "--mask", "TOKEN", "--", `echo "token=$TOKEN"`).envelope(t)
	if env.Output.Text != "token=***\n" {
		t.Fatalf("masked: text = %q", env.Output.Text)
	}

	env = agentExec(t, root, exitOK, "run", "--stdin", "one\ntwo\n", "--", "wc -l").envelope(t)
	if strings.TrimSpace(env.Output.Text) != "2" {
		t.Fatalf("--stdin TEXT: text = %q", env.Output.Text)
	}
	r := invoke(t, t.Context(), root, strings.NewReader("from the pipe"), "run", "--stdin", "-", "--", "cat")
	if r.code != exitOK {
		t.Fatalf("--stdin -: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if text := r.envelope(t).Output.Text; text != "from the pipe" {
		t.Fatalf("--stdin -: text = %q", text)
	}
	file := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(file, []byte("file input"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = agentExec(t, root, exitOK, "run", "--stdin-file", file, "--", "cat").envelope(t)
	if env.Output.Text != "file input" {
		t.Fatalf("--stdin-file: text = %q", env.Output.Text)
	}
	// --env-file, repeatable, relative to --cwd; --env wins over it.
	dir := t.TempDir()
	for name, body := range map[string]string{"a.env": "A=1\nB=file\n", "b.env": "A=2\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env = agentExec(t, root, exitOK, "run", "--cwd", dir, "--env-file", "a.env", "--env_file", "b.env", "--env", "B=flag", "--", `echo "$A/$B"`).envelope(t)
	if env.Output.Text != "2/flag\n" {
		t.Fatalf("--env-file: text = %q", env.Output.Text)
	}
}

func TestInvalidInputIsAnEnvelope(t *testing.T) {
	root := newRoot(t)
	tests := []struct {
		args  []string
		field string
	}{
		{[]string{"run", "--streams", "both", "--", "true"}, "streams"},
		{[]string{"run", "--wait_for", "(", "--", "true"}, "wait_for"},
		{[]string{"run", "--cwd", "/nonexistent/dir", "--", "true"}, "cwd"},
		{[]string{"kill", "--signal", "NOPE", "a1b2c3"}, "signal"},
		{[]string{"list", "--state", "sleeping"}, "state"},
	}
	for _, tt := range tests {
		env := agentExec(t, root, exitFailed, tt.args...).envelope(t)
		if env.Error.Code != jobs.CodeInvalidInput || env.Error.Field != tt.field {
			t.Errorf("agent-exec %q: error = %+v, want invalid_input on %s", tt.args, env.Error, tt.field)
		}
	}
}

func TestNameInUse(t *testing.T) {
	root := newRoot(t)
	first := agentExec(t, root, exitOK, "run", "--name", "svc", "--until", "0", "--", "sleep 60").envelope(t)
	killAtEnd(t, root, first.Job.JobID)
	if first.Job.State != "running" || first.Wait.Reason != jobs.WaitNotWaited {
		t.Fatalf("first run: job %+v wait %+v", first.Job, first.Wait)
	}
	r := agentExec(t, root, exitFailed, "run", "--name", "svc", "--until", "0", "--", "sleep 60")
	env := r.envelope(t)
	if env.Error.Code != jobs.CodeNameInUse || env.Error.Details["job_id"] != first.Job.JobID {
		t.Fatalf("second run: error = %+v, want name_in_use naming %s", env.Error, first.Job.JobID)
	}
	// attach observes the running job instead of starting another.
	env = agentExec(t, root, exitOK, "run", "--name", "svc", "--if-running", "attach", "--until", "0", "--", "sleep 60").envelope(t)
	if env.Job.JobID != first.Job.JobID {
		t.Fatalf("attach: job %s, want %s", env.Job.JobID, first.Job.JobID)
	}
	env = agentExec(t, root, exitOK, "kill", "--signal", "9", "svc").envelope(t)
	if env.Job.State != "killed" || env.Job.Signal != "SIGKILL" || env.Signal != "SIGKILL" {
		t.Fatalf("kill: %+v", env)
	}
}

func TestRoundTrip(t *testing.T) {
	root := newRoot(t)
	env := agentExec(t, root, exitOK, "create", "--name", "job1", "--tag", "t1", "--tag", "t2", "--", "echo run").envelope(t)
	if env.Type != "create" || env.Job.State != "created" || strings.Join(env.Job.Tags, ",") != "t1,t2" {
		t.Fatalf("create: %+v", env.Job)
	}
	id := env.Job.JobID

	env = agentExec(t, root, exitOK, "start", id).envelope(t)
	if env.Type != "start" || env.Job.State != "exited" || env.Output.Text != "run\n" {
		t.Fatalf("start: job %+v output %+v", env.Job, env.Output)
	}
	if code := errorCode(t, agentExec(t, root, exitFailed, "start", id)); code != jobs.CodeInvalidState {
		t.Fatalf("second start: code %s, want invalid_state", code)
	}

	// JOB by prefix, flags after it.
	env = agentExec(t, root, exitOK, "observe", id[:8], "--max_bytes", "300").envelope(t)
	if env.Type != "observe" || env.Job.JobID != id || env.Output.Text != "run\n" || env.Wait.Reason != jobs.WaitNotWaited {
		t.Fatalf("observe: %+v %+v %+v", env.Job, env.Output, env.Wait)
	}

	env = agentExec(t, root, exitOK, "restart", "job1").envelope(t)
	if env.Type != "restart" || env.Job.Run != 2 || env.Output.Text != "run\n" {
		t.Fatalf("restart: job %+v output %+v", env.Job, env.Output)
	}
	env = agentExec(t, root, exitOK, "observe", "--offset", "0", "job1").envelope(t)
	if env.Output.Text != "run\nrun\n" {
		t.Fatalf("observe --offset 0: text %q", env.Output.Text)
	}

	env = agentExec(t, root, exitOK, "list", "--tag", "t2").envelope(t)
	if len(env.Jobs) != 1 || env.Jobs[0].JobID != id || env.Jobs[0].Name != "job1" || env.Jobs[0].LastLine != "run" {
		t.Fatalf("list: %+v", env.Jobs)
	}
	env = agentExec(t, root, exitOK, "list", "--state", "running").envelope(t)
	if len(env.Jobs) != 0 {
		t.Fatalf("list --state running: %+v", env.Jobs)
	}

	// Killing a finished job reports it as it is.
	env = agentExec(t, root, exitOK, "kill", id).envelope(t)
	if env.Type != "kill" || env.Job.State != "exited" || env.Escalated == nil || *env.Escalated {
		t.Fatalf("kill: %+v", env)
	}

	env = agentExec(t, root, exitOK, "delete", id).envelope(t)
	if !env.Deleted || env.JobID != id {
		t.Fatalf("delete: %+v", env)
	}
	if code := errorCode(t, agentExec(t, root, exitFailed, "observe", id)); code != jobs.CodeNotFound {
		t.Fatalf("observe after delete: code %s, want job_not_found", code)
	}
}

func TestKillAndDeleteRunning(t *testing.T) {
	root := newRoot(t)
	env := agentExec(t, root, exitOK, "run", "--until", "0", "--", "sleep", "60").envelope(t)
	id := env.Job.JobID
	killAtEnd(t, root, id)
	if code := errorCode(t, agentExec(t, root, exitFailed, "delete", id)); code != jobs.CodeInvalidState {
		t.Fatalf("delete of a running job: code %s, want invalid_state", code)
	}
	env = agentExec(t, root, exitOK, "kill", "--signal", "INT", "--grace", "5", id).envelope(t)
	if env.Job.State != "killed" || env.Signal != "SIGINT" {
		t.Fatalf("kill --signal INT: %+v", env)
	}
	env = agentExec(t, root, exitOK, "run", "--until", "0", "--", "sleep", "60").envelope(t)
	killAtEnd(t, root, env.Job.JobID)
	env = agentExec(t, root, exitOK, "restart", "--signal", "KILL", "--grace", "0", "--until", "0", env.Job.JobID).envelope(t)
	if env.Job.State != "running" || env.Job.Run != 2 {
		t.Fatalf("restart of a running job: %+v", env.Job)
	}
	env = agentExec(t, root, exitOK, "delete", "--force", env.Job.JobID).envelope(t)
	if !env.Deleted {
		t.Fatalf("delete --force: %+v", env)
	}
}

// An interrupt ends the wait, prints the envelope so far and leaves the
// job alone.
func TestInterruptStopsWaitingOnly(t *testing.T) {
	root := newRoot(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // as if Ctrl-C came at once
	r := invoke(t, ctx, root, nil, "run", "--until", "30", "--", "sleep 60")
	if r.code != exitInterrupted {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	env := r.envelope(t)
	killAtEnd(t, root, env.Job.JobID)
	if env.Job.State != "running" || env.Wait.Reason != jobs.WaitCancelled {
		t.Fatalf("interrupted run: job %+v wait %+v", env.Job, env.Wait)
	}
	env = agentExec(t, root, exitOK, "observe", env.Job.JobID).envelope(t)
	if env.Job.State != "running" {
		t.Fatalf("after the interrupt the job is %s, want running", env.Job.State)
	}
}

func TestPS(t *testing.T) {
	root := newRoot(t)
	r := agentExec(t, root, exitOK, "ps")
	if got := strings.Fields(r.stdout); strings.Join(got, " ") != "ID NAME STATE AGE EXIT COMMAND LAST LINE" {
		t.Fatalf("ps of no jobs = %q, want the header only", r.stdout)
	}
	agentExec(t, root, 3, "run", "--name", "builder", "--", "echo compiling; echo done; exit 3")
	agentExec(t, root, exitOK, "run", "--", "/bin/echo", "a long command line that will not fit in the forty characters")
	r = agentExec(t, root, exitOK, "ps")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("ps printed %d lines, want 3:\n%s", len(lines), r.stdout)
	}
	var row string
	for _, l := range lines[1:] {
		if strings.Contains(l, "builder") {
			row = l
		}
	}
	for _, want := range []string{"builder", "exited(3)", "  3  ", "echo compiling; echo done; exit 3", "done"} {
		if !strings.Contains(row, want) {
			t.Errorf("ps row %q does not contain %q", row, want)
		}
	}
	if !strings.Contains(r.stdout, `/bin/echo "a long command line that wil…  a long command line that will not fit in the forty characte…`) {
		t.Errorf("ps does not cut the long command:\n%s", r.stdout)
	}
	// The columns line up.
	if col := strings.Index(lines[0], "STATE"); col < 0 || strings.Index(row, "exited(3)") != col {
		t.Errorf("STATE column misaligned:\n%s", r.stdout)
	}
	// The short id resolves.
	id := strings.Fields(row)[0]
	env := agentExec(t, root, 3, "observe", id).envelope(t)
	if env.Job.Name != "builder" {
		t.Fatalf("observe %s: %+v", id, env.Job)
	}
}

func TestPSCells(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ago := func(d time.Duration) string { return now.Add(-d).Format("2006-01-02T15:04:05.000Z07:00") }
	ages := []struct {
		created string
		want    string
	}{
		{ago(12 * time.Second), "12s"},
		{ago(5*time.Minute + 59*time.Second), "5m"},
		{ago(3 * time.Hour), "3h"},
		{ago(50 * time.Hour), "2d"},
		{ago(-time.Minute), "0s"},
		{"garbage", "?"},
	}
	for _, tt := range ages {
		if got := age(tt.created, now); got != tt.want {
			t.Errorf("age(%q) = %q, want %q", tt.created, got, tt.want)
		}
	}
	cuts := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven char", 10, "eleven ch…"},
		{"tab\there\nnewline", 40, "tab here newline"},
		{"ééééééééééé", 5, "éééé…"},
	}
	for _, tt := range cuts {
		if got := cut(tt.in, tt.n); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	code := func(n int) *int { return &n }
	states := []struct {
		j    jobs.Summary
		want string
	}{
		{jobs.Summary{State: "exited", ExitCode: code(0)}, "exited(0)"},
		{jobs.Summary{State: "killed", Signal: "SIGTERM"}, "killed(SIGTERM)"},
		{jobs.Summary{State: "failed", Reason: "launch_error"}, "failed(launch_error)"},
		{jobs.Summary{State: "running"}, "running"},
	}
	for _, tt := range states {
		if got := stateCell(tt.j); got != tt.want {
			t.Errorf("stateCell(%+v) = %q, want %q", tt.j, got, tt.want)
		}
	}
	if got := commandLine([]string{"grep", "-r", "a b", ""}); got != `grep -r "a b" ""` {
		t.Errorf("commandLine = %q", got)
	}
}

func TestPSAmbiguousPrefix(t *testing.T) {
	// Two ids from the same millisecond share their first 10 characters:
	// ps shows them in full.
	ids := []string{"01m80h20qgm0adda5zqeppzj99", "01m80h20qgm0adda5zqeppzj9a", "01m80h21aaaaaaaaaaaaaaaaaa"}
	var list []jobs.Summary
	for _, id := range ids {
		list = append(list, jobs.Summary{JobID: id, State: "running", Command: []string{"true"}, CreatedAt: "2026-01-01T00:00:00.000Z"})
	}
	var out bytes.Buffer
	writePS(&invocation{stdio: stdio{out: &out}}, list, ids, time.Now())
	lines := strings.Split(out.String(), "\n")
	for i, want := range []string{ids[0], ids[1], ids[2][:10]} {
		if got := strings.Fields(lines[i+1])[0]; got != want {
			t.Errorf("row %d id = %q, want %q", i, got, want)
		}
	}
}

func TestLogs(t *testing.T) {
	root := newRoot(t)
	env := agentExec(t, root, exitOK, "run", "--", `printf 'one\n\033[1mtwo\033[0m'`).envelope(t)
	id := env.Job.JobID
	r := agentExec(t, root, exitOK, "logs", id)
	if want := "one\n\033[1mtwo\033[0m"; r.stdout != want {
		t.Fatalf("logs = %q, want the raw bytes %q", r.stdout, want)
	}
	r = agentExec(t, root, exitOK, "logs", "-f", "--offset", "4", id)
	if want := "\033[1mtwo\033[0m"; r.stdout != want {
		t.Fatalf("logs -f --offset 4 = %q, want %q", r.stdout, want)
	}

	env = agentExec(t, root, exitOK, "run", "--streams", "separate", "--", "echo out; echo err >&2").envelope(t)
	if r := agentExec(t, root, exitOK, "logs", env.Job.JobID); r.stdout != "out\n" {
		t.Fatalf("logs of separate streams = %q, want stdout", r.stdout)
	}
	if r := agentExec(t, root, exitOK, "logs", "--stream", "stderr", env.Job.JobID); r.stdout != "err\n" {
		t.Fatalf("logs --stream stderr = %q", r.stdout)
	}

	r = agentExec(t, root, exitFailed, "logs", "nosuchjob")
	if r.stdout != "" || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("logs of an unknown job: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = agentExec(t, root, exitFailed, "logs", "--stream", "stdout", id)
	if r.stdout != "" || !strings.Contains(r.stderr, "stream") {
		t.Fatalf("logs --stream stdout of a merged job: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

// logs -f follows a running job to its end.
func TestLogsFollow(t *testing.T) {
	root := newRoot(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	env := agentExec(t, root, exitOK, "run", "--cwd", dir, "--until", "0", "--", "echo a; read x < fifo; echo b").envelope(t)
	killAtEnd(t, root, env.Job.JobID)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := run(t.Context(), []string{"--root", root, "logs", "-f", env.Job.JobID}, stdio{out: pw, err: io.Discard})
		pw.Close()
		done <- code
	}()
	out := readAsync(pr)
	if got := out.until(t, "a\n"); got != "a\n" {
		t.Fatalf("logs -f printed %q first, want %q", got, "a\n")
	}
	f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("go\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := out.all(t); got != "a\nb\n" {
		t.Fatalf("logs -f printed %q, want %q", got, "a\nb\n")
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("logs -f = exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("logs -f did not end with the job")
	}
}

func mkfifo(path string) error { return unix.Mkfifo(path, 0o600) }

// asyncReader collects what a reader yields, in the background.
type asyncReader struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{} // a value after each read; closed at the end
}

func readAsync(r io.Reader) *asyncReader {
	a := &asyncReader{more: make(chan struct{}, 1)}
	go func() {
		defer close(a.more)
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			a.mu.Lock()
			a.buf.Write(b[:n])
			a.mu.Unlock()
			select {
			case a.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return a
}

func (a *asyncReader) text() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf.String()
}

// until waits (at most a generous while) until the text has want as a
// prefix or can no longer get it, and returns the text.
func (a *asyncReader) until(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		got := a.text()
		if len(got) >= len(want) || !strings.HasPrefix(want, got) {
			return got
		}
		select {
		case _, ok := <-a.more:
			if !ok {
				return a.text()
			}
		case <-deadline:
			t.Fatalf("waited 30s for %q; got %q", want, got)
		}
	}
}

// all waits for the end of the reader and returns all of its text.
func (a *asyncReader) all(t *testing.T) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-a.more:
			if !ok {
				return a.text()
			}
		case <-deadline:
			t.Fatalf("waited 30s for the end; got %q", a.text())
		}
	}
}
