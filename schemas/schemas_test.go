package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// wantParams pins every tool's arguments (DESIGN.md section 4).
var wantParams = map[string][]string{
	"run": {"command", "cwd", "env", "env_files", "inherit_env", "mask", "stdin", "stdin_file", "tty", "interactive",
		"cols", "rows", "timeout", "kill_after", "log_limit", "log_rotate", "streams", "name", "if_running", "tags", "notify",
		"until", "wait_for", "wait_for_port", "idle_ms", "stream", "max_bytes", "raw", "compress"},
	"create": {"command", "cwd", "env", "env_files", "inherit_env", "mask", "stdin", "stdin_file", "tty", "interactive",
		"cols", "rows", "timeout", "kill_after", "log_limit", "log_rotate", "streams", "name", "tags", "notify"},
	"start": {"job_id", "until", "wait_for", "wait_for_port", "idle_ms", "stream", "max_bytes", "raw", "compress"},
	"restart": {"job_id", "signal", "grace",
		"until", "wait_for", "wait_for_port", "idle_ms", "stream", "max_bytes", "raw", "compress"},
	"kill": {"job_id", "signal", "grace"},
	"observe": {"job_id", "job_ids", "all", "until", "offset",
		"wait_for", "wait_for_port", "idle_ms", "stream", "max_bytes", "raw", "compress", "view", "tail_lines", "detail"},
	"input": {"job_id", "text", "keys", "eof", "cols", "rows", "until", "wait_for", "idle_ms",
		"stream", "max_bytes", "raw", "compress"},
	"list":   {"state", "name", "tag", "cwd", "all", "limit"},
	"update": {"job_id", "tags", "notify"},
	"delete": {"job_id", "force", "state", "name", "tag", "older_than", "cwd", "all", "dry_run"},
	"gc":     {"older_than", "max_jobs", "max_bytes", "unreadable", "dry_run"},
}

func TestTools(t *testing.T) {
	got := Tools()
	want := []string{"run", "create", "start", "restart", "kill", "observe", "input", "list", "update", "delete", "gc"}
	if !slices.Equal(got, want) {
		t.Fatalf("Tools() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if Tools()[0] != "run" {
		t.Fatal("Tools() shares its slice with the caller")
	}
}

func TestDocumentsAreCopies(t *testing.T) {
	in := Input("run")
	in[0] = 'X'
	if Input("run")[0] != '{' {
		t.Fatal("Input shares its bytes with the caller")
	}
	out := Output("run")
	out[0] = 'X'
	if Output("run")[0] != '{' {
		t.Fatal("Output shares its bytes with the caller")
	}
}

func TestUnknownToolPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Input":          func() { Input("nope") },
		"Output":         func() { Output("nope") },
		"ValidateInput":  func() { _ = ValidateInput("nope", map[string]any{}) },
		"ValidateOutput": func() { _ = ValidateOutput("nope", map[string]any{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s(unknown tool) did not panic", name)
				}
			}()
			f()
		})
	}
}

