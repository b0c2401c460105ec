package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// tsClientDir holds the node script that drives agent-exec with the
// official MCP TypeScript SDK; its packages are installed on first use
// (needTSClient), as .ci/run also does.
const tsClientDir = "testdata/tsclient"

// tsStep runs one step of the TypeScript client (tasks.mjs) against a new
// "agent-exec mcp" on r, and decodes the JSON line it prints. The server
// runs only while the step does.
func tsStep(t *testing.T, r *root, step string, args ...string) map[string]any {
	t.Helper()
	return tsRun(t, binPath, r.dir, nil, step, args...)
}

// tsStepHTTP runs one step of the TypeScript client against s, a server
// over HTTP.
func tsStepHTTP(t *testing.T, s *server, step string, args ...string) map[string]any {
	t.Helper()
	return tsRun(t, s.http.url, s.root.dir, []string{"MCP_BEARER_TOKEN=" + s.http.token}, step, args...)
}

func tsRun(t *testing.T, target, rootDir string, env []string, step string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"tasks.mjs", step, target, rootDir}, args...)...)
	cmd.Dir = tsClientDir
	cmd.Env = append(baseEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node tasks.mjs %s: %v\nstdout:\n%s\nstderr:\n%s", step, err, stdout.Bytes(), tail(stderr.Bytes(), 8<<10))
	}
	var out map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &out); err != nil {
		t.Fatalf("node tasks.mjs %s: output is not one JSON object: %v\n%s", step, err, stdout.Bytes())
	}
	return out
}

// needTSClient skips when node is not installed. Where it is, the pinned
// SDK is installed on first use (npm ci, from the committed lock file), so
// the README's test command is the whole set-up; a failed install fails
// the test rather than skipping it.
func needTSClient(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the TypeScript SDK client cannot run")
	}
	tsInstall.Do(func() { tsInstallErr = installTSClient() })
	if tsInstallErr != nil {
		t.Fatalf("the TypeScript SDK is not installed in integration_test/%s: %v", tsClientDir, tsInstallErr)
	}
}

var (
	tsInstall    sync.Once
	tsInstallErr error
)

// installTSClient runs npm ci in tsClientDir unless the SDK is there.
func installTSClient() error {
	sdk := filepath.Join(tsClientDir, "node_modules", "@modelcontextprotocol", "sdk")
	if _, err := os.Stat(sdk); err == nil {
		return nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = tsClientDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci: %w\n%s", err, tail(out, 4<<10))
	}
	if _, err := os.Stat(sdk); err != nil {
		return fmt.Errorf("npm ci left no SDK: %w", err)
	}
	return nil
}

