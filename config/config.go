// Package config reads agent-exec's configuration: built-in defaults, then
// config.toml, then environment variables, then command-line flags, each
// overriding the one before, and remembers where each value came from.
//
// The file is --config PATH, else $XDG_CONFIG_HOME/agent-exec/config.toml,
// else ~/.config/agent-exec/config.toml; only an explicit --config must
// exist. It is TOML with the sections [gc], [shell], [mcp], [env] and
// [notify]; an
// unknown section or key, a value of the wrong type or out of range is an
// error naming the file, the line and the key, so a typo never silently
// falls back to a default.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/agent-exec/agent-exec/compress"
	"github.com/agent-exec/agent-exec/jobs"
)

// Sources of a value.
const (
	SourceDefault = "default"
	SourceFile    = "file"
	SourceEnv     = "env"
	SourceFlag    = "flag"
)

// Origin says where a value came from: the source and, for a file, its
// path and line; for the environment, the variable; for a flag, its name.
type Origin struct {
	Source string `json:"source"`
	Where  string `json:"where,omitempty"`
}

// Config is the effective configuration.
type Config struct {
	// File is the configuration file read, "" when there was none.
	File string
	GC   jobs.GCConfig
	// Shell is the wrapper of one-element (shell command line) commands:
	// the command line is appended as its last argument.
	Shell []string
	// MCP holds the defaults of the MCP server's calls.
	MCP MCP
	// Env holds variables added to every job's environment (a job's own
	// env wins).
	Env map[string]string
	// Notify holds the sinks of new jobs whose definition has no notify
	// ("" each: none).
	Notify NotifySinks

	origins map[string]Origin
}

// NotifySinks is the [notify] section.
type NotifySinks struct {
	Command string // a shell command line
	File    string // an absolute path
}

// MCP is the [mcp] section.
type MCP struct {
	DefaultUntil time.Duration // the wait of run, start and restart without until
	MaxUntil     time.Duration // the longest any call waits
	MaxBytes     int           // the output window without max_bytes
	Compress     string        // the compress mode without compress
}

// Error is a bad configuration: File and Line (0 when unknown) locate it,
// Key names the setting ("gc.older_than") or Var the environment variable.
type Error struct {
	File string
	Line int
	Key  string
	Var  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Var != "":
		fmt.Fprintf(&b, "environment variable %s", e.Var)
	case e.File != "":
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
	}
	if e.Key != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		fmt.Fprintf(&b, "key %s", e.Key)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// setting is one configurable value: its key, environment variable (if
// any), and how to read and show it.
type setting struct {
	key string
	env string
	// set parses a textual value (from the environment or a flag, or a
	// file value turned into text) into c.
	set  func(c *Config, v string) error
	show func(c *Config) string
}

// Keys lists the settings in the order agent-exec config prints them.
func Keys() []string {
	keys := make([]string, 0, len(settings)+1)
	for _, s := range settings {
		keys = append(keys, s.key)
	}
	return append(keys, "env")
}

