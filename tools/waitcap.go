package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/agent-exec/agent-exec/jobs"
)

// clientCap is the longest wait a client is known to sit through: a call
// must return before the client gives up on it or moves it out of sight.
type clientCap struct {
	name string // matched against the announced clientInfo name, lower-cased substring
	cap  time.Duration
}

// clientCaps is the table of known clients (README, "Waits and clients").
// A progress token alone raises nothing: the official SDKs reset their
// 60 s request timeout on progress only when the caller asked for it.
var clientCaps = []clientCap{
	{"claude-code", 110 * time.Second}, // moves a call to the background after 120 s
	{"claude-ai", 200 * time.Second},   // Claude Desktop: about 4 min hard
	{"codex", 280 * time.Second},       // tool_timeout_sec reported 300 s by default
}

// DefaultClientCap is the cap of every other client: below the official
// SDKs' 60 s request timeout.
const DefaultClientCap = jobs.DefaultMaxUntil

// MaxClientCap is the largest cap of the table: the service's own cap
// when the per-client caps apply.
const MaxClientCap = 280 * time.Second

// waitTools are the tools whose until the per-client cap bounds.
var waitTools = map[string]bool{"run": true, "start": true, "restart": true, "observe": true, "input": true}

// ClientWaitCaps is a tool-handler middleware that lowers a call's until
// to the cap of the calling client (clientCaps, else DefaultClientCap).
// Use it only when no cap was configured: a configured cap is the
// service's MaxUntil and holds for every client.
func ClientWaitCaps() server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if waitTools[req.Params.Name] {
				if raw, ok := capUntil(req, capFor(clientName(ctx, req))); ok {
					// Both: handlers read the raw bytes when the
					// request kept them.
					req.Params.RawArguments, req.Params.Arguments = raw, raw
				}
			}
			return next(ctx, req)
		}
	}
}

// capFor returns the wait cap of the client called name.
func capFor(name string) time.Duration {
	name = strings.ToLower(name)
	for _, c := range clientCaps {
		if name != "" && strings.Contains(name, c.name) {
			return c.cap
		}
	}
	return DefaultClientCap
}

// clientName is the client's announced name: from the request's _meta
// (protocol 2026-07-28), else from the session's initialize.
func clientName(ctx context.Context, req mcp.CallToolRequest) string {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.ClientInfo != nil {
		return info.ClientInfo.Name
	}
	if info := req.Params.Meta.ClientInfo(); info != nil {
		return info.Name
	}
	if cs, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		return cs.GetClientInfo().Name
	}
	return ""
}

// capUntil returns the call's arguments with until lowered to limit, and
// false when there is nothing to lower (no until, not a number, already
// within limit, or arguments the handler will reject anyway).
func capUntil(req mcp.CallToolRequest, limit time.Duration) (json.RawMessage, bool) {
	// The decoded map answers the common case without re-reading the raw
	// arguments, which can be megabytes of stdin.
	if m, ok := req.Params.Arguments.(map[string]any); ok {
		if u, isNum := m["until"].(float64); !isNum || u <= limit.Seconds() {
			return nil, false
		}
	}
	raw, err := rawArguments(req)
	if err != nil {
		return nil, false
	}
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return nil, false
	}
	v, ok := args["until"]
	if !ok {
		return nil, false
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if dec.Decode(&n) != nil {
		return nil, false
	}
	f, err := n.Float64()
	if err != nil || f <= limit.Seconds() {
		return nil, false
	}
	args["until"] = json.RawMessage(strconv.FormatFloat(limit.Seconds(), 'f', -1, 64))
	b, err := json.Marshal(args)
	if err != nil {
		return nil, false
	}
	return b, true
}
