package mcphttp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

const testToken = "0123456789abcdef-test-token"

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`

// newTestServer serves a small MCP server with tools through a handler
// built from cfg, on a loopback test server.
func newTestServer(t testing.TB, cfg Config, tools ...server.ServerTool) (*handler, *httptest.Server) {
	t.Helper()
	cfg.Token = []byte(testToken)
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := cfg.fill(); err != nil {
		t.Fatal(err)
	}
	h := newHandler(&cfg, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	ms := server.NewMCPServer("test", "1", server.WithToolCapabilities(false))
	ms.AddTools(tools...)
	h.mcp = h.newStreamable(ms)
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ts.Close()
		h.mcp.Shutdown(context.Background())
	})
	return h, ts
}

// post sends body to the endpoint with the token (and session id when
// not empty) and returns the response, its body read.
func post(t *testing.T, ts *httptest.Server, session, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+DefaultPath, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set(server.HeaderKeySessionID, session)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestSessionIdleExpiry: a session without requests for SessionIdle ends,
// and a request naming it then gets 404.
func TestSessionIdleExpiry(t *testing.T) {
	h, ts := newTestServer(t, Config{SessionIdle: time.Second})
	ended := make(chan string, 4)
	h.sessions.ended = ended
	res, body := post(t, ts, "", initBody)
	id := res.Header.Get(server.HeaderKeySessionID)
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize = %d %q, session %q", res.StatusCode, body, id)
	}
	select {
	case got := <-ended:
		if got != id {
			t.Fatalf("session %s ended, want %s", got, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the idle session did not end within 30s")
	}
	if res, body := post(t, ts, id, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`); res.StatusCode != http.StatusNotFound {
		t.Errorf("a request on the expired session = %d %q, want 404", res.StatusCode, body)
	}
}

// TestSessionLimit: initialize requests beyond MaxSessions get 503, and
// a session that ends makes room.
func TestSessionLimit(t *testing.T) {
	h, ts := newTestServer(t, Config{MaxSessions: 2})
	var ids []string
	for range 2 {
		res, body := post(t, ts, "", initBody)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("initialize = %d %q", res.StatusCode, body)
		}
		ids = append(ids, res.Header.Get(server.HeaderKeySessionID))
	}
	if res, _ := post(t, ts, "", initBody); res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("a third session = %d (Retry-After %q), want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	h.sessions.Terminate(ids[0])
	if res, body := post(t, ts, "", initBody); res.StatusCode != http.StatusOK {
		t.Fatalf("initialize after a session ended = %d %q", res.StatusCode, body)
	}
}

// TestSessionAdmissionConcurrent: however many initialize requests race,
// no more sessions than the limit open.
func TestSessionAdmissionConcurrent(t *testing.T) {
	s := newSessions(5, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if s.admit() {
				s.Generate()
				s.admitted()
			}
		})
	}
	wg.Wait()
	if n := len(s.live); n != 5 || s.pending != 0 {
		t.Errorf("live %d pending %d, want 5 and 0", n, s.pending)
	}
}

func TestAuthorized(t *testing.T) {
	h, _ := newTestServer(t, Config{})
	for _, c := range []struct {
		header []string
		want   bool
	}{
		{[]string{"Bearer " + testToken}, true},
		{[]string{"bearer " + testToken}, true},
		{[]string{"Bearer  " + testToken + " "}, true},
		{nil, false},
		{[]string{""}, false},
		{[]string{"Bearer"}, false},
		{[]string{"Bearer "}, false},
		{[]string{"Basic " + testToken}, false},
		{[]string{testToken}, false},
		{[]string{"Bearer " + testToken[:len(testToken)-1]}, false},
		{[]string{"Bearer " + testToken + "x"}, false},
		{[]string{"Bearer " + strings.ToUpper(testToken)}, false},
		{[]string{"Bearer " + testToken, "Bearer " + testToken}, false},
	} {
		r := httptest.NewRequest("POST", "/mcp", nil)
		for _, v := range c.header {
			r.Header.Add("Authorization", v)
		}
		if got := h.authorized(r); got != c.want {
			t.Errorf("authorized(%q) = %v, want %v", c.header, got, c.want)
		}
	}
}

