package integration_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestBadArguments: arguments that break a tool's input are isError
// results with code invalid_input naming the argument, never protocol
// errors; nothing is created and the server keeps serving.
func TestBadArguments(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const id = "01aaaaaaaaaaaaaaaaaaaaaaaa" // well formed, no such job
	tests := []struct {
		tool  string
		args  obj
		field string
	}{
		{"run", obj{}, "command"},
		{"run", obj{"command": 5}, "command"},
		{"run", obj{"command": []any{}}, "command"},
		{"run", obj{"command": "true", "foo": 1}, "foo"},
		{"run", obj{"command": "true", "max_bytes": 10}, "max_bytes"},
		{"run", obj{"command": "true", "max_bytes": 2 << 20}, "max_bytes"},
		{"run", obj{"command": "true", "wait_for": "("}, "wait_for"},
		{"run", obj{"command": "true", "until": "soon"}, "until"},
		{"run", obj{"command": "true", "until": -1}, "until"},
		{"run", obj{"command": "true", "timeout": -1}, "timeout"},
		{"run", obj{"command": "true", "streams": "both"}, "streams"},
		{"run", obj{"command": "true", "if_running": "ignore"}, "if_running"},
		{"run", obj{"command": "true", "name": "no spaces allowed"}, "name"},
		{"run", obj{"command": "true", "tags": []any{"ok", "not ok"}}, "tags"},
		{"run", obj{"command": "true", "env": obj{"A": 1}}, "env"},
		{"run", obj{"command": "true", "wait_for_port": 70000}, "wait_for_port"},
		{"run", obj{"command": "true", "offset": 0}, "offset"},
		{"create", obj{}, "command"},
		{"create", obj{"command": "true", "bogus": true}, "bogus"},
		{"create", obj{"command": "true", "if_running": "attach"}, "if_running"},
		{"create", obj{"command": "true", "tags": "one"}, "tags"},
		{"input", obj{}, "job_id"},
		{"input", obj{"job_id": id, "text": 5}, "text"},
		{"input", obj{"job_id": id, "text": "x", "foo": 1}, "foo"},
		{"start", obj{}, "job_id"},
		{"start", obj{"job_id": 5}, "job_id"},
		{"start", obj{"job_id": id, "foo": 1}, "foo"},
		{"start", obj{"job_id": id, "max_bytes": 2 << 20}, "max_bytes"},
		{"start", obj{"job_id": id, "wait_for": "a(b"}, "wait_for"},
		{"restart", obj{}, "job_id"},
		{"restart", obj{"job_id": id, "signal": "NOSUCHSIG"}, "signal"},
		{"restart", obj{"job_id": id, "signal": 99}, "signal"},
		{"restart", obj{"job_id": id, "grace": -1}, "grace"},
		{"restart", obj{"job_id": id, "idle_ms": "x"}, "idle_ms"},
		{"kill", obj{}, "job_id"},
		{"kill", obj{"job_id": []any{id}}, "job_id"},
		{"kill", obj{"job_id": id, "signal": "NOSUCHSIG"}, "signal"},
		{"kill", obj{"job_id": id, "grace": "x"}, "grace"},
		{"kill", obj{"job_id": id, "until": 1}, "until"},
		{"observe", obj{}, "job_id"},
		{"observe", obj{"job_id": "not a job id!"}, "job_id"},
		{"observe", obj{"job_id": id, "max_bytes": 10}, "max_bytes"},
		{"observe", obj{"job_id": id, "max_bytes": 2 << 20}, "max_bytes"},
		{"observe", obj{"job_id": id, "wait_for": "(unclosed"}, "wait_for"},
		{"observe", obj{"job_id": id, "until": -1}, "until"},
		{"observe", obj{"job_id": id, "offset": -1}, "offset"},
		{"observe", obj{"job_id": id, "stream": "stdin"}, "stream"},
		{"observe", obj{"job_id": id, "raw": "yes"}, "raw"},
		{"observe", obj{"job_id": id, "unknown_field": 1}, "unknown_field"},
		{"list", obj{"state": "zombie"}, "state"},
		{"list", obj{"limit": 5000}, "limit"},
		{"list", obj{"all": "yes"}, "all"},
		{"list", obj{"foo": 1}, "foo"},
		{"delete", obj{}, "job_id"},
		{"delete", obj{"job_id": id, "force": "yes"}, "force"},
		{"delete", obj{"job_id": id, "extra": 1}, "extra"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %v", tc.tool, tc.args), func(t *testing.T) {
			rep := s.call(tc.tool, tc.args)
			if rep.env.OK {
				t.Fatalf("succeeded: %s", rep.text)
			}
			e := rep.env.Error
			if e.Code != "invalid_input" || e.Field != tc.field {
				t.Fatalf("error %s field %q (%s), want invalid_input field %q", e.Code, e.Field, e.Message, tc.field)
			}
			if !strings.Contains(e.Message, tc.field) {
				t.Errorf("message %q does not name %s", e.Message, tc.field)
			}
			if e.Retryable {
				t.Error("invalid_input is retryable")
			}
		})
	}
	// Still serving, and nothing was created.
	if jobs := s.listAll(); len(jobs) != 0 {
		t.Errorf("bad calls created jobs: %+v", jobs)
	}
	if env := s.runJob("echo still serving", nil); env.Output.Text != "still serving\n" {
		t.Errorf("after bad calls: output %q", env.Output.Text)
	}
}

