package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// FieldError is a tool's arguments failing its input schema. Message is
// short, names the argument and says what is wanted, e.g.
// "max_bytes: must be <= 1048576", "command: required" or
// `unknown argument "foo"; valid arguments: ...`.
type FieldError struct {
	// Field is the top-level argument at fault: the offending property, the
	// missing required one or the unknown one. It is "" when the arguments
	// as a whole are at fault (not a JSON object).
	Field string
	// Message is the whole human-readable message, Field included.
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// baseURL names the documents inside the compiler. No loader is registered
// for it, so nothing is ever fetched.
const baseURL = "https://schemas.agent-exec.invalid/"

// compiledSchemas are every tool's schemas, compiled on first use.
type compiledSchemas struct {
	input, output map[string]*jsonschema.Schema
}

var compiled = sync.OnceValue(func() *compiledSchemas {
	c, err := compileAll(assembled())
	if err != nil {
		panic("schemas: " + err.Error())
	}
	return c
})

func compileAll(docs map[string]*toolDocs) (*compiledSchemas, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat() // date-time timestamps in outputs are checked, not just annotated
	out := &compiledSchemas{
		input:  make(map[string]*jsonschema.Schema, len(docs)),
		output: make(map[string]*jsonschema.Schema, len(docs)),
	}
	for tool, d := range docs {
		for _, doc := range []struct {
			url  string
			data []byte
			dst  map[string]*jsonschema.Schema
		}{
			{baseURL + tool + ".input.json", d.input, out.input},
			{baseURL + tool + ".output.json", d.output, out.output},
		} {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc.data))
			if err != nil {
				return nil, fmt.Errorf("decode %s: %w", doc.url, err)
			}
			if err := c.AddResource(doc.url, v); err != nil {
				return nil, fmt.Errorf("add %s: %w", doc.url, err)
			}
			sch, err := c.Compile(doc.url)
			if err != nil {
				return nil, fmt.Errorf("compile %s: %w", doc.url, err)
			}
			doc.dst[tool] = sch
		}
	}
	return out, nil
}

// ValidateInput checks a tool's arguments against its input schema. args is
// what encoding/json decodes into an any (typically a map[string]any), or
// anything encoding/json can marshal; nil stands for no arguments ({}).
// On failure it returns a *FieldError naming the first offending argument:
// an unknown argument before a missing one, a missing one before an invalid
// one, and invalid ones in name order. ValidateInput panics on an unknown
// tool name, which is a programming error.
func ValidateInput(tool string, args any) error {
	d := lookup(tool)
	sch := compiled().input[tool]
	v, err := normalize(args)
	if err != nil {
		return &FieldError{Message: "arguments are not JSON: " + err.Error()}
	}
	if v == nil {
		v = map[string]any{}
	}
	if _, ok := v.(map[string]any); !ok {
		return &FieldError{Message: fmt.Sprintf("arguments must be a JSON object, got %s", article(jsonType(v)))}
	}
	err = sch.Validate(v)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return &FieldError{Message: err.Error()}
	}
	return describe(verr, d, v)
}

// ValidateOutput checks a tool's result envelope against its output schema
// and then against the envelope's rules that the published schema leaves
// out to stay a plain object (see checkEnvelope). v is a JSON-decoded value
// or anything encoding/json can marshal. A schema failure wraps the
// *jsonschema.ValidationError, whose text lists every failure.
// ValidateOutput panics on an unknown tool name.
func ValidateOutput(tool string, v any) error {
	lookup(tool)
	sch := compiled().output[tool]
	nv, err := normalize(v)
	if err != nil {
		return fmt.Errorf("%s output is not JSON: %w", tool, err)
	}
	if err := sch.Validate(nv); err != nil {
		return fmt.Errorf("%s output: %w", tool, err)
	}
	if err := checkEnvelope(tool, nv); err != nil {
		return fmt.Errorf("%s output: %w", tool, err)
	}
	return nil
}

// successFields are the fields of each tool's successful result, beside
// schema_version, ok and type.
var successFields = map[string][]string{
	"run":     {"job", "wait", "output"},
	"start":   {"job", "wait", "output"},
	"restart": {"job", "wait", "output"},
	"observe": {"job", "wait", "output"},
	"input":   {"job", "wait", "output"},
	"create":  {"job"},
	"kill":    {"job", "signal", "escalated"},
	"list":    {"jobs", "truncated", "root"},
	"update":  {"job"},
	"delete":  {"job_id", "deleted"},
	"gc":      {"root", "gc"},
}

