package tools

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestCapFor: known clients get their cap, by a substring of the
// announced name in any case; others the default.
func TestCapFor(t *testing.T) {
	for name, want := range map[string]time.Duration{
		"claude-code": 110 * time.Second, "Claude-Code": 110 * time.Second, "codex-mcp-client": 280 * time.Second,
		"claude-ai": 200 * time.Second, "": DefaultClientCap, "some-ide": DefaultClientCap,
	} {
		if got := capFor(name); got != want {
			t.Errorf("capFor(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestClientWaitCapsMiddleware: until above the cap is lowered to it; an
// until within the cap, a missing one, one that is not a number and
// calls of tools that do not wait pass unchanged.
func TestClientWaitCapsMiddleware(t *testing.T) {
	cases := []struct {
		tool, args, want string
	}{
		{"observe", `{"job_id":"a","until":100000}`, `{"job_id":"a","until":50}`},
		{"run", `{"command":"x","until":60.5}`, `{"command":"x","until":50}`},
		{"observe", `{"job_id":"a","until":7}`, `{"job_id":"a","until":7}`},
		{"observe", `{"job_id":"a"}`, `{"job_id":"a"}`},
		{"observe", `{"job_id":"a","until":"x"}`, `{"job_id":"a","until":"x"}`},
		{"observe", `{"job_id":"a","until":1e400}`, `{"job_id":"a","until":1e400}`},
		{"kill", `{"job_id":"a","until":100000}`, `{"job_id":"a","until":100000}`},
	}
	for _, c := range cases {
		var got string
		h := ClientWaitCaps()(func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			b, _ := rawArguments(req)
			got = string(b)
			return nil, nil
		})
		req := mcp.CallToolRequest{}
		req.Params.Name = c.tool
		// As mcp-go hands them over: decoded, and the raw bytes.
		var decoded map[string]any
		_ = json.Unmarshal([]byte(c.args), &decoded)
		req.Params.Arguments = decoded
		req.Params.RawArguments = json.RawMessage(c.args)
		if _, err := h(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		var g, w any
		if json.Unmarshal([]byte(got), &g) != nil {
			g = got
		}
		_ = json.Unmarshal([]byte(c.want), &w)
		if gb, _ := json.Marshal(g); string(gb) != mustJSON(w) && got != c.want {
			t.Errorf("%s %s: handler got %s, want %s", c.tool, c.args, got, c.want)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