var settings = []setting{
	{"gc.auto", "AGENT_EXEC_GC_AUTO",
		func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("want true or false")
			}
			c.GC.Auto = b
			return nil
		},
		func(c *Config) string { return strconv.FormatBool(c.GC.Auto) }},
	{"gc.older_than", "AGENT_EXEC_GC_OLDER_THAN",
		func(c *Config, v string) error {
			d, err := jobs.ParseDuration(v)
			c.GC.OlderThan = d
			return err
		},
		func(c *Config) string { return formatDuration(c.GC.OlderThan) }},
	{"gc.max_jobs", "AGENT_EXEC_GC_MAX_JOBS",
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%q: want a whole number of jobs, 0 for no limit", v)
			}
			c.GC.MaxJobs = n
			return nil
		},
		func(c *Config) string { return strconv.Itoa(c.GC.MaxJobs) }},
	{"gc.max_bytes", "AGENT_EXEC_GC_MAX_BYTES",
		func(c *Config, v string) error {
			n, err := jobs.ParseSize(v)
			c.GC.MaxBytes = n
			return err
		},
		func(c *Config) string { return strconv.FormatInt(c.GC.MaxBytes, 10) }},
	{"shell.wrapper", "AGENT_EXEC_SHELL",
		func(c *Config, v string) error {
			w := strings.Fields(v)
			if len(w) == 0 {
				return errors.New("want a program and its arguments, e.g. \"bash -c\"")
			}
			if !filepath.IsAbs(w[0]) && strings.Contains(w[0], "/") {
				return fmt.Errorf("%q: give the program as an absolute path or a bare name looked up in PATH", w[0])
			}
			c.Shell = w
			return nil
		},
		func(c *Config) string { return strings.Join(c.Shell, " ") }},
	{"mcp.default_until", "AGENT_EXEC_MCP_DEFAULT_UNTIL_SECONDS",
		func(c *Config, v string) error {
			d, err := untilSeconds(v)
			c.MCP.DefaultUntil = d
			return err
		},
		func(c *Config) string { return formatSeconds(c.MCP.DefaultUntil) }},
	{"mcp.max_until", "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS",
		func(c *Config, v string) error {
			d, err := untilSeconds(v)
			c.MCP.MaxUntil = d
			return err
		},
		func(c *Config) string { return formatSeconds(c.MCP.MaxUntil) }},
	{"mcp.max_bytes", "AGENT_EXEC_MCP_MAX_BYTES",
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < jobs.MinMaxBytes || n > jobs.MaxMaxBytes {
				return fmt.Errorf("%q: want a number of bytes from %d to %d", v, jobs.MinMaxBytes, jobs.MaxMaxBytes)
			}
			c.MCP.MaxBytes = n
			return nil
		},
		func(c *Config) string { return strconv.Itoa(c.MCP.MaxBytes) }},
	{"mcp.compress", "AGENT_EXEC_MCP_COMPRESS",
		func(c *Config, v string) error {
			if _, err := compress.ParseMode(v); err != nil || v == "" {
				return fmt.Errorf("%q: want auto, always, off or a kind (errors, tests, logs, diff, json, table, summary)", v)
			}
			c.MCP.Compress = v
			return nil
		},
		func(c *Config) string { return c.MCP.Compress }},
	{"notify.command", "AGENT_EXEC_NOTIFY_COMMAND",
		func(c *Config, v string) error {
			if strings.IndexByte(v, 0) >= 0 {
				return errors.New("a command line must not contain NUL")
			}
			c.Notify.Command = v
			return nil
		},
		func(c *Config) string { return c.Notify.Command }},
	{"notify.file", "AGENT_EXEC_NOTIFY_FILE",
		func(c *Config, v string) error {
			if v != "" && !filepath.IsAbs(v) {
				return fmt.Errorf("%q: want an absolute path", v)
			}
			c.Notify.File = v
			return nil
		},
		func(c *Config) string { return c.Notify.File }},
}

func lookup(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

// Default returns the built-in configuration.
func Default() *Config {
	c := &Config{
		GC:      jobs.DefaultGCConfig(),
		Shell:   []string{"/bin/sh", "-c"},
		MCP:     MCP{DefaultUntil: jobs.DefaultRunUntil, MaxUntil: jobs.DefaultMaxUntil, MaxBytes: jobs.DefaultMaxBytes, Compress: "auto"},
		Env:     map[string]string{},
		origins: map[string]Origin{},
	}
	for _, k := range Keys() {
		c.origins[k] = Origin{Source: SourceDefault}
	}
	return c
}

// Load builds the configuration: the defaults, then the file (path, or
// the default location when path is ""), then the environment (getenv,
// os.Getenv when nil). A missing file at the default location is no file;
// a missing --config file is an error.
func Load(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := Default()
	explicit := path != ""
	if !explicit {
		path = DefaultPath(getenv)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			if err := c.applyFile(path, b); err != nil {
				return nil, err
			}
		case errors.Is(err, fs.ErrNotExist) && !explicit:
		default:
			return nil, &Error{File: path, Msg: "cannot read the configuration file: " + unwrapPath(err)}
		}
	}
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		if err := s.set(c, v); err != nil {
			return nil, &Error{Var: s.env, Key: s.key, Msg: err.Error()}
		}
		c.origins[s.key] = Origin{Source: SourceEnv, Where: s.env}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// DefaultPath returns $XDG_CONFIG_HOME/agent-exec/config.toml, else
// ~/.config/agent-exec/config.toml, or "" when neither can be known.
func DefaultPath(getenv func(string) string) string {
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "agent-exec", "config.toml")
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		home = h
	}
	return filepath.Join(home, ".config", "agent-exec", "config.toml")
}