// checkEnvelope checks the rules of an envelope (a normalized, schema-valid
// value) that its output schema does not state. The published schemas are
// one plain object each, without oneOf, allOf or if/then, because
// code-generating clients turn those into useless types (unknown &
// unknown); the rules live here instead, so that tests still hold every
// result to them:
//   - ok is true exactly when type is the tool's, false when it is "error";
//     an error result has error, a successful one does not, and it has
//     every field of successFields;
//   - a job (or list entry) that exited has exit_code, a killed one has
//     signal, a failed one has reason; its times are RFC 3339;
//   - a wait that matched has matched;
//   - every number is >= 0 (a pid >= 1), and an error's code is one of
//     errorCodes.
func checkEnvelope(tool string, v any) error {
	env, _ := v.(map[string]any)
	if env == nil {
		return errors.New("not an object")
	}
	ok, _ := env["ok"].(bool)
	typ, _ := env["type"].(string)
	_, hasErr := env["error"]
	switch {
	case ok && typ != tool:
		return fmt.Errorf("ok is true but type is %q", typ)
	case !ok && typ != "error":
		return fmt.Errorf("ok is false but type is %q, not error", typ)
	case !ok && !hasErr:
		return errors.New("an error result has no error")
	case ok && hasErr:
		return errors.New("a successful result has error")
	}
	if err := checkNumbers(env, ""); err != nil {
		return err
	}
	if !ok {
		code, _ := env["error"].(map[string]any)["code"].(string)
		if !slices.Contains(errorCodes, code) {
			return fmt.Errorf("error code %q is none of %s", code, strings.Join(errorCodes, ", "))
		}
		return nil
	}
	fields := successFields[tool]
	if _, bulk := env["bulk"]; bulk && tool == "delete" {
		fields = []string{"root", "bulk"} // a delete by filters
	}
	for _, f := range fields {
		if _, has := env[f]; !has {
			return fmt.Errorf("a successful %s result has no %s", tool, f)
		}
	}
	if j, isJob := env["job"].(map[string]any); isJob {
		if err := checkJob(j); err != nil {
			return fmt.Errorf("job: %w", err)
		}
	}
	if list, isList := env["jobs"].([]any); isList {
		for i, j := range list {
			if err := checkJob(j.(map[string]any)); err != nil {
				return fmt.Errorf("jobs[%d]: %w", i, err)
			}
		}
	}
	if w, isWait := env["wait"].(map[string]any); isWait && w["reason"] == "matched" {
		if _, has := w["matched"]; !has {
			return errors.New("wait: reason matched without matched")
		}
	}
	return nil
}

// errorCodes are the codes of the error envelope (README: Codes).
var errorCodes = []string{"invalid_input", "job_not_found", "ambiguous_job_id", "invalid_state", "name_in_use",
	"stdin_too_large", "not_interactive", "launch_failed", "io_error", "internal_error", "supervisor_unresponsive"}

// checkNumbers checks that every number of an envelope is >= 0 (sizes,
// offsets, counts, durations, exit codes) and that a pid is >= 1. Details
// of an error may hold anything.
func checkNumbers(v any, path string) error {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if k == "details" {
				continue
			}
			if err := checkNumbers(child, path+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		for i, child := range v {
			if err := checkNumbers(child, fmt.Sprintf("%s/%d", path, i)); err != nil {
				return err
			}
		}
	case json.Number:
		f, err := v.Float64()
		if err != nil || f < 0 || (strings.HasSuffix(path, "/pid") && f < 1) {
			return fmt.Errorf("%s: %s is out of range", path, v)
		}
	}
	return nil
}

// stateFields are the fields a job in a state must have.
var stateFields = map[string]string{"exited": "exit_code", "killed": "signal", "failed": "reason"}

func checkJob(j map[string]any) error {
	for _, f := range []string{"created_at", "started_at", "finished_at"} {
		if ts, has := j[f].(string); has {
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				return fmt.Errorf("%s %q is not an RFC 3339 time", f, ts)
			}
		}
	}
	state, _ := j["state"].(string)
	if f, ok := stateFields[state]; ok {
		if _, has := j[f]; !has {
			return fmt.Errorf("state %s without %s", state, f)
		}
	}
	return nil
}