// decode parses a document the way the tests inspect it.
func decode(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	if !json.Valid(doc) {
		t.Fatalf("not valid JSON: %s", doc)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	return m
}

// walk calls f for every object in v, with its JSON pointer.
func walk(v any, ptr string, f func(ptr string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(ptr, v)
		for k, c := range v {
			walk(c, ptr+"/"+k, f)
		}
	case []any:
		for i, c := range v {
			walk(c, fmt.Sprintf("%s/%d", ptr, i), f)
		}
	}
}

// resolve follows a local reference "#/a/b" in doc.
func resolve(doc map[string]any, ref string) (any, bool) {
	var v any = doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return v, true
}

// newerKeywords are 2019-09/2020-12 keywords that draft-07 validators do
// not know; the documents avoid them so that both kinds of validator agree.
var newerKeywords = []string{"prefixItems", "dependentSchemas", "dependentRequired", "unevaluatedProperties",
	"unevaluatedItems", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$anchor", "minContains", "maxContains"}

func TestDocumentsSelfContained(t *testing.T) {
	for _, tool := range Tools() {
		for _, doc := range []struct {
			kind string
			data []byte
		}{{"input", Input(tool)}, {"output", Output(tool)}} {
			t.Run(tool+"."+doc.kind, func(t *testing.T) {
				m := decode(t, doc.data)
				if m["type"] != "object" {
					t.Errorf(`top-level "type" = %v, want "object" (MCP requires it)`, m["type"])
				}
				if _, ok := m["$schema"]; ok {
					t.Error(`has "$schema"; documents stay unstamped (see the package doc)`)
				}
				walk(m, "#", func(ptr string, obj map[string]any) {
					for _, kw := range newerKeywords {
						if _, ok := obj[kw]; ok {
							t.Errorf("%s uses %s, which draft-07 validators do not know", ptr, kw)
						}
					}
					ref, ok := obj["$ref"].(string)
					if !ok {
						return
					}
					if doc.kind == "input" {
						t.Errorf("%s: $ref %q in an input schema (inputs must be fully inlined)", ptr, ref)
					}
					if !strings.HasPrefix(ref, "#") {
						t.Errorf("%s: $ref %q is not local", ptr, ref)
						return
					}
					if _, ok := resolve(m, ref); !ok {
						t.Errorf("%s: $ref %q does not resolve inside the document", ptr, ref)
					}
				})
			})
		}
	}
}

func TestInputDocuments(t *testing.T) {
	for _, tool := range Tools() {
		t.Run(tool, func(t *testing.T) {
			m := decode(t, Input(tool))
			if m["additionalProperties"] != false {
				t.Errorf("additionalProperties = %v, want false", m["additionalProperties"])
			}
			for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
				if _, ok := m[kw]; ok {
					t.Errorf("top-level %s: the Anthropic API rejects input schemas with it", kw)
				}
			}
			props, _ := m["properties"].(map[string]any)
			var names []string
			for name, p := range props {
				names = append(names, name)
				prop, _ := p.(map[string]any)
				desc, hasDesc := prop["description"].(string)
				if slices.Contains(Brief(tool), name) {
					// Published without a description: the tool's says
					// "as in run" (tools checks it); run describes it.
					if hasDesc {
						t.Errorf("%s: brief, yet described", name)
					}
					if !slices.Contains(wantParams["run"], name) {
						t.Errorf("%s: brief, but not an argument of run", name)
					}
					continue
				}
				if len(desc) < 12 {
					t.Errorf("%s: description %q is missing or too short for a model to act on", name, desc)
				}
				def, ok := prop["default"]
				if !ok {
					continue
				}
				if !strings.Contains(strings.ToLower(desc), "default") || !strings.Contains(desc, fmt.Sprint(def)) {
					t.Errorf("%s: default %v is not stated in the description %q", name, def, desc)
				}
			}
			want := slices.Sorted(slices.Values(wantParams[tool]))
			if slices.Sort(names); !slices.Equal(names, want) {
				t.Errorf("arguments = %v, want %v", names, want)
			}
			// The file order is kept: the first property is the first in wantParams.
			first := bytes.Index(Input(tool), []byte(`"`+wantParams[tool][0]+`":`))
			for _, name := range wantParams[tool][1:] {
				if i := bytes.Index(Input(tool), []byte(`"`+name+`":`)); i < first {
					t.Errorf("argument %s comes before %s: the file's order was lost", name, wantParams[tool][0])
				}
			}
		})
	}
}

// TestOutputDocuments: every output schema is one plain object, with no
// composition or condition anywhere (code-generating clients render those
// as unknown), fields in the envelope's order, and open to new fields.
func TestOutputDocuments(t *testing.T) {
	for _, tool := range Tools() {
		t.Run(tool, func(t *testing.T) {
			doc := Output(tool)
			m := decode(t, doc)
			walk(m, "#", func(ptr string, obj map[string]any) {
				for _, kw := range []string{"oneOf", "anyOf", "allOf", "if", "then", "else", "not"} {
					if _, ok := obj[kw]; ok {
						t.Errorf("%s: %s in an output schema", ptr, kw)
					}
				}
				if obj["additionalProperties"] == false {
					t.Errorf("%s: additionalProperties false; outputs must let clients ignore new fields", ptr)
				}
			})
			if _, ok := m["properties"].(map[string]any)["error"].(map[string]any)["required"]; !ok {
				t.Error("error property is not the inlined error object")
			}
			last := -1
			props := doc[bytes.Index(doc, []byte(`"properties":`)):]
			for _, f := range append([]string{"schema_version", "ok", "type", "error"}, successFields[tool]...) {
				i := bytes.Index(props, []byte(`"`+f+`":`))
				if i < last {
					t.Errorf("property %s is out of the envelope's order", f)
				}
				last = i
			}
		})
	}
}

// TestDraft7Compatible compiles every document as draft-07, the dialect of
// older MCP clients' validators, and checks that it judges the examples as
// the 2020-12 compilation does.
func TestDraft7Compatible(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	compile := func(name string, doc []byte) *jsonschema.Schema {
		t.Helper()
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		url := "https://draft7.invalid/" + name
		if err := c.AddResource(url, v); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile(url)
		if err != nil {
			t.Fatalf("compile %s as draft-07: %v", name, err)
		}
		return sch
	}
	for _, tool := range Tools() {
		in := compile(tool+".input.json", Validated(tool))
		out := compile(tool+".output.json", Output(tool))
		for _, tc := range inputCases {
			if tc.tool != tool {
				continue
			}
			v := mustNormalize(t, tc.args)
			if v == nil {
				v = map[string]any{} // as ValidateInput does
			}
			if got, want := in.Validate(v) == nil, tc.field == nil; got != want {
				t.Errorf("draft-07 %s input %s: valid = %v, want %v", tool, tc.args, got, want)
			}
		}
		for _, tc := range outputCases(t) {
			if tc.tool != tool {
				continue
			}
			v := mustNormalize(t, tc.v)
			if got, want := out.Validate(v) == nil, compiled().output[tool].Validate(v) == nil; got != want {
				t.Errorf("draft-07 %s output %s: valid = %v, want %v as with 2020-12", tool, tc.name, got, want)
			}
		}
	}
}

func TestPatternHintsAreUsed(t *testing.T) {
	data, err := files.ReadFile("defs.json")
	if err != nil {
		t.Fatal(err)
	}
	for pattern := range patternHints {
		quoted, _ := json.Marshal(pattern)
		if !bytes.Contains(data, quoted) {
			t.Errorf("patternHints has %s, which no schema uses", quoted)
		}
	}
}

func TestDefsFileIsASchema(t *testing.T) {
	data, err := files.ReadFile("defs.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://defs.invalid/defs.json", v); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile("https://defs.invalid/defs.json"); err != nil {
		t.Fatalf("defs.json does not compile: %v", err)
	}
}

func TestAssembleErrors(t *testing.T) {
	defs := map[string][]byte{"a": []byte(`{"type":"string"}`), "loop": []byte(`{"items":{"$ref":"#/$defs/loop"}}`)}
	for _, tc := range []struct {
		name string
		f    func() ([]byte, error)
	}{
		{"unknown ref", func() ([]byte, error) { return inline([]byte(`{"properties":{"x":{"$ref":"#/$defs/b"}}}`), defs) }},
		{"external ref", func() ([]byte, error) { return inline([]byte(`{"$ref":"other.json#/a"}`), defs) }},
		{"ref with siblings", func() ([]byte, error) {
			return inline([]byte(`{"properties":{"x":{"$ref":"#/$defs/a","default":1}}}`), defs)
		}},
		{"cycle", func() ([]byte, error) { return inline([]byte(`{"properties":{"x":{"$ref":"#/$defs/loop"}}}`), defs) }},
	} {
		if _, err := tc.f(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// ptr marks the expected FieldError.Field of an invalid case; nil means valid.
func ptr(s string) *string { return &s }

var inputCases = []struct {
	tool  string
	args  string
	field *string // nil: valid
	msg   string  // substring of the message
}{
	// input
	{"input", `{"job_id":"repl","text":"1+1\r"}`, nil, ""},
	{"input", `{"job_id":"repl","keys":["ctrl-c","enter"],"eof":true,"cols":80,"rows":24,"until":5,"idle_ms":100,"wait_for":">>> $"}`, nil, ""},
	{"input", `{"job_id":"repl","keys":"enter"}`, ptr("keys"), "array"},
	{"input", `{"job_id":"repl","cols":0,"rows":24}`, ptr("cols"), ">= 1"},
	{"input", `{"job_id":"repl","offset":3}`, ptr("offset"), "unknown argument"},
	{"input", `{"text":"x"}`, ptr("job_id"), "required"},
	// observe view
	{"observe", `{"job_id":"top","view":"screen"}`, nil, ""},
	{"observe", `{"job_id":"top","view":"pixels"}`, ptr("view"), ""},
	{"observe", `{"job_id":"top","tail_lines":50}`, nil, ""},
	{"observe", `{"job_id":"top","tail_lines":0}`, ptr("tail_lines"), ""},
	{"observe", `{"job_id":"top","tail_lines":10001}`, ptr("tail_lines"), ""},
	{"observe", `{"job_id":"top","detail":true}`, nil, ""},
	// run
	{"run", `{"command":["echo hi"]}`, nil, ""},
	{"run", `{"command":"make build"}`, nil, ""},
	{"run", `{"command":["go","test","./..."],"cwd":"/tmp","env":{"A":"1"},"inherit_env":false,"mask":["A"],
		"stdin":"x","tty":true,"interactive":true,"cols":80,"rows":24,"timeout":1.5,"kill_after":0,
		"streams":"separate","name":"dev-server","if_running":"attach","tags":["web","v1.2"],
		"until":0,"wait_for":"ready","wait_for_port":3000,"idle_ms":500,"stream":"stderr",
		"max_bytes":256,"raw":true,"compress":"errors"}`, nil, ""},
	{"run", `{"command":["x"],"stdin_file":"in.txt","until":1000}`, nil, ""},
	{"run", `{"command":["x"],"max_bytes":1048576,"cols":500,"rows":200}`, nil, ""},
	{"run", `{"command":"x","cols":501}`, ptr("cols"), "cols: must be <= 500"},
	{"run", `{}`, ptr("command"), "command: required"},
	{"run", `{"command":[]}`, ptr("command"), "must not be empty"},
	{"run", `{"command":""}`, ptr("command"), "must not be empty"},
	{"run", `{"command":42}`, ptr("command"), "must be a string or an array"},
	{"run", `{"command":["ls",1]}`, ptr("command"), "command[1]: must be a string"},
	{"run", `{"command":"x","foo":1}`, ptr("foo"), `unknown argument "foo"`},
	{"run", `{"command":"x","timeout_s":1,"cols":0}`, ptr("timeout_s"), `unknown argument "timeout_s"; valid arguments: cols, command`},
	{"run", `{"cols":0}`, ptr("command"), "command: required"},
	{"run", `{"command":"x","max_bytes":2000000}`, ptr("max_bytes"), "max_bytes: must be <= 1048576"},
	{"run", `{"command":"x","max_bytes":255}`, ptr("max_bytes"), "max_bytes: must be >= 256"},
	{"run", `{"command":"x","max_bytes":1.5}`, ptr("max_bytes"), "must be an integer"},
	{"run", `{"command":"x","cols":0}`, ptr("cols"), "cols: must be >= 1"},
	{"run", `{"command":"x","rows":201}`, ptr("rows"), "rows: must be <= 200"},
	{"run", `{"command":"x","timeout":-1}`, ptr("timeout"), "timeout: must be >= 0"},
	{"run", `{"command":"x","kill_after":"5"}`, ptr("kill_after"), "must be a number, got a string"},
	{"run", `{"command":"x","streams":"both"}`, ptr("streams"), `must be one of "merged", "separate"`},
	{"run", `{"command":"x","if_running":"wait"}`, ptr("if_running"), `must be one of "error", "attach", "restart"`},
	{"run", `{"command":"x","tags":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p",
		"q","r","s","t","u","v","w","x","y","z","a1","b1","c1","d1","e1","f1","g1"]}`, ptr("tags"), "at most 32 items"},
	{"run", `{"command":"x","env":{"A":1}}`, ptr("env"), `env["A"]: must be a string`},
	{"run", `{"command":"x","env":["A=1"]}`, ptr("env"), "env: must be an object"},
	{"run", `{"command":"x","inherit_env":"yes"}`, ptr("inherit_env"), "must be a boolean"},
	{"run", `{"command":"x","until":-1}`, ptr("until"), "until: must be >= 0"},
	{"run", `{"command":"x","wait_for_port":70000}`, ptr("wait_for_port"), "must be <= 65535"},
	{"run", `{"command":"x","idle_ms":0}`, ptr("idle_ms"), "must be >= 1"},
	{"run", `{"command":"x","offset":0}`, ptr("offset"), `unknown argument "offset"`},
	{"run", `{"command":"x","stream":"both"}`, ptr("stream"), "must be one of"},
	{"run", `{"command":"x","compress":"zip"}`, ptr("compress"), "must be one of"},
	{"run", `{"command":"x","raw":1}`, ptr("raw"), "must be a boolean"},
	{"run", `{"command":"x","job_id":"abcd"}`, ptr("job_id"), "unknown argument"},
	// create
	{"create", `{"command":["sleep","60"],"name":"later"}`, nil, ""},
	{"create", `{"name":"later"}`, ptr("command"), "command: required"},
	{"create", `{"command":"x","until":5}`, ptr("until"), `unknown argument "until"`},
	// start
	{"start", `{"job_id":"01jabc"}`, nil, ""},
	{"start", `{"job_id":"dev-server","until":30,"wait_for_port":8080}`, nil, ""},
	{"start", `{}`, ptr("job_id"), "job_id: required"},
	{"start", `{"job_id":"../etc"}`, ptr("job_id"), "job_id: must be 1 to 64"},
	{"start", `{"job_id":""}`, ptr("job_id"), "job_id: must be 1 to 64"},
	{"start", `{"job_id":"abcd","command":"x"}`, ptr("command"), "unknown argument"},
	// restart
	{"restart", `{"job_id":"abcd","signal":"INT","grace":0.5,"until":2}`, nil, ""},
	{"restart", `{"job_id":"abcd","signal":2}`, nil, ""},
	{"restart", `{"job_id":"abcd","grace":-1}`, ptr("grace"), "grace: must be >= 0"},
	{"restart", `{"job_id":"abcd","offset":3}`, ptr("offset"), "unknown argument"},
	// kill
	{"kill", `{"job_id":"abcd"}`, nil, ""},
	{"kill", `{"job_id":"abcd","signal":"SIGKILL","grace":10}`, nil, ""},
	{"kill", `{"job_id":"abcd","signal":"term"}`, nil, ""},
	{"kill", `{"job_id":"abcd","signal":9}`, nil, ""},
	{"kill", `{"job_id":"abcd","signal":true}`, ptr("signal"), "signal: must be a string or an integer, got a boolean"},
	{"kill", `{"job_id":"abcd","signal":0}`, ptr("signal"), "signal: must be >= 1"},
	{"kill", `{"job_id":"abcd","signal":99}`, ptr("signal"), "signal: must be <= 64"},
	{"kill", `{"job_id":"abcd","signal":"SIG TERM"}`, ptr("signal"), "signal: must be a signal name"},
	{"kill", `{"job_id":"abcd","signal":""}`, ptr("signal"), "signal: must be a signal name"},
	{"kill", `{"signal":"TERM"}`, ptr("job_id"), "job_id: required"},
	{"kill", `["abcd"]`, ptr(""), "arguments must be a JSON object, got an array"},
	{"kill", `"abcd"`, ptr(""), "arguments must be a JSON object, got a string"},
	// observe
	{"observe", `{"job_id":"abcd"}`, nil, ""},
	{"observe", `{"job_id":"abcd","offset":0,"until":5,"wait_for":">>> $","idle_ms":100,"stream":"stdout","max_bytes":512,"raw":false,"compress":"off"}`, nil, ""},
	{"observe", `{"job_id":"abcd","offset":-1}`, ptr("offset"), "offset: must be >= 0"},
	{"observe", `{"job_id":"abcd","offset":1.5}`, ptr("offset"), "must be an integer"},
	{"observe", `{"job_id":"abcd","signal":"TERM"}`, ptr("signal"), "unknown argument"},
	// list
	{"list", `{}`, nil, ""},
	{"list", `null`, nil, ""},
	{"list", `{"state":"running","name":"web","tag":"ci","cwd":"sub/dir","all":true,"limit":1000}`, nil, ""},
	{"list", `{"state":"bogus"}`, ptr("state"), `must be one of "created", "running", "exited", "killed", "failed"`},
	{"list", `{"limit":0}`, ptr("limit"), "limit: must be >= 1"},
	{"list", `{"limit":1001}`, ptr("limit"), "limit: must be <= 1000"},
	{"list", `{"tag":"a b"}`, ptr("tag"), "tag: must be 1 to 64"},
	{"list", `{"tags":["a"]}`, ptr("tags"), `unknown argument "tags"`},
	{"list", `{"all":"true"}`, ptr("all"), "must be a boolean"},
	{"list", `{"tag":"ns.*"}`, nil, ""},
	{"list", `{"tag":"*"}`, ptr("tag"), "tag: must be 1 to 64"},
	{"list", `{"tag":"a**"}`, ptr("tag"), "tag: must be 1 to 64"},
	// update
	{"update", `{"job_id":"web","tags":["ns.web","b"]}`, nil, ""},
	{"update", `{"job_id":"web","tags":[]}`, nil, ""},
	{"update", `{"job_id":"web"}`, nil, ""}, // the service asks for tags or notify
	{"update", `{"job_id":"web","notify":{"file":"f","match":[{"pattern":"x","match":"regex","stream":"stderr"}]}}`, nil, ""},
	{"update", `{"job_id":"web","notify":{"match":[{"match":"regex"}]}}`, ptr("notify"), `missing "pattern"`},
	{"update", `{"job_id":"web","notify":{"sink":"x"}}`, ptr("notify"), "unknown properties"},
	{"update", `{"job_id":"web","tags":[],"name":"x"}`, ptr("name"), `unknown argument "name"`},
	// delete
	{"delete", `{"job_id":"abcd","force":true}`, nil, ""},
	{"delete", `{"state":"exited","tag":"ci","older_than":"7d","all":true,"dry_run":true}`, nil, ""},
	{"delete", `{"state":"running"}`, ptr("state"), "must be one of"},
	{"delete", `{"job_id":"abcd","force":"yes"}`, ptr("force"), "force: must be a boolean"},
	// gc
	{"gc", `{}`, nil, ""},
	{"gc", `{"older_than":"30d","max_jobs":0,"max_bytes":"2GiB","unreadable":true,"dry_run":true}`, nil, ""},
	{"gc", `{"older_than":3600,"max_bytes":1048576}`, nil, ""},
	{"gc", `{"older_than":-1}`, ptr("older_than"), "older_than: must be >= 0"},
	{"gc", `{"older_than":true}`, ptr("older_than"), "older_than"},
	{"gc", `{"max_jobs":-1}`, ptr("max_jobs"), "max_jobs: must be >= 0"},
	{"gc", `{"max_jobs":1.5}`, ptr("max_jobs"), "must be an integer"},
	{"gc", `{"max_bytes":[1]}`, ptr("max_bytes"), "max_bytes"},
	{"gc", `{"job_id":"abcd"}`, ptr("job_id"), "unknown argument"},
}

func mustNormalize(t *testing.T, v any) any {
	t.Helper()
	if s, ok := v.(string); ok {
		v = json.RawMessage(s)
	}
	n, err := normalize(v)
	if err != nil {
		t.Fatalf("normalize(%v): %v", v, err)
	}
	return n
}

func TestValidateInput(t *testing.T) {
	for _, tc := range inputCases {
		t.Run(tc.tool+" "+tc.args, func(t *testing.T) {
			var args any
			if err := json.Unmarshal([]byte(tc.args), &args); err != nil {
				t.Fatalf("bad test JSON: %v", err)
			}
			err := ValidateInput(tc.tool, args)
			if tc.field == nil {
				if err != nil {
					t.Fatalf("ValidateInput(%s, %s) = %v, want nil", tc.tool, tc.args, err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ValidateInput(%s, %s) = %v (%T), want a *FieldError", tc.tool, tc.args, err, err)
			}
			if fe.Field != *tc.field {
				t.Errorf("ValidateInput(%s, %s).Field = %q, want %q (message %q)", tc.tool, tc.args, fe.Field, *tc.field, fe.Message)
			}
			if !strings.Contains(fe.Message, tc.msg) {
				t.Errorf("ValidateInput(%s, %s).Message = %q, want it to contain %q", tc.tool, tc.args, fe.Message, tc.msg)
			}
			if fe.Error() != fe.Message {
				t.Errorf("Error() = %q, want the Message %q", fe.Error(), fe.Message)
			}
		})
	}
}

// TestValidateInputDeterministic checks that, with several faults, the one
// reported does not depend on map iteration order inside the validator.
func TestValidateInputDeterministic(t *testing.T) {
	args := map[string]any{"command": "x", "cols": 0.0, "rows": 0.0, "max_bytes": 1.0, "tags": []any{"a b"}, "streams": "x"}
	first := ValidateInput("run", args)
	for range 50 {
		if got := ValidateInput("run", args); got.Error() != first.Error() {
			t.Fatalf("ValidateInput = %q, then %q", first, got)
		}
	}
	if fe := first.(*FieldError); fe.Field != "cols" {
		t.Errorf("Field = %q, want cols (the first invalid argument by name)", fe.Field)
	}
}

func TestValidateInputTypedValues(t *testing.T) {
	type killArgs struct {
		JobID  string  `json:"job_id"`
		Grace  float64 `json:"grace,omitempty"`
		Signal any     `json:"signal,omitempty"`
	}
	if err := ValidateInput("kill", killArgs{JobID: "abcd", Signal: 15}); err != nil {
		t.Errorf("ValidateInput(kill, struct) = %v, want nil", err)
	}
	if err := ValidateInput("kill", killArgs{JobID: "abcd", Grace: -1}); err == nil || err.(*FieldError).Field != "grace" {
		t.Errorf("ValidateInput(kill, grace -1) = %v, want a grace error", err)
	}
	if err := ValidateInput("run", map[string]any{"command": []string{"ls", "-l"}}); err != nil {
		t.Errorf("ValidateInput(run, []string command) = %v, want nil", err)
	}
	if err := ValidateInput("run", json.RawMessage(`{"command":"ls"}`)); err != nil {
		t.Errorf("ValidateInput(run, RawMessage) = %v, want nil", err)
	}
	if err := ValidateInput("list", nil); err != nil {
		t.Errorf("ValidateInput(list, nil) = %v, want nil", err)
	}
	if err := ValidateInput("run", nil); err == nil || err.(*FieldError).Field != "command" {
		t.Errorf("ValidateInput(run, nil) = %v, want command required", err)
	}
	if err := ValidateInput("run", map[string]any{"command": make(chan int)}); err == nil {
		t.Error("ValidateInput(run, unmarshalable) = nil, want an error")
	}
}

// Example envelopes. Timestamps are RFC 3339 UTC with milliseconds.
const (
	createdJob = `{"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","name":"later","state":"created","command":["sleep","60"],
		"cwd":"/work","tags":[],"tty":false,"interactive":false,"run":0,"created_at":"2026-05-01T10:00:00.000Z",
		"output_log":"/root/.local/share/agent-exec/jobs/01jz3k5m8q9r7t6v5w4x3y2z1a/output.log"}`
	runningJob = `{"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","name":"dev","state":"running","command":["npm run dev"],
		"cwd":"/work","env_keys":["PORT"],"tags":["web"],"tty":false,"interactive":false,"pid":4242,"run":1,
		"created_at":"2026-05-01T10:00:00.000Z","started_at":"2026-05-01T10:00:00.012Z","timeout_s":600,
		"output_log":"/jobs/x/output.log"}`
	exitedJob = `{"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","state":"exited","reason":"exit","exit_code":2,
		"command":["go","test","./..."],"cwd":"/work","tags":[],"tty":false,"interactive":false,"run":1,
		"created_at":"2026-05-01T10:00:00.000Z","started_at":"2026-05-01T10:00:00.012Z",
		"finished_at":"2026-05-01T10:00:03.500Z","duration_ms":3488,"output_log":"/jobs/x/output.log",
		"stdout_log":"/jobs/x/stdout.log","stderr_log":"/jobs/x/stderr.log"}`
	killedJob = `{"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","state":"killed","reason":"kill","signal":"SIGTERM",
		"command":["sleep 100"],"cwd":"/work","tags":[],"tty":true,"interactive":true,"run":2,
		"created_at":"2026-05-01T10:00:00.000Z","started_at":"2026-05-01T10:00:00.012Z",
		"finished_at":"2026-05-01T10:00:09.000Z","duration_ms":8988,"output_log":"/jobs/x/output.log"}`
	failedJob = `{"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","state":"failed","reason":"launch_error",
		"error":"exec: \"nope\": executable file not found in $PATH","command":["nope","x"],"cwd":"/work",
		"tags":[],"tty":false,"interactive":false,"run":1,"created_at":"2026-05-01T10:00:00.000Z",
		"finished_at":"2026-05-01T10:00:00.003Z","output_log":"/jobs/x/output.log"}`
	leanJob    = `{"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","state":"exited","reason":"exit","exit_code":0,"run":1,"duration_ms":9}`
	leanWindow = `{"text":"hi\n","total_bytes":3,"end":3,"next_offset":3}`
	window     = `{"stream":"output","text":"ok\n","total_bytes":3,"start":0,"end":3,"next_offset":3,"truncated":false}`
	cutWindow  = `{"stream":"output","text":"head\n[... 90000 bytes omitted: observe with offset 4096 ...]\ntail\n",
		"total_bytes":100000,"start":0,"end":100000,"omitted":{"start":4096,"end":94096},"next_offset":100000,
		"truncated":true,"compression":{"mode":"auto","strategy":"head_tail"}}`
	exitedWait   = `{"waited_ms":3488,"until_s":10,"reason":"exited"}`
	matchedWait  = `{"waited_ms":812,"until_s":50,"reason":"matched","matched":{"pattern":"ready","line":"server ready on :3000","offset":120}}`
	notWaited    = `{"waited_ms":0,"until_s":0,"reason":"not_waited"}`
	errEnvelope  = `{"schema_version":"2","ok":false,"type":"error","error":{"code":"job_not_found","message":"no job \"abcd\": list shows the jobs","retryable":false}}`
	errWithField = `{"schema_version":"2","ok":false,"type":"error","error":{"code":"invalid_input","message":"max_bytes: must be <= 1048576","retryable":false,"field":"max_bytes"}}`
	errDetails   = `{"schema_version":"2","ok":false,"type":"error","error":{"code":"ambiguous_job_id","message":"abcd matches 2 jobs","retryable":false,"details":{"candidates":["abcd1","abcd2"]}}}`
)

func envelope(tool string, fields string) string {
	return `{"schema_version":"2","ok":true,"type":"` + tool + `",` + fields + `}`
}

type outputCase struct {
	tool  string
	name  string
	v     any
	valid bool
}

func outputCases(t *testing.T) []outputCase {
	t.Helper()
	var cases []outputCase
	add := func(tool, name, v string, valid bool) {
		cases = append(cases, outputCase{tool, name, json.RawMessage(v), valid})
	}
	for _, tool := range []string{"run", "start", "restart", "observe"} {
		add(tool, "exited", envelope(tool, `"job":`+exitedJob+`,"output":`+window+`,"wait":`+exitedWait), true)
		add(tool, "running matched", envelope(tool, `"job":`+runningJob+`,"output":`+cutWindow+`,"wait":`+matchedWait), true)
		add(tool, "failed", envelope(tool, `"job":`+failedJob+`,"output":`+window+`,"wait":`+exitedWait), true)
		add(tool, "killed", envelope(tool, `"job":`+killedJob+`,"output":`+window+`,"wait":`+exitedWait), true)
		add(tool, "without wait", envelope(tool, `"job":`+exitedJob+`,"output":`+window), false)
		add(tool, "without output", envelope(tool, `"job":`+exitedJob+`,"wait":`+exitedWait), false)
		add(tool, "bogus wait reason", envelope(tool, `"job":`+exitedJob+`,"output":`+window+`,"wait":{"waited_ms":1,"until_s":1,"reason":"bored"}`), false)
		add(tool, "matched without match", envelope(tool, `"job":`+exitedJob+`,"output":`+window+`,"wait":{"waited_ms":1,"until_s":1,"reason":"matched"}`), false)
		add(tool, "negative offset", envelope(tool, `"job":`+exitedJob+`,"output":{"stream":"output","text":"","total_bytes":0,"start":0,"end":0,"next_offset":-1,"truncated":false},"wait":`+exitedWait), false)
		add(tool, "unknown stream", envelope(tool, `"job":`+exitedJob+`,"output":{"stream":"both","text":"","total_bytes":0,"start":0,"end":0,"next_offset":0,"truncated":false},"wait":`+exitedWait), false)
	}
	add("observe", "not waited", envelope("observe", `"job":`+createdJob+`,"output":{"stream":"output","text":"","total_bytes":0,"start":0,"end":0,"next_offset":0,"truncated":false},"wait":`+notWaited), true)
	screen := `{"cols":80,"rows":2,"lines":["$ top",""],"cursor":{"row":0,"col":5},"title":"top","alt_screen":true}`
	add("observe", "screen", envelope("observe", `"job":`+runningJob+`,"output":`+window+`,"wait":`+notWaited+`,"screen":`+screen), true)
	add("observe", "screen without cursor", envelope("observe", `"job":`+runningJob+`,"output":`+window+`,"wait":`+notWaited+`,"screen":{"cols":80,"rows":2,"lines":[]}`), false)
	inputResult := `{"bytes":4,"written":4,"eof":false,"resized":false}`
	add("input", "answered", envelope("input", `"job":`+runningJob+`,"output":`+window+`,"wait":`+matchedWait+`,"input":`+inputResult), true)
	add("input", "partial write", envelope("input", `"job":`+runningJob+`,"output":`+window+`,"wait":{"waited_ms":2000,"until_s":2,"reason":"deadline"},"input":{"bytes":1048576,"written":65536,"eof":false,"resized":false}`), true)
	add("input", "without input", envelope("input", `"job":`+runningJob+`,"output":`+window+`,"wait":`+matchedWait), true)
	add("input", "negative written", envelope("input", `"job":`+runningJob+`,"output":`+window+`,"wait":`+matchedWait+`,"input":{"bytes":1,"written":-1,"eof":false,"resized":false}`), false)
	add("create", "created", envelope("create", `"job":`+createdJob), true)
	add("create", "without job", envelope("create", `"job_id":"x"`), false)
	add("update", "updated", envelope("update", `"job":`+createdJob), true)
	add("update", "without job", envelope("update", `"job_id":"x"`), false)
	add("kill", "killed", envelope("kill", `"job":`+killedJob+`,"signal":"SIGTERM","escalated":false`), true)
	add("kill", "escalated", envelope("kill", `"job":`+killedJob+`,"signal":"SIGTERM","escalated":true`), true)
	add("kill", "already finished", envelope("kill", `"job":`+killedJob+`,"signal":"SIGTERM","escalated":false,"already_finished":true`), true)
	add("kill", "already finished not a bool", envelope("kill", `"job":`+killedJob+`,"signal":"SIGTERM","escalated":false,"already_finished":"yes"`), false)
	add("kill", "without escalated", envelope("kill", `"job":`+killedJob+`,"signal":"SIGTERM"`), false)
	add("list", "empty", envelope("list", `"jobs":[],"truncated":false,"root":"/jobs"`), true)
	add("list", "two", envelope("list", `"jobs":[
		{"job_id":"a1","state":"running","command":["npm run dev"],"cwd":"/w","tags":["web"],"created_at":"2026-05-01T10:00:00.000Z","started_at":"2026-05-01T10:00:00.100Z","last_line":"ready","run":1,"name":"dev"},
		{"job_id":"a2","state":"exited","reason":"exit","exit_code":0,"command":["true"],"cwd":"/w","tags":[],"created_at":"2026-05-01T10:00:00.000Z","finished_at":"2026-05-01T10:00:01.000Z","duration_ms":900,"last_line":"","run":1}],
		"truncated":true,"root":"/jobs"`), true)
	add("list", "summary without last_line", envelope("list", `"jobs":[{"job_id":"a1","state":"running","command":["x"],"cwd":"/w","tags":[],"created_at":"2026-05-01T10:00:00.000Z","run":1}],"truncated":false,"root":"/jobs"`), false)
	add("list", "without root", envelope("list", `"jobs":[],"truncated":false`), false)
	add("delete", "deleted", envelope("delete", `"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","deleted":true`), true)
	gcRes := `"root":"/jobs","gc":{"older_than_s":2592000,"max_jobs":1000,"max_bytes":2147483648,"dry_run":false,"jobs":3,"scanned":3,
		"deleted":[{"job_id":"a1","name":"web","state":"exited","reason":"older_than","bytes":4096,"finished_at":"2026-05-01T10:00:01.000Z"}],
		"freed_bytes":4096,"kept":{"running":1,"busy":1},"spared":[{"job_id":"a2","state":"exited","reason":"busy","bytes":10}],"remaining_bytes":99}`
	add("gc", "collected", envelope("gc", gcRes), true)
	add("gc", "nothing", envelope("gc", `"root":"/jobs","gc":{"older_than_s":0,"max_jobs":0,"max_bytes":0,"dry_run":true,"jobs":0,"scanned":0,"deleted":[],"freed_bytes":0,"kept":{},"remaining_bytes":0}`), true)
	add("gc", "without gc", envelope("gc", `"root":"/jobs"`), false)
	add("gc", "deleted without id", envelope("gc", `"root":"/jobs","gc":{"older_than_s":0,"max_jobs":0,"max_bytes":0,"dry_run":true,"jobs":0,"scanned":0,"deleted":[{"state":"exited","reason":"x","bytes":1}],"freed_bytes":0,"kept":{},"remaining_bytes":0}`), false)
	add("delete", "bulk", envelope("delete", `"root":"/jobs","bulk":{"dry_run":true,"deleted":[{"job_id":"a1","state":"exited"}],"kept":{"running":1}}`), true)
	add("delete", "bulk without kept", envelope("delete", `"root":"/jobs","bulk":{"dry_run":true,"deleted":[]}`), false)
	add("delete", "neither", envelope("delete", `"root":"/jobs"`), false)
	add("delete", "deleted false", envelope("delete", `"job_id":"01jz3k5m8q9r7t6v5w4x3y2z1a","deleted":false`), false)

	for _, tool := range Tools() {
		add(tool, "error", errEnvelope, true)
		add(tool, "error with field", errWithField, true)
		add(tool, "error with details", errDetails, true)
		add(tool, "error with unknown fields", `{"schema_version":"2","ok":false,"type":"error","hint":"new","error":{"code":"io_error","message":"disk full","retryable":true,"extra":1,"details":{"a":1}}}`, true)
		add(tool, "error with unknown code", `{"schema_version":"2","ok":false,"type":"error","error":{"code":"oops","message":"x","retryable":false}}`, false)
		add(tool, "error without message", `{"schema_version":"2","ok":false,"type":"error","error":{"code":"io_error","retryable":false}}`, false)
		add(tool, "error marked ok", `{"schema_version":"2","ok":true,"type":"error","error":{"code":"io_error","message":"x","retryable":false}}`, false)
		add(tool, "wrong schema_version", `{"schema_version":"0.1","ok":false,"type":"error","error":{"code":"io_error","message":"x","retryable":false}}`, false)
		add(tool, "not an object", `[]`, false)
		add(tool, "other tool's type", envelope(otherTool(tool), `"job":`+exitedJob+`,"output":`+window+`,"wait":`+exitedWait+`,"jobs":[],"truncated":false,"root":"/","job_id":"x","deleted":true,"signal":"SIGTERM","escalated":false`), false)
	}
	// schema_version 2: the lean job and window of a trivial run.
	add("run", "lean", envelope("run", `"job":`+leanJob+`,"wait":`+exitedWait+`,"output":`+leanWindow), true)
	add("run", "lean without run", envelope("run", `"job":`+strings.Replace(leanJob, `,"run":1`, ``, 1)+`,"wait":`+exitedWait+`,"output":`+leanWindow), false)
	add("run", "lean exited without exit_code", envelope("run", `"job":`+strings.Replace(leanJob, `"exit_code":0,`, ``, 1)+`,"wait":`+exitedWait+`,"output":`+leanWindow), false)
	// Job fields, through the observe envelope (the detail job).
	job := func(name, j string, valid bool) {
		add("observe", name, envelope("observe", `"job":`+j+`,"output":`+window+`,"wait":`+exitedWait), valid)
	}
	job("state bogus", strings.Replace(exitedJob, `"state":"exited"`, `"state":"bogus"`, 1), false)
	job("exited without exit_code", strings.Replace(exitedJob, `"exit_code":2,`, ``, 1), false)
	job("killed without signal", strings.Replace(killedJob, `"signal":"SIGTERM",`, ``, 1), false)
	job("failed without reason", strings.Replace(failedJob, `"reason":"launch_error",`, ``, 1), false)
	job("without output_log", strings.Replace(exitedJob, `"output_log":"/jobs/x/output.log",`, ``, 1), true)
	job("without run", strings.Replace(exitedJob, `"run":1,`, ``, 1), false)
	job("bad timestamp", strings.Replace(exitedJob, `"2026-05-01T10:00:03.500Z"`, `"yesterday"`, 1), false)
	job("command as string", strings.Replace(exitedJob, `["go","test","./..."]`, `"go test ./..."`, 1), false)
	job("exit_code null", strings.Replace(exitedJob, `"exit_code":2`, `"exit_code":null`, 1), false)
	job("run 0 pid 0", strings.Replace(runningJob, `"pid":4242`, `"pid":0`, 1), false)
	job("unknown fields", strings.Replace(exitedJob, `"state":"exited"`, `"state":"exited","cpu_ms":12,"labels":{"a":"b"}`, 1), true)
	return cases
}

func otherTool(tool string) string {
	if tool == "run" {
		return "start"
	}
	return "run"
}

func TestValidateOutput(t *testing.T) {
	for _, tc := range outputCases(t) {
		t.Run(tc.tool+" "+tc.name, func(t *testing.T) {
			err := ValidateOutput(tc.tool, tc.v)
			if tc.valid && err != nil {
				t.Errorf("ValidateOutput(%s, %s) = %v, want nil", tc.tool, tc.name, err)
			}
			if !tc.valid && err == nil {
				t.Errorf("ValidateOutput(%s, %s) = nil, want an error", tc.tool, tc.name)
			}
		})
	}
}

func TestValidateOutputTypedValue(t *testing.T) {
	type errBody struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Retryable bool   `json:"retryable"`
	}
	type envelope struct {
		SchemaVersion string  `json:"schema_version"`
		OK            bool    `json:"ok"`
		Type          string  `json:"type"`
		Error         errBody `json:"error"`
	}
	v := envelope{"2", false, "error", errBody{"name_in_use", "dev is running as 01jz…", false}}
	if err := ValidateOutput("run", v); err != nil {
		t.Errorf("ValidateOutput(run, struct) = %v, want nil", err)
	}
	v.SchemaVersion = "0"
	err := ValidateOutput("run", v)
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		t.Errorf("ValidateOutput(run, bad struct) = %v, want a wrapped *jsonschema.ValidationError", err)
	}
}

// mustProp returns the published property name of tool.
func mustProp(t *testing.T, tool, name string) map[string]any {
	t.Helper()
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(Input(tool), &doc); err != nil {
		t.Fatal(err)
	}
	p, ok := doc.Properties[name]
	if !ok {
		t.Fatalf("%s has no argument %s", tool, name)
	}
	return p
}

// TestPublishedForms: a definition's x-published form replaces it in the
// published documents only, and the key itself is in neither.
func TestPublishedForms(t *testing.T) {
	for _, tool := range Tools() {
		for _, doc := range [][]byte{Input(tool), Validated(tool)} {
			if bytes.Contains(doc, []byte("x-published")) || bytes.Contains(doc, []byte("x-brief")) {
				t.Errorf("%s: an x- key is left in %s", tool, doc)
			}
		}
	}
	if p := mustProp(t, "run", "notify"); p["properties"] != nil {
		t.Errorf("run's published notify has properties: %v", p)
	}
	if err := ValidateInput("run", map[string]any{"command": "true", "notify": map[string]any{"bogus": "x"}}); err == nil {
		t.Error("notify with an unknown field validated; the full definition must still hold")
	}
}

// boundKeywords are the keywords publish leaves out of input schemas.
var boundKeywords = []string{"maximum", "minimum", "maxItems", "minItems", "maxLength", "minLength"}

// TestPublishedInputsLeaveBoundsOut checks that the input schemas clients
// are sent carry no bound and no pattern, that every upper bound a model
// can reach (below 65535, on an argument) and every lower bound above 1
// is stated in the argument's description instead, and that arguments past
// a bound are still refused.
func TestPublishedInputsLeaveBoundsOut(t *testing.T) {
	for _, tool := range Tools() {
		walk(decode(t, Input(tool)), "#", func(ptr string, obj map[string]any) {
			for _, kw := range boundKeywords {
				if m, ok := obj[kw]; ok {
					t.Errorf("%s %s: %s %v published", tool, ptr, kw, m)
				}
			}
			if p, ok := obj["pattern"].(string); ok {
				t.Errorf("%s %s: pattern %q published", tool, ptr, p)
			}
		})
		var in, pub struct {
			Properties map[string]map[string]any `json:"properties"`
		}
		if err := json.Unmarshal(Validated(tool), &in); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(Input(tool), &pub); err != nil {
			t.Fatal(err)
		}
		for name, prop := range in.Properties {
			desc, _ := pub.Properties[name]["description"].(string)
			if slices.Contains(Brief(tool), name) {
				desc, _ = mustProp(t, "run", name)["description"].(string)
			}
			var bounds []any
			for _, kw := range []string{"maximum", "maxItems", "minimum"} {
				bounds = append(bounds, prop[kw])
			}
			if alt, ok := prop["oneOf"].([]any); ok {
				for _, a := range alt {
					a, _ := a.(map[string]any)
					bounds = append(bounds, a["maximum"])
				}
			}
			for i, b := range bounds {
				n, ok := b.(float64)
				if !ok || n >= 65535 || i == 2 && n <= 1 {
					continue
				}
				if !strings.Contains(desc, fmt.Sprint(n)) {
					t.Errorf("%s %s: bound %v is not stated in the description %q", tool, name, n, desc)
				}
			}
		}
	}
	for _, args := range []map[string]any{
		{"command": "true", "timeout": 1e12},
		{"command": "true", "timeout": -1},
		{"command": ""},
	} {
		if err := ValidateInput("run", args); err == nil {
			t.Errorf("run %v validated; the unpublished bound must still hold", args)
		}
	}
	if err := ValidateInput("observe", map[string]any{"job_id": "-x"}); err == nil {
		t.Error("observe job_id -x validated; the unpublished pattern must still hold")
	}
}
