package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobs"
)

// envOf returns a getenv over kv ("KEY=VALUE" pairs) and nothing else.
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for _, p := range kv {
		k, v, _ := strings.Cut(p, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, path string, getenv func(string) string) *Config {
	t.Helper()
	c, err := Load(path, getenv)
	if err != nil {
		t.Fatalf("Load(%q) error = %v, want nil", path, err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, "", envOf("XDG_CONFIG_HOME="+t.TempDir()))
	if c.File != "" {
		t.Errorf("File = %q, want none (no file at the default place)", c.File)
	}
	want := jobs.DefaultGCConfig()
	if c.GC != want {
		t.Errorf("GC = %+v, want %+v", c.GC, want)
	}
	if !slices.Equal(c.Shell, []string{"/bin/sh", "-c"}) {
		t.Errorf("Shell = %q, want /bin/sh -c", c.Shell)
	}
	if c.MCP != (MCP{DefaultUntil: 10 * time.Second, MaxUntil: 50 * time.Second, MaxBytes: 16384, Compress: "auto"}) {
		t.Errorf("MCP = %+v", c.MCP)
	}
	if len(c.Env) != 0 {
		t.Errorf("Env = %v, want none", c.Env)
	}
	for _, e := range c.Entries() {
		if e.Origin.Source != SourceDefault {
			t.Errorf("%s comes from %v, want default", e.Key, e.Origin)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	if got := DefaultPath(envOf("XDG_CONFIG_HOME=/x", "HOME=/h")); got != "/x/agent-exec/config.toml" {
		t.Errorf("with XDG_CONFIG_HOME: %q", got)
	}
	if got := DefaultPath(envOf("HOME=/h")); got != "/h/.config/agent-exec/config.toml" {
		t.Errorf("with HOME only: %q", got)
	}
	// The file at the default place is read when it exists.
	xdg := t.TempDir()
	os.MkdirAll(filepath.Join(xdg, "agent-exec"), 0o700)
	path := filepath.Join(xdg, "agent-exec", "config.toml")
	os.WriteFile(path, []byte("[gc]\nmax_jobs = 7\n"), 0o600)
	c := mustLoad(t, "", envOf("XDG_CONFIG_HOME="+xdg))
	if c.File != path || c.GC.MaxJobs != 7 {
		t.Errorf("File, max_jobs = %q, %d; want %q, 7", c.File, c.GC.MaxJobs, path)
	}
}

// TestEveryKeyFromFile sets every key in a file and checks its value and
// origin (the file and the key's line).
func TestEveryKeyFromFile(t *testing.T) {
	path := writeFile(t, `# every key
[gc]
auto = false
older_than = "7d"
max_jobs = 10
max_bytes = "1GiB"

[shell]
wrapper = ["bash", "-c"]

[mcp]
default_until = 5
max_until = 30.5
max_bytes = 4096
compress = "off"

[env]
PAGER = "cat"
GIT_TERMINAL_PROMPT = "0"

[notify]
command = "notify-send done"
file = "/tmp/agent-exec-events.ndjson"
`)
	c := mustLoad(t, path, envOf())
	if c.Notify != (NotifySinks{Command: "notify-send done", File: "/tmp/agent-exec-events.ndjson"}) {
		t.Errorf("Notify = %+v", c.Notify)
	}
	if c.File != path {
		t.Errorf("File = %q, want %q", c.File, path)
	}
	wantGC := jobs.DefaultGCConfig()
	wantGC.Auto, wantGC.OlderThan, wantGC.MaxJobs, wantGC.MaxBytes = false, 7*24*time.Hour, 10, 1<<30
	if c.GC != wantGC {
		t.Errorf("GC = %+v, want %+v", c.GC, wantGC)
	}
	if !slices.Equal(c.Shell, []string{"bash", "-c"}) {
		t.Errorf("Shell = %q", c.Shell)
	}
	if c.MCP != (MCP{DefaultUntil: 5 * time.Second, MaxUntil: 30500 * time.Millisecond, MaxBytes: 4096, Compress: "off"}) {
		t.Errorf("MCP = %+v", c.MCP)
	}
	if c.Env["PAGER"] != "cat" || c.Env["GIT_TERMINAL_PROMPT"] != "0" || len(c.Env) != 2 {
		t.Errorf("Env = %v", c.Env)
	}
	lines := map[string]int{"gc.auto": 3, "gc.older_than": 4, "gc.max_jobs": 5, "gc.max_bytes": 6, "shell.wrapper": 9,
		"mcp.default_until": 12, "mcp.max_until": 13, "mcp.max_bytes": 14, "mcp.compress": 15, "env": 17,
		"notify.command": 22, "notify.file": 23}
	for _, e := range c.Entries() {
		want := Origin{Source: SourceFile, Where: path + ":" + itoa(lines[e.Key])}
		if e.Origin != want {
			t.Errorf("%s origin = %v, want %v", e.Key, e.Origin, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestEveryKeyFromEnv sets every key through its environment variable.
func TestEveryKeyFromEnv(t *testing.T) {
	c := mustLoad(t, "", envOf("XDG_CONFIG_HOME="+t.TempDir(),
		"AGENT_EXEC_GC_AUTO=0", "AGENT_EXEC_GC_OLDER_THAN=12h", "AGENT_EXEC_GC_MAX_JOBS=5",
		"AGENT_EXEC_GC_MAX_BYTES=512M", "AGENT_EXEC_SHELL=bash -c",
		"AGENT_EXEC_MCP_DEFAULT_UNTIL_SECONDS=3", "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=40",
		"AGENT_EXEC_MCP_MAX_BYTES=2048", "AGENT_EXEC_MCP_COMPRESS=always",
		"AGENT_EXEC_NOTIFY_COMMAND=true", "AGENT_EXEC_NOTIFY_FILE=/tmp/e.ndjson"))
	if c.Notify != (NotifySinks{Command: "true", File: "/tmp/e.ndjson"}) {
		t.Errorf("Notify = %+v", c.Notify)
	}
	if c.GC.Auto || c.GC.OlderThan != 12*time.Hour || c.GC.MaxJobs != 5 || c.GC.MaxBytes != 512<<20 {
		t.Errorf("GC = %+v", c.GC)
	}
	if !slices.Equal(c.Shell, []string{"bash", "-c"}) {
		t.Errorf("Shell = %q", c.Shell)
	}
	if c.MCP != (MCP{DefaultUntil: 3 * time.Second, MaxUntil: 40 * time.Second, MaxBytes: 2048, Compress: "always"}) {
		t.Errorf("MCP = %+v", c.MCP)
	}
	for _, e := range c.Entries() {
		if e.Key == "env" {
			continue // no variable: [env] is the file's
		}
		if e.Origin.Source != SourceEnv || !strings.HasPrefix(e.Origin.Where, "AGENT_EXEC_") {
			t.Errorf("%s origin = %v, want its environment variable", e.Key, e.Origin)
		}
	}
}

// TestPrecedence: flag > environment > file > default, key by key.
func TestPrecedence(t *testing.T) {
	path := writeFile(t, "[gc]\nmax_jobs = 10\nmax_bytes = 100\nauto = true\nolder_than = \"1d\"\n")
	c := mustLoad(t, path, envOf("AGENT_EXEC_GC_MAX_JOBS=20", "AGENT_EXEC_GC_AUTO=true"))
	if err := c.SetFlag("gc.auto", "false", "--no-auto-gc"); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key    string
		got    any
		want   any
		source string
	}{
		{"gc.auto", c.GC.Auto, false, SourceFlag},    // flag over env over file
		{"gc.max_jobs", c.GC.MaxJobs, 20, SourceEnv}, // env over file
		{"gc.max_bytes", c.GC.MaxBytes, int64(100), SourceFile},
		{"gc.older_than", c.GC.OlderThan, 24 * time.Hour, SourceFile},
		{"mcp.max_bytes", c.MCP.MaxBytes, 16384, SourceDefault},
	}
	for _, ch := range checks {
		if ch.got != ch.want || c.Origin(ch.key).Source != ch.source {
			t.Errorf("%s = %v from %v, want %v from %s", ch.key, ch.got, c.Origin(ch.key), ch.want, ch.source)
		}
	}
	if err := c.SetFlag("gc.max_jobs", "many", "--max-jobs"); err == nil || !strings.Contains(err.Error(), "--max-jobs") {
		t.Errorf("a bad flag value: error = %v, want one naming the flag", err)
	}
}

// TestBadFile: every bad value stops Load with an error naming the file,
// the line and the key.
func TestBadFile(t *testing.T) {
	cases := []struct {
		text, key string
		line      int
		msg       string
	}{
		{"[gc]\nauto = \"yes\"\n", "gc.auto", 2, "want true or false"},
		{"[gc]\nolder_than = \"soon\"\n", "gc.older_than", 2, "not a duration"},
		{"[gc]\nolder_than = -3\n", "gc.older_than", 2, "not a duration"},
		{"[gc]\nmax_jobs = -1\n", "gc.max_jobs", 2, "whole number"},
		{"[gc]\nmax_jobs = \"ten\"\n", "gc.max_jobs", 2, "whole number"},
		{"[gc]\nmax_bytes = \"lots\"\n", "gc.max_bytes", 2, "not a size"},
		{"[gc]\nmax_bytes = true\n", "gc.max_bytes", 2, "not a size"},
		{"[shell]\nwrapper = []\n", "shell.wrapper", 2, "program"},
		{"[shell]\nwrapper = \"bash -c\"\n", "shell.wrapper", 2, "array of strings"},
		{"[shell]\nwrapper = [\"./sh\", \"-c\"]\n", "shell.wrapper", 2, "absolute path"},
		{"[mcp]\ndefault_until = 0\n", "mcp.default_until", 2, "greater than 0"},
		{"[notify]\nfile = \"rel.ndjson\"\n", "notify.file", 2, "absolute path"},
		{"[notify]\ncommand = 3\n", "notify.command", 2, "string"},
		{"[mcp]\nmax_until = 4000\n", "mcp.max_until", 2, "at most 3600"},
		{"[mcp]\nmax_bytes = 10\n", "mcp.max_bytes", 2, "256"},
		{"[mcp]\ncompress = \"zip\"\n", "mcp.compress", 2, "want auto"},
		{"[mcp]\ncompress = 1\n", "mcp.compress", 2, "want a string"},
		{"[env]\nPAGER = 1\n", "env.PAGER", 2, "want a string"},
		{"\n[gc]\nmax_job = 3\n", "gc.max_job", 3, "unknown key"},
		{"[notify]\nurl = \"x\"\n", "notify.url", 2, "unknown key"},
		{"gc = 3\n", "gc", 1, "want a table"},
	}
	for _, c := range cases {
		path := writeFile(t, c.text)
		_, err := Load(path, envOf())
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%q: error = %v, want a *config.Error", c.text, err)
			continue
		}
		want := path + ":" + itoa(c.line) + ": key " + c.key + ": "
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error = %q, want it to contain %q and %q", c.text, err, want, c.msg)
		}
	}
	// A syntax error names the line.
	path := writeFile(t, "[gc]\nmax_jobs = \n")
	if _, err := Load(path, envOf()); err == nil || !strings.Contains(err.Error(), path+":2") {
		t.Errorf("syntax error = %v, want it located at line 2", err)
	}
}

func TestBadEnv(t *testing.T) {
	for _, kv := range []string{"AGENT_EXEC_GC_AUTO=maybe", "AGENT_EXEC_GC_OLDER_THAN=soon", "AGENT_EXEC_GC_MAX_JOBS=-2",
		"AGENT_EXEC_GC_MAX_BYTES=x", "AGENT_EXEC_SHELL= ", "AGENT_EXEC_MCP_DEFAULT_UNTIL_SECONDS=0",
		"AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=x", "AGENT_EXEC_MCP_MAX_BYTES=1", "AGENT_EXEC_MCP_COMPRESS=zip"} {
		name, _, _ := strings.Cut(kv, "=")
		_, err := Load("", envOf("XDG_CONFIG_HOME="+t.TempDir(), kv))
		if err == nil || !strings.Contains(err.Error(), "environment variable "+name) {
			t.Errorf("%s: error = %v, want one naming the variable", kv, err)
		}
	}
}

func TestUntilOrder(t *testing.T) {
	// A maximum below the built-in default wait lowers the default.
	c := mustLoad(t, "", envOf("XDG_CONFIG_HOME="+t.TempDir(), "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=4"))
	if c.MCP.DefaultUntil != 4*time.Second {
		t.Errorf("default_until = %v, want lowered to the maximum 4s", c.MCP.DefaultUntil)
	}
	// A default set above the maximum is an error.
	path := writeFile(t, "[mcp]\ndefault_until = 20\nmax_until = 10\n")
	if _, err := Load(path, envOf()); err == nil || !strings.Contains(err.Error(), "mcp.default_until") {
		t.Errorf("default_until > max_until: error = %v, want one naming mcp.default_until", err)
	}
}

func TestMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	if _, err := Load(missing, envOf()); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("--config of a missing file: error = %v, want one naming it", err)
	}
}
