package integration_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestVersion (issue 8, item 15): agent-exec --version and agent-exec
// version print the version from the build information, and the MCP
// server reports the same version in its serverInfo.
func TestVersion(t *testing.T) {
	t.Parallel()
	var lines []string
	for _, arg := range []string{"--version", "version"} {
		out, err := exec.Command(binPath, arg).Output()
		if err != nil {
			t.Fatalf("agent-exec %s: %v", arg, err)
		}
		lines = append(lines, string(out))
	}
	if lines[0] != lines[1] {
		t.Errorf("--version printed %q, version printed %q", lines[0], lines[1])
	}
	f := strings.Fields(lines[0])
	if len(f) < 2 || f[0] != "agent-exec" || !strings.HasSuffix(lines[0], "\n") || strings.Count(lines[0], "\n") != 1 {
		t.Fatalf("agent-exec --version = %q, want one line \"agent-exec VERSION (…)\"", lines[0])
	}
	if !strings.Contains(lines[0], "go1.") {
		t.Errorf("agent-exec --version = %q, want the Go version from the build information", lines[0])
	}
	s := startServer(t)
	if info := s.cs.InitializeResult().ServerInfo; info == nil || info.Version != f[1] {
		t.Errorf("serverInfo = %+v, want version %q as agent-exec --version says", info, f[1])
	}
}
