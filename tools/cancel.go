package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// cancelled keeps the ids of tool calls that the client cancelled
// (notifications/cancelled) while they ran, so that their responses are
// never sent: the protocol says a cancelled request gets no response.
//
// mcp-go cancels a call's context when the client cancels it, but still
// writes whatever the handler returns. The call's own context tells,
// once the handler has returned, whether it was cancelled; a hook records
// the id then, before the response is written, and the stdio writer
// drops the response with that id. The job the call started or waited on
// keeps running: cancelling a call never touches a job.
type cancelled struct {
	log *slog.Logger

	mu  sync.Mutex
	ids map[string]bool // JSON encodings of request ids
}

func newCancelled(log *slog.Logger) *cancelled {
	return &cancelled{log: log, ids: make(map[string]bool)}
}

// hooks returns the server hooks that record cancelled calls.
func (c *cancelled) hooks() *server.Hooks {
	h := &server.Hooks{}
	h.AddAfterCallTool(func(ctx context.Context, id any, req *mcp.CallToolRequest, _ any) {
		if ctx.Err() == nil || id == nil {
			return
		}
		key, err := json.Marshal(id)
		if err != nil {
			return
		}
		c.mu.Lock()
		c.ids[string(key)] = true
		c.mu.Unlock()
		c.log.Info("call cancelled by the client: no response is sent", "id", string(key), "tool", req.Params.Name)
	})
	return h
}

// take reports whether msg, one JSON-RPC message, is the response to a
// cancelled call, and forgets the call if so.
func (c *cancelled) take(msg []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ids) == 0 {
		return false
	}
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(msg, &m) != nil || m.Method != "" || m.ID == nil {
		return false
	}
	var key bytes.Buffer
	if json.Compact(&key, m.ID) != nil || !c.ids[key.String()] {
		return false
	}
	delete(c.ids, key.String())
	return true
}

// dropCancelled is the stdio server's output: it passes every message on
// but the responses to cancelled calls. The stdio server writes each
// message with one Write, under its own lock.
type dropCancelled struct {
	w io.Writer
	c *cancelled
}

func (d *dropCancelled) Write(p []byte) (int, error) {
	if d.c.take(p) {
		return len(p), nil
	}
	return d.w.Write(p)
}
