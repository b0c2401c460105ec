package integration_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-exec/agent-exec/schemas"
)

const (
	// protocolLatest is the protocol version every test pins (the SDK
	// would otherwise offer a draft version; see go-stack.md §0.3).
	protocolLatest = "2025-11-25"
	// callTimeout bounds one tool call. The server caps every wait at 50 s
	// by default, so a call that takes longer is a bug.
	callTimeout = 90 * time.Second
	// exitTimeout bounds the wait for a server to exit once its stdin is
	// closed (or it was killed).
	exitTimeout = 15 * time.Second
)

// obj is a tool's arguments.
type obj = map[string]any

// The result envelope (DESIGN.md §4), decoded from structuredContent. Only
// what the tests look at is declared.
type envelope struct {
	SchemaVersion string      `json:"schema_version"`
	OK            bool        `json:"ok"`
	Type          string      `json:"type"`
	Job           *jobView    `json:"job"`
	Output        *outputView `json:"output"`
	Wait          *waitView   `json:"wait"`
	Signal        string      `json:"signal"`
	Escalated     *bool       `json:"escalated"`
	AlreadyDone   *bool       `json:"already_finished"`
	Jobs          []summary   `json:"jobs"`
	Waited        []summary   `json:"waited"`
	Truncated     *bool       `json:"truncated"`
	Root          string      `json:"root"`
	JobID         string      `json:"job_id"`
	Deleted       bool        `json:"deleted"`
	Input         *inputView  `json:"input"`
	Screen        *screenView `json:"screen"`
	Error         *errorView  `json:"error"`
}

// screenView is observe's view of a tty job's screen.
type screenView struct {
	Cols   int      `json:"cols"`
	Rows   int      `json:"rows"`
	Lines  []string `json:"lines"`
	Cursor struct {
		Row int `json:"row"`
		Col int `json:"col"`
	} `json:"cursor"`
	Title     string `json:"title"`
	AltScreen bool   `json:"alt_screen"`
}

type jobView struct {
	JobID       string   `json:"job_id"`
	Name        string   `json:"name"`
	State       string   `json:"state"`
	Reason      string   `json:"reason"`
	ExitCode    *int     `json:"exit_code"`
	Signal      string   `json:"signal"`
	Error       string   `json:"error"`
	Command     []string `json:"command"`
	Cwd         string   `json:"cwd"`
	Tags        []string `json:"tags"`
	EnvKeys     []string `json:"env_keys"`
	PID         int      `json:"pid"`
	Run         int      `json:"run"`
	CreatedAt   string   `json:"created_at"`
	StartedAt   string   `json:"started_at"`
	FinishedAt  string   `json:"finished_at"`
	DurationMS  *int64   `json:"duration_ms"`
	TimeoutS    float64  `json:"timeout_s"`
	OutputLog   string   `json:"output_log"`
	StdoutLog   string   `json:"stdout_log"`
	StderrLog   string   `json:"stderr_log"`
	TTY         bool     `json:"tty"`
	Interactive bool     `json:"interactive"`
}

type byteRange struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

type outputView struct {
	Stream        string         `json:"stream"`
	Text          string         `json:"text"`
	TotalBytes    int64          `json:"total_bytes"`
	Start         int64          `json:"start"`
	End           int64          `json:"end"`
	Omitted       *byteRange     `json:"omitted"`
	NextOffset    int64          `json:"next_offset"`
	Truncated     bool           `json:"truncated"`
	RotatedBefore int64          `json:"rotated_before"`
	Compression   map[string]any `json:"compression"`
}

type waitView struct {
	WaitedMS int64   `json:"waited_ms"`
	UntilS   float64 `json:"until_s"`
	Reason   string  `json:"reason"`
	Hint     string  `json:"hint"`
	JobID    string  `json:"job_id"`
	Matched  *struct {
		Pattern string `json:"pattern"`
		Line    string `json:"line"`
		Offset  int64  `json:"offset"`
	} `json:"matched"`
}

