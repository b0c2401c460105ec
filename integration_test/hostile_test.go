package integration_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var updateHostileDoc = flag.Bool("update-hostile-doc", false, "rewrite docs/hostile-input.md from the hostile-input table")

// hostileDoc is the published form of the hostile-input table.
const hostileDoc = "../docs/hostile-input.md"

// hostile is one hostile or malformed call: the arguments as JSON text (so
// that escapes such as \u0000 and lone surrogates reach the server as
// written), what they are in words, and the error it must get.
type hostile struct {
	tool  string
	arg   string // the argument under attack; "" for the arguments as a whole
	input string // what is sent, in words (the doc's column)
	args  string // JSON object; see expand for the $ placeholders
	code  string
	field string // error.field; "" for none
}

// Placeholders in hostile.args, expanded before sending: the doc shows the
// words, the wire gets the megabyte.
var placeholders = map[string]func() string{
	`"$MIB"`:      func() string { return strconv.Quote(strings.Repeat("a", 1<<20)) },
	`"$MIB("`:     func() string { return strconv.Quote(strings.Repeat("(", 1<<20)) },
	`"$MIB/"`:     func() string { return strconv.Quote("/" + strings.Repeat("a/", 1<<19)) },
	`"$10K"`:      func() string { return "[" + strings.TrimSuffix(strings.Repeat(`"a",`, 10000), ",") + "]" },
	`"$10KEMPTY"`: func() string { return "[" + strings.TrimSuffix(strings.Repeat(`"",`, 10000), ",") + "]" },
	`"$TARGET"`:   func() string { return `"target"` },
}

func expand(args string) json.RawMessage {
	for k, f := range placeholders {
		if strings.Contains(args, k) {
			args = strings.ReplaceAll(args, k, f())
		}
	}
	return json.RawMessage(args)
}

const (
	invalidInput = "invalid_input"
	notFound     = "job_not_found"
)

// traversal are job references that try to leave the root or glob in it;
// the job_id grammar refuses them all before any file is looked at.
var traversal = []struct{ input, json string }{
	{"`../x`", `"../x"`},
	{"`..`", `".."`},
	{"`.`", `"."`},
	{"`/etc`", `"/etc"`},
	{"`*`", `"*"`},
	{"`0?`", `"0?"`},
	{"`a/b`", `"a/b"`},
	{"`%2e%2e`", `"%2e%2e"`},
	{"`-rf`", `"-rf"`},
	{"`a b`", `"a b"`},
}

// jobIDCases are the job_id attacks, for every tool that takes one. rest
// is the rest of a valid call (without job_id), as JSON members.
func jobIDCases(tool, rest string) []hostile {
	with := func(v string) string {
		if rest == "" {
			return `{"job_id":` + v + `}`
		}
		return `{"job_id":` + v + `,` + rest + `}`
	}
	cs := []hostile{
		{tool, "job_id", "missing", "{" + rest + "}", invalidInput, "job_id"},
		{tool, "job_id", "`null`", with(`null`), invalidInput, "job_id"},
		{tool, "job_id", "number `5`", with(`5`), invalidInput, "job_id"},
		{tool, "job_id", "array", with(`["target"]`), invalidInput, "job_id"},
		{tool, "job_id", "object", with(`{"id":"target"}`), invalidInput, "job_id"},
		{tool, "job_id", "empty", with(`""`), invalidInput, "job_id"},
		{tool, "job_id", "1 MiB string", with(`"$MIB"`), invalidInput, "job_id"},
		{tool, "job_id", "NUL (`\\u0000`)", with(`"\u0000"`), invalidInput, "job_id"},
		{tool, "job_id", "name + NUL", with(`"target\u0000"`), invalidInput, "job_id"},
		{tool, "job_id", "lone surrogate `\\ud800` (decoded as U+FFFD)", with(`"\ud800"`), invalidInput, "job_id"},
		{tool, "job_id", "65-character name", with(strconv.Quote(strings.Repeat("a", 65))), invalidInput, "job_id"},
	}
	for _, tr := range traversal {
		cs = append(cs, hostile{tool, "job_id", tr.input, with(tr.json), invalidInput, "job_id"})
	}
	// Well formed, names nothing: the grammar allows them, the root has no
	// such job (nor could a path built from them leave it).
	for _, v := range []string{`"x..y"`, `"a.."`, `"etc"`, `"01aaaaaaaaaaaaaaaaaaaaaaaa"`, `"TARGET"`} {
		cs = append(cs, hostile{tool, "job_id", "well-formed, no such job: `" + strings.Trim(v, `"`) + "`", with(v), notFound, ""})
	}
	return append(cs,
		hostile{tool, "(unknown)", "unknown field `bogus`", strings.TrimSuffix(with(`"target"`), "}") + `,"bogus":1}`, invalidInput, "bogus"},
		hostile{tool, "(unknown)", "case variant `JOB_ID`", `{"JOB_ID":"target"}`, invalidInput, "JOB_ID"},
	)
}

