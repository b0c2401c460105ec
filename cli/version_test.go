package cli

import (
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/version"
)

// agent-exec --version and version print the build's version on one line.
func TestVersionVerb(t *testing.T) {
	root := newRoot(t)
	want := "agent-exec " + version.Get().String() + "\n"
	for _, arg := range []string{"--version", "version", "-version"} {
		if r := agentExec(t, root, exitOK, arg); r.stdout != want || r.stderr != "" {
			t.Errorf("agent-exec %s = %q (stderr %q), want %q", arg, r.stdout, r.stderr, want)
		}
	}
	if r := agentExec(t, root, exitUsage, "version", "extra"); !strings.Contains(r.stderr, "unexpected") {
		t.Errorf("agent-exec version extra: stderr %q", r.stderr)
	}
}
