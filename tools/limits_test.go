package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/schemas"
)

// limitService is a service over an empty temporary store, for checking
// arguments: no test here starts a process.
func limitService(t testing.TB) *jobs.Service {
	t.Helper()
	st, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := jobs.New(st, jobs.Options{Cwd: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// checker runs one tool's arguments through strict decoding and the jobs
// operation, without the schema. A nil error means jobs accepted them (the
// operation failed, if at all, for another reason than the arguments).
type checker func(ctx context.Context, svc *jobs.Service, raw []byte) error

func check[T any](op func(context.Context, *jobs.Service, *T) error) checker {
	return func(ctx context.Context, svc *jobs.Service, raw []byte) error {
		var given map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&given); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		v, err := decodeStrict[T](raw, given)
		if err != nil {
			return fmt.Errorf("strict decode: %w", err)
		}
		if err := op(ctx, svc, v); err != nil && jobs.AsError(err).Code == jobs.CodeInvalidInput {
			return jobs.AsError(err)
		}
		return nil
	}
}

// limitTools are the tools whose arguments are compared, each with the
// arguments every case starts from: valid ones, with a job id that names no
// job, so that an accepted call ends in job_not_found and never starts
// anything. run is covered by create (its definition) and start (its
// observation), which run checks with the same code.
var limitTools = []struct {
	tool  string
	base  string
	check checker
}{
	{"create", `{"command":"true"}`, check(func(ctx context.Context, s *jobs.Service, d *jobs.Definition) error {
		_, err := s.Create(ctx, d)
		return err
	})},
	{"start", `{"job_id":"nosuchjob"}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.StartRequest) error {
		_, err := s.Start(ctx, r, nil)
		return err
	})},
	{"restart", `{"job_id":"nosuchjob"}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.RestartRequest) error {
		_, err := s.Restart(ctx, r, nil)
		return err
	})},
	{"kill", `{"job_id":"nosuchjob"}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.KillRequest) error {
		_, err := s.Kill(ctx, r)
		return err
	})},
	{"observe", `{"job_id":"nosuchjob"}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.ObserveRequest) error {
		_, err := s.ObserveJobs(ctx, r, nil)
		return err
	})},
	{"input", `{"job_id":"nosuchjob","text":"x"}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.InputRequest) error {
		_, err := s.Input(ctx, r, nil)
		return err
	})},
	{"update", `{"job_id":"nosuchjob","tags":[]}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.UpdateRequest) error {
		_, err := s.Update(ctx, r)
		return err
	})},
	{"list", `{}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.ListRequest) error {
		_, err := s.List(ctx, r)
		return err
	})},
	{"delete", `{"job_id":"nosuchjob"}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.DeleteRequest) error {
		_, err := s.Delete(ctx, r)
		return err
	})},
	{"gc", `{"dry_run":true}`, check(func(ctx context.Context, s *jobs.Service, r *jobs.GCRequest) error {
		_, err := s.GC(ctx, r)
		return err
	})},
}

// companions are arguments that only make sense together: a case that sets
// one sets the other to a valid value too.
var companions = map[string]map[string]any{
	"input": {"cols": json.Number("80"), "rows": json.Number("24")},
}

// baseFor are the arguments a case of one argument starts from when the
// tool's usual ones would not go with it: delete's filters instead of a
// job_id.
var baseFor = map[string]string{
	"delete.state": `{"dry_run":true}`, "delete.name": `{"dry_run":true}`, "delete.tag": `{"dry_run":true}`,
	"delete.older_than": `{"dry_run":true}`, "delete.cwd": `{"dry_run":true,"state":"exited"}`,
	"delete.all": `{"dry_run":true,"state":"exited"}`, "delete.dry_run": `{"state":"exited"}`,
}

// notByValue are arguments whose acceptance does not depend on the value
// alone, so the schema cannot decide it: paths on the server's disk, and a
// regular expression's syntax (RE2).
var notByValue = []string{"cwd", "stdin_file", "wait_for"}

// contentRules are arguments for which jobs checks more than the schema
// states (the schema gives the form; the rule is said in words or in the
// error): a shell command line that is blank or a program name that is
// empty, NUL bytes, variable names with '=', key names, signal names,
// input's "something to send", the grammar of run's and create's name
// and tags (left to jobs to keep run's schema within its budget), and gc's
// durations ("30d") and sizes ("2GiB") written as strings. For these, and only in this direction, jobs
// may refuse what the schema accepts, with invalid_input naming the
// argument.
var contentRules = map[string]bool{
	"command": true, "env": true, "mask": true, "keys": true, "signal": true, "text": true,
	"env_files":  true, // paths on the server's disk, read at create
	"log_rotate": true, // 0, or at least MinLogRotate: said in words
	"name":       true, "tags": true, "gc.older_than": true, "gc.max_bytes": true, "delete.older_than": true,
}

