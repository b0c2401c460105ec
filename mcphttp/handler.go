package mcphttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

const (
	healthPath  = "/healthz"
	versionPath = "/version"
)

// handler is the http.Handler in front of mcp-go's streamable HTTP server:
// it routes, checks Host, Origin and the token, and enforces the limits.
type handler struct {
	cfg      *Config
	hosts    map[string]bool // accepted Host names, lower case, no port or brackets
	origins  map[string]bool // accepted Origin values, normalized
	tokenSum [sha256.Size]byte
	sessions *sessions
	calls    inFlight
	requests pendingRequests // requests in flight, so a cancelled one goes unanswered
	mcp      *server.StreamableHTTPServer
	// stopping ends when the server shuts down: intercepted requests
	// stop waiting then, as tool calls do (EndWaitsWhen).
	stopping context.Context

	bodyTimeout  time.Duration // bodyTimeout; shorter in tests
	writeTimeout time.Duration // writeTimeout; shorter in tests

	lastRefusalLog atomic.Int64 // unix nanos of the last refusal logged
}

func newHandler(cfg *Config, addr *net.TCPAddr) *handler {
	h := &handler{
		cfg:      cfg,
		hosts:    acceptedHosts(addr, cfg.AllowedHosts),
		stopping: context.Background(),
		origins:  make(map[string]bool),
		tokenSum: sha256.Sum256(cfg.Token),
		sessions: newSessions(cfg.MaxSessions, cfg.Log),

		bodyTimeout:  bodyTimeout,
		writeTimeout: writeTimeout,
	}
	for _, o := range cfg.AllowedOrigins {
		h.origins[normalizeOrigin(o)] = true
	}
	return h
}

// newStreamable builds mcp-go's transport over ms. It is given no
// http.Server: Serve owns the server and its shutdown order.
func (h *handler) newStreamable(ms *server.MCPServer) *server.StreamableHTTPServer {
	opts := []server.StreamableHTTPOption{
		server.WithEndpointPath(h.cfg.Path),
		server.WithSessionIdManager(h.sessions),
		server.WithSessionIdleTTL(h.cfg.SessionIdle),
		server.WithHeartbeatInterval(heartbeat),
		// The Host check here is stricter (it applies to every listen
		// address) and knows the configured names.
		server.WithDisableLocalhostProtection(true),
		server.WithStreamableHTTPLogger(h.cfg.Log),
	}
	if len(h.cfg.AllowedOrigins) > 0 {
		opts = append(opts, server.WithStreamableHTTPCORS(
			server.WithCORSAllowedOrigins(h.cfg.AllowedOrigins...),
			server.WithCORSAllowedHeaders("Authorization", "Content-Type", server.HeaderKeySessionID, "Mcp-Protocol-Version", "Last-Event-ID"),
			server.WithCORSExposedHeaders(server.HeaderKeySessionID),
		))
	}
	return server.NewStreamableHTTPServer(ms, opts...)
}