// normalize turns v into plain JSON values (maps, slices, strings,
// json.Number, bools, nil) by a round trip through encoding/json, so that
// typed Go values validate too and numbers keep their exact value.
func normalize(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// issue is one candidate failure, reduced from the validator's error tree.
type issue struct {
	loc   []string // instance location; loc[0] is the argument
	field string
	rank  int // see rank constants
	msg   string
	kind  jsonschema.ErrorKind
}

// Ranks order issues: the first argument a model should fix comes first.
const (
	rankUnknown  = iota // an unknown argument (likely a misspelt one)
	rankMissing         // a required argument is missing
	rankTogether        // arguments that exclude each other
	rankObject          // anything else about the arguments as a whole
	rankArgument        // an argument's value
)

// describe turns the validator's error tree into a FieldError.
func describe(verr *jsonschema.ValidationError, d *toolDocs, args any) *FieldError {
	is := pick(verr, d, args)
	if is == nil { // cannot happen: a failed validation has a leaf
		return &FieldError{Message: "invalid arguments: " + verr.Error()}
	}
	return &FieldError{Field: is.field, Message: is.msg}
}

// pick returns the most useful issue of the tree under e.
func pick(e *jsonschema.ValidationError, d *toolDocs, args any) *issue {
	switch k := e.ErrorKind.(type) {
	case *kind.OneOf:
		if k.Subschemas == nil {
			return alternatives(e, d, args)
		}
	case *kind.AnyOf:
		return alternatives(e, d, args)
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
		if len(e.Causes) > 0 {
			var picks []*issue
			for _, c := range e.Causes {
				if is := pick(c, d, args); is != nil {
					picks = append(picks, is)
				}
			}
			return best(picks)
		}
	}
	return leaf(e, d)
}

// alternatives picks the issue of a oneOf/anyOf that no alternative
// matched. When every alternative failed on the value's type, the answer
// lists the types wanted; otherwise it is the failure inside the
// alternative whose type did match (an empty array, a bad item...).
func alternatives(e *jsonschema.ValidationError, d *toolDocs, args any) *issue {
	var want []string
	var deeper []*issue
	for _, c := range e.Causes {
		is := pick(c, d, args)
		if is == nil {
			continue
		}
		if t, ok := is.kind.(*kind.Type); ok && len(is.loc) == len(e.InstanceLocation) {
			want = append(want, t.Want...)
			continue
		}
		deeper = append(deeper, is)
	}
	if len(deeper) > 0 {
		return best(deeper)
	}
	got := jsonType(valueAt(args, e.InstanceLocation))
	k := &kind.Type{Got: got, Want: want}
	is := newIssue(e.InstanceLocation, rankArgument, keywordMessage(k))
	is.kind = k
	return is
}

// best returns the issue to report among several: by rank, then argument
// name, then the deepest location, then message, so the choice does not
// depend on the validator's map iteration order.
func best(picks []*issue) *issue {
	if len(picks) == 0 {
		return nil
	}
	return slices.MinFunc(picks, func(a, b *issue) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		if c := strings.Compare(a.field, b.field); c != 0 {
			return c
		}
		if len(a.loc) != len(b.loc) {
			return len(b.loc) - len(a.loc)
		}
		return strings.Compare(a.msg, b.msg)
	})
}

// newIssue makes an issue at loc whose message is msg after the location.
func newIssue(loc []string, rank int, msg string) *issue {
	is := &issue{loc: loc, rank: rank}
	if len(loc) > 0 {
		is.field = loc[0]
		is.msg = path(loc) + ": " + msg
	} else {
		is.msg = msg
	}
	return is
}

// leaf describes one failed keyword.
func leaf(e *jsonschema.ValidationError, d *toolDocs) *issue {
	is := leafIssue(e, d)
	is.kind = e.ErrorKind
	return is
}

