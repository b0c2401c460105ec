package integration_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// httpServer is what a server speaking MCP over HTTP has beside the
// process: where it listens, the token, and the sessions opened to it.
type httpServer struct {
	url        string
	token      string
	client     *http.Client   // sends the token
	ca         *x509.CertPool // trusted by the clients; nil for the system's
	stderrDone chan struct{}  // closed when the server's stderr is copied to its end

	mu       sync.Mutex
	sessions []*mcp.ClientSession // guarded by mu
}

// overHTTP serves MCP over HTTP on a free loopback port with a token file
// of the test's; args are added to the server's command line.
func overHTTP(args ...string) option {
	return func(c *serverConfig) {
		c.http = true
		c.mcpArgs = append(c.mcpArgs, args...)
	}
}

// withGeneratedToken leaves the server to generate its token (in the
// root) instead of giving it a token file.
func withGeneratedToken() option { return func(c *serverConfig) { c.generatedToken = true } }

// withCA makes the test's HTTP clients trust pool (for a server over TLS).
func withCA(pool *x509.CertPool) option { return func(c *serverConfig) { c.httpCA = pool } }

// transports are the two ways a test can reach a server, for tests that
// must hold over both.
var transports = []struct {
	name string
	opts []option
}{
	{"stdio", nil},
	{"http", []option{overHTTP()}},
}

// writeToken writes a new random token to a 0600 file and returns both.
func writeToken(t *testing.T) (path, token string) {
	t.Helper()
	var b [24]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	path = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, token
}

// bearer adds the Authorization header to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// newHTTPClient is an HTTP client that sends token (none when empty),
// trusts ca (when not nil) and has room for many connections to one server.
func newHTTPClient(token string, ca *x509.CertPool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	if ca != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: ca}
	}
	var rt http.RoundTripper = tr
	if token != "" {
		rt = bearer{token, tr}
	}
	return &http.Client{Transport: rt}
}

var urlField = regexp.MustCompile(`serving MCP over HTTP .*url=(\S+)`)

// launchHTTP starts cmd, an "agent-exec mcp --http", with its stderr
// copied to stderrPath, and waits for the line that gives its URL. When
// the server exits first, it returns the error and what it wrote.
func launchHTTP(t *testing.T, cfg *serverConfig, cmd *exec.Cmd, stderrPath string) (*server, error) {
	t.Helper()
	errFile, err := os.Create(stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		errFile.Close()
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	s := &server{
		t: t, root: cfg.root, dir: cfg.dir, cmd: cmd, stderr: stderrPath,
		raw:        &capture{},
		exited:     make(chan struct{}),
		progress:   make(map[string][]*mcp.ProgressNotificationParams),
		progressCh: make(chan *mcp.ProgressNotificationParams, 1024),
		http:       &httpServer{stderrDone: make(chan struct{})},
	}
	urls := make(chan string, 1)
	go func() {
		defer close(s.http.stderrDone)
		defer errFile.Close()
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(errFile, line)
			if m := urlField.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.cleanup)
	select {
	case s.http.url = <-urls:
		return s, nil
	case <-s.exited:
		<-s.http.stderrDone
		b, _ := os.ReadFile(stderrPath)
		s.stopOnce.Do(func() {}) // nothing left to stop
		return nil, fmt.Errorf("agent-exec mcp exited (%v) before serving: %s", s.exitErr, b)
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("agent-exec mcp did not report its URL within 30s")
	}
}

// startHTTPServer is startServer for a server over HTTP: it starts one on
// a free loopback port with a token file and opens a session to it.
func startHTTPServer(t *testing.T, cfg *serverConfig) *server {
	t.Helper()
	head := []string{"--http", "127.0.0.1:0"}
	var token string
	if !cfg.generatedToken {
		var tokenPath string
		tokenPath, token = writeToken(t)
		head = append(head, "--token-file", tokenPath)
	}
	cfg.mcpArgs = append(head, cfg.mcpArgs...)
	cmd, stderrPath := serverCommand(t, cfg)
	s, err := launchHTTP(t, cfg, cmd, stderrPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.generatedToken {
		b, err := os.ReadFile(filepath.Join(cfg.root.dir, ".http-token"))
		if err != nil {
			t.Fatalf("the generated token: %v", err)
		}
		token = strings.TrimSpace(string(b))
	}
	s.http.token = token
	s.http.ca = cfg.httpCA
	s.http.client = newHTTPClient(token, cfg.httpCA)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.cs, err = s.connect(ctx, cfg.protocol)
	if err != nil {
		t.Fatalf("connect to %s: %v", s.http.url, err)
	}
	return s
}

// connect opens another session to a server over HTTP; it is closed when
// the server is stopped.
func (s *server) connect(ctx context.Context, protocol string) (*mcp.ClientSession, error) {
	// The SDK's default retries: with none, a session whose event stream
	// breaks (at a server's shutdown) fails even the calls whose answers
	// are on their way.
	transport := &mcp.StreamableClientTransport{Endpoint: s.http.url, HTTPClient: s.http.client}
	cs, err := s.newClient().Connect(ctx, transport, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		return nil, err
	}
	s.http.mu.Lock()
	s.http.sessions = append(s.http.sessions, cs)
	s.http.mu.Unlock()
	return cs, nil
}

// stopHTTP closes every session, sends the server SIGTERM and waits for
// it to exit, which it must do with status 0.
func (s *server) stopHTTP() {
	s.t.Helper()
	s.http.mu.Lock()
	sessions := s.http.sessions
	s.http.sessions = nil
	s.http.mu.Unlock()
	for _, cs := range sessions {
		cs.Close()
	}
	s.terminate()
	if s.exitErr != nil {
		s.t.Errorf("agent-exec mcp --http exited with %v after SIGTERM, want status 0", s.exitErr)
	}
}

// terminate sends SIGTERM and waits for the process to exit and its
// stderr to be copied.
func (s *server) terminate() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		select {
		case <-s.exited:
		default:
			s.t.Errorf("SIGTERM to the server: %v", err)
		}
	}
	select {
	case <-s.exited:
	case <-time.After(exitTimeout + 15*time.Second): // the server's own shutdown grace is 10 s
		s.t.Errorf("agent-exec mcp --http did not exit within %v of SIGTERM", exitTimeout+15*time.Second)
		s.cmd.Process.Kill()
		<-s.exited
	}
	<-s.http.stderrDone
}

// httpDo sends one request to the server's endpoint (or to another path
// of it when path is not ""), with the test's token unless token says
// otherwise ("-" for none), and returns the status and the body.
func (s *server) httpDo(method, path, token string, header map[string]string, body string) (int, string) {
	s.t.Helper()
	url := s.http.url
	if path != "" {
		url = strings.TrimSuffix(url, "/mcp") + path
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if token == "" {
		token = s.http.token
	}
	if token != "-" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := newHTTPClient("", s.http.ca).Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil || b.Len() > 1<<20 {
			break
		}
	}
	return res.StatusCode, b.String()
}
