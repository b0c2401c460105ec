package integration_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests here drive the real Codex and Claude Code CLIs with the
// README's own client snippets, a model stand-in scripting one call of
// agent-exec's run. They need the clients, installed at the versions
// pinned in testdata/clients/package-lock.json (see docs/clients-tried.md):
//
//	npm ci --prefix integration_test/testdata/clients
//	AGENT_EXEC_CLIENTS=$PWD/integration_test/testdata/clients go test -run TestRealClient ./integration_test/
//
// Without AGENT_EXEC_CLIENTS they are skipped; .ci/run sets it when node
// is installed.

// clientTimeout bounds one run of a client, which makes two or three
// model requests and one tool call.
const clientTimeout = 3 * time.Minute

// probeCommand is the command the stand-in model runs through agent-exec:
// it prints hello, then the job's environment, which tells which
// variables reached the server.
const probeCommand = "echo hello; env"

// clientBin returns the path of a client's executable (codex or claude)
// in AGENT_EXEC_CLIENTS, or skips the test.
func clientBin(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("AGENT_EXEC_CLIENTS")
	if dir == "" {
		t.Skip("AGENT_EXEC_CLIENTS is not set: see docs/clients-tried.md to install the clients")
	}
	p := filepath.Join(dir, "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("AGENT_EXEC_CLIENTS=%s: %v (run npm ci --prefix there)", dir, err)
	}
	return p
}

// readmeBlock returns the first fenced code block of the README in
// language lang that contains every one of marks.
func readmeBlock(t *testing.T, lang string, marks ...string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(string(b), -1)
next:
	for _, m := range blocks {
		for _, mark := range marks {
			if !strings.Contains(m[1], mark) {
				continue next
			}
		}
		return m[1]
	}
	t.Fatalf("README.md has no %s block with %q", lang, marks)
	return ""
}

// modelStandIn is a model API that scripts one agent-exec run call: the
// OpenAI Responses API for Codex, the Anthropic Messages API for Claude
// Code (which first loads the deferred tool through its tool search).
// Each tool result that comes back is kept.
type modelStandIn struct {
	*httptest.Server
	command string
	name    string // the job's name; "" for none

	mu      sync.Mutex
	outputs []string // tool results of the run call, as the model got them; guarded by mu
}

func newModelStandIn(t *testing.T, command string) *modelStandIn {
	m := &modelStandIn{command: command}
	m.Server = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.Close)
	return m
}

// results returns the tool results received so far.
func (m *modelStandIn) results() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.outputs...)
}

func (m *modelStandIn) keep(output string) {
	m.mu.Lock()
	m.outputs = append(m.outputs, output)
	m.mu.Unlock()
}

func (m *modelStandIn) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/responses"):
		m.responses(w, body)
	case strings.HasSuffix(r.URL.Path, "/messages"):
		m.messages(w, body)
	default:
		http.NotFound(w, r)
	}
}

// runArgs are the arguments of the scripted run call.
func (m *modelStandIn) runArgs() map[string]any {
	args := map[string]any{"command": m.command, "until": 20}
	if m.name != "" {
		args["name"] = m.name
	}
	return args
}

// events answers with a stream of server-sent events, each named by its
// type field.
func events(w http.ResponseWriter, evs ...map[string]any) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, e := range evs {
		b, _ := json.Marshal(e)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e["type"], b)
	}
}

