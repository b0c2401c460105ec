package tools

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// MCP tasks (protocol 2025-11-25), served in front of mcp-go: its own task
// support ties a task to the request's context and keeps it in memory (see
// docs/tasks.md). A task here is a file in its job's directory, so any
// server on the same root answers for it and it goes when the job goes.

// Task statuses (2025-11-25).
const (
	taskWorking   = "working"
	taskCompleted = "completed"
	taskFailed    = "failed"
	taskCancelled = "cancelled"
)

const (
	// tasksDir is the directory of a job's task files.
	tasksDir = "tasks"
	// relatedTaskKey is the _meta key that ties a result to its task.
	relatedTaskKey = "io.modelcontextprotocol/related-task"
	// taskPollMS is the pollInterval suggested to clients.
	taskPollMS = 1000
	// taskProbe is how long tasks/get looks at a job whose task waits for
	// a condition (wait_for, wait_for_port, several jobs): long enough for
	// the wait's first check of what is already there.
	taskProbe = 0.02
	// taskPageSize is the number of tasks in one tasks/list answer.
	taskPageSize = 50
	// maxTaskCalls bounds the task requests one front serves at once
	// (tasks/result waits).
	maxTaskCalls = 256
	// maxFailedTasks bounds the launches that failed, kept in memory.
	maxFailedTasks = 100
)

// taskTools are the tools that accept a task-augmented call.
var taskTools = map[string]bool{"run": true, "start": true, "restart": true, "observe": true}

// taskIDPattern is a task id: the job's id, a dot and 16 hex digits.
var taskIDPattern = regexp.MustCompile(`^([0-9a-z]{26})\.([0-9a-f]{16})$`)

// JSON-RPC error codes the task methods answer with.
const (
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
	rpcInternal       = -32603
)

// rpcError is a JSON-RPC error.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return e.Message }

func invalidParams(format string, args ...any) *rpcError {
	return &rpcError{Code: rpcInvalidParams, Message: fmt.Sprintf(format, args...)}
}