// observationCases attack the observation fields (run, start, restart,
// observe, input) of a call whose other arguments are base.
func observationCases(tool, base string, port, offset bool) []hostile {
	w := func(kv string) string { return strings.TrimSuffix(base, "}") + "," + kv + "}" }
	cs := []hostile{
		{tool, "until", "negative", w(`"until":-1`), invalidInput, "until"},
		{tool, "until", "string", w(`"until":"soon"`), invalidInput, "until"},
		{tool, "wait_for", "empty", w(`"wait_for":""`), invalidInput, "wait_for"},
		{tool, "wait_for", "bad regex `(`", w(`"wait_for":"("`), invalidInput, "wait_for"},
		{tool, "wait_for", "1 MiB of `(`", w(`"wait_for":"$MIB("`), invalidInput, "wait_for"},
		{tool, "wait_for", "number", w(`"wait_for":5`), invalidInput, "wait_for"},
		{tool, "idle_ms", "zero", w(`"idle_ms":0`), invalidInput, "idle_ms"},
		{tool, "idle_ms", "negative", w(`"idle_ms":-1`), invalidInput, "idle_ms"},
		{tool, "idle_ms", "fraction `1.5`", w(`"idle_ms":1.5`), invalidInput, "idle_ms"},
		{tool, "idle_ms", "`1e20` (beyond int64)", w(`"idle_ms":1e20`), invalidInput, "idle_ms"},
		{tool, "stream", "`stdin`", w(`"stream":"stdin"`), invalidInput, "stream"},
		{tool, "stream", "empty", w(`"stream":""`), invalidInput, "stream"},
		{tool, "max_bytes", "negative", w(`"max_bytes":-1`), invalidInput, "max_bytes"},
		{tool, "max_bytes", "255 (below 256)", w(`"max_bytes":255`), invalidInput, "max_bytes"},
		{tool, "max_bytes", "1 MiB + 1", w(`"max_bytes":1048577`), invalidInput, "max_bytes"},
		{tool, "max_bytes", "string", w(`"max_bytes":"big"`), invalidInput, "max_bytes"},
		{tool, "raw", "string `yes`", w(`"raw":"yes"`), invalidInput, "raw"},
		{tool, "compress", "`zip`", w(`"compress":"zip"`), invalidInput, "compress"},
		{tool, "compress", "NUL", w(`"compress":"auto\u0000"`), invalidInput, "compress"},
	}
	if port {
		cs = append(cs,
			hostile{tool, "wait_for_port", "zero", w(`"wait_for_port":0`), invalidInput, "wait_for_port"},
			hostile{tool, "wait_for_port", "negative", w(`"wait_for_port":-1`), invalidInput, "wait_for_port"},
			hostile{tool, "wait_for_port", "65536", w(`"wait_for_port":65536`), invalidInput, "wait_for_port"},
			hostile{tool, "wait_for_port", "string `80`", w(`"wait_for_port":"80"`), invalidInput, "wait_for_port"},
		)
	}
	if offset {
		cs = append(cs,
			hostile{tool, "offset", "negative", w(`"offset":-1`), invalidInput, "offset"},
			hostile{tool, "offset", "`1e20` (beyond int64)", w(`"offset":1e20`), invalidInput, "offset"},
			hostile{tool, "offset", "string", w(`"offset":"0"`), invalidInput, "offset"},
		)
	} else {
		cs = append(cs, hostile{tool, "offset", "not an argument of " + tool, w(`"offset":0`), invalidInput, "offset"})
	}
	return cs
}

