package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/mcphttp"
	"github.com/agent-exec/agent-exec/tools"
	"github.com/agent-exec/agent-exec/version"
)

// tokenFileName is the generated bearer token's file in the root.
const tokenFileName = ".http-token"

// mcpFlags are agent-exec mcp's flags; addr is empty for stdio.
type mcpFlags struct {
	addr            string
	tokenFile       string
	allowedHosts    []string
	allowedOrigins  []string
	tlsCert, tlsKey string
	maxBody         int64
	maxSessions     int
	sessionIdle     time.Duration
}

// listFlag collects a repeatable flag; each value may be a comma list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// parseMCPFlags parses agent-exec mcp's arguments. A bare --http (last,
// or followed by another flag) means the default address.
func parseMCPFlags(args []string) (*mcpFlags, error) {
	args = append([]string(nil), args...)
	for i, a := range args {
		if (a == "--http" || a == "-http") && (i+1 == len(args) || strings.HasPrefix(args[i+1], "-")) {
			args[i] = "--http=" + mcphttp.DefaultAddr
		}
	}
	f := &mcpFlags{}
	fs := flag.NewFlagSet("agent-exec mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.addr, "http", "", "serve MCP over streamable HTTP on `ADDR` (host:port; "+mcphttp.DefaultAddr+" when bare)")
	fs.StringVar(&f.tokenFile, "token-file", "", "the bearer token's `FILE` (default: generated once into ROOT/"+tokenFileName+")")
	fs.Var((*listFlag)(&f.allowedHosts), "allowed-host", "also accept this `NAME` in the Host header (repeatable)")
	fs.Var((*listFlag)(&f.allowedOrigins), "allowed-origin", "accept browser requests from this `ORIGIN` (scheme://host:port; repeatable)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "and this key `FILE` (PEM)")
	fs.Int64Var(&f.maxBody, "max-body", mcphttp.DefaultMaxBodyBytes, "largest request body in `BYTES`")
	fs.IntVar(&f.maxSessions, "max-sessions", mcphttp.DefaultMaxSessions, "most sessions open at once")
	fs.DurationVar(&f.sessionIdle, "session-idle", mcphttp.DefaultSessionIdle, "end a session after this long without a request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			fs.SetOutput(&b)
			fs.PrintDefaults()
			return nil, fmt.Errorf("flags:\n%s", b.String())
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if f.addr == "" {
		var httpOnly []string
		fs.Visit(func(fl *flag.Flag) { httpOnly = append(httpOnly, "--"+fl.Name) })
		if len(httpOnly) > 0 {
			return nil, fmt.Errorf("%s only apply with --http", strings.Join(httpOnly, ", "))
		}
	}
	if f.maxBody < 1024 || f.maxSessions < 1 || f.sessionIdle < time.Second {
		return nil, fmt.Errorf("--max-body must be at least 1024, --max-sessions at least 1, --session-idle at least 1s")
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	return f, nil
}

// serveHTTP serves MCP over streamable HTTP until ctx ends. Without
// --token-file, the token is the root's generated one, and only a
// loopback address is accepted.
func serveHTTP(ctx context.Context, svc *jobs.Service, f *mcpFlags, log *slog.Logger, opts ...server.ServerOption) int {
	cfg := mcphttp.Config{
		Addr:           f.addr,
		AllowedHosts:   f.allowedHosts,
		AllowedOrigins: f.allowedOrigins,
		TLSCert:        f.tlsCert,
		TLSKey:         f.tlsKey,
		MaxBodyBytes:   f.maxBody,
		MaxSessions:    f.maxSessions,
		SessionIdle:    f.sessionIdle,
		Name:           "agent-exec",
		Version:        version.Version(),
		Log:            log,
	}
	if f.tokenFile != "" {
		tok, insecure, err := mcphttp.ReadToken(f.tokenFile)
		if err != nil {
			log.Error("bad configuration", "err", err)
			return exitUsage
		}
		if insecure {
			log.Warn("the token file can be read or written by other users; chmod 600 it", "file", f.tokenFile)
		}
		cfg.Token, cfg.AllowRemote = tok, true
	} else {
		if !mcphttp.Loopback(f.addr) {
			log.Error("bad configuration", "err", fmt.Sprintf("%s is not a loopback address: %v; give --token-file", f.addr, mcphttp.ErrRemoteWithoutToken))
			return exitUsage
		}
		path := filepath.Join(svc.Store().Root(), tokenFileName)
		tok, created, err := mcphttp.EnsureToken(path)
		if err != nil {
			log.Error("cannot set up the bearer token", "err", err)
			return exitFailed
		}
		if created {
			// The one time the token is shown; later starts reuse the file.
			fmt.Fprintf(os.Stderr, "agent-exec mcp: generated a bearer token (kept in %s): %s\n", path, tok)
		}
		cfg.Token = tok
		log.Info("bearer token", "file", path)
	}
	ms, tasks := tools.NewTaskServer(svc, log, append(opts, server.WithToolHandlerMiddleware(mcphttp.EndWaitsWhen(ctx)))...)
	cfg.Intercept = tasks.Intercept
	err := mcphttp.Serve(ctx, ms, cfg, func(url string) {
		log.Info("serving MCP over HTTP", "url", url, "version", version.Version(), "root", svc.Store().Root())
	})
	switch {
	case errors.Is(err, mcphttp.ErrRemoteWithoutToken):
		log.Error("bad configuration", "err", err)
		return exitUsage
	case err != nil:
		log.Error("serve", "err", err)
		return exitFailed
	}
	log.Info("stopped; jobs keep running")
	return exitOK
}