// taskRecord is a task file: ROOT/<job_id>/tasks/<task_id>.json. It holds
// what the task waits for, never the call's command or environment.
type taskRecord struct {
	TaskID string `json:"task_id"`
	Tool   string `json:"tool"`
	JobID  string `json:"job_id"`
	Run    int    `json:"run"`
	// Observe is the wait: job_id or job_ids (resolved ids), the wait
	// condition and the window arguments, never until.
	Observe   jobs.ObserveRequest `json:"observe"`
	Status    string              `json:"status"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// failedTask is a task whose launch failed: there is no job to keep it
// in, so it lives in the memory of the server that created it.
type failedTask struct {
	rec    taskRecord
	result *mcp.CallToolResult
}

// taskFront answers task-augmented tools/call and the tasks/* methods.
type taskFront struct {
	svc      *jobs.Service
	log      *slog.Logger
	handlers map[string]server.ToolHandlerFunc

	mu      sync.Mutex
	waits   map[string]map[*taskWait]bool // task id → its tasks/result waits in this process
	failed  map[string]*failedTask
	failedQ []string // failed task ids, oldest first
}

// taskWait is one tasks/result wait; cancel ends it when the task is
// cancelled.
type taskWait struct{ cancel context.CancelFunc }

func newTaskFront(svc *jobs.Service, log *slog.Logger) *taskFront {
	f := &taskFront{svc: svc, log: log, handlers: map[string]server.ToolHandlerFunc{},
		waits: map[string]map[*taskWait]bool{}, failed: map[string]*failedTask{}}
	for _, d := range definitions(svc) {
		if taskTools[d.tool.Name] {
			f.handlers[d.tool.Name] = d.handler
		}
	}
	return f
}

// taskWire is a Task as the protocol sends it.
type taskWire struct {
	TaskID        string `json:"taskId"`
	Status        string `json:"status"`
	TTL           *int64 `json:"ttl"` // null: the task lives as long as its job
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	PollInterval  int    `json:"pollInterval,omitempty"`
	StatusMessage string `json:"statusMessage,omitempty"`
}

func wire(r *taskRecord, msg string) taskWire {
	w := taskWire{TaskID: r.TaskID, Status: r.Status, CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339Nano),
		LastUpdatedAt: r.UpdatedAt.UTC().Format(time.RFC3339Nano), StatusMessage: msg}
	if r.Status == taskWorking {
		w.PollInterval = taskPollMS
	}
	return w
}

// toolCallParams are the parameters of a task-augmented tools/call.
type toolCallParams struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Task      json.RawMessage `json:"task"`
}

// isTaskCall reports whether params, a tools/call's, ask for a task.
func isTaskCall(params json.RawMessage) bool {
	var p struct {
		Task json.RawMessage `json:"task"`
	}
	if json.Unmarshal(params, &p) != nil {
		return false
	}
	t := bytes.TrimSpace(p.Task)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// create serves a task-augmented tools/call: it runs the tool with until 0
// (run, start and restart launch; observe checks the job), writes the task
// file and answers CreateTaskResult at once.
func (f *taskFront) create(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	var p toolCallParams
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, invalidParams("tools/call: %v", err)
	}
	h := f.handlers[p.Name]
	if h == nil {
		return nil, &rpcError{Code: rpcMethodNotFound,
			Message: fmt.Sprintf("tool %q does not support tasks; run, start, restart and observe do", p.Name)}
	}
	args := map[string]any{}
	if a := bytes.TrimSpace(p.Arguments); len(a) > 0 && !bytes.Equal(a, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(a))
		dec.UseNumber()
		if err := dec.Decode(&args); err != nil {
			return nil, invalidParams("tools/call: arguments must be an object: %v", err)
		}
	}
	var wait jobs.ObserveRequest
	raw, _ := json.Marshal(args)
	if err := json.Unmarshal(raw, &wait); err != nil {
		wait = jobs.ObserveRequest{} // the tool's own decoding says what is wrong
	}
	args["until"] = 0
	res, err := h(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: p.Name, Arguments: args}})
	if err != nil {
		return nil, &rpcError{Code: rpcInternal, Message: err.Error()}
	}
	now := time.Now()
	rec := taskRecord{Tool: p.Name, Status: taskWorking, CreatedAt: now, UpdatedAt: now}
	env, eerr := envelopeOf(res)
	if res.IsError || eerr != nil || env.Job == nil {
		rec.TaskID, rec.Status = "failed."+randomHex(), taskFailed
		f.keepFailed(&failedTask{rec: rec, result: res})
		return map[string]any{"task": wire(&rec, errorMessage(env))}, nil
	}
	rec.JobID, rec.Run = env.Job.JobID, env.Job.Run
	if err := f.waitOf(p.Name, &wait, env); err != nil {
		return nil, invalidParams("%v", err)
	}
	rec.Observe = wait
	rec.TaskID = rec.JobID + "." + randomHex()
	if err := f.write(&rec); err != nil {
		return nil, &rpcError{Code: rpcInternal, Message: fmt.Sprintf("job %s started, but its task could not be saved: %v", rec.JobID, err)}
	}
	return map[string]any{"task": wire(&rec, "job "+rec.JobID+": "+env.Job.State)}, nil
}

// waitOf completes wait, decoded from a call's arguments, into the task's
// wait: the jobs by resolved id (a name may later mean another job), the
// condition and window kept, until dropped.
func (f *taskFront) waitOf(tool string, wait *jobs.ObserveRequest, env *jobs.Envelope) error {
	wait.Until, wait.Forever = nil, false
	if tool != "observe" {
		o := wait.Observation
		*wait = jobs.ObserveRequest{StartRequest: jobs.StartRequest{JobID: env.Job.JobID}}
		wait.Observation = jobs.Observation{WaitFor: o.WaitFor, WaitForPort: o.WaitForPort, IdleMS: o.IdleMS,
			Stream: o.Stream, MaxBytes: o.MaxBytes, Raw: o.Raw, Compress: o.Compress}
		return nil
	}
	st := f.svc.Store()
	if wait.JobID != "" {
		id, err := st.Resolve(wait.JobID)
		if err != nil {
			return err
		}
		wait.JobID = id
	}
	for i, ref := range wait.JobIDs {
		id, err := st.Resolve(ref)
		if err != nil {
			return err
		}
		wait.JobIDs[i] = id
	}
	return nil
}

// envelopeOf decodes a tool result's envelope.
func envelopeOf(res *mcp.CallToolResult) (*jobs.Envelope, error) {
	raw, ok := res.StructuredContent.(json.RawMessage)
	if !ok {
		return nil, errors.New("no envelope")
	}
	var env jobs.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, err
	}
	return &env, nil
}

func errorMessage(env *jobs.Envelope) string {
	if env != nil && env.Error != nil {
		return env.Error.Error()
	}
	return "the call failed"
}

func randomHex() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("tools: read random bytes: %v", err))
	}
	return hex.EncodeToString(b[:])
}

func (f *taskFront) keepFailed(t *failedTask) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed[t.rec.TaskID] = t
	f.failedQ = append(f.failedQ, t.rec.TaskID)
	if len(f.failedQ) > maxFailedTasks {
		delete(f.failed, f.failedQ[0])
		f.failedQ = f.failedQ[1:]
	}
}

// path returns the task file of a durable task id, or "" for an id that
// is not one.
func (f *taskFront) path(taskID string) string {
	m := taskIDPattern.FindStringSubmatch(taskID)
	if m == nil || !jobstore.ValidID(m[1]) {
		return ""
	}
	return filepath.Join(f.svc.Store().Dir(m[1]), tasksDir, taskID+".json")
}

// write saves rec in its job's directory, atomically.
func (f *taskFront) write(rec *taskRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode task: %w", err)
	}
	p := f.path(rec.TaskID)
	if err := os.Mkdir(filepath.Dir(p), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("task directory: %w", err)
	}
	return jobstore.WriteFileAtomic(p, b)
}

// errUnknownTask answers a task id no task has.
func errUnknownTask(id string) *rpcError {
	return invalidParams("unknown task %q (a task goes when its job is deleted)", id)
}

// load returns the task id names: a durable one from its file, or one
// whose launch failed.
func (f *taskFront) load(id string) (*taskRecord, *failedTask, *rpcError) {
	f.mu.Lock()
	ft := f.failed[id]
	f.mu.Unlock()
	if ft != nil {
		rec := ft.rec
		return &rec, ft, nil
	}
	p := f.path(id)
	if p == "" {
		return nil, nil, errUnknownTask(id)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, errUnknownTask(id)
	}
	if err != nil {
		return nil, nil, &rpcError{Code: rpcInternal, Message: fmt.Sprintf("read task %s: %v", id, err)}
	}
	var rec taskRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.TaskID != id {
		return nil, nil, &rpcError{Code: rpcInternal, Message: fmt.Sprintf("task %s: its file is unreadable", id)}
	}
	return &rec, nil, nil
}

// hasCondition reports whether a task waits for more than its job's end
// (or, with several jobs, needs a real wait to tell).
func hasCondition(o *jobs.ObserveRequest) bool {
	return o.WaitFor != "" || o.WaitForPort > 0 || len(o.JobIDs) > 0
}

// refresh derives a working task's status from its job: completed once
// the run ended, another run began or the wait condition holds (checked
// by a short wait that sees what is already there; idle_ms by the log's
// last change). completed is saved: it never goes back. It returns the
// status message and whether the job is still on the task's run.
func (f *taskFront) refresh(ctx context.Context, rec *taskRecord) (string, bool, *rpcError) {
	o := rec.Observe
	until := 0.0
	if hasCondition(&o) {
		until = taskProbe
	}
	o.Until, o.MaxBytes = &until, jobs.MinMaxBytes
	o.Offset, o.TailLines, o.View, o.Compress = nil, 0, "", ""
	o.Detail = true // quietFor reads the log's path
	if rec.Status != taskWorking {
		until = 0
	}
	env, err := f.svc.ObserveJobs(ctx, &o, nil)
	if err != nil {
		je := jobs.AsError(err)
		if je.Code == jobs.CodeNotFound {
			return "", false, errUnknownTask(rec.TaskID)
		}
		return "", false, &rpcError{Code: rpcInternal, Message: je.Error()}
	}
	msg := "job " + env.Job.JobID + ": " + env.Job.State
	sameRun := len(o.JobIDs) > 0 || env.Job.Run == rec.Run
	if rec.Status != taskWorking {
		return msg, sameRun, nil
	}
	done := false
	if env.Wait != nil {
		switch env.Wait.Reason {
		case jobs.WaitExited, jobs.WaitMatched, jobs.WaitPortOpen, jobs.WaitIdle:
			done = true
		}
	}
	if len(o.JobIDs) == 0 {
		done = done || jobstore.Terminal(env.Job.State) || !sameRun ||
			(o.IdleMS > 0 && quietFor(env.Job, o.Stream, rec.CreatedAt) >= time.Duration(o.IdleMS)*time.Millisecond)
	}
	if done {
		f.settle(rec, taskCompleted)
	}
	return msg, sameRun, nil
}

// quietFor is how long the log of the job's stream (as the task's wait
// watches it: stderr's, or else the merged or stdout log) has not
// changed, counted from since at the earliest.
func quietFor(j *jobs.Job, stream string, since time.Time) time.Duration {
	log := j.OutputLog
	if stream == "stderr" && j.StderrLog != "" {
		log = j.StderrLog
	}
	fi, err := os.Stat(log)
	if err != nil {
		return 0
	}
	last := fi.ModTime()
	if since.After(last) {
		last = since
	}
	return time.Since(last)
}

// settle records a working task's final status; a task settled first
// (by this server or another on the root) keeps that status. The check
// and the write are made under an exclusive flock on the job's tasks
// directory, so that of a cancel and a completion at once one wins and
// both see it.
func (f *taskFront) settle(rec *taskRecord, status string) {
	if unlock, err := f.lockTasks(rec.TaskID); err != nil {
		f.log.Warn("lock a job's tasks", "task_id", rec.TaskID, "err", err)
	} else {
		defer unlock()
	}
	if cur, _, err := f.load(rec.TaskID); err == nil && cur.Status != taskWorking {
		*rec = *cur
		return
	}
	rec.Status, rec.UpdatedAt = status, time.Now()
	if err := f.write(rec); err != nil {
		f.log.Warn("save a task's status", "task_id", rec.TaskID, "status", status, "err", err)
	}
}

// lockTasks takes the exclusive flock on the tasks directory of a durable
// task; unlock releases it.
func (f *taskFront) lockTasks(taskID string) (unlock func(), err error) {
	p := f.path(taskID)
	if p == "" {
		return nil, fmt.Errorf("lock tasks of %s: not a durable task id", taskID)
	}
	d, err := os.Open(filepath.Dir(p))
	if err != nil {
		return nil, fmt.Errorf("lock tasks of %s: %w", taskID, err)
	}
	if err := jobstore.Flock(d, unix.LOCK_EX); err != nil {
		d.Close()
		return nil, fmt.Errorf("lock tasks of %s: %w", taskID, err)
	}
	return func() { d.Close() }, nil // closing releases the lock
}

// get serves tasks/get.
func (f *taskFront) get(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	rec, ft, rerr := f.taskParam(params)
	if rerr != nil {
		return nil, rerr
	}
	if ft != nil {
		return wire(rec, errorMessage(mustEnvelope(ft.result))), nil
	}
	msg, _, rerr := f.refresh(ctx, rec)
	if rerr != nil {
		return nil, rerr
	}
	return wire(rec, msg), nil
}

func mustEnvelope(res *mcp.CallToolResult) *jobs.Envelope {
	env, _ := envelopeOf(res)
	return env
}

// taskParam loads the task that params.taskId names.
func (f *taskFront) taskParam(params json.RawMessage) (*taskRecord, *failedTask, *rpcError) {
	var p struct {
		TaskID string `json:"taskId"`
	}
	if err := json.Unmarshal(params, &p); err != nil || p.TaskID == "" {
		return nil, nil, invalidParams("give taskId")
	}
	return f.load(p.TaskID)
}

// result serves tasks/result: it waits, event-driven and without a
// deadline, until the task's condition holds (or the task is cancelled,
// or ctx ends), and answers what the plain call would have: the envelope
// as structuredContent and text. A cancelled task answers the job as it
// is now.
func (f *taskFront) result(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	rec, ft, rerr := f.taskParam(params)
	if rerr != nil {
		return nil, rerr
	}
	if ft != nil {
		return withRelatedTask(ft.result, rec.TaskID), nil
	}
	_, sameRun, rerr := f.refresh(ctx, rec)
	if rerr != nil {
		return nil, rerr
	}
	o := rec.Observe
	switch {
	case rec.Status == taskCompleted && sameRun:
		// The condition holds: the wait ends at once, saying how.
		o.Forever = true
	case rec.Status == taskWorking:
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w := f.addWait(rec.TaskID, cancel)
		defer f.removeWait(rec.TaskID, w)
		// Cancelled meanwhile (here or by another server): do not wait.
		if cur, _, err := f.load(rec.TaskID); err == nil && cur.Status == taskCancelled {
			*rec = *cur
			cancel()
		}
		o.Forever = true
		ctx = wctx
	default:
		zero := 0.0
		o.Until = &zero
	}
	env, err := f.svc.ObserveJobs(ctx, &o, nil)
	if err != nil {
		je := jobs.AsError(err)
		if je.Code == jobs.CodeNotFound {
			return nil, errUnknownTask(rec.TaskID)
		}
		env = jobs.ErrorEnvelope(err)
	}
	if env.OK && env.Wait != nil && env.Wait.Reason != jobs.WaitCancelled && rec.Status == taskWorking {
		f.settle(rec, taskCompleted)
	}
	if env.OK {
		env.Type = rec.Tool
	}
	return withRelatedTask(result(env), rec.TaskID), nil
}

// withRelatedTask returns res with the _meta that names its task.
func withRelatedTask(res *mcp.CallToolResult, taskID string) *mcp.CallToolResult {
	out := *res
	out.Meta = &mcp.Meta{AdditionalFields: map[string]any{relatedTaskKey: map[string]string{"taskId": taskID}}}
	return &out
}

// taskWaitAdded, set by tests only, is called with a task's id once a
// tasks/result wait on it is registered: a tasks/cancel from then on ends
// that wait.
var taskWaitAdded func(taskID string)

func (f *taskFront) addWait(id string, cancel context.CancelFunc) *taskWait {
	w := &taskWait{cancel: cancel}
	f.mu.Lock()
	if f.waits[id] == nil {
		f.waits[id] = map[*taskWait]bool{}
	}
	f.waits[id][w] = true
	f.mu.Unlock()
	if taskWaitAdded != nil {
		taskWaitAdded(id)
	}
	return w
}

func (f *taskFront) removeWait(id string, w *taskWait) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.waits[id], w)
	if len(f.waits[id]) == 0 {
		delete(f.waits, id)
	}
}

// cancel serves tasks/cancel: the task stops waiting (its tasks/result
// waits in this process end), the job is never touched.
func (f *taskFront) cancel(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	rec, ft, rerr := f.taskParam(params)
	if rerr != nil {
		return nil, rerr
	}
	if ft == nil {
		if _, _, rerr := f.refresh(ctx, rec); rerr != nil {
			return nil, rerr
		}
	}
	if rec.Status != taskWorking {
		return nil, invalidParams("task %s is already %s", rec.TaskID, rec.Status)
	}
	f.settle(rec, taskCancelled)
	if rec.Status != taskCancelled {
		return nil, invalidParams("task %s is already %s", rec.TaskID, rec.Status)
	}
	f.mu.Lock()
	for w := range f.waits[rec.TaskID] {
		w.cancel()
	}
	f.mu.Unlock()
	return wire(rec, "cancelled: job "+rec.JobID+" is left as it is"), nil
}

// list serves tasks/list: every task of the root, newest first, a page at
// a time; the cursor is opaque to clients.
func (f *taskFront) list(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	var p struct {
		Cursor string `json:"cursor"`
	}
	if len(params) > 0 {
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, invalidParams("tasks/list: %v", err)
		}
	}
	var after *taskRecord
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, invalidParams("tasks/list: invalid cursor")
		}
		after = c
	}
	pg := taskPage{after: after, size: taskPageSize}
	if err := f.each(pg.add); err != nil {
		return nil, &rpcError{Code: rpcInternal, Message: err.Error()}
	}
	page, more := pg.done()
	out := struct {
		Tasks      []taskWire `json:"tasks"`
		NextCursor string     `json:"nextCursor,omitempty"`
	}{Tasks: []taskWire{}}
	for _, r := range page {
		msg := ""
		if !strings.HasPrefix(r.TaskID, "failed.") {
			var rerr *rpcError
			if msg, _, rerr = f.refresh(ctx, r); rerr != nil {
				continue // its job went meanwhile
			}
		}
		out.Tasks = append(out.Tasks, wire(r, msg))
	}
	if more {
		out.NextCursor = encodeCursor(page[len(page)-1])
	}
	return out, nil
}

// taskPage gathers one tasks/list page from the tasks given to add: the
// size newest (newest first, ties by id) of those that come after the
// cursor after (nil: from the newest). It holds at most twice a page at
// a time, however many tasks the root has: clients add tasks without
// bound (each task-augmented call makes one).
type taskPage struct {
	after *taskRecord
	size  int
	recs  []*taskRecord
	cut   bool // some came after the ones kept
}

// taskOrder orders tasks as tasks/list lists them: newest first, ties by id.
func taskOrder(a, b *taskRecord) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.TaskID, b.TaskID)
}

func (p *taskPage) add(r *taskRecord) {
	if p.after != nil && taskOrder(p.after, r) >= 0 {
		return // on an earlier page
	}
	p.recs = append(p.recs, r)
	if len(p.recs) > 2*p.size {
		p.trim()
	}
}

// trim keeps the size first of recs.
func (p *taskPage) trim() {
	slices.SortFunc(p.recs, taskOrder)
	if len(p.recs) > p.size {
		clear(p.recs[p.size:])
		p.recs, p.cut = p.recs[:p.size], true
	}
}

// done returns the page, and whether more tasks follow it.
func (p *taskPage) done() ([]*taskRecord, bool) {
	p.trim()
	return p.recs, p.cut
}

// each calls add with every task of the root and each failed launch of
// this server.
func (f *taskFront) each(add func(*taskRecord)) error {
	root := f.svc.Store().Root()
	ents, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("read root: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() || !jobstore.ValidID(e.Name()) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(root, e.Name(), tasksDir))
		if err != nil {
			continue
		}
		for _, tf := range files {
			id, ok := strings.CutSuffix(tf.Name(), ".json")
			if !ok || !taskIDPattern.MatchString(id) {
				continue
			}
			if rec, _, rerr := f.load(id); rerr == nil {
				add(rec)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ft := range f.failed {
		rec := ft.rec
		add(&rec)
	}
	return nil
}

func encodeCursor(r *taskRecord) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(r.CreatedAt.UnixNano(), 10) + " " + r.TaskID))
}

func decodeCursor(c string) (*taskRecord, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, err
	}
	ns, id, ok := strings.Cut(string(b), " ")
	if !ok {
		return nil, errors.New("bad cursor")
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return nil, err
	}
	return &taskRecord{TaskID: id, CreatedAt: time.Unix(0, n)}, nil
}