// jsonAt returns the value at a dotted path of nested objects.
func jsonAt(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestTasksTypeScriptClient: the official TypeScript SDK's client creates
// a task for a run of "sleep 2; echo done"; its server stops; a new server
// on the same root, from a new connection, answers tasks/get and
// tasks/result with the run's output. A task on "sleep 600" that is
// cancelled leaves its job running. Unknown task ids and a task for a tool
// without task support are JSON-RPC errors.
func TestTasksTypeScriptClient(t *testing.T) {
	t.Parallel()
	needTSClient(t)
	r := newRoot(t)

	created := tsStep(t, r, "create", "sleep 2; echo done")
	if got := jsonText(created["serverTasks"]); got != `{"cancel":{},"list":{},"requests":{"tools":{"call":{}}}}` {
		t.Errorf("server tasks capability = %s", got)
	}
	if got := jsonText(created["taskSupport"]); !strings.Contains(got, `"run":"optional"`) || !strings.Contains(got, `"kill":null`) {
		t.Errorf("taskSupport per tool = %s", got)
	}
	taskID, _ := jsonAt(created, "task.taskId").(string)
	jobID, _, _ := strings.Cut(taskID, ".")
	if taskID == "" || jsonAt(created, "task.status") != "working" || !r.allIDs()[jobID] {
		t.Fatalf("created task = %s (job %q)", jsonText(created["task"]), jobID)
	}

	// The first server has stopped; this is a new one.
	done := tsStep(t, r, "result", taskID)
	if s := jsonAt(done, "get.status"); s != "working" && s != "completed" {
		t.Errorf("tasks/get from a new server: status %v", s)
	}
	if got := jsonAt(done, "result.structuredContent.output.text"); got != "done\n" {
		t.Errorf("tasks/result output = %q, want %q; result %s", got, "done\n", jsonText(done["result"]))
	}
	if jsonAt(done, "result.structuredContent.type") != "run" || jsonAt(done, "result.structuredContent.job.exit_code") != 0.0 {
		t.Errorf("tasks/result envelope = %s", jsonText(jsonAt(done, "result.structuredContent")))
	}
	if got := jsonAt(done, "result._meta"); jsonText(got) != `{"io.modelcontextprotocol/related-task":{"taskId":"`+taskID+`"}}` {
		t.Errorf("tasks/result _meta = %s", jsonText(got))
	}
	if got := jsonText(done["list"]); !strings.Contains(got, taskID) {
		t.Errorf("tasks/list = %s, want %s in it", got, taskID)
	}

	// Cancelling a task stops waiting; the job keeps running.
	long := tsStep(t, r, "create", "sleep 600")
	longID, _ := jsonAt(long, "task.taskId").(string)
	longJob, _, _ := strings.Cut(longID, ".")
	cancelled := tsStep(t, r, "cancel", longID)
	if jsonAt(cancelled, "cancel.status") != "cancelled" || jsonAt(cancelled, "get.status") != "cancelled" {
		t.Errorf("tasks/cancel %s, then tasks/get %s", jsonText(cancelled["cancel"]), jsonText(cancelled["get"]))
	}
	if got := jsonAt(cancelled, "observe.structuredContent.job.state"); got != "running" {
		t.Errorf("the job after tasks/cancel, seen by the same client: %v", got)
	}
	if got := jsonAt(cancelled, "again.code"); got != -32602.0 {
		t.Errorf("tasks/cancel of a cancelled task: %s", jsonText(cancelled["again"]))
	}
	s := startServer(t, onRoot(r))
	if env := s.ok("observe", obj{"job_id": longJob}); env.Job.State != "running" {
		t.Errorf("the job after tasks/cancel, seen by the Go SDK client: %s", env.Job.State)
	}

	failed := tsStep(t, r, "errors")
	for _, k := range []string{"unknownGet", "unknownResult", "unknownCancel"} {
		if got := jsonAt(failed, k+".code"); got != -32602.0 {
			t.Errorf("%s: %s, want code -32602", k, jsonText(failed[k]))
		}
	}
	if got := jsonAt(failed, "noTaskSupport.code"); got != -32601.0 {
		t.Errorf("a task for kill: %s, want code -32601", jsonText(failed["noTaskSupport"]))
	}
}

// TestTasksTypeScriptClientHTTP: the same over streamable HTTP. A task
// created through one server is answered, with the run's output, by a new
// server on the same root; a cancelled task leaves its job running.
func TestTasksTypeScriptClientHTTP(t *testing.T) {
	t.Parallel()
	needTSClient(t)
	r := newRoot(t)
	first := startServer(t, onRoot(r), overHTTP())
	created := tsStepHTTP(t, first, "create", "sleep 2; echo done")
	if got := jsonText(created["serverTasks"]); got != `{"cancel":{},"list":{},"requests":{"tools":{"call":{}}}}` {
		t.Errorf("server tasks capability over HTTP = %s", got)
	}
	taskID, _ := jsonAt(created, "task.taskId").(string)
	if taskID == "" || jsonAt(created, "task.status") != "working" {
		t.Fatalf("created task = %s", jsonText(created["task"]))
	}
	first.stopHTTP()

	second := startServer(t, onRoot(r), overHTTP())
	done := tsStepHTTP(t, second, "result", taskID)
	if got := jsonAt(done, "result.structuredContent.output.text"); got != "done\n" {
		t.Errorf("tasks/result over HTTP: output %q; result %s", got, jsonText(done["result"]))
	}
	if got := jsonAt(done, "result._meta"); jsonText(got) != `{"io.modelcontextprotocol/related-task":{"taskId":"`+taskID+`"}}` {
		t.Errorf("tasks/result _meta = %s", jsonText(got))
	}

	long := tsStepHTTP(t, second, "create", "sleep 600")
	longID, _ := jsonAt(long, "task.taskId").(string)
	longJob, _, _ := strings.Cut(longID, ".")
	cancelled := tsStepHTTP(t, second, "cancel", longID)
	if jsonAt(cancelled, "cancel.status") != "cancelled" || jsonAt(cancelled, "observe.structuredContent.job.state") != "running" {
		t.Errorf("tasks/cancel over HTTP: %s; the job: %v", jsonText(cancelled["cancel"]), jsonAt(cancelled, "observe.structuredContent.job.state"))
	}
	if env := second.ok("observe", obj{"job_id": longJob}); env.Job.State != "running" {
		t.Errorf("the job after tasks/cancel over HTTP: %s", env.Job.State)
	}
	failed := tsStepHTTP(t, second, "errors")
	if jsonAt(failed, "unknownGet.code") != -32602.0 || jsonAt(failed, "noTaskSupport.code") != -32601.0 {
		t.Errorf("errors over HTTP: %s", jsonText(failed))
	}
}