func signalCases(tool, base string) []hostile {
	w := func(kv string) string { return strings.TrimSuffix(base, "}") + "," + kv + "}" }
	return []hostile{
		{tool, "signal", "empty", w(`"signal":""`), invalidInput, "signal"},
		{tool, "signal", "unknown name", w(`"signal":"NOSUCHSIG"`), invalidInput, "signal"},
		{tool, "signal", "zero", w(`"signal":0`), invalidInput, "signal"},
		{tool, "signal", "negative", w(`"signal":-9`), invalidInput, "signal"},
		{tool, "signal", "65", w(`"signal":65`), invalidInput, "signal"},
		{tool, "signal", "fraction `9.5`", w(`"signal":9.5`), invalidInput, "signal"},
		{tool, "signal", "NUL in a name", w(`"signal":"TERM\u0000"`), invalidInput, "signal"},
		{tool, "signal", "path `../x`", w(`"signal":"../x"`), invalidInput, "signal"},
		{tool, "signal", "1 MiB string", w(`"signal":"$MIB"`), invalidInput, "signal"},
		{tool, "signal", "array", w(`"signal":["TERM"]`), invalidInput, "signal"},
		{tool, "grace", "negative", w(`"grace":-1`), invalidInput, "grace"},
		{tool, "grace", "string", w(`"grace":"5"`), invalidInput, "grace"},
	}
}

