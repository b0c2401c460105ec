package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/schemas"
)

func TestSchemaVerb(t *testing.T) {
	root := newRoot(t)
	names := agentExec(t, root, exitOK, "schema").stdout
	if got := strings.Fields(names); strings.Join(got, ",") != strings.Join(schemas.Tools(), ",") {
		t.Fatalf("schema lists %q, want %q", got, schemas.Tools())
	}
	for _, tc := range []struct {
		args []string
		want []byte
	}{
		{[]string{"schema", "kill"}, schemas.Input("kill")},
		{[]string{"schema", "--output", "observe"}, schemas.Output("observe")},
	} {
		out := agentExec(t, root, exitOK, tc.args...).stdout
		var got, want any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%q printed no JSON: %v\n%s", tc.args, err, out)
		}
		if err := json.Unmarshal(tc.want, &want); err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%q printed another document than the server publishes", tc.args)
		}
	}
	r := agentExec(t, root, exitUsage, "schema", "nope")
	if !strings.Contains(r.stderr, `unknown tool "nope"`) {
		t.Errorf("schema nope: stderr %q", r.stderr)
	}
}

func TestCompletions(t *testing.T) {
	root := newRoot(t)
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out := agentExec(t, root, exitOK, "completions", sh).stdout
		if !strings.Contains(out, "__complete") || !strings.Contains(out, " install-skill ") {
			t.Errorf("%s script lacks the job callback or the verbs:\n%s", sh, out)
		}
		if path, err := exec.LookPath(sh); err == nil && sh != "fish" {
			check := exec.Command(path, "-n")
			check.Stdin = strings.NewReader(out)
			if msg, err := check.CombinedOutput(); err != nil {
				t.Errorf("%s -n rejects the script: %v\n%s", sh, err, msg)
			}
		}
	}
	agentExec(t, root, exitUsage, "completions", "tcsh")
	agentExec(t, root, exitUsage, "completions")
}

// The completion callback offers, for each verb, the jobs it can act on.
func TestCompleteJobCandidates(t *testing.T) {
	root := newRoot(t)
	running := agentExec(t, root, exitOK, "run", "--name", "web", "--until", "0", "--", "sleep 60").envelope(t)
	killAtEnd(t, root, running.Job.JobID)
	done := agentExec(t, root, exitOK, "run", "--until", "30", "--", "true").envelope(t)
	if done.Job.State != "exited" {
		t.Fatalf("true did not end within 30 s: %+v", done.Job)
	}
	lines := func(verb string) string {
		return strings.Join(strings.Fields(agentExec(t, root, exitOK, "__complete", verb).stdout), " ")
	}
	if got, want := lines("kill"), "web "+running.Job.JobID; got != want {
		t.Errorf("__complete kill = %q, want %q", got, want)
	}
	if got, want := lines("delete"), done.Job.JobID; got != want {
		t.Errorf("__complete delete = %q, want %q", got, want)
	}
	if got := lines("observe"); !strings.Contains(got, done.Job.JobID) || !strings.Contains(got, "web") {
		t.Errorf("__complete observe = %q, want both jobs", got)
	}
	if got := lines("ps"); got != "" {
		t.Errorf("__complete ps = %q, want nothing (ps takes no job)", got)
	}
}

func TestInstallSkill(t *testing.T) {
	root := newRoot(t)
	base := t.TempDir()
	var out struct {
		OK   bool   `json:"ok"`
		Type string `json:"type"`
		Path string `json:"path"`
	}
	for range 2 { // a second install replaces the file
		r := agentExec(t, root, exitOK, "install-skill", "--dir", base)
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("install-skill printed %q: %v", r.stdout, err)
		}
	}
	want := filepath.Join(base, "skills", "agent-exec", "SKILL.md")
	if !out.OK || out.Type != "install_skill" || out.Path != want {
		t.Fatalf("install-skill = %+v, want path %s", out, want)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "---\nname: agent-exec\n") || !strings.Contains(string(b), "agent-exec observe") {
		t.Errorf("SKILL.md lacks its front matter or its recipes:\n%s", b)
	}
}
