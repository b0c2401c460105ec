package mcphttp

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// TestIntercept: a request the interceptor takes is answered by it with a
// JSON body, others reach mcp-go; a notifications/cancelled of an
// intercepted request ends its context and its POST ends with no response.
func TestIntercept(t *testing.T) {
	entered := make(chan struct{}, 1)
	ended := make(chan error, 1)
	cfg := Config{Intercept: func(body []byte) func(context.Context) []byte {
		switch {
		case strings.Contains(string(body), `"method":"tasks/get"`):
			return func(context.Context) []byte {
				return []byte(`{"jsonrpc":"2.0","id":5,"result":{"taskId":"x","status":"working"}}`)
			}
		case strings.Contains(string(body), `"method":"tasks/result"`):
			return func(ctx context.Context) []byte {
				entered <- struct{}{}
				<-ctx.Done()
				ended <- ctx.Err()
				return []byte(`{"jsonrpc":"2.0","id":6,"result":{}}`)
			}
		}
		return nil
	}}
	_, ts := newTestServer(t, cfg)
	sid := openSession(t, ts)
	res, body := post(t, ts, sid, `{"jsonrpc":"2.0","id":5,"method":"tasks/get","params":{"taskId":"x"}}`)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"status":"working"`) {
		t.Fatalf("intercepted request = %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if res, body := post(t, ts, sid, `{"jsonrpc":"2.0","id":4,"method":"ping"}`); res.StatusCode != http.StatusOK || !strings.Contains(body, `"id":4`) {
		t.Fatalf("ping, left to mcp-go = %d %q", res.StatusCode, body)
	}

	answered := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("POST", ts.URL+DefaultPath,
			strings.NewReader(`{"jsonrpc":"2.0","id":6,"method":"tasks/result","params":{"taskId":"x"}}`))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set(server.HeaderKeySessionID, sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		res, err := ts.Client().Do(req)
		if err != nil {
			answered <- err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		answered <- string(b)
	}()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the intercepted request did not start within 30s")
	}
	if res, body := post(t, ts, sid, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":6}}`); res.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/cancelled = %d %q", res.StatusCode, body)
	}
	select {
	case err := <-ended:
		if err == nil {
			t.Fatal("the context ended without an error")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled request's context did not end within 30s")
	}
	select {
	case body := <-answered:
		if ids := responseIDs(t, body); len(ids) != 0 {
			t.Fatalf("a cancelled intercepted request was answered: %q", body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cancelled request's POST did not end within 30s")
	}
}