// definitionCases attack the definition fields of run and create.
func definitionCases(tool string) []hostile {
	w := func(kv string) string { return `{"command":"true",` + kv + `}` }
	cs := []hostile{
		{tool, "(arguments)", "an array, not an object", `[]`, invalidInput, ""},
		{tool, "command", "missing", `{}`, invalidInput, "command"},
		{tool, "command", "`null`", `{"command":null}`, invalidInput, "command"},
		{tool, "command", "number", `{"command":5}`, invalidInput, "command"},
		{tool, "command", "object", `{"command":{"sh":"true"}}`, invalidInput, "command"},
		{tool, "command", "empty string", `{"command":""}`, invalidInput, "command"},
		{tool, "command", "blank string", `{"command":"   "}`, invalidInput, "command"},
		{tool, "command", "empty array", `{"command":[]}`, invalidInput, "command"},
		{tool, "command", "`[\"\"]`", `{"command":[""]}`, invalidInput, "command"},
		{tool, "command", "`[\"\", \"x\"]` (empty program)", `{"command":["","x"]}`, invalidInput, "command"},
		{tool, "command", "array of numbers", `{"command":[5]}`, invalidInput, "command"},
		{tool, "command", "NUL in a shell line", `{"command":"true\u0000rm -rf /"}`, invalidInput, "command"},
		{tool, "command", "NUL in an argv element", `{"command":["echo","a\u0000b"]}`, invalidInput, "command"},
		{tool, "cwd", "empty", w(`"cwd":""`), invalidInput, "cwd"},
		{tool, "cwd", "number", w(`"cwd":5`), invalidInput, "cwd"},
		{tool, "cwd", "NUL", w(`"cwd":"/tmp\u0000"`), invalidInput, "cwd"},
		{tool, "cwd", "lone surrogate (no such directory)", w(`"cwd":"\ud800"`), invalidInput, "cwd"},
		{tool, "cwd", "1 MiB path", w(`"cwd":"$MIB/"`), invalidInput, "cwd"},
		{tool, "cwd", "`../../../../no-such-dir`", w(`"cwd":"../../../../no-such-dir"`), invalidInput, "cwd"},
		{tool, "cwd", "a file: `/etc/passwd`", w(`"cwd":"/etc/passwd"`), invalidInput, "cwd"},
		{tool, "env", "array", w(`"env":["A=1"]`), invalidInput, "env"},
		{tool, "env", "number value", w(`"env":{"A":1}`), invalidInput, "env"},
		{tool, "env", "empty name", w(`"env":{"":"x"}`), invalidInput, "env"},
		{tool, "env", "`=` in a name", w(`"env":{"A=B":"x"}`), invalidInput, "env"},
		{tool, "env", "NUL in a name", w(`"env":{"A\u0000":"x"}`), invalidInput, "env"},
		{tool, "env", "NUL in a value", w(`"env":{"A":"x\u0000y"}`), invalidInput, "env"},
		{tool, "inherit_env", "string", w(`"inherit_env":"no"`), invalidInput, "inherit_env"},
		{tool, "mask", "string", w(`"mask":"A"`), invalidInput, "mask"},
		{tool, "mask", "empty name", w(`"mask":[""]`), invalidInput, "mask"},
		{tool, "mask", "`=` in a name", w(`"mask":["A=B"]`), invalidInput, "mask"},
		{tool, "mask", "NUL in a name", w(`"mask":["A\u0000"]`), invalidInput, "mask"},
		{tool, "stdin", "number", w(`"stdin":5`), invalidInput, "stdin"},
		{tool, "stdin_file", "with stdin", w(`"stdin":"a","stdin_file":"/etc/hostname"`), invalidInput, "stdin"},
		{tool, "stdin", "with tty", w(`"stdin":"a","tty":true`), invalidInput, "stdin"},
		{tool, "stdin_file", "empty", w(`"stdin_file":""`), invalidInput, "stdin_file"},
		{tool, "stdin_file", "no such file", w(`"stdin_file":"../../../../no-such-file"`), invalidInput, "stdin_file"},
		{tool, "stdin_file", "a directory: `/etc`", w(`"stdin_file":"/etc"`), invalidInput, "stdin_file"},
		{tool, "stdin_file", "NUL", w(`"stdin_file":"/etc/hostname\u0000"`), invalidInput, "stdin_file"},
		{tool, "tty", "string", w(`"tty":"yes"`), invalidInput, "tty"},
		{tool, "interactive", "number", w(`"interactive":1`), invalidInput, "interactive"},
		{tool, "cols", "zero", w(`"cols":0`), invalidInput, "cols"},
		{tool, "cols", "negative", w(`"cols":-1`), invalidInput, "cols"},
		{tool, "cols", "1001", w(`"cols":1001`), invalidInput, "cols"},
		{tool, "rows", "fraction", w(`"rows":2.5`), invalidInput, "rows"},
		{tool, "rows", "1001", w(`"rows":1001`), invalidInput, "rows"},
		{tool, "timeout", "negative", w(`"timeout":-1`), invalidInput, "timeout"},
		{tool, "timeout", "string", w(`"timeout":"1m"`), invalidInput, "timeout"},
		{tool, "kill_after", "negative", w(`"kill_after":-0.5`), invalidInput, "kill_after"},
		{tool, "streams", "`both`", w(`"streams":"both"`), invalidInput, "streams"},
		{tool, "streams", "empty", w(`"streams":""`), invalidInput, "streams"},
		{tool, "streams", "`separate` with tty", w(`"streams":"separate","tty":true`), invalidInput, "streams"},
		{tool, "name", "empty", w(`"name":""`), invalidInput, "name"},
		{tool, "name", "number", w(`"name":5`), invalidInput, "name"},
		{tool, "name", "1 MiB string", w(`"name":"$MIB"`), invalidInput, "name"},
		{tool, "name", "NUL", w(`"name":"a\u0000"`), invalidInput, "name"},
		{tool, "name", "lone surrogate", w(`"name":"\ud800"`), invalidInput, "name"},
		{tool, "if_running", "`ignore`", w(`"if_running":"ignore"`), invalidInput, "if_running"},
		{tool, "tags", "string", w(`"tags":"one"`), invalidInput, "tags"},
		{tool, "tags", "10 000 tags", w(`"tags":"$10K"`), invalidInput, "tags"},
		{tool, "tags", "array of numbers", w(`"tags":[5]`), invalidInput, "tags"},
		{tool, "tags", "NUL", w(`"tags":["a\u0000"]`), invalidInput, "tags"},
		{tool, "mask", "10 000 empty names", w(`"mask":"$10KEMPTY"`), invalidInput, "mask"},
		{tool, "(unknown)", "unknown field `bogus`", w(`"bogus":1`), invalidInput, "bogus"},
		{tool, "(unknown)", "case variant `Command`", `{"Command":"true"}`, invalidInput, "Command"},
		{tool, "(unknown)", "`__proto__`", w(`"__proto__":{}`), invalidInput, "__proto__"},
	}
	for _, tr := range traversal {
		cs = append(cs,
			hostile{tool, "name", tr.input, w(`"name":` + tr.json), invalidInput, "name"},
			hostile{tool, "tags", tr.input, w(`"tags":[` + tr.json + `]`), invalidInput, "tags"},
		)
	}
	return cs
}