func (h *handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := newDeadlineWriter(rw, h.writeTimeout)
	if r.URL.Path == healthPath {
		serveHealth(w, r)
		return
	}
	if !h.hosts[hostName(r.Host)] {
		h.refuse(w, r, http.StatusForbidden, "host not allowed")
		return
	}
	origin := r.Header.Get("Origin")
	if origin != "" && !h.origins[normalizeOrigin(origin)] {
		h.refuse(w, r, http.StatusForbidden, "origin not allowed")
		return
	}
	if origin != "" && r.Method == http.MethodOptions && r.URL.Path == h.cfg.Path {
		h.mcp.ServeHTTP(w, r) // a CORS preflight of an accepted origin carries no token
		return
	}
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", "Bearer")
		h.refuse(w, r, http.StatusUnauthorized, "unauthorized")
		return
	}
	switch r.URL.Path {
	case h.cfg.Path:
		h.serveMCP(w, r)
	case versionPath:
		h.serveVersion(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveMCP applies the session and body limits, keeps track of the
// requests in flight so that a cancelled one goes unanswered, then hands
// the request to mcp-go.
func (h *handler) serveMCP(w http.ResponseWriter, r *http.Request) {
	sid := r.Header.Get(server.HeaderKeySessionID)
	switch {
	case sid != "" && !h.sessions.known(sid):
		// The spec's answer to an ended session: the client starts anew.
		http.Error(w, "session not found", http.StatusNotFound)
		return
	case sid == "" && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		http.Error(w, "Mcp-Session-Id header required", http.StatusBadRequest)
		return
	}
	opening := false
	if r.Method == http.MethodPost {
		body, ok := h.readBody(w, r)
		if !ok {
			return
		}
		msg, parsed := parseMessage(body)
		if parsed && msg.Method == "initialize" {
			if !h.sessions.admit() {
				w.Header().Set("Retry-After", "60")
				h.refuse(w, r, http.StatusServiceUnavailable, "too many sessions")
				return
			}
			defer h.sessions.admitted()
			opening = true
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.calls.enter()
		defer h.calls.leave()
		var serve func(context.Context) []byte
		if parsed && msg.isRequest() && h.cfg.Intercept != nil {
			serve = h.cfg.Intercept(body)
		}
		ctx, stop := context.WithCancel(r.Context())
		defer stop()
		if parsed && sid != "" {
			switch {
			case msg.Method == "notifications/cancelled" && len(msg.Params.RequestID) > 0:
				h.requests.cancel(requestKey{sid, compactJSON(msg.Params.RequestID)})
			case msg.isRequest():
				req := h.requests.add(requestKey{sid, compactJSON(msg.ID)}, stop)
				defer h.requests.remove(req)
				w = &unanswered{ResponseWriter: w, req: req, log: h.cfg.Log}
			}
		}
		if serve != nil {
			h.serveIntercepted(ctx, w, serve)
			return
		}
	}
	h.mcp.ServeHTTP(w, r)
	if id := w.Header().Get(server.HeaderKeySessionID); opening && id != "" {
		h.cfg.Log.Info("session opened", "session", id, "remote", r.RemoteAddr)
	}
}

// serveIntercepted answers a request the interceptor took over, as JSON;
// it stops waiting when the server shuts down. A response to a request
// cancelled meanwhile is left out (see unanswered).
func (h *handler) serveIntercepted(ctx context.Context, w http.ResponseWriter, serve func(context.Context) []byte) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(h.stopping, cancel)()
	resp := serve(ctx)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(resp); err != nil {
		h.cfg.Log.Debug("write an answer", "err", err)
	}
}

// readBody reads a POST body of at most MaxBodyBytes within bodyTimeout.
// On failure it has answered (413 for too large, 408 for too slow, 400
// otherwise) and returns false.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	tooLarge := func() ([]byte, bool) {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, "request body too large")
		return nil, false
	}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return tooLarge()
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(h.bodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	// No deadline once the body is in: the connection's background read
	// must not cancel a call that waits longer than the body took.
	_ = rc.SetReadDeadline(time.Time{})
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return tooLarge()
	case errors.As(err, &ne) && ne.Timeout():
		h.refuse(w, r, http.StatusRequestTimeout, "request body too slow")
		return nil, false
	case err != nil:
		h.refuse(w, r, http.StatusBadRequest, "cannot read request body")
		return nil, false
	}
	return body, true
}

// authorized reports whether r carries exactly one Authorization header
// with the bearer token. The comparison is of SHA-256 sums in constant
// time, so neither the token's bytes nor its length leak through timing.
func (h *handler) authorized(r *http.Request) bool {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return false
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) == 1
}

// refusalLogGap is the least time between two logged refusals, so a flood
// of bad requests cannot flood the log.
const refusalLogGap = 10 * time.Second

// refuse answers r with status and a one-line message that says nothing
// about the server, and logs it unless another refusal was logged lately.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if r.ContentLength != 0 {
		// Whatever is left of the body is not read: net/http would
		// otherwise wait for it, with no deadline, to keep the
		// connection, and a client could hold the connection that way.
		w.Header().Set("Connection", "close")
	}
	http.Error(w, msg, status)
	now := time.Now().UnixNano()
	last := h.lastRefusalLog.Load()
	if now-last >= int64(refusalLogGap) && h.lastRefusalLog.CompareAndSwap(last, now) {
		h.cfg.Log.Warn("refused a request", "status", status, "why", msg, "remote", r.RemoteAddr,
			"method", r.Method, "path", r.URL.Path, "host", r.Host, "note", "further refusals within 10s are not logged")
	}
}

func serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (h *handler) serveVersion(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"name": h.cfg.Name, "version": h.cfg.Version})
}

// acceptedHosts is the set of names a request's Host may give: the
// loopback names, the listen address (every local address and the host
// name when it is unspecified) and extra.
func acceptedHosts(addr *net.TCPAddr, extra []string) map[string]bool {
	hosts := map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	switch {
	case addr.IP.IsUnspecified():
		if ifaddrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range ifaddrs {
				if n, ok := a.(*net.IPNet); ok {
					hosts[n.IP.String()] = true
				}
			}
		}
		if name, err := os.Hostname(); err == nil {
			hosts[strings.ToLower(name)] = true
		}
	default:
		hosts[addr.IP.String()] = true
	}
	for _, e := range extra {
		hosts[hostName(e)] = true
	}
	return hosts
}

// hostName is the host of a Host header value (or a bare host), lower
// case, without port, brackets or a trailing dot.
func hostName(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	return strings.ToLower(host)
}

// normalizeOrigin lower-cases an origin and drops a trailing slash.
func normalizeOrigin(o string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/")
}

// inFlight counts the POST requests (calls) being served, so that a
// shutdown can wait for their answers before it ends the sessions.
type inFlight struct {
	mu   sync.Mutex
	n    int           // guarded by mu
	zero chan struct{} // closed while n is 0; guarded by mu
}

func (f *inFlight) enter() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.zero = make(chan struct{})
	}
	f.n++
}

func (f *inFlight) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n--; f.n == 0 {
		close(f.zero)
	}
}

// drained returns a channel that is closed when no call is in flight.
func (f *inFlight) drained() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	return f.zero
}