// SetFlag applies a command-line flag's value to key: flags win over
// everything else.
func (c *Config) SetFlag(key, value, flag string) error {
	s := lookup(key)
	if s == nil {
		return fmt.Errorf("config: unknown key %q", key)
	}
	if err := s.set(c, value); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	c.origins[key] = Origin{Source: SourceFlag, Where: flag}
	return c.check()
}

// Origin returns where key's value came from.
func (c *Config) Origin(key string) Origin { return c.origins[key] }

// Entry is one line of agent-exec config.
type Entry struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Origin Origin `json:"origin"`
}

// Entries lists every setting with its effective value and origin.
func (c *Config) Entries() []Entry {
	var out []Entry
	for _, s := range settings {
		out = append(out, Entry{Key: s.key, Value: s.show(c), Origin: c.origins[s.key]})
	}
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	env := make(map[string]string, len(keys))
	for _, k := range keys {
		env[k] = c.Env[k]
	}
	return append(out, Entry{Key: "env", Value: env, Origin: c.origins["env"]})
}

// check validates what only the combination of values can get wrong.
func (c *Config) check() error {
	if c.MCP.DefaultUntil > c.MCP.MaxUntil {
		o := c.origins["mcp.default_until"]
		if o.Source == SourceDefault {
			// The built-in default wait never exceeds a configured maximum.
			c.MCP.DefaultUntil = c.MCP.MaxUntil
			return nil
		}
		return &Error{Key: "mcp.default_until", Msg: fmt.Sprintf("%s (from %s) is larger than mcp.max_until %s",
			formatSeconds(c.MCP.DefaultUntil), o, formatSeconds(c.MCP.MaxUntil))}
	}
	return nil
}

func (o Origin) String() string {
	if o.Where == "" {
		return o.Source
	}
	return o.Source + " " + o.Where
}

// fileDoc is the file's shape; every key is a pointer (or any, for values
// that may be written as a number or a string) so that a key left out
// keeps its default.
type fileDoc struct {
	GC *struct {
		Auto      *bool `toml:"auto"`
		OlderThan any   `toml:"older_than"`
		MaxJobs   any   `toml:"max_jobs"`
		MaxBytes  any   `toml:"max_bytes"`
	} `toml:"gc"`
	Shell *struct {
		Wrapper []string `toml:"wrapper"`
	} `toml:"shell"`
	MCP *struct {
		DefaultUntil any     `toml:"default_until"`
		MaxUntil     any     `toml:"max_until"`
		MaxBytes     any     `toml:"max_bytes"`
		Compress     *string `toml:"compress"`
	} `toml:"mcp"`
	Env    map[string]string `toml:"env"`
	Notify *struct {
		Command *string `toml:"command"`
		File    *string `toml:"file"`
	} `toml:"notify"`
}