// candidates returns values to try for a property of an input schema:
// around its bounds, far outside them, of other types, and the strings
// and arrays that name and key rules turn on.
func candidates(prop map[string]any) []any {
	var out []any
	nums := []float64{-1, 0, 0.5, 1, 2, 255, 256, 1000, 1001, 65535, 65536, 1e6, 1e10, 1e12, 1 << 40, 1<<40 + 1, 1 << 53, 1e20, 1e300}
	for _, k := range []string{"minimum", "maximum"} {
		if b, ok := prop[k].(json.Number); ok {
			f, _ := b.Float64()
			nums = append(nums, f-1, f-0.5, f, f+0.5, f+1)
		}
	}
	for _, f := range nums {
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			out = append(out, json.Number(fmt.Sprintf("%d", int64(f))))
		} else {
			out = append(out, json.Number(fmt.Sprintf("%g", f)))
		}
	}
	// Whole numbers written with a fraction or an exponent.
	out = append(out, json.Number("1e2"), json.Number("2.0"), json.Number("1.5e3"), json.Number("3e5"), json.Number("1E1"))
	if e, ok := prop["enum"].([]any); ok {
		out = append(out, e...)
	}
	long := strings.Repeat("a", 64)
	out = append(out, "", "x", "bogus", "TERM", "SIGKILL", "RTMIN", "9", "a.b-c_d", "-x", ".x", long, long+"a", "a b", "a=b", "\x00",
		"enter", "ctrl-c", "  enter  ", strings.Repeat(" ", 20)+"enter",
		true, false, nil, map[string]any{}, map[string]any{"A": "b"}, map[string]any{"": "x"}, map[string]any{"A=B": "x"},
		map[string]any{"A": "\x00"},
		[]any{}, []any{"x"}, []any{""}, []any{"true"}, []any{"", "x"}, []any{"a=b"}, []any{"enter", "ctrl-c"}, []any{"nosuchkey"},
		[]any{json.Number("1")}, []any{"-x"}, []any{long + "a"})
	var many []any
	for i := range 33 {
		many = append(many, fmt.Sprintf("t%d", i))
	}
	out = append(out, many[:32], many)
	keys := make([]any, 1001)
	for i := range keys {
		keys[i] = "q"
	}
	out = append(out, keys[:1000], keys)
	return out
}

// TestSchemaAgreesWithJobs holds the published input schemas to the
// authority on arguments, package jobs: for every tool, every argument and
// many values of it (bounds, beyond them, other types), the schema accepts
// exactly the arguments that strict decoding and the jobs operation accept.
func TestSchemaAgreesWithJobs(t *testing.T) {
	ctx := context.Background()
	svc := limitService(t)
	for _, lt := range limitTools {
		var in struct {
			Properties map[string]map[string]any `json:"properties"`
		}
		dec := json.NewDecoder(bytes.NewReader(schemas.Validated(lt.tool)))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			t.Fatal(err)
		}
		names := make([]string, 0, len(in.Properties))
		for name := range in.Properties {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if slices.Contains(notByValue, name) {
				continue
			}
			for _, v := range candidates(in.Properties[name]) {
				base := lt.base
				if b, ok := baseFor[lt.tool+"."+name]; ok {
					base = b
				}
				args := map[string]any{}
				dec := json.NewDecoder(strings.NewReader(base))
				dec.UseNumber()
				if err := dec.Decode(&args); err != nil {
					t.Fatal(err)
				}
				if c, ok := companions[lt.tool][name]; ok {
					for k, cv := range companions[lt.tool] {
						args[k] = cv
					}
					_ = c
				}
				args[name] = v
				raw, err := json.Marshal(args)
				if err != nil {
					t.Fatal(err)
				}
				var generic any
				gdec := json.NewDecoder(bytes.NewReader(raw))
				gdec.UseNumber()
				if err := gdec.Decode(&generic); err != nil {
					t.Fatal(err)
				}
				schemaErr := schemas.ValidateInput(lt.tool, generic)
				jobsErr := lt.check(ctx, svc, raw)
				var je *jobs.Error
				if schemaErr == nil && (contentRules[name] || contentRules[lt.tool+"."+name]) && errors.As(jobsErr, &je) && je.Field == name {
					continue
				}
				if (schemaErr == nil) != (jobsErr == nil) {
					t.Errorf("%s %s: schema says %v, jobs says %v", lt.tool, raw, orOK(schemaErr), orOK(jobsErr))
				}
			}
		}
	}
}

func orOK(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
