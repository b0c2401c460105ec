package mcphttp

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// BenchmarkCall measures one tools/call of a tool that does nothing,
// through the whole chain: Host, Origin and token checks, the session
// check, the body limit, mcp-go's transport and the JSON answer.
func BenchmarkCall(b *testing.B) {
	noop := server.ServerTool{
		Tool: mcp.NewTool("noop"),
		Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		},
	}
	_, ts := newTestServer(b, Config{}, noop)
	req, _ := http.NewRequest("POST", ts.URL+DefaultPath, strings.NewReader(initBody))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := ts.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	id := res.Header.Get(server.HeaderKeySessionID)
	const call = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"noop"}}`
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("POST", ts.URL+DefaultPath, strings.NewReader(call))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set(server.HeaderKeySessionID, id)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		res, err := ts.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
