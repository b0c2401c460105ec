package tools

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestDropCancelled: the response to a call whose context was cancelled
// is not written, once; every other message is.
func TestDropCancelled(t *testing.T) {
	c := newCancelled(slog.New(slog.DiscardHandler))
	hooks := c.hooks()
	after := hooks.OnAfterCallTool[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := &mcp.CallToolRequest{}
	after(ctx, float64(7), req, nil)
	after(ctx, "abc", req, nil)
	after(context.Background(), float64(8), req, nil) // not cancelled

	var out bytes.Buffer
	w := &dropCancelled{w: &out, c: c}
	for _, msg := range []string{
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7}}`,
		`{"jsonrpc":"2.0","id":7,"result":{}}`,
		`{"jsonrpc":"2.0","id":"abc","result":{}}`,
		`{"jsonrpc":"2.0","id":8,"result":{}}`,
		`{"jsonrpc":"2.0","id":7,"result":{"again":true}}`,
	} {
		if n, err := w.Write([]byte(msg + "\n")); err != nil || n != len(msg)+1 {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	want := `{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7}}` + "\n" +
		`{"jsonrpc":"2.0","id":8,"result":{}}` + "\n" +
		`{"jsonrpc":"2.0","id":7,"result":{"again":true}}` + "\n"
	if out.String() != want {
		t.Fatalf("written:\n%s\nwant:\n%s", out.String(), want)
	}
}