func leafIssue(e *jsonschema.ValidationError, d *toolDocs) *issue {
	loc := e.InstanceLocation
	atRoot := len(loc) == 0
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		props := slices.Sorted(slices.Values(k.Properties))
		if atRoot {
			quoted := quoteAll(props)
			noun := "argument"
			if len(props) > 1 {
				noun = "arguments"
			}
			return &issue{
				field: props[0],
				rank:  rankUnknown,
				msg:   fmt.Sprintf("unknown %s %s; valid arguments: %s", noun, quoted, strings.Join(d.params, ", ")),
			}
		}
		return newIssue(loc, rankArgument, "unknown properties "+quoteAll(props))
	case *kind.Required:
		if atRoot {
			return &issue{field: k.Missing[0], rank: rankMissing, msg: k.Missing[0] + ": required"}
		}
		return newIssue(loc, rankArgument, "missing "+quoteAll(k.Missing))
	case *kind.Not:
		if atRoot && len(d.exclusive) > 0 {
			last := d.exclusive[len(d.exclusive)-1]
			return &issue{
				field: last,
				rank:  rankTogether,
				msg:   fmt.Sprintf("%s cannot be used together; pass only one", joinAnd(d.exclusive)),
			}
		}
		return newIssue(loc, rankObjectOr(atRoot), "is not allowed here")
	}
	return newIssue(loc, rankObjectOr(atRoot), keywordMessage(e.ErrorKind))
}

func rankObjectOr(atRoot bool) int {
	if atRoot {
		return rankObject
	}
	return rankArgument
}

// keywordMessage says what a failed keyword wants, without the location.
func keywordMessage(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		return fmt.Sprintf("must be %s, got %s", articles(k.Want), article(k.Got))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = display(w)
		}
		return fmt.Sprintf("must be one of %s, got %s", strings.Join(want, ", "), display(k.Got))
	case *kind.Const:
		return fmt.Sprintf("must be %s", display(k.Want))
	case *kind.Minimum:
		return "must be >= " + ratString(k.Want)
	case *kind.Maximum:
		return "must be <= " + ratString(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be > " + ratString(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be < " + ratString(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + ratString(k.Want)
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long", k.Want)
	case *kind.Pattern:
		if hint, ok := patternHints[k.Want]; ok {
			return fmt.Sprintf("must be %s, got %s", hint, strconv.Quote(k.Got))
		}
		return fmt.Sprintf("must match %s, got %s", k.Want, strconv.Quote(k.Got))
	case *kind.MinItems:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items, got %d", k.Want, k.Got)
	case *kind.UniqueItems:
		return fmt.Sprintf("items %d and %d must not be equal", k.Duplicates[0], k.Duplicates[1])
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %d properties", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d properties", k.Want)
	case *kind.PropertyNames:
		return fmt.Sprintf("has an invalid property name %s", strconv.Quote(k.Property))
	case *kind.Format:
		return fmt.Sprintf("must be a valid %s", k.Want)
	case *kind.OneOf:
		return "matches more than one of its allowed forms"
	case *kind.FalseSchema:
		return "is not allowed"
	}
	if kw := k.KeywordPath(); len(kw) > 0 {
		return "is invalid (" + strings.Join(kw, "/") + ")"
	}
	return "is invalid"
}

// patternHints say in words what the schemas' patterns want; a model acts
// on words more reliably than on a regular expression.
var patternHints = map[string]string{
	"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$":     "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
	"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\*?$": "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, then an optional * (a prefix)",
	"^[A-Za-z0-9][A-Za-z0-9+-]*$":           "a signal name such as TERM, SIGTERM or RTMIN+6, or a number",
}

// path renders an instance location: the argument, then [i] for array
// items and ["key"] for object members.
func path(loc []string) string {
	var b strings.Builder
	b.WriteString(loc[0])
	for _, tok := range loc[1:] {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
		} else {
			b.WriteString("[" + strconv.Quote(tok) + "]")
		}
	}
	return b.String()
}

// valueAt returns the value at loc in v, or nil.
func valueAt(v any, loc []string) any {
	for _, tok := range loc {
		switch c := v.(type) {
		case map[string]any:
			v = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// jsonType names the JSON type of a normalized value.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "number"
}

// article puts the indefinite article before a JSON type name.
func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "array", "integer", "object":
		return "an " + t
	}
	return "a " + t
}

// articles renders wanted types as "a string or an array".
func articles(types []string) string {
	types = slices.Compact(slices.Clone(types))
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = article(t)
	}
	return strings.Join(parts, " or ")
}

// joinAnd renders names as "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// display renders a JSON value from a schema or an instance, briefly.
func display(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// ratString renders a schema bound: "1048576", or "0.5".
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}