type summary struct {
	JobID    string   `json:"job_id"`
	Name     string   `json:"name"`
	State    string   `json:"state"`
	Reason   string   `json:"reason"`
	ExitCode *int     `json:"exit_code"`
	Command  []string `json:"command"`
	Cwd      string   `json:"cwd"`
	Tags     []string `json:"tags"`
	Run      int      `json:"run"`
	LastLine string   `json:"last_line"`
}

type errorView struct {
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	Retryable bool           `json:"retryable"`
	Field     string         `json:"field"`
	Details   map[string]any `json:"details"`
}

// root is one test's job root. Its cleanup stops every process left by the
// test's jobs, reports data races the supervisors logged and, when the test
// failed, dumps the supervisors' logs.
type root struct {
	dir string

	mu  sync.Mutex
	ids map[string]bool // every job id a response named; guarded by mu
}

func newRoot(t *testing.T) *root {
	t.Helper()
	r := &root{dir: t.TempDir(), ids: make(map[string]bool)}
	// Registered after t.TempDir's own cleanup, so it runs before the
	// directory is removed.
	t.Cleanup(func() { r.cleanup(t) })
	return r
}

func (r *root) note(env *envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if env.Job != nil {
		r.ids[env.Job.JobID] = true
	}
	for _, j := range env.Jobs {
		r.ids[j.JobID] = true
	}
	if env.JobID != "" {
		r.ids[env.JobID] = true
	}
}

