package mcphttp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// blockingTool is a tool that tells entered when it runs, sends one
// progress notification when progress is set (which turns mcp-go's
// response into an event stream), waits until its call is cancelled and
// then answers anyway, as agent-exec's waits do.
func blockingTool(entered chan<- struct{}, returned chan<- struct{}, progress bool) server.ServerTool {
	return server.ServerTool{
		Tool: mcp.NewTool("block"),
		Handler: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			defer func() { returned <- struct{}{} }()
			if progress {
				_ = server.ServerFromContext(ctx).SendNotificationToClient(ctx, "notifications/progress",
					map[string]any{"progressToken": "p", "progress": 1})
			}
			entered <- struct{}{}
			<-ctx.Done()
			return mcp.NewToolResultText("answered after the cancel"), nil
		},
	}
}

// openSession initializes a session and returns its id.
func openSession(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	res, body := post(t, ts, "", initBody)
	id := res.Header.Get(server.HeaderKeySessionID)
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize = %d %q, session %q", res.StatusCode, body, id)
	}
	if res, body := post(t, ts, id, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); res.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/initialized = %d %q", res.StatusCode, body)
	}
	return id
}

// responseIDs are the ids of the JSON-RPC responses in body, a JSON
// object or an event stream.
func responseIDs(t *testing.T, body string) []string {
	t.Helper()
	var msgs []string
	if strings.HasPrefix(strings.TrimSpace(body), "{") {
		msgs = []string{body}
	} else {
		for line := range strings.Lines(body) {
			if data, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: "); ok {
				msgs = append(msgs, data)
			}
		}
	}
	var ids []string
	for _, m := range msgs {
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.Unmarshal([]byte(m), &msg); err != nil {
			t.Fatalf("a message that is not JSON: %q in %q", m, body)
		}
		if msg.Method == "" && msg.ID != nil {
			ids = append(ids, string(msg.ID))
		}
	}
	return ids
}

// TestCancelledCallGetsNoResponse: a call its client cancels
// (notifications/cancelled) ends, and its POST ends with no response,
// whether mcp-go had turned the answer into an event stream (a progress
// notification was sent) or would have answered with one JSON object.
// The session goes on answering.
func TestCancelledCallGetsNoResponse(t *testing.T) {
	for _, progress := range []bool{true, false} {
		t.Run(fmt.Sprintf("progress=%v", progress), func(t *testing.T) {
			entered, returned := make(chan struct{}, 1), make(chan struct{}, 1)
			_, ts := newTestServer(t, Config{}, blockingTool(entered, returned, progress))
			sid := openSession(t, ts)
			type answer struct {
				res  *http.Response
				body string
			}
			answered := make(chan answer, 1)
			go func() {
				req, _ := http.NewRequest("POST", ts.URL+DefaultPath,
					strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"block","arguments":{}}}`))
				req.Header.Set("Authorization", "Bearer "+testToken)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set(server.HeaderKeySessionID, sid)
				req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
				res, err := ts.Client().Do(req)
				if err != nil {
					answered <- answer{body: err.Error()}
					return
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				answered <- answer{res, string(b)}
			}()
			select {
			case <-entered:
			case <-time.After(30 * time.Second):
				t.Fatal("the call did not start within 30s")
			}
			if res, body := post(t, ts, sid, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"test"}}`); res.StatusCode != http.StatusAccepted {
				t.Fatalf("notifications/cancelled = %d %q", res.StatusCode, body)
			}
			select {
			case <-returned:
			case <-time.After(30 * time.Second):
				t.Fatal("the cancelled call did not end within 30s")
			}
			var a answer
			select {
			case a = <-answered:
			case <-time.After(30 * time.Second):
				t.Fatal("the cancelled call's POST did not end within 30s")
			}
			if a.res == nil {
				t.Fatalf("the cancelled call's POST failed: %s", a.body)
			}
			if a.res.StatusCode != http.StatusOK || !strings.HasPrefix(a.res.Header.Get("Content-Type"), "text/event-stream") {
				t.Errorf("the cancelled call's POST = %d %s, want 200 and an event stream", a.res.StatusCode, a.res.Header.Get("Content-Type"))
			}
			if ids := responseIDs(t, a.body); len(ids) != 0 {
				t.Errorf("responses %v to the cancelled call, want none: %q", ids, a.body)
			}
			res, body := post(t, ts, sid, `{"jsonrpc":"2.0","id":8,"method":"ping"}`)
			if ids := responseIDs(t, body); res.StatusCode != http.StatusOK || len(ids) != 1 || ids[0] != "8" {
				t.Errorf("ping after the cancel = %d %q", res.StatusCode, body)
			}
		})
	}
}