func TestStdinAndStdinFileExclusive(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	e := s.fail("run", obj{"command": "cat", "stdin": "a", "stdin_file": "/etc/hostname"}, "invalid_input")
	if e.Field != "stdin" && e.Field != "stdin_file" {
		t.Errorf("field %q, want stdin or stdin_file", e.Field)
	}
	if len(s.root.jobDirs(t)) != 0 {
		t.Error("a refused run created a job")
	}
}

// TestJobResolution: full ids, unique prefixes and names resolve; an
// ambiguous prefix and an unknown job are errors that say so.
func TestJobResolution(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	// Ids are time-ordered ULIDs: two made in a row share a long prefix
	// (their first ~9 characters encode nearly the same millisecond).
	var a, b string
	lcp := 0
	for try := 0; try < 5 && lcp < 4; try++ {
		a = s.ok("create", obj{"command": "echo a"}).Job.JobID
		b = s.ok("create", obj{"command": "echo b"}).Job.JobID
		for lcp = 0; lcp < len(a) && a[lcp] == b[lcp]; lcp++ {
		}
	}
	if lcp < 4 {
		t.Fatalf("ids %s and %s share only %d characters", a, b, lcp)
	}
	// The shortest prefix accepted (4 characters) names every job that
	// has it; all of them are candidates.
	var sharing []string
	for _, j := range s.listAll() {
		if strings.HasPrefix(j.JobID, a[:4]) {
			sharing = append(sharing, j.JobID)
		}
	}
	e := s.fail("observe", obj{"job_id": a[:4]}, "ambiguous_job_id")
	cands, _ := e.Details["candidates"].([]any)
	var got []string
	for _, c := range cands {
		got = append(got, fmt.Sprint(c))
	}
	slices.Sort(got)
	slices.Sort(sharing)
	if !slices.Equal(got, sharing) {
		t.Errorf("candidates = %v, want %v", got, sharing)
	}
	e = s.fail("kill", obj{"job_id": a[:lcp]}, "ambiguous_job_id")
	if !strings.Contains(e.Message, a) || !strings.Contains(e.Message, b) {
		t.Errorf("ambiguity message %q does not list %s and %s", e.Message, a, b)
	}

	// A unique prefix, one character longer than the shared part.
	for _, id := range []string{a, b} {
		if got := s.ok("observe", obj{"job_id": id[:lcp+1]}).Job.JobID; got != id {
			t.Errorf("prefix %s resolved to %s, want %s", id[:lcp+1], got, id)
		}
		if got := s.ok("observe", obj{"job_id": id}).Job.JobID; got != id {
			t.Errorf("full id %s resolved to %s", id, got)
		}
	}

	// Names: the newest job of the name.
	first := s.runJob("echo first", obj{"name": "builder"}).Job.JobID
	second := s.runJob("echo second", obj{"name": "builder"}).Job.JobID
	if first == second {
		t.Fatal("two runs got the same id")
	}
	env := s.ok("observe", obj{"job_id": "builder"})
	if env.Job.JobID != second || env.Job.Name != "builder" || env.Output.Text != "second\n" {
		t.Errorf("observe builder = %s %q, want the newest job %s", env.Job.JobID, env.Output.Text, second)
	}

	// Unknown jobs, for every tool that takes one.
	for _, ref := range []string{"01aaaaaaaaaaaaaaaaaaaaaaaa", "zzzz", "no-such-name"} {
		for _, tool := range []string{"start", "restart", "kill", "observe", "delete"} {
			s.fail(tool, obj{"job_id": ref}, "job_not_found")
		}
	}
}
