// Package mcphttp serves an MCP server over the streamable HTTP transport
// (mark3labs/mcp-go's StreamableHTTPServer) behind the checks that make a
// listening socket safe to leave running on a workstation or a shared host.
//
// Every request to the MCP endpoint passes, in this order:
//
//  1. Host: the Host header must name one of the accepted host names
//     (localhost, 127.0.0.1, [::1], the listen address and the configured
//     extra names); anything else gets 403. This stops DNS rebinding, where
//     a web page makes its own name resolve to 127.0.0.1.
//  2. Origin: a request that carries an Origin header (a browser's) gets 403
//     unless that origin was configured; no other web page can drive the
//     server, even with the user's browser on the same machine.
//  3. Authorization: "Bearer TOKEN", compared in constant time; a missing,
//     malformed or wrong token gets the same bare 401.
//  4. Limits: a body over the limit gets 413, a new session beyond the
//     session limit 503, an unknown or expired session id 404.
//
// GET /healthz answers "ok" to anyone, with no details; GET /version (with
// the token) names the server. Sessions that see no request for the idle
// time are ended; slow clients are cut off by header, body and write
// timeouts; open connections are capped. Serve shuts down gracefully when
// its context ends: the listener closes, the tool calls in flight are
// answered (their waits end early, see EndWaitsWhen), then every session
// closes. A request its client cancels (notifications/cancelled) gets no
// response (see cancel.go). Nothing here stops a job.
package mcphttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Defaults of the Config fields left zero.
const (
	DefaultPort          = 7727
	DefaultPath          = "/mcp"
	DefaultMaxBodyBytes  = 16 << 20
	DefaultMaxSessions   = 256
	DefaultSessionIdle   = 30 * time.Minute
	defaultMaxHeaderSize = 32 << 10
)

// DefaultAddr is where Serve listens unless told otherwise: loopback only.
var DefaultAddr = fmt.Sprintf("127.0.0.1:%d", DefaultPort)

// Timeouts that bound slow or stalled clients.
const (
	readHeaderTimeout = 10 * time.Second  // request line and headers
	bodyTimeout       = 60 * time.Second  // a request body, once the headers are in
	writeTimeout      = 30 * time.Second  // each write of a response or an event stream
	idleTimeout       = 120 * time.Second // a keep-alive connection between requests
	heartbeat         = 30 * time.Second  // ping on a session's event stream
	shutdownGrace     = 10 * time.Second  // answering calls in flight at shutdown
)

// Config is how Serve listens and what it accepts. Zero values take the
// defaults above.
type Config struct {
	Addr string // host:port to listen on; DefaultAddr when empty
	Path string // the MCP endpoint; DefaultPath when empty

	// Token is the bearer token every request to Path must carry. It must
	// not be empty.
	Token []byte
	// AllowRemote permits a listen address that is not loopback. Set it
	// only when the token was given explicitly (a generated one lives in a
	// file nobody else was told about).
	AllowRemote bool

	AllowedHosts   []string // host names accepted in Host beside the loopback names and the listen host
	AllowedOrigins []string // browser origins (scheme://host[:port]) accepted in Origin

	TLSCert, TLSKey string // PEM files; both or neither

	MaxBodyBytes int64         // largest request body; DefaultMaxBodyBytes when 0
	MaxSessions  int           // sessions open at once; DefaultMaxSessions when 0
	SessionIdle  time.Duration // a session without requests this long ends; DefaultSessionIdle when 0

	Name, Version string // what GET /version reports

	// Intercept, when set, is shown every POSTed JSON-RPC request first;
	// for those it returns a function for, that function answers instead
	// of mcp-go (the MCP tasks, say). See [Interceptor].
	Intercept Interceptor

	Log *slog.Logger // nil for slog.Default()
}

// Interceptor takes a JSON-RPC request (a POST's body) over from mcp-go:
// it returns nil for a request it leaves to mcp-go, or a function that
// answers it. That function returns the JSON-RPC response; its context
// ends when the client cancels the request (notifications/cancelled: the
// response is then not sent), goes away, or the server shuts down.
type Interceptor func(body []byte) func(ctx context.Context) []byte

