package tools

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/internal/testutil"
	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// rpcSession is a raw JSON-RPC client of Serve over pipes: what a task
// client sends, byte for byte.
type rpcSession struct {
	t      *testing.T
	in     *io.PipeWriter
	done   chan error
	cancel context.CancelFunc
	once   sync.Once

	mu      sync.Mutex
	nextID  int
	waiting map[string]chan map[string]any
}

func startSession(t *testing.T, svc *jobs.Service) *rpcSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	s := &rpcSession{t: t, in: inW, done: make(chan error, 1), cancel: cancel, waiting: map[string]chan map[string]any{}}
	go func() {
		s.done <- Serve(ctx, svc, inR, outW, slog.New(slog.DiscardHandler))
		outW.Close()
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil || m["id"] == nil {
				continue
			}
			key := fmt.Sprint(m["id"])
			s.mu.Lock()
			ch := s.waiting[key]
			delete(s.waiting, key)
			s.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}()
	t.Cleanup(s.close)
	init := s.call("initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "tasks-test", "version": "1"}})
	if init["error"] != nil {
		t.Fatalf("initialize: %v", init["error"])
	}
	s.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	return s
}

func (s *rpcSession) close() { s.once.Do(s.shut) }

func (s *rpcSession) shut() {
	s.in.Close()
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		s.t.Errorf("Serve did not return after stdin closed")
	}
	s.cancel()
}

func (s *rpcSession) send(msg map[string]any) {
	b, _ := json.Marshal(msg)
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// start sends a request and returns the channel its answer arrives on,
// and its id.
func (s *rpcSession) start(method string, params any) (<-chan map[string]any, int) {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	ch := make(chan map[string]any, 1)
	s.waiting[fmt.Sprint(id)] = ch
	s.mu.Unlock()
	s.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	return ch, id
}

func (s *rpcSession) await(ch <-chan map[string]any, what string) map[string]any {
	s.t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(30 * time.Second):
		s.t.Fatalf("%s: no answer in 30 s", what)
		return nil
	}
}

func (s *rpcSession) call(method string, params any) map[string]any {
	s.t.Helper()
	ch, _ := s.start(method, params)
	return s.await(ch, method)
}

// result returns a successful answer's result.
func (s *rpcSession) result(method string, params any) map[string]any {
	s.t.Helper()
	m := s.call(method, params)
	if m["error"] != nil {
		s.t.Fatalf("%s: error %v", method, m["error"])
	}
	return m["result"].(map[string]any)
}

// rpcErr returns an answer's JSON-RPC error code, failing when it has none.
func (s *rpcSession) rpcErr(method string, params any) (float64, string) {
	s.t.Helper()
	m := s.call(method, params)
	e, ok := m["error"].(map[string]any)
	if !ok {
		s.t.Fatalf("%s: want a JSON-RPC error, got %v", method, m)
	}
	return e["code"].(float64), e["message"].(string)
}

func (s *rpcSession) createTask(tool string, args map[string]any) map[string]any {
	s.t.Helper()
	res := s.result("tools/call", map[string]any{"name": tool, "arguments": args, "task": map[string]any{"ttl": 60000}})
	task, ok := res["task"].(map[string]any)
	if !ok {
		s.t.Fatalf("tools/call %s with task: no task in %v", tool, res)
	}
	return task
}

// envelopeOfResult decodes a tools/call (or tasks/result) result's
// structuredContent.
func envelopeOfResult(t *testing.T, res map[string]any) *jobs.Envelope {
	t.Helper()
	b, _ := json.Marshal(res["structuredContent"])
	var env jobs.Envelope
	if err := json.Unmarshal(b, &env); err != nil || env.SchemaVersion == "" {
		t.Fatalf("no envelope in %v", res)
	}
	return &env
}