// hostileTable is every case, grouped by tool.
func hostileTable() []hostile {
	var cs []hostile
	cs = append(cs, definitionCases("run")...)
	cs = append(cs, observationCases("run", `{"command":"true"}`, true, false)...)
	cs = append(cs,
		hostile{"run", "command", "1 MiB shell command line (the kernel refuses it)", `{"command":"$MIB"}`, "launch_failed", ""},
		hostile{"run", "command", "10 000-element argv of a missing program", `{"command":"$10K"}`, "launch_failed", ""},
	)
	cs = append(cs, definitionCases("create")...)
	cs = append(cs,
		hostile{"create", "if_running", "`attach` (run only)", `{"command":"true","if_running":"attach"}`, invalidInput, "if_running"},
		hostile{"create", "until", "not an argument of create", `{"command":"true","until":1}`, invalidInput, "until"},
	)
	cs = append(cs, jobIDCases("start", "")...)
	cs = append(cs, observationCases("start", `{"job_id":"target"}`, true, false)...)
	cs = append(cs, jobIDCases("restart", "")...)
	cs = append(cs, signalCases("restart", `{"job_id":"target"}`)...)
	cs = append(cs, observationCases("restart", `{"job_id":"target"}`, true, false)...)
	cs = append(cs, jobIDCases("kill", "")...)
	cs = append(cs, signalCases("kill", `{"job_id":"target"}`)...)
	cs = append(cs, hostile{"kill", "until", "not an argument of kill", `{"job_id":"target","until":1}`, invalidInput, "until"})
	cs = append(cs, jobIDCases("observe", "")...)
	cs = append(cs, observationCases("observe", `{"job_id":"target"}`, true, true)...)
	cs = append(cs,
		hostile{"observe", "view", "`3d`", `{"job_id":"target","view":"3d"}`, invalidInput, "view"},
	)
	cs = append(cs, jobIDCases("input", `"text":"x"`)...)
	in := func(kv string) string { return `{"job_id":"target",` + kv + `}` }
	cs = append(cs,
		hostile{"input", "text", "number", in(`"text":5`), invalidInput, "text"},
		hostile{"input", "text", "array", in(`"text":["x"]`), invalidInput, "text"},
		hostile{"input", "keys", "string", in(`"keys":"enter"`), invalidInput, "keys"},
		hostile{"input", "keys", "10 000 keys", in(`"keys":"$10K"`), invalidInput, "keys"},
		hostile{"input", "keys", "empty key", in(`"keys":[""]`), invalidInput, "keys"},
		hostile{"input", "keys", "1 MiB key", in(`"keys":["$MIB"]`), invalidInput, "keys"},
		hostile{"input", "keys", "unknown key", in(`"keys":["no-such-key"]`), invalidInput, "keys"},
		hostile{"input", "keys", "NUL", in(`"keys":["\u0000"]`), invalidInput, "keys"},
		hostile{"input", "eof", "string", in(`"eof":"yes"`), invalidInput, "eof"},
		hostile{"input", "cols", "zero", in(`"cols":0,"rows":24`), invalidInput, "cols"},
		hostile{"input", "cols", "1001", in(`"cols":1001,"rows":24`), invalidInput, "cols"},
		hostile{"input", "rows", "negative", in(`"cols":80,"rows":-1`), invalidInput, "rows"},
		hostile{"input", "text", "nothing to send", in(`"until":0`), invalidInput, "text"},
	)
	cs = append(cs, observationCases("input", `{"job_id":"target","text":"x"}`, false, false)...)
	l := func(kv string) string { return `{` + kv + `}` }
	cs = append(cs,
		hostile{"list", "(arguments)", "an array, not an object", `[]`, invalidInput, ""},
		hostile{"list", "state", "`zombie`", l(`"state":"zombie"`), invalidInput, "state"},
		hostile{"list", "state", "empty", l(`"state":""`), invalidInput, "state"},
		hostile{"list", "state", "number", l(`"state":5`), invalidInput, "state"},
		hostile{"list", "name", "empty", l(`"name":""`), invalidInput, "name"},
		hostile{"list", "name", "1 MiB string", l(`"name":"$MIB"`), invalidInput, "name"},
		hostile{"list", "name", "NUL", l(`"name":"\u0000"`), invalidInput, "name"},
		hostile{"list", "tag", "lone surrogate", l(`"tag":"\ud800"`), invalidInput, "tag"},
		hostile{"list", "tag", "array", l(`"tag":["a"]`), invalidInput, "tag"},
		hostile{"list", "cwd", "empty", l(`"cwd":""`), invalidInput, "cwd"},
		hostile{"list", "cwd", "number", l(`"cwd":5`), invalidInput, "cwd"},
		hostile{"list", "all", "string `yes`", l(`"all":"yes"`), invalidInput, "all"},
		hostile{"list", "limit", "zero", l(`"limit":0`), invalidInput, "limit"},
		hostile{"list", "limit", "negative", l(`"limit":-1`), invalidInput, "limit"},
		hostile{"list", "limit", "1001", l(`"limit":1001`), invalidInput, "limit"},
		hostile{"list", "limit", "fraction", l(`"limit":1.5`), invalidInput, "limit"},
		hostile{"list", "limit", "`1e20`", l(`"limit":1e20`), invalidInput, "limit"},
		hostile{"list", "limit", "string", l(`"limit":"10"`), invalidInput, "limit"},
		hostile{"list", "(unknown)", "unknown field `bogus`", l(`"bogus":1`), invalidInput, "bogus"},
	)
	for _, tr := range traversal {
		cs = append(cs,
			hostile{"list", "name", tr.input, l(`"name":` + tr.json), invalidInput, "name"},
			hostile{"list", "tag", tr.input, l(`"tag":` + tr.json), invalidInput, "tag"},
		)
	}
	cs = append(cs, jobIDCases("delete", "")...)
	cs = append(cs,
		hostile{"delete", "force", "string `yes`", `{"job_id":"target","force":"yes"}`, invalidInput, "force"},
		hostile{"delete", "force", "number", `{"job_id":"target","force":1}`, invalidInput, "force"},
	)
	return cs
}

