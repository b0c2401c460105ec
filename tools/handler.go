package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
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
	// Numbers stay json.Number: a huge one (1e400) is valid JSON and must
	// reach the schema and the strict decode, which name the argument.
	var generic any
	gdec := json.NewDecoder(bytes.NewReader(raw))
	gdec.UseNumber()
	if err := gdec.Decode(&generic); err != nil {
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: "arguments are not valid JSON: " + err.Error()}
	}
	if _, err := gdec.Token(); !errors.Is(err, io.EOF) {
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: "arguments are not valid JSON: data after the arguments object"}
	}
	if err := schemas.ValidateInput(tool, generic); err != nil {
		var fe *schemas.FieldError
		if errors.As(err, &fe) {
			return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Field: fe.Field, Message: fe.Error()}
		}
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: err.Error()}
	}
	given, _ := generic.(map[string]any) // an object: the schema said so
	args, err := decodeStrict[T](raw, given)
	if err != nil {
		var je *jobs.Error
		if errors.As(err, &je) {
			return nil, je
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			if field := topLevelField(raw, ute.Field); field != "" {
				return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Field: field,
					Message: fmt.Sprintf("%s: cannot use %s here; want %s", field, ute.Value, goTypeWord(ute.Type.Kind()))}
			}
		}
		return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Message: "arguments: " + err.Error()}
	}
	return args, nil
}

// topLevelField returns the argument of raw (a JSON object) that path, an
// UnmarshalTypeError's dotted path of struct and JSON field names, is
// inside of, or "" when none is.
func topLevelField(raw []byte, path string) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return ""
	}
	for _, p := range strings.Split(path, ".") {
		if _, ok := obj[p]; ok {
			return p
		}
	}
	return ""
}

// goTypeWord says in a model's words which values a Go kind holds; the
// schema already checked the JSON type, so what is left is range and
// precision (1e400 for a number, 1.0 or 1e20 for an integer).
func goTypeWord(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number written without a fraction or exponent, within 64-bit range"
	case reflect.Float32, reflect.Float64:
		return "a number within float64 range"
	}
	return "a value of type " + k.String()
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
// structuredContent is the encoded envelope itself, so its fields keep the
// envelope's order (a map would sort them): clients hand exactly this JSON
// to the model.
func result(env *jobs.Envelope) *mcp.CallToolResult {
	b, err := json.Marshal(env)
	if err != nil {
		env = jobs.ErrorEnvelope(fmt.Errorf("encode result: %w", err))
		b, _ = json.Marshal(env)
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(string(b))},
		StructuredContent: json.RawMessage(b),
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
