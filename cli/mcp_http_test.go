package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/mcphttp"
)

func TestParseMCPFlags(t *testing.T) {
	for _, c := range []struct {
		args    []string
		addr    string
		wantErr string
	}{
		{nil, "", ""},
		{[]string{"--http"}, mcphttp.DefaultAddr, ""},
		{[]string{"--http", "--token-file", "f"}, mcphttp.DefaultAddr, ""},
		{[]string{"--http", "127.0.0.1:9000"}, "127.0.0.1:9000", ""},
		{[]string{"--http=[::1]:9000", "--allowed-host", "a,b", "--allowed-host", "c"}, "[::1]:9000", ""},
		{[]string{"-http", ":0"}, ":0", ""},
		{[]string{"extra"}, "", "unexpected arguments"},
		{[]string{"--token-file", "f"}, "", "only apply with --http"},
		{[]string{"--http", "--tls-cert", "c"}, "", "go together"},
		{[]string{"--http", "--max-sessions", "0"}, "", "--max-sessions"},
		{[]string{"--http", "--session-idle", "10ms"}, "", "--session-idle"},
		{[]string{"--http", "--bogus"}, "", "bogus"},
	} {
		f, err := parseMCPFlags(c.args)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("parseMCPFlags(%q) error = %v, want one saying %q", c.args, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseMCPFlags(%q): %v", c.args, err)
			continue
		}
		if f.addr != c.addr {
			t.Errorf("parseMCPFlags(%q).addr = %q, want %q", c.args, f.addr, c.addr)
		}
	}
	f, err := parseMCPFlags([]string{"--http", "--allowed-host", "a, b", "--allowed-host", "c", "--session-idle", "2m", "--max-body", "4096"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.allowedHosts, " ") != "a b c" || f.sessionIdle != 2*time.Minute || f.maxBody != 4096 {
		t.Errorf("parsed %+v", f)
	}
}
