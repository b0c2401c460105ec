package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mark3labs/mcp-go/server"
	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/config"
	"github.com/agent-exec/agent-exec/tools"
)

func runMCP(root string, g globals, args []string) int {
	hf, err := parseMCPFlags(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent-exec mcp:", err)
		return exitUsage
	}
	proto, err := guardStdout()
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent-exec mcp:", err)
		return exitFailed
	}
	log := newLogger(os.Stderr, slog.LevelInfo)
	warnBareEnv(log, os.Environ())
	// Defaults, config.toml, the environment, the flags: a bad value
	// anywhere stops the server before it serves.
	cfg, err := loadConfig(g)
	if err != nil {
		log.Error("bad configuration", "err", err)
		return exitUsage
	}
	if _, err := maxRunningFromEnv(); err != nil {
		log.Error("bad configuration", "err", err)
		return exitUsage
	}
	maxUntil, runUntil := cfg.MCP.MaxUntil, cfg.MCP.DefaultUntil
	// No cap configured: each client gets the cap of its kind (a table
	// in package tools) and the service allows the largest of them.
	var serverOpts []server.ServerOption
	if cfg.Origin("mcp.max_until").Source == config.SourceDefault {
		maxUntil = tools.MaxClientCap
		serverOpts = append(serverOpts, server.WithToolHandlerMiddleware(tools.ClientWaitCaps()))
	}
	opt := serviceOptions(cfg)
	opt.MaxUntil, opt.RunUntil, opt.Log = maxUntil, runUntil, log
	opt.MaxBytes, opt.Compress = cfg.MCP.MaxBytes, cfg.MCP.Compress
	svc, err := openService(root, opt)
	if err != nil {
		log.Error("cannot open the job store", "err", err)
		return exitFailed
	}
	defer svc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if hf.addr != "" {
		return serveHTTP(ctx, svc, hf, log, serverOpts...)
	}
	log.Info("serving MCP on stdio", "root", svc.Store().Root(), "max_until", maxUntil, "per_client_caps", len(serverOpts) > 0, "default_until", runUntil,
		"config", cfg.File, "auto_gc", cfg.GC.Auto)
	if err := tools.Serve(ctx, svc, os.Stdin, proto, log, serverOpts...); err != nil {
		log.Error("serve", "err", err)
		return exitFailed
	}
	return exitOK
}

// guardStdout keeps the protocol on a private close-on-exec copy of fd 1
// and points fd 1 at stderr, so no stray print and no inheriting child can
// corrupt the JSON-RPC stream.
func guardStdout() (*os.File, error) {
	fd, err := unix.FcntlInt(1, unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("guard stdout: %w", err)
	}
	if err := unix.Dup2(2, 1); err != nil {
		return nil, fmt.Errorf("guard stdout: %w", err)
	}
	return os.NewFile(uintptr(fd), "mcp-stdout"), nil
}