// TestHostileInput sends every hostile call of the table to a real server,
// over stdio and over HTTP, one server per tool and transport, each with
// one created job named "target" that well formed references may hit. Every call must be an isError result with the
// table's code and field, the message naming the field; afterwards the root
// holds exactly the target job, still in state created (nothing created,
// nothing changed), and the server still answers.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	groups := map[string][]hostile{}
	var order []string
	for _, c := range hostileTable() {
		if _, ok := groups[c.tool]; !ok {
			order = append(order, c.tool)
		}
		groups[c.tool] = append(groups[c.tool], c)
	}
	for _, tr := range transports {
		for _, tool := range order {
			t.Run(tr.name+"/"+tool, func(t *testing.T) {
				t.Parallel()
				opts := tr.opts
				if tr.name == "http" {
					// The server's handling of every case is race-checked
					// over stdio; over HTTP what is checked is the
					// transport, and a race-built server would make the
					// megabyte cases several times slower.
					opts = append(opts[:len(opts):len(opts)], withBinary(plainBinary(t)))
				}
				s := startServer(t, opts...)
				target := s.ok("create", obj{"command": "true", "name": "target"}).Job.JobID
				before := s.root.jobDirs(t)
				for i, c := range groups[tool] {
					t.Run(fmt.Sprintf("%03d %s %s", i, c.arg, c.input), func(t *testing.T) {
						checkHostile(t, s, c)
					})
				}
				if after := s.root.jobDirs(t); !slices.Equal(after, before) {
					t.Errorf("job directories after the hostile calls = %v, want %v", after, before)
				}
				env := s.ok("observe", obj{"job_id": target})
				if env.Job.State != "created" || env.Job.Run != 0 {
					t.Errorf("target job after the hostile calls: state %s run %d, want created, run 0", env.Job.State, env.Job.Run)
				}
				if jobs := s.listAll(); len(jobs) != 1 || jobs[0].JobID != target {
					t.Errorf("list after the hostile calls = %+v, want only the target job", jobs)
				}
			})
		}
	}
}