func (c *Config) fill() error {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if !strings.HasPrefix(c.Path, "/") || c.Path == "/" || c.Path == healthPath {
		return fmt.Errorf("endpoint path %q: want an absolute path other than / and %s", c.Path, healthPath)
	}
	if len(c.Token) == 0 {
		return errors.New("no bearer token")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("TLS needs both a certificate and a key file")
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return nil
}

// ErrRemoteWithoutToken is returned by Serve for a listen address that is
// not loopback when Config.AllowRemote is false.
var ErrRemoteWithoutToken = errors.New("refusing to listen on a non-loopback address without an explicit token file")

// Serve listens on cfg.Addr and serves ms until ctx ends, then shuts down
// gracefully and returns nil. ready, when not nil, is called with the
// endpoint's URL once the listener is bound. An error means the server
// could not start (bad configuration, address in use, unreadable TLS
// files) or failed while serving.
func Serve(ctx context.Context, ms *server.MCPServer, cfg Config, ready func(url string)) error {
	if err := cfg.fill(); err != nil {
		return err
	}
	var tlsConf *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() && !cfg.AllowRemote {
		ln.Close()
		return fmt.Errorf("%s (%s): %w", cfg.Addr, addr, ErrRemoteWithoutToken)
	}
	ln = newLimitListener(ln, maxConns(cfg.MaxSessions))
	h := newHandler(&cfg, addr)
	h.stopping = ctx
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    defaultMaxHeaderSize,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelDebug),
		TLSConfig:         tlsConf,
	}
	h.mcp = h.newStreamable(ms)
	served := make(chan error, 1)
	go func() {
		if tlsConf != nil {
			served <- hs.ServeTLS(ln, "", "")
		} else {
			served <- hs.Serve(ln)
		}
	}()
	if ready != nil {
		ready(endpointURL(tlsConf != nil, addr, cfg.Path))
	}
	select {
	case err := <-served:
		h.mcp.Shutdown(context.Background()) // stops its session sweeper
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	h.shutdown(hs)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// shutdown stops hs in an order that lets calls in flight be answered:
// the listener closes at once and idle connections with it; the calls
// (whose waits end, see EndWaitsWhen) are answered; only then do the
// sessions and their event streams end, since a client may give up a
// session whose stream breaks while it still waits for an answer.
// Connections still busy after shutdownGrace are closed.
func (h *handler) shutdown(hs *http.Server) {
	h.cfg.Log.Info("shutting down: answering calls in flight, jobs keep running")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- hs.Shutdown(ctx) }()
	select {
	case <-h.calls.drained():
	case <-ctx.Done():
	}
	h.mcp.Shutdown(ctx) // ends the sessions and their streams; stops the sweeper
	if err := <-closed; err != nil {
		h.cfg.Log.Warn("shutdown: closing connections still busy", "err", err)
		hs.Close()
	}
}

// maxConns is how many connections may be open at once when up to
// sessions sessions are: room for each one's event stream and a few calls
// in flight. Beyond it, new connections wait to be accepted.
func maxConns(sessions int) int { return 4*sessions + 64 }

// endpointURL is the URL clients use for the endpoint on addr.
func endpointURL(tls bool, addr *net.TCPAddr, path string) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, fmt.Sprint(addr.Port)) + path
}

// EndWaitsWhen returns tool-handler middleware that ends a call's waiting
// when stopping ends, so a shutdown answers the calls in flight at once
// instead of holding them until their deadlines. The call's own context
// (and the response to it) is not cancelled.
func EndWaitsWhen(stopping context.Context) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			stop := context.AfterFunc(stopping, cancel)
			defer stop()
			return next(ctx, req)
		}
	}
}

// Loopback reports whether addr (host:port) listens on loopback only: its
// host is localhost, a loopback address, or a name that resolves to
// loopback addresses alone. An empty host (every address) is not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}
