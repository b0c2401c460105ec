package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configHome makes an XDG config home whose agent-exec/config.toml holds
// text, and returns it.
func configHome(t *testing.T, text string) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "agent-exec", "config.toml")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// TestConfigFileInvalidStopsServer: a bad config.toml stops the server
// before it serves, naming the file, the line and the key.
func TestConfigFileInvalidStopsServer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ text, where string }{
		{"[gc]\nolder_than = \"soon\"\n", ":2: key gc.older_than"},
		{"[mcp]\n\nmax_untill = 5\n", ":3: key mcp.max_untill: unknown key"},
		{"[notifications]\ncommand = \"x\"\n", ":1: key notifications: unknown section"},
	} {
		dir, file := configHome(t, c.text)
		msg, refused := refusesToStart(t, "XDG_CONFIG_HOME="+dir)
		if !refused || !strings.Contains(msg, file+c.where) {
			t.Errorf("config %q: refused %v, stderr %q; want it to name %q", c.text, refused, msg, file+c.where)
		}
	}
}

// TestConfigFileOverMCP: the [mcp] and [env] settings of config.toml reach
// the server's calls; an environment variable wins over the file.
func TestConfigFileOverMCP(t *testing.T) {
	t.Parallel()
	dir, _ := configHome(t, `[mcp]
default_until = 3
max_bytes = 300
compress = "off"

[env]
PAGER = "cat"
`)
	s := startServer(t, withEnv("XDG_CONFIG_HOME="+dir))
	env := s.runJob(`echo "pager=$PAGER"; head -c 5000 /dev/zero | tr '\0' x`, nil)
	if !strings.HasPrefix(env.Output.Text, "pager=cat\n") {
		t.Errorf("output starts %.40q, want the [env] PAGER", env.Output.Text)
	}
	if env.Output.TotalBytes != 5010 || !env.Output.Truncated || len(env.Output.Text) > 600 || env.Output.Compression != nil {
		t.Errorf("window of %d bytes (of %d), compression %v; want about 300 bytes, none", len(env.Output.Text), env.Output.TotalBytes, env.Output.Compression)
	}
	if w := s.runJob("sleep 600", nil).Wait; w.UntilS != 3 {
		t.Errorf("run without until waited until_s %v, want the file's default_until 3", w.UntilS)
	}

	s2 := startServer(t, withEnv("XDG_CONFIG_HOME="+dir, "AGENT_EXEC_MCP_DEFAULT_UNTIL_SECONDS=1"))
	if w := s2.runJob("sleep 600", nil).Wait; w.UntilS != 1 {
		t.Errorf("with the variable set: until_s %v, want 1 (environment over file)", w.UntilS)
	}
}