// applyFile reads the file's settings into c.
func (c *Config) applyFile(path string, b []byte) error {
	var doc fileDoc
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return fileError(path, err)
	}
	c.File = path
	lines := keyLines(b)
	set := func(key string, v any) error {
		if v == nil {
			return nil
		}
		var text string
		switch v := v.(type) {
		case string:
			text = v
		case bool:
			text = strconv.FormatBool(v)
		case int64:
			text = strconv.FormatInt(v, 10)
		case float64:
			text = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return &Error{File: path, Line: lines[key], Key: key, Msg: fmt.Sprintf("want a number or a string, not %T", v)}
		}
		if err := lookup(key).set(c, text); err != nil {
			return &Error{File: path, Line: lines[key], Key: key, Msg: err.Error()}
		}
		c.origins[key] = Origin{Source: SourceFile, Where: fmt.Sprintf("%s:%d", path, lines[key])}
		return nil
	}
	var errs []error
	if g := doc.GC; g != nil {
		if g.Auto != nil {
			errs = append(errs, set("gc.auto", *g.Auto))
		}
		errs = append(errs, set("gc.older_than", g.OlderThan), set("gc.max_jobs", g.MaxJobs), set("gc.max_bytes", g.MaxBytes))
	}
	if sh := doc.Shell; sh != nil && sh.Wrapper != nil {
		if len(sh.Wrapper) == 0 || slices.Contains(sh.Wrapper, "") {
			errs = append(errs, &Error{File: path, Line: lines["shell.wrapper"], Key: "shell.wrapper", Msg: "want a program and its arguments, e.g. [\"bash\", \"-c\"]"})
		} else {
			errs = append(errs, set("shell.wrapper", strings.Join(sh.Wrapper, " ")))
			c.Shell = slices.Clone(sh.Wrapper) // arguments may hold spaces
		}
	}
	if m := doc.MCP; m != nil {
		errs = append(errs, set("mcp.default_until", m.DefaultUntil), set("mcp.max_until", m.MaxUntil), set("mcp.max_bytes", m.MaxBytes))
		if m.Compress != nil {
			errs = append(errs, set("mcp.compress", *m.Compress))
		}
	}
	if n := doc.Notify; n != nil {
		if n.Command != nil {
			errs = append(errs, set("notify.command", *n.Command))
		}
		if n.File != nil {
			errs = append(errs, set("notify.file", *n.File))
		}
	}
	if doc.Env != nil {
		for k, v := range doc.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
				errs = append(errs, &Error{File: path, Line: lines["env."+k], Key: "env." + k, Msg: "a variable name must be non-empty, without '=' or NUL"})
				continue
			}
			c.Env[k] = v
		}
		c.origins["env"] = Origin{Source: SourceFile, Where: fmt.Sprintf("%s:%d", path, lines["env"])}
	}
	return errors.Join(errs...)
}

// fileError turns a TOML decode error into an *Error with the line and key.
func fileError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		var errs []error
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, _ := de.Position()
			key := strings.Join(de.Key(), ".")
			msg := "unknown key; known keys: " + strings.Join(Keys(), ", ")
			if len(de.Key()) == 1 {
				msg = "unknown section or key; sections are [gc], [shell], [mcp], [env] and [notify]"
			}
			errs = append(errs, &Error{File: path, Line: line, Key: key, Msg: msg})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		return &Error{File: path, Line: line, Key: key, Msg: typeMessage(key, strings.TrimPrefix(de.Error(), "toml: "))}
	}
	return &Error{File: path, Msg: err.Error()}
}

// typeMessage rewrites the decoder's type mismatch message ("cannot decode
// TOML string into struct field … of type bool") in the file's terms.
func typeMessage(key, msg string) string {
	got, ok := strings.CutPrefix(msg, "cannot decode TOML ")
	if !ok {
		return msg
	}
	got, _, _ = strings.Cut(got, " ")
	want := "another type"
	switch {
	case !strings.Contains(key, "."):
		want = "a table: [" + key + "]"
	case strings.HasPrefix(key, "env."):
		want = "a string"
	case strings.HasSuffix(msg, "of type bool"):
		want = "true or false"
	case strings.HasSuffix(msg, "of type []string"):
		want = "an array of strings"
	case strings.HasSuffix(msg, "of type string"), strings.HasSuffix(msg, "of type *string"):
		want = "a string"
	case strings.Contains(msg, "map[string]string"):
		want = "a string"
	}
	article := "a"
	if strings.ContainsAny(got[:1], "aeiou") {
		article = "an"
	}
	return fmt.Sprintf("%s %s is not allowed here; want %s", article, got, want)
}

// keyLines maps each key of the document ("gc.older_than", "env",
// "env.PAGER") to the line it is on.
func keyLines(doc []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(doc)
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = joinKey(e.Key())
			if e.Child() != nil {
				lines[table] = p.Shape(e.Child().Raw).Start.Line
			}
		case unstable.KeyValue:
			it := e.Key()
			if !it.Next() {
				continue
			}
			line := p.Shape(it.Node().Raw).Start.Line
			k := joinKey(e.Key())
			if table != "" {
				k = table + "." + k
			}
			lines[k] = line
		}
	}
	return lines
}

func joinKey(it unstable.Iterator) string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return strings.Join(parts, ".")
}

// untilSeconds reads a wait in seconds, greater than 0 and at most an hour.
func untilSeconds(v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 3600 {
		return 0, fmt.Errorf("%q: want a number of seconds greater than 0 and at most 3600", v)
	}
	return time.Duration(f * float64(time.Second)), nil
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// formatDuration shows a retention age the way it is usually written.
func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func unwrapPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
