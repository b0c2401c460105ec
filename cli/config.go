package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/agent-exec/agent-exec/config"
	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
)

// globals are the flags that configure agent-exec as a whole: accepted
// before the verb, and after it (before a "--").
type globals struct {
	config   string // --config PATH
	noAutoGC bool   // --no-auto-gc
}

// splitGlobals takes --config and --no-auto-gc out of args, wherever they
// stand before a "--" (or, with leading, before the first other argument).
func splitGlobals(args []string, leading bool) (globals, []string, error) {
	var g globals
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return g, append(out, args[i:]...), nil
		case a == "--config" || a == "-config":
			if i+1 >= len(args) {
				return g, nil, fmt.Errorf("--config needs a file")
			}
			g.config = args[i+1]
			i++
		case strings.HasPrefix(a, "--config="), strings.HasPrefix(a, "-config="):
			g.config = a[strings.IndexByte(a, '=')+1:]
		case a == "--no-auto-gc" || a == "--no_auto_gc":
			g.noAutoGC = true
		case leading:
			return g, append(out, args[i:]...), nil
		default:
			out = append(out, a)
		}
	}
	return g, out, nil
}

// loadConfig reads the configuration (the file of --config, or the
// default one) and applies the flags, which win over everything.
func loadConfig(g globals) (*config.Config, error) {
	cfg, err := config.Load(g.config, nil)
	if err != nil {
		return nil, err
	}
	if g.noAutoGC {
		if err := cfg.SetFlag("gc.auto", "false", "--no-auto-gc"); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// serviceOptions are the options of the configuration every command
// shares: the retention policy, the shell wrapper, the jobs' extra
// environment, the default notification sinks.
func serviceOptions(cfg *config.Config) jobs.Options {
	gc := cfg.GC
	opt := jobs.Options{GC: &gc, Env: cfg.Env}
	if strings.Join(cfg.Shell, " ") != "/bin/sh -c" {
		opt.Shell = cfg.Shell
	}
	if n := cfg.Notify; n.Command != "" || n.File != "" {
		opt.Notify = &jobstore.Notify{Command: n.Command, File: n.File}
	}
	return opt
}

// configView is what agent-exec config prints.
type configView struct {
	File     string         `json:"file"`
	Searched string         `json:"searched,omitempty"`
	Settings []config.Entry `json:"settings"`
}

func configVerb(_ context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("config", "[--config FILE] config [--no-auto-gc]")
	fs.BoolVar(&inv.globals.noAutoGC, "no_auto_gc", inv.globals.noAutoGC, "show the configuration with the automatic collection off")
	fs.addAliases()
	if code, ok := fs.parseNone(inv, args); !ok {
		return code
	}
	cfg, err := loadConfig(inv.globals)
	if err != nil {
		fmt.Fprintln(inv.err, "agent-exec: bad configuration:", err)
		return exitUsage
	}
	v := configView{File: cfg.File, Settings: cfg.Entries()}
	if cfg.File == "" {
		v.Searched = config.DefaultPath(os.Getenv) // none there; where one would be read
		if inv.globals.config != "" {
			v.Searched = inv.globals.config
		}
	}
	enc := json.NewEncoder(inv.out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(inv.err, "agent-exec: write the configuration:", err)
		return exitFailed
	}
	return exitOK
}