// jobDirs lists the job directories under the root.
func (r *root) jobDirs(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		t.Fatalf("read root: %v", err)
	}
	var ids []string
	for _, e := range ents {
		// Hidden directories (the name index, a job being created or
		// removed) are the store's, not jobs.
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

func (r *root) allIDs() map[string]bool {
	ids := make(map[string]bool)
	r.mu.Lock()
	for id := range r.ids {
		ids[id] = true
	}
	r.mu.Unlock()
	if ents, err := os.ReadDir(r.dir); err == nil {
		for _, e := range ents {
			ids[e.Name()] = true
		}
	}
	return ids
}

func (r *root) cleanup(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(r.dir, "*", "supervisor.log"))
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte("WARNING: DATA RACE")) {
			t.Errorf("data race in a supervisor (%s):\n%s", l, b)
		} else if t.Failed() {
			t.Logf("%s:\n%s", l, tail(b, 8<<10))
		}
	}
	if n := stopLeftovers(t, r.dir, r.allIDs()); n > 0 {
		t.Logf("cleanup: stopped %d leftover processes of this test's jobs", n)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// server is one "agent-exec mcp" process and the MCP client session on its
// stdio.
type server struct {
	t      *testing.T
	root   *root
	dir    string // the server's working directory
	cmd    *exec.Cmd
	cs     *mcp.ClientSession
	stderr string // path of the file the server's stderr goes to
	raw    *capture

	exited  chan struct{} // closed when the process has been waited for
	exitErr error         // set before exited is closed

	stopOnce sync.Once
	killed   bool

	http *httpServer // set when the server speaks MCP over HTTP

	progressMu sync.Mutex
	progress   map[string][]*mcp.ProgressNotificationParams // by token; guarded by progressMu
	progressCh chan *mcp.ProgressNotificationParams         // every notification, if there is room
	updated    chan string                                  // URIs of notifications/resources/updated, if there is room
	clientName string                                       // announced in clientInfo; "" for the default
}

type serverConfig struct {
	root     *root
	protocol string
	env      []string
	dir      string
	rootEnv  bool     // pass the root in AGENT_EXEC_ROOT instead of --root
	binary   string   // "" for binPath
	http     bool     // serve MCP over HTTP (see overHTTP)
	mcpArgs  []string // more arguments of agent-exec mcp

	generatedToken bool           // over HTTP: no token file; see withGeneratedToken
	httpCA         *x509.CertPool // over HTTP: see withCA
	clientName     string         // the client's clientInfo name; "" for the default
}

type option func(*serverConfig)

// onRoot runs the server on an existing root (another server's).
func onRoot(r *root) option { return func(c *serverConfig) { c.root = r } }

// withProtocol pins another protocol version.
func withProtocol(v string) option { return func(c *serverConfig) { c.protocol = v } }

// withEnv adds KEY=VALUE pairs to the server's environment.
func withEnv(kv ...string) option { return func(c *serverConfig) { c.env = append(c.env, kv...) } }

// withBinary runs another build of agent-exec.
func withBinary(path string) option { return func(c *serverConfig) { c.binary = path } }

// withClientName makes the client announce name in its clientInfo.
func withClientName(name string) option { return func(c *serverConfig) { c.clientName = name } }

// withRootEnv gives the server its root in AGENT_EXEC_ROOT.
func withRootEnv() option { return func(c *serverConfig) { c.rootEnv = true } }

// baseEnv is the test's environment without anything that could point the
// server at another root or configuration. A race-built server (and its
// supervisors, which inherit it) would sleep a second at exit waiting for
// late race reports; GORACE turns that off unless the caller set GORACE.
func baseEnv() []string {
	var env []string
	gorace := false
	for _, kv := range os.Environ() {
		gorace = gorace || strings.HasPrefix(kv, "GORACE=")
		if !strings.HasPrefix(kv, "AGENT_EXEC_") {
			env = append(env, kv)
		}
	}
	if raceEnabled && !gorace {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return env
}

// serverCommand returns the command line of "agent-exec mcp" for cfg,
// with the server's stderr going to a file.
func serverCommand(t *testing.T, cfg *serverConfig) (*exec.Cmd, string) {
	t.Helper()
	args := append([]string{"mcp"}, cfg.mcpArgs...)
	env := baseEnv()
	if cfg.rootEnv {
		env = append(env, "AGENT_EXEC_ROOT="+cfg.root.dir)
	} else {
		args = append([]string{"--root", cfg.root.dir}, args...)
	}
	bin := binPath
	if cfg.binary != "" {
		bin = cfg.binary
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(env, cfg.env...)
	cmd.Dir = cfg.dir
	return cmd, filepath.Join(t.TempDir(), "server.stderr")
}

// startServer starts a server on a new root (or the one given) in a new
// working directory and connects a client to it. The server is stopped
// when the test ends, and its stderr is dumped if the test failed.
func startServer(t *testing.T, opts ...option) *server {
	t.Helper()
	cfg := &serverConfig{protocol: protocolLatest}
	for _, o := range opts {
		o(cfg)
	}
	if cfg.root == nil {
		cfg.root = newRoot(t)
	}
	if cfg.dir == "" {
		cfg.dir = t.TempDir()
	}
	if cfg.http {
		return startHTTPServer(t, cfg)
	}
	cmd, stderrPath := serverCommand(t, cfg)
	errFile, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errFile
	err = cmd.Start()
	inR.Close()
	outW.Close()
	errFile.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	s := &server{
		t: t, root: cfg.root, dir: cfg.dir, cmd: cmd, stderr: stderrPath,
		raw:        &capture{},
		exited:     make(chan struct{}),
		progress:   make(map[string][]*mcp.ProgressNotificationParams),
		progressCh: make(chan *mcp.ProgressNotificationParams, 1024),
		updated:    make(chan string, 64),
		clientName: cfg.clientName,
	}
	go func() {
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.cleanup)

	client := s.newClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	transport := &mcp.IOTransport{Reader: &teeReader{r: outR, c: s.raw}, Writer: inW}
	cs, err := client.Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: cfg.protocol})
	if err != nil {
		inW.Close()
		outR.Close()
		t.Fatalf("connect to agent-exec mcp: %v", err)
	}
	s.cs = cs
	return s
}

// newClient is an MCP client that records the progress notifications it
// receives in s.
func (s *server) newClient() *mcp.Client {
	name := "agent-exec-integration-test"
	if s.clientName != "" {
		name = s.clientName
	}
	return mcp.NewClient(&mcp.Implementation{Name: name, Version: "0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			s.progressMu.Lock()
			key := fmt.Sprint(req.Params.ProgressToken)
			s.progress[key] = append(s.progress[key], req.Params)
			s.progressMu.Unlock()
			select {
			case s.progressCh <- req.Params:
			default:
			}
		},
		ResourceUpdatedHandler: func(_ context.Context, req *mcp.ResourceUpdatedNotificationRequest) {
			select {
			case s.updated <- req.Params.URI:
			default:
			}
		},
	})
}