func checkHostile(t *testing.T, s *server, c hostile) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	rep, err := s.invoke(ctx, &mcp.CallToolParams{Name: c.tool, Arguments: expand(c.args)})
	if err != nil {
		t.Fatalf("%s %.200s: %v", c.tool, c.args, err)
	}
	if rep.env.OK {
		t.Fatalf("%s %.200s succeeded, want %s on %q: %.500s", c.tool, c.args, c.code, c.field, rep.text)
	}
	e := rep.env.Error
	if e.Code != c.code || e.Field != c.field {
		t.Fatalf("%s %.200s: error %s field %q (%.300s), want %s field %q", c.tool, c.args, e.Code, e.Field, e.Message, c.code, c.field)
	}
	if e.Message == "" || len(e.Message) > 4096 {
		t.Errorf("%s %.200s: message of %d bytes, want a short one", c.tool, c.args, len(e.Message))
	}
	if c.field != "" && !strings.Contains(e.Message, c.field) {
		t.Errorf("%s %.200s: message %q does not name %s", c.tool, c.args, e.Message, c.field)
	}
	if e.Retryable {
		t.Errorf("%s %.200s: %s is retryable", c.tool, c.args, e.Code)
	}
}

// TestHostileInputDoc keeps docs/hostile-input.md in step with the table;
// go test ./integration_test -run TestHostileInputDoc -update-hostile-doc
// rewrites it.
func TestHostileInputDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString(hostileDocHead)
	tool := ""
	for _, c := range hostileTable() {
		if c.tool != tool {
			tool = c.tool
			fmt.Fprintf(&b, "\n### `%s`\n\n| argument | input | code | error.field |\n|---|---|---|---|\n", tool)
		}
		field := "—"
		if c.field != "" {
			field = "`" + c.field + "`"
		}
		arg := c.arg
		if !strings.HasPrefix(arg, "(") {
			arg = "`" + arg + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", arg, strings.ReplaceAll(c.input, "|", "\\|"), c.code, field)
	}
	want := b.String()
	if *updateHostileDoc {
		if err := os.MkdirAll(filepath.Dir(hostileDoc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(hostileDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(hostileDoc)
	if err != nil {
		t.Fatalf("read %s: %v (run with -update-hostile-doc to write it)", hostileDoc, err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date with the table in hostile_test.go; run go test ./integration_test -run TestHostileInputDoc -update-hostile-doc", hostileDoc)
	}
}

const hostileDocHead = `# Hostile and malformed input

Every row below is a call that ` + "`integration_test/hostile_test.go`" + ` (TestHostileInput) sends to a real
` + "`agent-exec mcp`" + ` server, over stdio and over HTTP (` + "`--http`" + `), and the error it must get back. This
file is generated from that table (` + "`go test ./integration_test -run TestHostileInputDoc -update-hostile-doc`" + `); a test fails when the
two disagree.

For every row the test also checks that:

- the result is a tool result with ` + "`isError: true`" + ` and the error envelope (never a JSON-RPC error), whose
  ` + "`error.message`" + ` names the argument, and ` + "`retryable`" + ` is false;
- nothing was created or changed: the root holds the same job directories as before the calls, and the one
  job the server was given (a created job named ` + "`target`" + `, which well-formed references could hit) is
  still in state ` + "`created`" + `, run 0;
- the server still serves: ` + "`observe`" + ` and ` + "`list`" + ` answer after the last hostile call.

Notes on the inputs:

- **NUL** is sent JSON-escaped (` + "`\\u0000`" + `).
- **Invalid UTF-8** cannot be sent as JSON text. A lone surrogate (` + "`\\ud800`" + `) is the nearest thing: Go
  decodes it to U+FFFD, so what the server sees is valid UTF-8. Where U+FFFD is acceptable (a shell command
  line, stdin text) the call is legal and not in this table; where a grammar refuses it (names, tags,
  job ids) it is ` + "`invalid_input`" + `; as a ` + "`cwd`" + ` it names a directory that does not exist.
- **Huge** means 1 MiB strings and 10 000-element arrays.
- **Path traversal and glob tricks** in a job reference (` + "`../x`, `..`, `/etc`, `*`, `0?`, `a/b`, `%2e%2e`" + `) are refused by
  the job_id grammar (letters, digits, ` + "`.`, `_`, `-`" + `, starting with a letter or digit, at most 64
  characters) before any file is looked at, so they are ` + "`invalid_input`" + `. A reference the grammar allows
  but that names no job (` + "`x..y`" + `, ` + "`a..`" + `, or ` + "`TARGET`" + `: names are case-sensitive) is ` + "`job_not_found`" + `,
  with no field: the input is well formed, the job is not there. Job ids are only ever looked up as
  entries of the root, never joined into a path before they pass the grammar.
- Integers beyond the range of the Go type (a ` + "`1e20`" + ` offset, limit or idle_ms) are valid JSON and pass the
  schema; the strict decode refuses them and names the argument. A number beyond float64 (` + "`1e400`" + `) never
  reaches agent-exec over the wire: mcp-go refuses the whole ` + "`tools/call`" + ` request with a JSON-RPC
  "invalid params" error while parsing it, before any tool handler runs (so it is not in this table). The
  handler's own decoding refuses it as ` + "`invalid_input`" + ` naming the argument; FuzzToolArguments in
  ` + "`tools/fuzz_test.go`" + ` covers that path.
- Error messages are capped at 1 KiB, so a huge argument is not echoed back whole.
- Legal even though large or odd, and therefore not in this table: a 1 MiB shell command line for ` + "`create`" + `
  (it is stored; ` + "`run`" + ` of it is ` + "`launch_failed`" + ` when the kernel refuses the argument), a ` + "`mask`" + ` of 10 000
  well-formed names, env names with spaces (the kernel allows them), a ` + "`cwd`" + ` of ` + "`/`" + `.
`