// responses answers Codex: a run call of the agent-exec namespace, and
// once its output is in the input, a closing message.
func (m *modelStandIn) responses(w http.ResponseWriter, body []byte) {
	var req struct {
		Input []struct {
			Type   string          `json:"type"`
			CallID string          `json:"call_id"`
			Output json.RawMessage `json:"output"`
		} `json:"input"`
		Tools []struct {
			Type  string `json:"type"`
			Name  string `json:"name"`
			Tools []struct {
				Name string `json:"name"`
			} `json:"tools"`
		} `json:"tools"`
	}
	_ = json.Unmarshal(body, &req)
	created := map[string]any{"type": "response.created", "response": map[string]any{"id": "resp"}}
	completed := map[string]any{"type": "response.completed", "response": map[string]any{"id": "resp",
		"usage": map[string]any{"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}}
	message := func(text string) map[string]any {
		return map[string]any{"type": "response.output_item.done", "item": map[string]any{"type": "message", "role": "assistant",
			"id": "msg", "content": []any{map[string]any{"type": "output_text", "text": text}}}}
	}
	for _, in := range req.Input {
		if in.Type == "function_call_output" && in.CallID == "call_run" {
			m.keep(outputText(in.Output))
			events(w, created, message("done"), completed)
			return
		}
	}
	for _, tool := range req.Tools {
		for _, sub := range tool.Tools {
			if tool.Type == "namespace" && strings.Contains(tool.Name, "agent_exec") && sub.Name == "run" {
				args, _ := json.Marshal(m.runArgs())
				events(w, created, map[string]any{"type": "response.output_item.done", "item": map[string]any{
					"type": "function_call", "call_id": "call_run", "namespace": tool.Name, "name": "run", "arguments": string(args)}}, completed)
				return
			}
		}
	}
	events(w, created, message("agent-exec's run tool was not offered"), completed)
}

// outputText is a function call's output as text: a string, or the text
// of its parts.
func outputText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
		b.WriteString("\n")
	}
	return b.String()
}

// messages answers Claude Code: requests without tools (titles and the
// like) get a word; the main loop gets a tool search that loads the run
// tool, then the run call, then a closing message.
func (m *modelStandIn) messages(w http.ResponseWriter, body []byte) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	_ = json.Unmarshal(body, &req)
	results := map[string]string{}
	for _, msg := range req.Messages {
		var blocks []struct {
			Type      string          `json:"type"`
			ToolUseID string          `json:"tool_use_id"`
			Content   json.RawMessage `json:"content"`
		}
		_ = json.Unmarshal(msg.Content, &blocks)
		for _, b := range blocks {
			if b.Type == "tool_result" {
				results[b.ToolUseID] = outputText(b.Content)
			}
		}
	}
	offered := map[string]bool{}
	for _, tool := range req.Tools {
		offered[tool.Name] = true
	}
	start := map[string]any{"type": "message_start", "message": map[string]any{"id": "msg", "type": "message", "role": "assistant",
		"model": req.Model, "content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": 1, "output_tokens": 1}}}
	end := func(reason string) []map[string]any {
		return []map[string]any{
			{"type": "content_block_stop", "index": 0},
			{"type": "message_delta", "delta": map[string]any{"stop_reason": reason, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": 1}},
			{"type": "message_stop"},
		}
	}
	text := func(s string) {
		events(w, append([]map[string]any{start,
			{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}},
			{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": s}},
		}, end("end_turn")...)...)
	}
	use := func(id, name string, input any) {
		in, _ := json.Marshal(input)
		events(w, append([]map[string]any{start,
			{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "tool_use", "id": id, "name": name, "input": map[string]any{}}},
			{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "input_json_delta", "partial_json": string(in)}},
		}, end("tool_use")...)...)
	}
	const run = "mcp__agent-exec__run"
	switch out, ran := results["toolu_run"]; {
	case len(req.Tools) == 0:
		text("ok")
	case ran:
		m.keep(out)
		text("done")
	case offered[run]:
		use("toolu_run", run, m.runArgs())
	case offered["ToolSearch"]:
		use("toolu_search", "ToolSearch", map[string]any{"query": "select:" + run, "max_results": 1})
	default:
		text("agent-exec's run tool was not offered")
	}
}

// clientEnv is a small environment for a client with home as HOME, plus
// extra. PATH leads to the agent-exec under test and to the clients.
func clientEnv(home string, extra ...string) []string {
	clients := filepath.Join(os.Getenv("AGENT_EXEC_CLIENTS"), "node_modules", ".bin")
	return append([]string{
		"HOME=" + home,
		"PATH=" + strings.Join([]string{binDir, clients, os.Getenv("PATH")}, string(os.PathListSeparator)),
		"LANG=C.UTF-8",
		"TERM=dumb",
	}, extra...)
}

// runClient runs a client command in dir and returns its combined output;
// a failure or a run over clientTimeout is fatal.
func runClient(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", filepath.Base(name), args, err, out)
	}
	return string(out)
}

// oneResult returns the one tool result m received, which must be a run
// that printed hello.
func oneResult(t *testing.T, m *modelStandIn, clientOutput string) string {
	t.Helper()
	res := m.results()
	if len(res) != 1 {
		t.Fatalf("%d tool results reached the model, want 1; client said:\n%s", len(res), clientOutput)
	}
	if !strings.Contains(res[0], `"type":"run"`) || !strings.Contains(res[0], `hello\n`) || !strings.Contains(res[0], `"exit_code":0`) {
		t.Fatalf("the tool result the model got is not the run of %q: %s", probeCommand, res[0])
	}
	return res[0]
}