// stop closes the client session (and with it the server's stdin) and
// waits for the server to exit, which it must do by itself, with status 0.
func (s *server) stop() {
	s.t.Helper()
	s.stopOnce.Do(func() {
		if s.http != nil {
			s.stopHTTP()
			return
		}
		s.cs.Close()
		select {
		case <-s.exited:
			if s.exitErr != nil {
				s.t.Errorf("agent-exec mcp exited with %v after its stdin was closed, want status 0", s.exitErr)
			}
		case <-time.After(exitTimeout):
			s.t.Errorf("agent-exec mcp did not exit within %v of its stdin closing", exitTimeout)
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// kill9 SIGKILLs the server process and waits for it to be gone.
func (s *server) kill9() {
	s.t.Helper()
	s.stopOnce.Do(func() {
		s.killed = true
		if err := s.cmd.Process.Kill(); err != nil {
			s.t.Errorf("kill server: %v", err)
		}
		select {
		case <-s.exited:
		case <-time.After(exitTimeout):
			s.t.Fatalf("agent-exec mcp did not die of SIGKILL within %v", exitTimeout)
		}
		s.cs.Close()
	})
}

func (s *server) cleanup() {
	s.stop()
	b, err := os.ReadFile(s.stderr)
	if err != nil {
		return
	}
	if bytes.Contains(b, []byte("WARNING: DATA RACE")) {
		s.t.Errorf("data race in agent-exec mcp:\n%s", b)
		return
	}
	if s.t.Failed() {
		s.t.Logf("agent-exec mcp stderr (%s):\n%s", s.root.dir, tail(b, 32<<10))
	}
}

// reply is one tool result that passed the envelope checks.
type reply struct {
	env  *envelope
	text string // the text content block, the envelope as JSON
	res  *mcp.CallToolResult
}

// invoke calls a tool and checks the result against the contract: one text
// block holding the same JSON as structuredContent, which validates against
// the tool's output schema, isError exactly when ok is false. It is safe to
// call from any goroutine.
func (s *server) invoke(ctx context.Context, p *mcp.CallToolParams) (*reply, error) {
	res, err := s.cs.CallTool(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", p.Name, err)
	}
	rep, err := checkResult(p.Name, res)
	if rep != nil {
		s.root.note(rep.env)
	}
	return rep, err
}

func checkResult(tool string, res *mcp.CallToolResult) (*reply, error) {
	if len(res.Content) != 1 {
		return nil, fmt.Errorf("%s: %d content blocks, want 1 text block", tool, len(res.Content))
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		return nil, fmt.Errorf("%s: content block is %T, want text", tool, res.Content[0])
	}
	if res.StructuredContent == nil {
		return nil, fmt.Errorf("%s: no structuredContent; text: %s", tool, tc.Text)
	}
	if err := schemas.ValidateOutput(tool, res.StructuredContent); err != nil {
		return nil, fmt.Errorf("%s: structuredContent does not validate against the output schema: %v\n%s", tool, err, tc.Text)
	}
	var fromText any
	if err := json.Unmarshal([]byte(tc.Text), &fromText); err != nil {
		return nil, fmt.Errorf("%s: text block is not JSON: %v\n%s", tool, err, tc.Text)
	}
	if !reflect.DeepEqual(fromText, res.StructuredContent) {
		sc, _ := json.Marshal(res.StructuredContent)
		return nil, fmt.Errorf("%s: text block and structuredContent differ:\ntext:       %s\nstructured: %s", tool, tc.Text, sc)
	}
	env := new(envelope)
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, env); err != nil {
		return nil, fmt.Errorf("%s: decode envelope: %v", tool, err)
	}
	if env.Output != nil && env.Output.Stream == "" {
		env.Output.Stream = "output" // left out for the merged log (schema_version 2)
	}
	rep := &reply{env: env, text: tc.Text, res: res}
	switch {
	case env.SchemaVersion != "2":
		return rep, fmt.Errorf("%s: schema_version %q, want \"2\"", tool, env.SchemaVersion)
	case res.IsError == env.OK:
		return rep, fmt.Errorf("%s: isError %v with ok %v", tool, res.IsError, env.OK)
	case !env.OK && (env.Type != "error" || env.Error == nil):
		return rep, fmt.Errorf("%s: failed result with type %q and error %v", tool, env.Type, env.Error)
	case env.OK && env.Type != tool:
		return rep, fmt.Errorf("%s: ok result of type %q", tool, env.Type)
	}
	return rep, nil
}

// call calls a tool from the test goroutine; any transport or contract
// failure is fatal.
func (s *server) call(tool string, args obj) *reply {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	rep, err := s.invoke(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		s.t.Fatal(err)
	}
	return rep
}

// ok calls a tool that must succeed and returns its envelope.
func (s *server) ok(tool string, args obj) *envelope {
	s.t.Helper()
	rep := s.call(tool, args)
	if !rep.env.OK {
		s.t.Fatalf("%s %v: error %s: %s", tool, args, rep.env.Error.Code, rep.env.Error.Message)
	}
	return rep.env
}

// fail calls a tool that must fail with code and returns the error.
func (s *server) fail(tool string, args obj, code string) *errorView {
	s.t.Helper()
	rep := s.call(tool, args)
	if rep.env.OK {
		s.t.Fatalf("%s %v succeeded, want error %s; got %s", tool, args, code, rep.text)
	}
	if rep.env.Error.Code != code {
		s.t.Fatalf("%s %v: error %s (%s), want %s", tool, args, rep.env.Error.Code, rep.env.Error.Message, code)
	}
	if rep.env.Error.Message == "" {
		s.t.Errorf("%s %v: error %s without a message", tool, args, code)
	}
	return rep.env.Error
}

// runJob runs command (a shell command line) with extra arguments and
// returns the envelope.
func (s *server) runJob(command any, extra obj) *envelope {
	s.t.Helper()
	args := obj{"command": command}
	for k, v := range extra {
		args[k] = v
	}
	return s.ok("run", args)
}

// started runs a long-lived command and returns once it has printed
// a line matching ready (or at once when ready is ""). The job must still
// be running.
func (s *server) started(command any, ready string, extra obj) *envelope {
	s.t.Helper()
	args := obj{"until": 0}
	if ready != "" {
		args["until"], args["wait_for"] = 30, ready
	}
	for k, v := range extra {
		args[k] = v
	}
	env := s.runJob(command, args)
	if env.Job.State != "running" {
		s.t.Fatalf("run %v: state %s (%s), want running; output %q", command, env.Job.State, env.Job.Reason, env.Output.Text)
	}
	if ready != "" && env.Wait.Reason != "matched" {
		s.t.Fatalf("run %v: wait ended by %s, want matched %q; output %q", command, env.Wait.Reason, ready, env.Output.Text)
	}
	return env
}

// detail returns job id's job object with its detail fields (observe
// detail): operation results carry the lean one.
func (s *server) detail(id string) *jobView {
	s.t.Helper()
	return s.ok("observe", obj{"job_id": id, "detail": true}).Job
}

// listAll returns every job of the root.
func (s *server) listAll() []summary {
	s.t.Helper()
	return s.ok("list", obj{"all": true}).Jobs
}

// progressFor returns the progress notifications received for token.
func (s *server) progressFor(token string) []*mcp.ProgressNotificationParams {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	return append([]*mcp.ProgressNotificationParams(nil), s.progress[token]...)
}

func (s *server) progressTotal() int {
	s.progressMu.Lock()
	defer s.progressMu.Unlock()
	n := 0
	for _, l := range s.progress {
		n += len(l)
	}
	return n
}

// capture keeps every byte the server wrote on its stdout.
type capture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

type teeReader struct {
	r *os.File
	c *capture
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.c.mu.Lock()
		t.c.buf.Write(p[:n])
		t.c.mu.Unlock()
	}
	return n, err
}

func (t *teeReader) Close() error { return t.r.Close() }

// jobDir returns the directory of job id.
func (s *server) jobDir(id string) string { return filepath.Join(s.root.dir, id) }