func taskService(t *testing.T, root string) *jobs.Service {
	t.Helper()
	st, err := jobstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobs.New(st, jobs.Options{Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// Runs after the test's own cleanups (a kill of its job), before
	// root's removal: a supervisor writes a little after the final state
	// a kill or a wait returns on.
	t.Cleanup(func() {
		svc.Close()
		testutil.AwaitSupervisors(t, root, 30*time.Second)
	})
	return svc
}

// TestTasksAdvertised: initialize says tasks {list, cancel,
// requests.tools.call}, and exactly run, start, restart and observe say
// taskSupport optional.
func TestTasksAdvertised(t *testing.T) {
	svc := taskService(t, t.TempDir())
	s := startSession(t, svc)
	ch, _ := s.start("initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "again", "version": "1"}})
	caps := s.await(ch, "initialize")["result"].(map[string]any)["capabilities"].(map[string]any)
	b, _ := json.Marshal(caps["tasks"])
	if string(b) != `{"cancel":{},"list":{},"requests":{"tools":{"call":{}}}}` {
		t.Errorf("tasks capability = %s", b)
	}
	tools := s.result("tools/list", map[string]any{})["tools"].([]any)
	for _, tl := range tools {
		tm := tl.(map[string]any)
		name := tm["name"].(string)
		b, _ := json.Marshal(tm["execution"])
		want := "null"
		if taskTools[name] {
			want = `{"taskSupport":"optional"}`
		}
		if string(b) != want {
			t.Errorf("%s: execution = %s, want %s", name, b, want)
		}
	}
}

// TestTaskLifecycle: a task for a run answers at once with a task id
// that names the job; tasks/get says working while it runs, tasks/result
// waits for the end and returns run's envelope; a server started anew on
// the same root answers for the task.
func TestTaskLifecycle(t *testing.T) {
	root := t.TempDir()
	svc := taskService(t, root)
	s := startSession(t, svc)
	task := s.createTask("run", map[string]any{"command": "read x; echo done", "interactive": true})
	id := task["taskId"].(string)
	if task["status"] != "working" || task["ttl"] != nil || task["createdAt"] == "" || task["pollInterval"] == nil {
		t.Fatalf("created task = %v", task)
	}
	jobID, _, ok := strings.Cut(id, ".")
	if !ok || !jobstore.ValidID(jobID) {
		t.Fatalf("task id %q does not name a job", id)
	}
	if got := s.result("tasks/get", map[string]any{"taskId": id}); got["status"] != "working" {
		t.Fatalf("tasks/get while running = %v", got)
	}
	// tasks/result waits; the input ends the job, and the answer comes.
	ch, _ := s.start("tasks/result", map[string]any{"taskId": id})
	in := s.result("tools/call", map[string]any{"name": "input", "arguments": map[string]any{"job_id": jobID, "text": "go\n", "until": 0}})
	if in["isError"] == true {
		t.Fatalf("input: %v", in)
	}
	m := s.await(ch, "tasks/result")
	res := m["result"].(map[string]any)
	env := envelopeOfResult(t, res)
	if env.Type != "run" || env.Job.JobID != jobID || env.Job.State != "exited" || env.Output == nil || env.Output.Text != "done\n" {
		t.Fatalf("tasks/result envelope = %+v (output %+v)", env, env.Output)
	}
	meta, _ := json.Marshal(res["_meta"])
	if string(meta) != `{"io.modelcontextprotocol/related-task":{"taskId":"`+id+`"}}` {
		t.Errorf("tasks/result _meta = %s", meta)
	}
	s.close()

	// Another server on the same root.
	s2 := startSession(t, taskService(t, root))
	if got := s2.result("tasks/get", map[string]any{"taskId": id}); got["status"] != "completed" {
		t.Fatalf("tasks/get from a new server = %v", got)
	}
	env = envelopeOfResult(t, s2.result("tasks/result", map[string]any{"taskId": id}))
	if env.Output.Text != "done\n" {
		t.Fatalf("tasks/result from a new server: output %q", env.Output.Text)
	}
	list := s2.result("tasks/list", map[string]any{})["tasks"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["taskId"] != id {
		t.Fatalf("tasks/list = %v", list)
	}
	// delete takes the task with the job.
	s2.result("tools/call", map[string]any{"name": "delete", "arguments": map[string]any{"job_id": jobID}})
	if code, _ := s2.rpcErr("tasks/get", map[string]any{"taskId": id}); code != rpcInvalidParams {
		t.Fatalf("tasks/get of a deleted job's task: code %v", code)
	}
}

// TestTaskCancel: tasks/cancel ends a waiting tasks/result and leaves the
// job running; a cancelled task cannot be cancelled again.
func TestTaskCancel(t *testing.T) {
	// The cancel is sent once the tasks/result waits: sent before, it
	// would find a task that is not waited on yet (its later tasks/result
	// answers not_waited), which is not what this test is about.
	waiting := make(chan string, 1)
	taskWaitAdded = func(id string) {
		select {
		case waiting <- id:
		default:
		}
	}
	t.Cleanup(func() { taskWaitAdded = nil }) // after the session's end
	svc := taskService(t, t.TempDir())
	s := startSession(t, svc)
	task := s.createTask("run", map[string]any{"command": "sleep 600"})
	id := task["taskId"].(string)
	jobID, _, _ := strings.Cut(id, ".")
	t.Cleanup(func() {
		svc.Kill(context.Background(), &jobs.KillRequest{JobID: jobID})
	})
	ch, _ := s.start("tasks/result", map[string]any{"taskId": id})
	select {
	case got := <-waiting:
		if got != id {
			t.Fatalf("a wait on task %s, want %s", got, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tasks/result does not wait after 30 s")
	}
	got := s.result("tasks/cancel", map[string]any{"taskId": id})
	if got["status"] != "cancelled" || got["taskId"] != id {
		t.Fatalf("tasks/cancel = %v", got)
	}
	env := envelopeOfResult(t, s.await(ch, "tasks/result")["result"].(map[string]any))
	if env.Job.State != "running" || env.Wait == nil || env.Wait.Reason != jobs.WaitCancelled {
		t.Fatalf("tasks/result of a cancelled task: job %+v wait %+v", env.Job, env.Wait)
	}
	obs := envelopeOfResult(t, s.result("tools/call", map[string]any{"name": "observe", "arguments": map[string]any{"job_id": jobID}}))
	if obs.Job.State != "running" {
		t.Fatalf("the job after tasks/cancel: %s", obs.Job.State)
	}
	if got := s.result("tasks/get", map[string]any{"taskId": id}); got["status"] != "cancelled" {
		t.Fatalf("tasks/get after cancel = %v", got)
	}
	if code, msg := s.rpcErr("tasks/cancel", map[string]any{"taskId": id}); code != rpcInvalidParams || !strings.Contains(msg, "cancelled") {
		t.Fatalf("second tasks/cancel: %v %q", code, msg)
	}
}

// TestTaskCondition: a task with wait_for completes when the line is
// printed, though the job keeps running; an observe task on it too.
func TestTaskCondition(t *testing.T) {
	svc := taskService(t, t.TempDir())
	s := startSession(t, svc)
	task := s.createTask("run", map[string]any{"command": "read x; echo ready; sleep 600", "interactive": true, "wait_for": "^ready", "name": "srv"})
	id := task["taskId"].(string)
	jobID, _, _ := strings.Cut(id, ".")
	t.Cleanup(func() {
		svc.Kill(context.Background(), &jobs.KillRequest{JobID: jobID})
	})
	obsTask := s.createTask("observe", map[string]any{"job_id": "srv", "wait_for": "^ready"})
	obsID := obsTask["taskId"].(string)
	if !strings.HasPrefix(obsID, jobID+".") {
		t.Fatalf("observe task %q is not under job %s", obsID, jobID)
	}
	if got := s.result("tasks/get", map[string]any{"taskId": id}); got["status"] != "working" {
		t.Fatalf("tasks/get before the line = %v", got)
	}
	ch, _ := s.start("tasks/result", map[string]any{"taskId": id})
	s.result("tools/call", map[string]any{"name": "input", "arguments": map[string]any{"job_id": jobID, "text": "go\n", "until": 0}})
	env := envelopeOfResult(t, s.await(ch, "tasks/result")["result"].(map[string]any))
	if env.Wait == nil || env.Wait.Reason != jobs.WaitMatched || env.Job.State != "running" {
		t.Fatalf("tasks/result: wait %+v job %+v", env.Wait, env.Job)
	}
	if got := s.result("tasks/get", map[string]any{"taskId": obsID}); got["status"] != "completed" {
		t.Fatalf("observe task after the line = %v", got)
	}
	env = envelopeOfResult(t, s.result("tasks/result", map[string]any{"taskId": obsID}))
	if env.Type != "observe" || env.Wait == nil || env.Wait.Reason != jobs.WaitMatched {
		t.Fatalf("observe task result: %+v wait %+v", env, env.Wait)
	}
	if code, _ := s.rpcErr("tasks/cancel", map[string]any{"taskId": id}); code != rpcInvalidParams {
		t.Fatalf("tasks/cancel of a completed task: code %v", code)
	}
}

// TestTaskFailures: the protocol errors of the task methods, and a launch
// that fails gives a failed task whose result is the error envelope.
func TestTaskFailures(t *testing.T) {
	svc := taskService(t, t.TempDir())
	s := startSession(t, svc)
	for _, id := range []string{"nope", "01jzzzzzzzzzzzzzzzzzzzzzzz.0123456789abcdef", "../../etc/passwd", "failed.0000000000000000"} {
		for _, m := range []string{"tasks/get", "tasks/result", "tasks/cancel"} {
			if code, _ := s.rpcErr(m, map[string]any{"taskId": id}); code != rpcInvalidParams {
				t.Errorf("%s %q: code %v, want %d", m, id, code, rpcInvalidParams)
			}
		}
	}
	if code, _ := s.rpcErr("tasks/get", map[string]any{}); code != rpcInvalidParams {
		t.Errorf("tasks/get without taskId: code %v", code)
	}
	if code, _ := s.rpcErr("tasks/list", map[string]any{"cursor": "!!"}); code != rpcInvalidParams {
		t.Errorf("tasks/list with a bad cursor: code %v", code)
	}
	for _, tool := range []string{"kill", "list", "no_such_tool"} {
		m := s.call("tools/call", map[string]any{"name": tool, "arguments": map[string]any{"job_id": "x"}, "task": map[string]any{}})
		if e, ok := m["error"].(map[string]any); !ok || e["code"].(float64) != rpcMethodNotFound {
			t.Errorf("task-augmented %s: %v", tool, m)
		}
	}
	task := s.createTask("run", map[string]any{"command": "true", "max_bytes": 1})
	if task["status"] != "failed" {
		t.Fatalf("task of a bad call = %v", task)
	}
	res := s.result("tasks/result", map[string]any{"taskId": task["taskId"]})
	env := envelopeOfResult(t, res)
	if res["isError"] != true || env.OK || env.Error.Code != jobs.CodeInvalidInput {
		t.Fatalf("failed task's result = %v", res)
	}
	task = s.createTask("observe", map[string]any{"job_id": "missing"})
	if task["status"] != "failed" {
		t.Fatalf("observe task of a missing job = %v", task)
	}
}

// TestTaskListPages: tasks/list gives every task once, newest first, a
// page at a time.
func TestTaskListPages(t *testing.T) {
	svc := taskService(t, t.TempDir())
	s := startSession(t, svc)
	if got := s.result("tasks/list", nil)["tasks"].([]any); len(got) != 0 {
		t.Fatalf("tasks/list on an empty root = %v", got)
	}
	created := s.result("tools/call", map[string]any{"name": "create", "arguments": map[string]any{"command": "true"}})
	jobID := envelopeOfResult(t, created).Job.JobID
	const n = taskPageSize + 5
	var ids []string
	for range n {
		ids = append(ids, s.createTask("observe", map[string]any{"job_id": jobID})["taskId"].(string))
	}
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		params := map[string]any{}
		if cursor != "" {
			params["cursor"] = cursor
		}
		res := s.result("tasks/list", params)
		tasks := res["tasks"].([]any)
		if page == 0 && len(tasks) != taskPageSize {
			t.Fatalf("first page: %d tasks, want %d", len(tasks), taskPageSize)
		}
		for _, tk := range tasks {
			seen = append(seen, tk.(map[string]any)["taskId"].(string))
		}
		next, _ := res["nextCursor"].(string)
		if next == "" {
			break
		}
		if page > 2 {
			t.Fatal("tasks/list does not end")
		}
		cursor = next
	}
	if len(seen) != n {
		t.Fatalf("tasks/list gave %d tasks, want %d", len(seen), n)
	}
	for i, id := range seen {
		if want := ids[n-1-i]; id != want {
			t.Fatalf("tasks/list[%d] = %s, want %s (newest first)", i, id, want)
		}
	}
}

// TestTaskIdle: a task with idle_ms completes once the job is quiet that
// long, though it keeps running; tasks/result says idle.
func TestTaskIdle(t *testing.T) {
	svc := taskService(t, t.TempDir())
	s := startSession(t, svc)
	task := s.createTask("run", map[string]any{"command": "echo hi; sleep 600", "idle_ms": 300})
	id := task["taskId"].(string)
	jobID, _, _ := strings.Cut(id, ".")
	t.Cleanup(func() {
		svc.Kill(context.Background(), &jobs.KillRequest{JobID: jobID})
	})
	env := envelopeOfResult(t, s.result("tasks/result", map[string]any{"taskId": id}))
	if env.Wait == nil || env.Wait.Reason != jobs.WaitIdle || env.Job.State != "running" {
		t.Fatalf("tasks/result: wait %+v job %+v", env.Wait, env.Job)
	}
	if got := s.result("tasks/get", map[string]any{"taskId": id}); got["status"] != "completed" {
		t.Fatalf("tasks/get after the quiet = %v", got)
	}
}

// TestTaskResultCancelledByClient: a tasks/result the client cancels
// (notifications/cancelled) stops waiting at once and gets no answer; the
// task and its job go on.
func TestTaskResultCancelledByClient(t *testing.T) {
	svc := taskService(t, t.TempDir())
	var out lockedBuffer
	st := newStdioTasks(newTaskFront(svc, slog.New(slog.DiscardHandler)), &out)
	ctx := context.Background()
	if !st.serve(ctx, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run","arguments":{"command":"sleep 600"},"task":{}}}`+"\n")) {
		t.Fatal("a task-augmented call was not taken")
	}
	st.wg.Wait()
	var created struct {
		Result struct {
			Task taskWire `json:"task"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out.String()), &created); err != nil || created.Result.Task.Status != taskWorking {
		t.Fatalf("created: %s (%v)", out.String(), err)
	}
	id := created.Result.Task.TaskID
	jobID, _, _ := strings.Cut(id, ".")
	t.Cleanup(func() {
		svc.Kill(context.Background(), &jobs.KillRequest{JobID: jobID})
	})
	out.Reset()
	st.serve(ctx, []byte(`{"jsonrpc":"2.0","id":"r","method":"tasks/result","params":{"taskId":"`+id+`"}}`+"\n"))
	st.cancelled(json.RawMessage(`{"requestId":"r"}`))
	ended := make(chan struct{})
	go func() {
		st.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled tasks/result still waits after 30 s")
	}
	if out.String() != "" {
		t.Fatalf("a cancelled tasks/result was answered: %s", out.String())
	}
	rec, _, rerr := st.f.load(id)
	if rerr != nil || rec.Status != taskWorking {
		t.Fatalf("the task after a cancelled tasks/result: %+v, %v", rec, rerr)
	}
	env, err := svc.Observe(context.Background(), &jobs.StartRequest{JobID: jobID, Observation: jobs.Observation{Until: new(float64)}}, nil)
	if err != nil || env.Job.State != "running" {
		t.Fatalf("the job after a cancelled tasks/result: %+v, %v", env, err)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// chanWriter sends each write (one answer) on a channel.
type chanWriter chan string

func (c chanWriter) Write(p []byte) (int, error) {
	c <- string(p)
	return len(p), nil
}

// A client that reuses the id of a task request in flight gets each
// request answered, and its cancellation of the id ends the one left.
func TestTaskRequestIDReused(t *testing.T) {
	svc := taskService(t, t.TempDir())
	out := make(chanWriter, 4)
	st := newStdioTasks(newTaskFront(svc, slog.New(slog.DiscardHandler)), out)
	ctx := context.Background()
	answer := func(what string) map[string]any {
		t.Helper()
		select {
		case line := <-out:
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: %q: %v", what, line, err)
			}
			return m
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no answer in 30 s", what)
		}
		return nil
	}
	st.serve(ctx, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run","arguments":{"command":"sleep 600"},"task":{}}}`+"\n"))
	created := answer("create")
	id, _ := created["result"].(map[string]any)["task"].(map[string]any)["taskId"].(string)
	jobID, _, _ := strings.Cut(id, ".")
	t.Cleanup(func() {
		svc.Kill(context.Background(), &jobs.KillRequest{JobID: jobID})
	})
	waiting := make(chan struct{}, 1)
	taskWaitAdded = func(string) { waiting <- struct{}{} }
	t.Cleanup(func() { taskWaitAdded = nil })
	st.serve(ctx, []byte(`{"jsonrpc":"2.0","id":"r","method":"tasks/result","params":{"taskId":"`+id+`"}}`+"\n"))
	select {
	case <-waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("tasks/result did not wait within 30 s")
	}
	st.serve(ctx, []byte(`{"jsonrpc":"2.0","id":"r","method":"tasks/get","params":{"taskId":"`+id+`"}}`+"\n"))
	if got := answer("tasks/get"); got["id"] != "r" || got["result"] == nil {
		t.Fatalf("tasks/get under a reused id: %v", got)
	}
	st.cancelled(json.RawMessage(`{"requestId":"r"}`))
	ended := make(chan struct{})
	go func() {
		st.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the tasks/result whose id was reused was not cancelled within 30 s")
	}
	select {
	case line := <-out:
		t.Fatalf("a cancelled tasks/result was answered: %s", line)
	default:
	}
	st.close()
}

// tasks/list pages, gathered from tasks in any order while holding at most
// two pages, are the list sorted newest first and cut at the cursors.
func TestTaskPageOrder(t *testing.T) {
	const n, size = 537, 50
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []*taskRecord
	for i := range n {
		// Some share a creation time: ties go by id.
		all = append(all, &taskRecord{TaskID: fmt.Sprintf("t%04d", (i*7919)%n), CreatedAt: base.Add(time.Duration(i/3) * time.Millisecond)})
	}
	want := slices.Clone(all)
	slices.SortFunc(want, taskOrder)
	var after *taskRecord
	for start := 0; ; start += size {
		pg := taskPage{after: after, size: size}
		for i := range all {
			pg.add(all[(i*389)%n]) // a shuffled order
			if len(pg.recs) > 2*size {
				t.Fatalf("the page holds %d tasks, want at most %d", len(pg.recs), 2*size)
			}
		}
		page, more := pg.done()
		end := min(start+size, n)
		if len(page) != end-start {
			t.Fatalf("page at %d: %d tasks, want %d", start, len(page), end-start)
		}
		for i, r := range page {
			if r != want[start+i] {
				t.Fatalf("page at %d, [%d] = %s, want %s", start, i, r.TaskID, want[start+i].TaskID)
			}
		}
		if more != (end < n) {
			t.Fatalf("page at %d: more = %v, want %v", start, more, end < n)
		}
		if !more {
			break
		}
		after, _ = decodeCursor(encodeCursor(page[len(page)-1]))
	}
}

// A task settled by one server while another settles it too keeps the
// first status, and the second settler sees that status, not its own:
// settle looks at the task and writes it under the tasks directory's lock.
func TestTaskSettleLocked(t *testing.T) {
	svc := taskService(t, t.TempDir())
	f := newTaskFront(svc, slog.New(slog.DiscardHandler))
	res, rerr := f.create(context.Background(), json.RawMessage(`{"name":"run","arguments":{"command":"sleep 600"},"task":{}}`))
	if rerr != nil {
		t.Fatal(rerr)
	}
	id := res.(map[string]any)["task"].(taskWire).TaskID
	jobID, _, _ := strings.Cut(id, ".")
	t.Cleanup(func() {
		svc.Kill(context.Background(), &jobs.KillRequest{JobID: jobID})
	})
	// Another server is settling the task: it holds the lock and has seen
	// it working.
	other, err := os.Open(filepath.Dir(f.path(id)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := jobstore.Flock(other, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	rec, _, rerr := f.load(id)
	if rerr != nil {
		t.Fatal(rerr)
	}
	done := make(chan struct{})
	go func() {
		f.settle(rec, taskCancelled)
		close(done)
	}()
	select {
	case <-done: // settled without the lock: the other's write below comes after
	case <-time.After(time.Second): // waits for the lock, as it should
	}
	theirs := *rec
	theirs.Status, theirs.UpdatedAt = taskCompleted, time.Now()
	if err := f.write(&theirs); err != nil {
		t.Fatal(err)
	}
	other.Close() // releases the lock
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("settle did not return within 30 s of the lock's release")
	}
	onDisk, _, rerr := f.load(id)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if onDisk.Status != taskCompleted || rec.Status != taskCompleted {
		t.Fatalf("after a completion by another server: on disk %s, the settler saw %s; want both %s", onDisk.Status, rec.Status, taskCompleted)
	}
}

// tasks/get measures idle_ms on the stream the task waits on: a task on
// the stderr of a job that keeps its streams apart stays working while
// stderr was just written, however long stdout has been quiet.
func TestTaskIdleStream(t *testing.T) {
	svc := taskService(t, t.TempDir())
	f := newTaskFront(svc, slog.New(slog.DiscardHandler))
	res, rerr := f.create(context.Background(), json.RawMessage(`{"name":"run","arguments":{"command":"echo x >&2; sleep 600","streams":"separate","stream":"stderr","idle_ms":600000},"task":{}}`))
	if rerr != nil {
		t.Fatal(rerr)
	}
	id := res.(map[string]any)["task"].(taskWire).TaskID
	jobID, _, _ := strings.Cut(id, ".")
	t.Cleanup(func() {
		svc.Kill(context.Background(), &jobs.KillRequest{JobID: jobID})
	})
	until := 30.0
	env, err := svc.Observe(context.Background(), &jobs.StartRequest{JobID: jobID, Observation: jobs.Observation{Until: &until, WaitFor: "x", Stream: "stderr"}}, nil)
	if err != nil || env.Wait == nil || env.Wait.Reason != jobs.WaitMatched {
		t.Fatalf("stderr was not written within 30 s: %+v, %v", env, err)
	}
	// stdout has been quiet for an hour, stderr was just written.
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(svc.Store().Path(jobID, jobstore.StdoutLog), hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	rec, _, rerr := f.load(id)
	if rerr != nil {
		t.Fatal(rerr)
	}
	rec.CreatedAt = hourAgo
	if _, _, rerr := f.refresh(context.Background(), rec); rerr != nil {
		t.Fatal(rerr)
	}
	if rec.Status != taskWorking {
		t.Fatalf("a task on stderr, just written, is %s after stdout was quiet an hour; want %s", rec.Status, taskWorking)
	}
}
