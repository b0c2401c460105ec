package tools

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/mark3labs/mcp-go/server"

	"github.com/agent-exec/agent-exec/jobs"
)

// rpcRequest is the part of a JSON-RPC message the task front routes on.
type rpcRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// taskMethod returns the task front's method for a request, or nil when
// the request is not one for the task front.
func (f *taskFront) taskMethod(req *rpcRequest) func(context.Context, json.RawMessage) (any, *rpcError) {
	switch req.Method {
	case "tasks/get":
		return f.get
	case "tasks/result":
		return f.result
	case "tasks/list":
		return f.list
	case "tasks/cancel":
		return f.cancel
	case "tools/call":
		if isTaskCall(req.Params) {
			return f.create
		}
	}
	return nil
}

// mayConcernTasks is a cheap first look at a line: only a line containing
// one of these can be a task request, so other lines (some are megabytes
// of input) are never decoded here.
func mayConcernTasks(line []byte) bool {
	return bytes.Contains(line, []byte(`"tasks/`)) || bytes.Contains(line, []byte(`"task"`)) ||
		bytes.Contains(line, []byte(`notifications/cancelled`))
}

// rpcResponse encodes the answer to request id.
func rpcResponse(id json.RawMessage, res any, rerr *rpcError) []byte {
	msg := struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  any             `json:"result,omitempty"`
		Error   *rpcError       `json:"error,omitempty"`
	}{JSONRPC: "2.0", ID: id, Result: res, Error: rerr}
	if rerr == nil && res == nil {
		msg.Result = struct{}{}
	}
	b, err := json.Marshal(msg)
	if err != nil {
		msg.Result, msg.Error = nil, &rpcError{Code: rpcInternal, Message: "encode result: " + err.Error()}
		b, _ = json.Marshal(msg)
	}
	return append(b, '\n')
}

// lockedWriter writes whole messages, one at a time, for the stdio server
// and the task front together.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// stdioTasks is the line filter in front of the stdio server: it answers
// task requests itself and passes every other line on.
type stdioTasks struct {
	f   *taskFront
	out io.Writer

	wg    sync.WaitGroup
	slots chan struct{}

	mu       sync.Mutex
	closed   bool                   // the session ended: no new request is served; guarded by mu
	inflight map[string][]*taskCall // compact request id → the requests served under it; guarded by mu
}

// taskCall is one task request being served. A client may (wrongly) reuse
// the id of a request still in flight: each request keeps its own entry,
// so each is answered, and a cancellation of the id ends them all.
type taskCall struct {
	cancel    context.CancelFunc
	cancelled bool // the client cancelled it: no answer; guarded by stdioTasks.mu
}

func newStdioTasks(f *taskFront, out io.Writer) *stdioTasks {
	return &stdioTasks{f: f, out: out, slots: make(chan struct{}, maxTaskCalls), inflight: map[string][]*taskCall{}}
}

// filter copies in to pass, line by line, but for the task requests it
// serves; it closes pass when in ends (with in's error). The requests it
// serves run under ctx; filter returns once in ended, and wait waits for
// the requests.
func (s *stdioTasks) filter(ctx context.Context, in io.Reader, pass *io.PipeWriter) {
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && !s.serve(ctx, line) {
			if _, werr := pass.Write(line); werr != nil {
				pass.CloseWithError(werr)
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			pass.CloseWithError(err)
			return
		}
	}
}

// serve handles line when it is a task request (and says so); a client's
// cancellation of one stops it, and the line is passed on all the same.
func (s *stdioTasks) serve(ctx context.Context, line []byte) bool {
	if !mayConcernTasks(line) {
		return false
	}
	var req rpcRequest
	if json.Unmarshal(line, &req) != nil {
		return false
	}
	if req.Method == "notifications/cancelled" {
		s.cancelled(req.Params)
		return false
	}
	method := s.f.taskMethod(&req)
	if method == nil || len(req.ID) == 0 {
		return false
	}
	key := compactID(req.ID)
	select {
	case s.slots <- struct{}{}:
	default:
		s.write(rpcResponse(req.ID, nil, &rpcError{Code: rpcInternal, Message: "too many task requests at once"}))
		return true
	}
	cctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		<-s.slots
		return true
	}
	c := &taskCall{cancel: cancel}
	s.inflight[key] = append(s.inflight[key], c)
	s.wg.Go(func() {
		defer func() { <-s.slots }()
		defer cancel()
		res, rerr := method(cctx, req.Params)
		s.mu.Lock()
		s.drop(key, c)
		cancelled := c.cancelled
		s.mu.Unlock()
		if cancelled || ctx.Err() != nil {
			return // the client cancelled it, or the session ended: no answer
		}
		s.write(rpcResponse(req.ID, res, rerr))
	})
	return true
}

// close ends the requests being served (they get no answer: the session
// is over) and waits for them.
func (s *stdioTasks) close() {
	s.mu.Lock()
	s.closed = true
	for _, calls := range s.inflight {
		for _, c := range calls {
			c.cancel()
		}
	}
	clear(s.inflight)
	s.mu.Unlock()
	s.wg.Wait()
}

// cancelled stops the task request a notifications/cancelled names.
func (s *stdioTasks) cancelled(params json.RawMessage) {
	var p struct {
		RequestID json.RawMessage `json:"requestId"`
	}
	if json.Unmarshal(params, &p) != nil || len(p.RequestID) == 0 {
		return
	}
	key := compactID(p.RequestID)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.inflight[key] {
		c.cancelled = true
		c.cancel()
	}
	delete(s.inflight, key)
}

// drop forgets c, served under key; s.mu is held.
func (s *stdioTasks) drop(key string, c *taskCall) {
	calls := slices.DeleteFunc(s.inflight[key], func(x *taskCall) bool { return x == c })
	if len(calls) == 0 {
		delete(s.inflight, key)
		return
	}
	s.inflight[key] = calls
}

func (s *stdioTasks) write(b []byte) {
	if _, err := s.out.Write(b); err != nil {
		s.f.log.Warn("write a task answer", "err", err)
	}
}

func compactID(id json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, id) != nil {
		return string(id)
	}
	return b.String()
}

// Tasks answers MCP task requests for a transport other than stdio (see
// [NewTaskServer]).
type Tasks struct{ f *taskFront }

// NewTaskServer is [NewServer] with MCP tasks: the server advertises them,
// and the transport hands the requests Tasks.Intercept takes to it instead
// of to the server.
func NewTaskServer(svc *jobs.Service, log *slog.Logger, opts ...server.ServerOption) (*server.MCPServer, *Tasks) {
	return newServer(svc, log, true, opts...), &Tasks{f: newTaskFront(svc, log)}
}

// Intercept returns, for a JSON-RPC message that is a task request (a
// task-augmented tools/call, tasks/get, tasks/result, tasks/list or
// tasks/cancel), the function that answers it with a JSON-RPC response;
// nil for any other message. Cancelling the function's context stops a
// tasks/result wait.
func (t *Tasks) Intercept(body []byte) func(context.Context) []byte {
	if !mayConcernTasks(body) {
		return nil
	}
	var req rpcRequest
	if json.Unmarshal(body, &req) != nil || len(req.ID) == 0 {
		return nil
	}
	method := t.f.taskMethod(&req)
	if method == nil {
		return nil
	}
	return func(ctx context.Context) []byte {
		res, rerr := method(ctx, req.Params)
		return rpcResponse(req.ID, res, rerr)
	}
}
