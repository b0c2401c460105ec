package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/schemas"
)

// operation is a jobs operation with its argument type.
type operation[T any] func(ctx context.Context, args *T, progress jobs.Progress) (*jobs.Envelope, error)

// handle adapts an operation to an MCP tool handler: it checks the
// arguments against the tool's input schema, decodes them strictly, runs
// the operation and returns the envelope as structuredContent and as text.
// Every failure, bad arguments included, is an isError result carrying the
// error envelope; a Go error is never returned (that would be a JSON-RPC
// error the model cannot read).
func handle[T any](tool string, op operation[T]) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := decodeArgs[T](tool, req)
		if err != nil {
			return result(jobs.ErrorEnvelope(err)), nil
		}
		env, err := op(ctx, args, progressFunc(ctx, req))
		if err != nil {
			return result(jobs.ErrorEnvelope(err)), nil
		}
		return result(env), nil
	}
}

func decodeArgs[T any](tool string, req mcp.CallToolRequest) (*T, error) {
	raw, err := rawArguments(req)
	if err != nil {
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: "arguments: " + err.Error()}
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: "arguments are not valid JSON: " + err.Error()}
	}
	if err := schemas.ValidateInput(tool, generic); err != nil {
		var fe *schemas.FieldError
		if errors.As(err, &fe) {
			return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Field: fe.Field, Message: fe.Error()}
		}
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: err.Error()}
	}
	args := new(T)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(args); err != nil {
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: "arguments: " + err.Error()}
	}
	return args, nil
}

// rawArguments returns the call's arguments as JSON; none means {}.
func rawArguments(req mcp.CallToolRequest) ([]byte, error) {
	switch a := req.GetRawArguments().(type) {
	case json.RawMessage:
		if len(bytes.TrimSpace(a)) == 0 || string(bytes.TrimSpace(a)) == "null" {
			return []byte("{}"), nil
		}
		return a, nil
	case nil:
		return []byte("{}"), nil
	default:
		b, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		return b, nil
	}
}

// result wraps an envelope in a tool result: structuredContent plus the
// same JSON as the one text block; isError when the envelope is an error.
func result(env *jobs.Envelope) *mcp.CallToolResult {
	b, err := json.Marshal(env)
	if err != nil {
		env = jobs.ErrorEnvelope(fmt.Errorf("encode result: %w", err))
		b, _ = json.Marshal(env)
	}
	var structured map[string]any
	_ = json.Unmarshal(b, &structured)
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(string(b))},
		StructuredContent: structured,
		IsError:           !env.OK,
	}
}

// progressFunc returns a Progress that sends notifications/progress to
// the client when the call carried a progress token, or nil when it did not.
func progressFunc(ctx context.Context, req mcp.CallToolRequest) jobs.Progress {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return nil
	}
	token := req.Params.Meta.ProgressToken
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return nil
	}
	return func(elapsed time.Duration, lastLine string) {
		msg := fmt.Sprintf("waited %.0fs", elapsed.Seconds())
		if lastLine != "" {
			msg += ": " + lastLine
		}
		_ = srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
			"progressToken": token,
			"progress":      elapsed.Seconds(),
			"message":       msg,
		})
	}
}