// codexConfig is a Codex configuration that uses m as its model, then
// snippet and the lines of more (under the snippet's table). codex exec
// starts its turn without a server that is not up yet, which a loaded
// machine's race-built agent-exec may not be: the server is made
// required, with a generous start-up time.
func codexConfig(t *testing.T, home string, m *modelStandIn, snippet string, more ...string) {
	t.Helper()
	more = append(more, "required = true", "startup_timeout_sec = 120")
	conf := fmt.Sprintf(`model = "stand-in"
model_provider = "stand-in"

[model_providers.stand-in]
name = "stand-in"
base_url = "%s/v1"
wire_api = "responses"

%s%s
`, m.URL, snippet, strings.Join(more, "\n"))
	if err := os.MkdirAll(filepath.Join(home, ".codex"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".codex", "config.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}

// codexExec runs codex exec in dir with home's configuration.
func codexExec(t *testing.T, dir, home string, env ...string) string {
	t.Helper()
	return runClient(t, dir, clientEnv(home, env...), clientBin(t, "codex"),
		"exec", "--skip-git-repo-check", "run echo hello with agent-exec")
}

// claudePrint runs claude -p in dir with home's configuration and m as
// its model, the agent-exec tools allowed.
func claudePrint(t *testing.T, dir, home string, m *modelStandIn, env ...string) string {
	t.Helper()
	env = append(clientEnv(home, env...),
		"ANTHROPIC_BASE_URL="+m.URL, "ANTHROPIC_API_KEY=stand-in",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_AUTOUPDATER=1",
		"MCP_TIMEOUT=120000") // a loaded machine's race-built server may start slowly
	return runClient(t, dir, env, clientBin(t, "claude"),
		"-p", "run echo hello with agent-exec", "--allowedTools", "mcp__agent-exec")
}

// shellSnippet runs a README shell snippet with bash in dir.
func shellSnippet(t *testing.T, dir, home, snippet string) {
	t.Helper()
	runClient(t, dir, clientEnv(home), "bash", "-euc", snippet)
}

// TestRealClientCodexStdio: the README's Codex snippet, in Codex: the call
// reaches agent-exec, its result reaches the model, and the job's
// environment is Codex's small one plus the variables the snippet
// forwards.
func TestRealClientCodexStdio(t *testing.T) {
	t.Parallel()
	clientBin(t, "codex")
	m := newModelStandIn(t, probeCommand)
	home, dir := t.TempDir(), t.TempDir()
	snippet := readmeBlock(t, "toml", "[mcp_servers.agent-exec]", `command = "agent-exec"`)
	// codex exec cannot ask before a call; the README says so.
	codexConfig(t, home, m, snippet, `default_tools_approval_mode = "approve"`)
	out := codexExec(t, dir, home, "GOPATH=/probe/gopath", "NOT_FORWARDED=probe")
	res := oneResult(t, m, out)
	if !strings.Contains(res, `GOPATH=/probe/gopath`) {
		t.Errorf("GOPATH, which the snippet forwards, did not reach the job: %s", res)
	}
	if strings.Contains(res, "NOT_FORWARDED") {
		t.Errorf("a variable the snippet does not forward reached the job: %s", res)
	}
}

// TestRealClientClaudeCodeStdio: the README's Claude Code command, in Claude
// Code: the job gets Claude Code's environment, plus what -e adds.
func TestRealClientClaudeCodeStdio(t *testing.T) {
	t.Parallel()
	clientBin(t, "claude")
	m := newModelStandIn(t, probeCommand)
	home, dir := t.TempDir(), t.TempDir()
	snippet := readmeBlock(t, "sh", "claude mcp add agent-exec")
	shellSnippet(t, dir, home, snippet)
	out := claudePrint(t, dir, home, m, "FROM_CLAUDES_SHELL=probe")
	res := oneResult(t, m, out)
	if !strings.Contains(res, "FROM_CLAUDES_SHELL=probe") {
		t.Errorf("Claude Code's own environment did not reach the job: %s", res)
	}
}

// httpServerForClients starts agent-exec mcp --http with home as HOME and
// no --root, so its generated token is where the README's snippets read
// it, and returns its URL, the token and its log.
func httpServerForClients(t *testing.T, home string) (url, token string, log *lineLog) {
	t.Helper()
	cmd := exec.Command(binPath, "mcp", "--http", "127.0.0.1:0")
	cmd.Env = append(clientEnv(home), baseEnvRace()...)
	cmd.Dir = home
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log = newLineLog()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.add(sc.Text())
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-copied
		cmd.Wait()
		if t.Failed() {
			t.Logf("agent-exec mcp --http said:\n%s", log)
		}
	})
	line, ok := log.wait(urlField.MatchString, 30*time.Second)
	if !ok {
		t.Fatal("agent-exec mcp --http did not report its URL within 30s")
	}
	b, err := os.ReadFile(filepath.Join(home, ".local/share/agent-exec/jobs/.http-token"))
	if err != nil {
		t.Fatalf("the generated token is not where the README's snippets read it: %v", err)
	}
	return urlField.FindStringSubmatch(line)[1], strings.TrimSpace(string(b)), log
}

// lineLog keeps the lines a process writes and lets a test wait for one.
type lineLog struct {
	mu      sync.Mutex
	lines   []string      // guarded by mu
	changed chan struct{} // closed at the next line; guarded by mu
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

func (l *lineLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	close(l.changed)
	l.changed = make(chan struct{})
}

// wait returns the first line for which match is true, waiting up to d
// for it to be written.
func (l *lineLog) wait(match func(string) bool, d time.Duration) (string, bool) {
	deadline := time.After(d)
	for seen := 0; ; {
		l.mu.Lock()
		lines, changed := l.lines[seen:], l.changed
		seen = len(l.lines)
		l.mu.Unlock()
		for _, line := range lines {
			if match(line) {
				return line, true
			}
		}
		select {
		case <-changed:
		case <-deadline:
			return "", false
		}
	}
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// baseEnvRace is what a race-built server needs in its environment.
func baseEnvRace() []string {
	if raceEnabled {
		return []string{"GORACE=atexit_sleep_ms=0"}
	}
	return nil
}

// readmeURL is the endpoint the README's HTTP snippets name.
const readmeURL = "http://127.0.0.1:7727/mcp"

// TestRealClientCodexHTTP: the README's Codex snippet for a server over
// HTTP. With tool_timeout_sec set, Codex cancels a waiting call: the
// model gets Codex's time-out and the job runs on. (Codex 0.171.0 sends
// notifications/cancelled and then gives up the call's POST, sometimes
// before the cancel arrives; either way no response is sent, which
// TestHTTPCancelledCallGetsNoResponse checks on the wire.)
func TestRealClientCodexHTTP(t *testing.T) {
	t.Parallel()
	clientBin(t, "codex")
	home, dir := t.TempDir(), t.TempDir()
	url, token, _ := httpServerForClients(t, home)
	snippet := strings.ReplaceAll(readmeBlock(t, "toml", "[mcp_servers.agent-exec]", readmeURL), readmeURL, url)

	m := newModelStandIn(t, probeCommand)
	codexConfig(t, home, m, snippet, `default_tools_approval_mode = "approve"`)
	oneResult(t, m, codexExec(t, dir, home, "AGENT_EXEC_TOKEN="+token))

	slow := newModelStandIn(t, "echo started; exec sleep 600")
	slow.name = "slow"
	codexConfig(t, home, slow, snippet, `default_tools_approval_mode = "approve"`, "tool_timeout_sec = 3")
	out := codexExec(t, dir, home, "AGENT_EXEC_TOKEN="+token)
	if res := slow.results(); len(res) != 1 || !strings.Contains(res[0], "timed out") {
		t.Fatalf("the model got %q for a call past tool_timeout_sec, want Codex's time-out; client said:\n%s", res, out)
	}
	// The job runs on.
	root := filepath.Join(home, ".local/share/agent-exec/jobs")
	cli := func(args ...string) string {
		cmd := exec.Command(binPath, append([]string{"--root", root}, args...)...)
		cmd.Env = clientEnv(home)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("agent-exec %q: %v %s", args, err, out)
		}
		return string(out)
	}
	if out := cli("observe", "slow"); !strings.Contains(out, `"state":"running"`) {
		t.Errorf("the job of the cancelled call is not running: %s", out)
	}
	cli("kill", "--grace", "1", "slow")
}

// TestRealClientClaudeCodeHTTP: the README's Claude Code command for a server
// over HTTP.
func TestRealClientClaudeCodeHTTP(t *testing.T) {
	t.Parallel()
	clientBin(t, "claude")
	home, dir := t.TempDir(), t.TempDir()
	url, _, _ := httpServerForClients(t, home)
	snippet := strings.ReplaceAll(readmeBlock(t, "sh", "claude mcp add --transport http"), readmeURL, url)
	shellSnippet(t, dir, home, snippet)
	m := newModelStandIn(t, probeCommand)
	oneResult(t, m, claudePrint(t, dir, home, m))
}
