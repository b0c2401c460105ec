package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestWarnBareEnv (issue 15, item 2): a server started with a bare
// environment (Codex's HOME, LANG, PATH, TERM) says so in one line on
// stderr, naming the variables and not their values; a usual environment
// says nothing.
func TestWarnBareEnv(t *testing.T) {
	codex := []string{"HOME=/home/u", "LANG=C.UTF-8", "PATH=/usr/bin:/bin", "TERM=xterm", "AGENT_EXEC_ROOT=/r", "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=40"}
	usual := append([]string{"GOPATH=/go", "USER=u", "SHELL=/bin/bash"}, codex...)
	usual = append(usual, "NODE_OPTIONS=--x", "HTTPS_PROXY=http://p", "SSH_AUTH_SOCK=/s")
	for _, tt := range []struct {
		name string
		env  []string
		want string
	}{
		{"codex", codex, "variables=HOME,LANG,PATH,TERM"},
		{"usual", usual, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			warnBareEnv(slog.New(slog.NewTextHandler(&b, nil)), tt.env)
			out := b.String()
			switch {
			case tt.want == "" && out != "":
				t.Errorf("warned about %q: %s", tt.env, out)
			case tt.want != "" && (!strings.Contains(out, tt.want) || strings.Count(out, "\n") != 1):
				t.Errorf("log %q, want one line with %s", out, tt.want)
			case strings.Contains(out, "/usr/bin"):
				t.Errorf("log %q shows a value", out)
			}
		})
	}
}