func TestHostName(t *testing.T) {
	for in, want := range map[string]string{
		"localhost:7727":   "localhost",
		"LOCALHOST":        "localhost",
		"localhost.:80":    "localhost",
		"127.0.0.1:1":      "127.0.0.1",
		"[::1]:7727":       "::1",
		"[::1]":            "::1",
		"Example.COM":      "example.com",
		"":                 "",
		"evil.example:123": "evil.example",
	} {
		if got := hostName(in); got != want {
			t.Errorf("hostName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:7727": true,
		"127.1.2.3:0":    true,
		"[::1]:7727":     true,
		"localhost:1":    true,
		"0.0.0.0:7727":   false,
		":7727":          false,
		"[::]:7727":      false,
		"192.0.2.1:80":   false,
		"no-port":        false,
	} {
		if got := Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

// TestServeRefusesRemoteWithoutAllow: Serve does not serve on an address
// that is not loopback unless AllowRemote is set.
func TestServeRefusesRemoteWithoutAllow(t *testing.T) {
	ms := server.NewMCPServer("test", "1")
	err := Serve(t.Context(), ms, Config{Addr: "0.0.0.0:0", Token: []byte(testToken), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, func(string) {
		t.Error("Serve reported itself ready")
	})
	if err == nil || !strings.Contains(err.Error(), ErrRemoteWithoutToken.Error()) {
		t.Errorf("Serve on 0.0.0.0 without AllowRemote = %v, want %v", err, ErrRemoteWithoutToken)
	}
}

// TestSlowBody: a body that stops arriving gets 408 once the body timeout
// passes; the connection does not stay held.
func TestSlowBody(t *testing.T) {
	h, ts := newTestServer(t, Config{})
	h.bodyTimeout = 200 * time.Millisecond
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"", testToken)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: status %d, want 408", res.StatusCode)
	}
}

// TestEndWaitsWhen: the middleware ends a call's wait when stopping ends,
// without cancelling the context the call came with.
func TestEndWaitsWhen(t *testing.T) {
	stopping, stop := context.WithCancel(context.Background())
	outer, cancelOuter := context.WithCancel(context.Background())
	defer cancelOuter()
	entered := make(chan struct{})
	h := EndWaitsWhen(stopping)(func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		close(entered)
		<-ctx.Done()
		return mcp.NewToolResultText("answered"), nil
	})
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := h(outer, mcp.CallToolRequest{})
		done <- res
	}()
	<-entered
	stop()
	select {
	case res := <-done:
		if res == nil {
			t.Fatal("no result")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the wait did not end when stopping ended")
	}
	if outer.Err() != nil {
		t.Error("the call's own context was cancelled")
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	if tok, insecure, err := ReadToken(write("ok", "  "+testToken+"\n", 0o600)); err != nil || string(tok) != testToken || insecure {
		t.Errorf("ReadToken(ok) = %q, %v, %v", tok, insecure, err)
	}
	if _, insecure, err := ReadToken(write("open", testToken, 0o644)); err != nil || !insecure {
		t.Errorf("ReadToken(0644) insecure = %v, %v; want true", insecure, err)
	}
	for name, content := range map[string]string{"short": "abc", "empty": "", "spaces": "0123456789 abcdef 0123"} {
		if _, _, err := ReadToken(write(name, content, 0o600)); err == nil {
			t.Errorf("ReadToken(%s) accepted %q", name, content)
		}
	}
	if _, _, err := ReadToken(dir); err == nil {
		t.Error("ReadToken(a directory) succeeded")
	}
}

// TestEnsureToken: the first call creates a 0600 file with a new token;
// every other (concurrent ones included) reads the same.
func TestEnsureToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".http-token")
	var wg sync.WaitGroup
	var mu sync.Mutex
	tokens := map[string]int{}
	created := 0
	for range 8 {
		wg.Go(func() {
			tok, c, err := EnsureToken(path)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			tokens[string(tok)]++
			if c {
				created++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(tokens) != 1 || created != 1 {
		t.Fatalf("%d distinct tokens, %d creations; want 1 and 1", len(tokens), created)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	for tok := range tokens {
		if len(tok) < MinTokenBytes {
			t.Errorf("generated token %q is short", tok)
		}
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("the directory holds %d entries, want the token file alone", len(ents))
	}
}

// TestRefusalDoesNotWaitForBody: a refused request whose body has not all
// arrived is answered at once and its connection closed; the server does
// not wait for the rest of the body (which a client could withhold).
func TestRefusalDoesNotWaitForBody(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"jsonrpc\"")
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to an unauthorized request with a withheld body: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !res.Close {
		t.Errorf("status %d, close %v; want 401 and the connection closed", res.StatusCode, res.Close)
	}
}

// TestStalledReader: a client that stops reading a large answer does not
// hold the call: the write times out and the call ends.
func TestStalledReader(t *testing.T) {
	entered := make(chan struct{}, 1)
	big := server.ServerTool{
		Tool: mcp.NewTool("big"),
		Handler: func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			entered <- struct{}{}
			return mcp.NewToolResultText(strings.Repeat("x", 16<<20)), nil
		},
	}
	h, ts := newTestServer(t, Config{}, big)
	h.writeTimeout = 200 * time.Millisecond
	res, _ := post(t, ts, "", initBody)
	id := res.Header.Get(server.HeaderKeySessionID)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	body := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"big"}}`
	fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Session-Id: %s\r\nMcp-Protocol-Version: 2025-11-25\r\nContent-Length: %d\r\n\r\n%s", testToken, id, len(body), body)
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not start")
	}
	// The client reads nothing; the server must give up on it.
	select {
	case <-h.calls.drained():
	case <-time.After(30 * time.Second):
		t.Fatal("a call whose client stopped reading was still in flight after 30s")
	}
}

// TestLimitListener: beyond the limit, Accept waits until a connection
// closes; Close ends a waiting Accept.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newLimitListener(inner, 2)
	for range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err != nil {
		t.Fatal(err)
	}
	third := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		third <- err
	}()
	a.Close()
	a.Close() // a second Close releases nothing more
	select {
	case err := <-third:
		if err != nil {
			t.Fatalf("Accept after a connection closed: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Accept did not return after a connection closed")
	}
	if n := len(l.sem); n != 1 {
		t.Errorf("%d connections counted, want 1", n)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		waiting <- err
	}()
	go func() {
		_, err := l.Accept()
		waiting <- err
	}()
	// One of the two takes the last place (no connection is pending, so it
	// waits in the inner Accept); the other waits for room. Close ends both.
	l.Close()
	for range 2 {
		select {
		case err := <-waiting:
			if err == nil {
				t.Error("Accept on a closed listener succeeded")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Close did not end a waiting Accept")
		}
	}
}
