package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/tools"
)

// Environment variables read by agent-exec mcp at start-up.
const (
	envMaxUntil     = "AGENT_EXEC_MCP_MAX_UNTIL_SECONDS"
	envDefaultUntil = "AGENT_EXEC_MCP_DEFAULT_UNTIL_SECONDS"
)

func runMCP(root string, args []string) int {
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
	maxUntil, err := secondsFromEnv(envMaxUntil, jobs.DefaultMaxUntil)
	if err != nil {
		log.Error("bad configuration", "err", err)
		return exitUsage
	}
	runUntil, err := secondsFromEnv(envDefaultUntil, jobs.DefaultRunUntil)
	if err != nil {
		log.Error("bad configuration", "err", err)
		return exitUsage
	}
	if runUntil > maxUntil {
		if _, set := os.LookupEnv(envDefaultUntil); set {
			log.Error("bad configuration", "err", fmt.Sprintf("%s (%v) is larger than %s (%v)", envDefaultUntil, runUntil, envMaxUntil, maxUntil))
			return exitUsage
		}
		runUntil = maxUntil // the default wait never exceeds a configured maximum
	}
	if _, err := maxRunningFromEnv(); err != nil {
		log.Error("bad configuration", "err", err)
		return exitUsage
	}
	svc, err := openService(root, jobs.Options{MaxUntil: maxUntil, RunUntil: runUntil, Log: log})
	if err != nil {
		log.Error("cannot open the job store", "err", err)
		return exitFailed
	}
	defer svc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if hf.addr != "" {
		return serveHTTP(ctx, svc, hf, log)
	}
	log.Info("serving MCP on stdio", "root", svc.Store().Root(), "max_until", maxUntil, "default_until", runUntil)
	if err := tools.Serve(ctx, svc, os.Stdin, proto, log); err != nil {
		log.Error("serve", "err", err)
		return exitFailed
	}
	return exitOK
}

// secondsFromEnv reads a positive number of seconds (at most an hour) from
// the environment variable name, or returns def when it is unset.
func secondsFromEnv(name string, def time.Duration) (time.Duration, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 3600 {
		return 0, fmt.Errorf("%s=%q: want a number of seconds greater than 0 and at most 3600", name, v)
	}
	return time.Duration(f * float64(time.Second)), nil
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
