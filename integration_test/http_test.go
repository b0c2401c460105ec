package integration_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// initializeBody is a JSON-RPC initialize request, as a client's first POST.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"0"}}}`

// TestHTTPEveryTool drives every tool over streamable HTTP, through one
// job's whole life, and checks tools/list and the server's identity.
func TestHTTPEveryTool(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP())
	init := s.cs.InitializeResult()
	if init.ServerInfo == nil || init.ServerInfo.Name != "agent-exec" || init.ServerInfo.Version == "" {
		t.Errorf("serverInfo = %+v, want agent-exec and a version", init.ServerInfo)
	}
	res, err := s.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	if !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(toolNames))) {
		t.Errorf("tools over HTTP = %v, want %v", names, toolNames)
	}

	env := s.runJob("echo hello over http", obj{"until": 30})
	if env.Job.State != "exited" || env.Output.Text != "hello over http\n" {
		t.Fatalf("run = %s, output %q", env.Job.State, env.Output.Text)
	}
	created := s.ok("create", obj{"command": []string{"cat"}, "interactive": true, "name": "echoer"}).Job
	if created.State != "created" {
		t.Fatalf("create: state %s", created.State)
	}
	started := s.ok("start", obj{"job_id": "echoer", "until": 0})
	if started.Job.State != "running" {
		t.Fatalf("start: state %s", started.Job.State)
	}
	in := s.ok("input", obj{"job_id": "echoer", "text": "ping\n", "wait_for": "ping", "until": 30})
	if !strings.Contains(in.Output.Text, "ping") {
		t.Errorf("input answered %q, want the echo", in.Output.Text)
	}
	obs := s.ok("observe", obj{"job_id": created.JobID})
	if obs.Job.State != "running" || !strings.Contains(obs.Output.Text, "ping") {
		t.Errorf("observe: state %s, output %q", obs.Job.State, obs.Output.Text)
	}
	re := s.ok("restart", obj{"job_id": "echoer", "until": 0})
	if re.Job.Run != 2 || re.Job.State != "running" {
		t.Errorf("restart: run %d state %s", re.Job.Run, re.Job.State)
	}
	k := s.ok("kill", obj{"job_id": "echoer"})
	if k.Job.State != "killed" {
		t.Errorf("kill: state %s", k.Job.State)
	}
	if u := s.ok("update", obj{"job_id": "echoer", "tags": []string{"http.tag"}}); !slices.Equal(u.Job.Tags, []string{"http.tag"}) {
		t.Errorf("update: tags %v", u.Job.Tags)
	}
	if jobs := s.listAll(); len(jobs) != 2 {
		t.Errorf("list: %d jobs, want 2", len(jobs))
	}
	if d := s.ok("delete", obj{"job_id": created.JobID}); !d.Deleted {
		t.Errorf("delete: %+v", d)
	}
	s.fail("observe", obj{"job_id": created.JobID}, "job_not_found")
	if g := s.gc(obj{"dry_run": true}); g.Type != "gc" || !g.GC.DryRun {
		t.Errorf("gc dry run: %+v", g)
	}

	// Progress notifications reach an HTTP client too.
	ch := s.callAsync("run", obj{"command": "sleep 3; echo done", "until": 30}, "http-progress")
	s.awaitProgress("http-progress", 30*time.Second)
	if r := receive(t, ch, callTimeout); r.err != nil || r.rep.env.Job.State != "exited" {
		t.Fatalf("run with progress: %v %+v", r.err, r.rep)
	}
}

// TestHTTPManySessions opens 100 sessions at once (10 with -short); each
// runs a job and observes it, while all the sessions stay open.
func TestHTTPManySessions(t *testing.T) {
	t.Parallel()
	n := 100
	if testing.Short() {
		n = 10
	}
	s := startServer(t, overHTTP())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sessions := make([]*mcp.ClientSession, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	gate := make(chan struct{}, 16) // bounded work on two cores: connects and runs in waves
	for i := range n {
		wg.Go(func() {
			gate <- struct{}{}
			defer func() { <-gate }()
			cs, err := s.connect(ctx, protocolLatest)
			if err != nil {
				errs <- fmt.Errorf("session %d: connect: %w", i, err)
				return
			}
			sessions[i] = cs
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Every session is open now; each runs and observes its own job.
	errs = make(chan error, n)
	for i, cs := range sessions {
		wg.Go(func() {
			gate <- struct{}{}
			defer func() { <-gate }()
			errs <- runAndObserve(ctx, s, cs, i)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// runAndObserve runs a job over cs that prints its session's number, and
// observes it to its end.
func runAndObserve(ctx context.Context, s *server, cs *mcp.ClientSession, i int) error {
	want := fmt.Sprintf("session %d\n", i)
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run", Arguments: obj{"command": []string{"echo", "session", fmt.Sprint(i)}, "until": 0}})
	if err != nil {
		return fmt.Errorf("session %d: run: %w", i, err)
	}
	rep, err := checkResult("run", res)
	if err != nil {
		return fmt.Errorf("session %d: %w", i, err)
	}
	s.root.note(rep.env)
	if !rep.env.OK {
		return fmt.Errorf("session %d: run failed: %s", i, rep.text)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "observe", Arguments: obj{"job_id": rep.env.Job.JobID, "until": 30, "offset": 0}})
	if err != nil {
		return fmt.Errorf("session %d: observe: %w", i, err)
	}
	rep, err = checkResult("observe", res)
	if err != nil {
		return fmt.Errorf("session %d: %w", i, err)
	}
	if !rep.env.OK || rep.env.Job.State != "exited" || rep.env.Output.Text != want {
		return fmt.Errorf("session %d: observe = %s", i, rep.text)
	}
	return nil
}

// TestHTTPAuth: a request without the token, with a wrong one or with
// another scheme gets the same bare 401; /healthz needs no token and says
// nothing but ok; /version needs the token.
func TestHTTPAuth(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP())
	var bodies []string
	for _, c := range []struct {
		name, token string
		header      map[string]string
	}{
		{"no token", "-", nil},
		{"wrong token", "wrong-" + s.http.token, nil},
		{"token prefix", s.http.token[:len(s.http.token)-1], nil},
		{"basic scheme", "-", map[string]string{"Authorization": "Basic " + s.http.token}},
	} {
		for _, method := range []string{"POST", "GET", "DELETE"} {
			body := ""
			if method == "POST" {
				body = initializeBody
			}
			code, text := s.httpDo(method, "", c.token, c.header, body)
			if code != http.StatusUnauthorized {
				t.Errorf("%s, %s: status %d (%q), want 401", c.name, method, code, text)
			}
			bodies = append(bodies, text)
		}
		if code, _ := s.httpDo("GET", "/version", c.token, c.header, ""); code != http.StatusUnauthorized {
			t.Errorf("%s, GET /version: status %d, want 401", c.name, code)
		}
		if code, _ := s.httpDo("GET", "/nothing-here", c.token, c.header, ""); code != http.StatusUnauthorized {
			t.Errorf("%s, GET /nothing-here: status %d, want 401 (paths are not revealed)", c.name, code)
		}
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Errorf("401 bodies differ: %q and %q", bodies[0], b)
		}
	}
	if code, text := s.httpDo("GET", "/healthz", "-", nil, ""); code != http.StatusOK || text != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", code, text)
	}
	if code, text := s.httpDo("GET", "/version", "", nil, ""); code != http.StatusOK || !strings.Contains(text, `"version"`) {
		t.Errorf("GET /version with the token = %d %q", code, text)
	}
	if code, text := s.httpDo("POST", "", "", nil, initializeBody); code != http.StatusOK || !strings.Contains(text, `"serverInfo"`) {
		t.Errorf("initialize with the token = %d %q", code, text)
	}
	// The SDK client gets the refusal as an error, and starts no session.
	_, err := s.newClient().Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: s.http.url, HTTPClient: newHTTPClient("wrong", nil), MaxRetries: -1,
	}, &mcp.ClientSessionOptions{ProtocolVersion: protocolLatest})
	if err == nil {
		t.Error("connect with a wrong token succeeded")
	}
}

// TestHTTPOriginAndHost: a browser's cross-origin request gets 403 even
// with the token, and so does a Host header naming another host (DNS
// rebinding); configured origins and host names are accepted.
func TestHTTPOriginAndHost(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP("--allowed-host", "agent-exec.test", "--allowed-origin", "http://localhost:6274"))
	port := s.http.url[strings.LastIndex(s.http.url, ":")+1 : strings.LastIndex(s.http.url, "/")]
	for _, c := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"foreign origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"origin null", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"same host other port", map[string]string{"Origin": "http://localhost:1"}, http.StatusForbidden},
		{"rebinding host", map[string]string{"Host": "evil.example:" + port}, http.StatusForbidden},
		{"rebinding host, no port", map[string]string{"Host": "evil.example"}, http.StatusForbidden},
		{"rebinding host with a loopback origin", map[string]string{"Host": "evil.example:" + port, "Origin": "http://localhost:6274"}, http.StatusForbidden},
		{"configured origin", map[string]string{"Origin": "http://localhost:6274"}, http.StatusOK},
		{"configured host", map[string]string{"Host": "Agent-Exec.test:" + port}, http.StatusOK},
		{"localhost", map[string]string{"Host": "localhost:" + port}, http.StatusOK},
		{"[::1]", map[string]string{"Host": "[::1]:" + port}, http.StatusOK},
	} {
		code, text := s.httpDo("POST", "", "", c.header, initializeBody)
		if code != c.want {
			t.Errorf("%s: status %d (%q), want %d", c.name, code, text, c.want)
		}
	}
	// A refused browser request is refused before the token is looked at.
	if code, _ := s.httpDo("POST", "", "-", map[string]string{"Origin": "http://evil.example"}, initializeBody); code != http.StatusForbidden {
		t.Errorf("foreign origin without a token: status %d, want 403", code)
	}
	// The configured origin's CORS preflight is answered without a token.
	code, _ := s.httpDo("OPTIONS", "", "-", map[string]string{"Origin": "http://localhost:6274", "Access-Control-Request-Method": "POST"}, "")
	if code != http.StatusNoContent && code != http.StatusOK {
		t.Errorf("preflight of the configured origin: status %d", code)
	}
}

// TestHTTPBodyLimit: a body over --max-body gets 413 (the SDK client
// gives up its session on it); one under the limit is served; headers
// over 32 KiB get 431.
func TestHTTPBodyLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP("--max-body", "65536"))
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"` + strings.Repeat("x", 70000) + `"}}`
	if code, text := s.httpDo("POST", "", "", nil, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("70 kB body: status %d (%q), want 413", code, text)
	}
	if code, _ := s.httpDo("POST", "", "", map[string]string{"X-Padding": strings.Repeat("p", 64<<10)}, initializeBody); code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers: status %d, want 431", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_, err := s.cs.CallTool(ctx, &mcp.CallToolParams{Name: "run", Arguments: obj{"command": "echo " + strings.Repeat("y", 70000)}})
	if err == nil {
		t.Error("a tool call with a 70 kB argument succeeded, want the transport to refuse it")
	}
	cs, err := s.connect(ctx, protocolLatest)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run", Arguments: obj{"command": "echo " + strings.Repeat("z", 30000), "until": 30}})
	if err != nil {
		t.Fatalf("a 30 kB call: %v", err)
	}
	if rep, err := checkResult("run", res); err != nil || rep.env.Job.State != "exited" {
		t.Errorf("a 30 kB call: %v %+v", err, rep)
	}
}

// TestHTTPSessionLimit: a session beyond --max-sessions is refused (503)
// and one more fits once another ended.
func TestHTTPSessionLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP("--max-sessions", "2"))
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	second, err := s.connect(ctx, protocolLatest)
	if err != nil {
		t.Fatal(err)
	}
	if code, text := s.httpDo("POST", "", "", nil, initializeBody); code != http.StatusServiceUnavailable {
		t.Errorf("third session: status %d (%q), want 503", code, text)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := s.connect(ctx, protocolLatest)
	if err != nil {
		t.Fatalf("a session after one closed: %v", err)
	}
	if _, err := third.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// An unknown session id is answered 404, the sign to start anew.
	code, _ := s.httpDo("GET", "", "", map[string]string{"Mcp-Session-Id": "0123456789abcdef0123456789abcdef", "Accept": "text/event-stream"}, "")
	if code != http.StatusNotFound {
		t.Errorf("unknown session: status %d, want 404", code)
	}
}

// TestHTTPRemoteNeedsTokenFile: listening beyond loopback without an
// explicit token file is refused before anything is served (exit 125,
// agent-exec's usage status).
func TestHTTPRemoteNeedsTokenFile(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		cmd := exec.Command(binPath, "--root", r.dir, "mcp", "--http", addr)
		cmd.Env = baseEnv()
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 125 {
			t.Errorf("mcp --http %s without a token file: %v, want exit status 125; output:\n%s", addr, err, out)
		}
		if !strings.Contains(string(out), "token") {
			t.Errorf("mcp --http %s: the refusal does not mention the token: %s", addr, out)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".http-token")); err == nil {
		t.Error("a refused start generated a token file")
	}
	// With a token file it starts, and answers on loopback.
	s := startServer(t, onRoot(r), overHTTP("--http", "0.0.0.0:0"))
	if env := s.runJob("echo remote", obj{"until": 30}); env.Output.Text != "remote\n" {
		t.Errorf("run over a wildcard listener: %q", env.Output.Text)
	}
}

// TestHTTPSigtermAnswersCallsInFlight: SIGTERM while a call waits answers
// the call at once (its wait ended early), the server exits 0, and the job
// keeps running for the next server to find.
func TestHTTPSigtermAnswersCallsInFlight(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP())
	ch := s.callAsync("run", obj{"command": "echo up; exec sleep 600", "name": "survivor", "until": 45, "wait_for": "never printed"}, "sigterm")
	s.awaitProgress("sigterm", 30*time.Second) // the call is in the server, waiting
	began := time.Now()
	s.stopOnce.Do(s.terminate)
	r := receive(t, ch, 30*time.Second)
	if r.err != nil {
		t.Fatalf("the call in flight at SIGTERM: %v", r.err)
	}
	env := r.rep.env
	if !env.OK || env.Job.State != "running" || env.Wait.Reason != "cancelled" {
		t.Fatalf("the call in flight at SIGTERM = %s, want the job running and the wait cancelled", r.rep.text)
	}
	if waited := time.Since(began); waited > 20*time.Second {
		t.Errorf("the call took %v after SIGTERM, want it answered at once", waited)
	}
	if s.exitErr != nil {
		t.Errorf("server exit after SIGTERM: %v, want status 0", s.exitErr)
	}
	s2 := startServer(t, onRoot(s.root))
	obs := s2.ok("observe", obj{"job_id": "survivor"})
	if obs.Job.State != "running" || obs.Job.JobID != env.Job.JobID {
		t.Fatalf("the job after the server's exit: %s %s, want %s running", obs.Job.JobID, obs.Job.State, env.Job.JobID)
	}
	s2.ok("kill", obj{"job_id": "survivor"})
}

// TestHTTPGeneratedToken: without --token-file the first server generates
// a token into a 0600 file in the root and prints it once; the next one
// reuses it without printing it.
func TestHTTPGeneratedToken(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	s1 := startServer(t, onRoot(r), overHTTP(), withGeneratedToken())
	fi, err := os.Stat(filepath.Join(r.dir, ".http-token"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	s1.ok("list", obj{})
	s1.stop()
	if n := countIn(t, s1.stderr, s1.http.token); n != 1 {
		t.Errorf("the first server printed the token %d times, want once", n)
	}
	s2 := startServer(t, onRoot(r), overHTTP(), withGeneratedToken())
	if s2.http.token != s1.http.token {
		t.Error("the second server made a new token, want the first one reused")
	}
	s2.ok("list", obj{})
	s2.stop()
	if n := countIn(t, s2.stderr, s2.http.token); n != 0 {
		t.Errorf("the second server printed the token %d times, want never", n)
	}
}

func countIn(t *testing.T, path, s string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), s)
}

// TestHTTPTLS: with --tls-cert and --tls-key the server speaks HTTPS only.
func TestHTTPTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	s := startServer(t, overHTTP("--tls-cert", certFile, "--tls-key", keyFile), withCA(pool))
	if !strings.HasPrefix(s.http.url, "https://") {
		t.Fatalf("url %s, want https", s.http.url)
	}
	if env := s.runJob("echo secure", obj{"until": 30}); env.Output.Text != "secure\n" {
		t.Errorf("run over TLS: %q", env.Output.Text)
	}
	plain := "http://" + strings.TrimPrefix(s.http.url, "https://")
	res, err := newHTTPClient(s.http.token, nil).Post(plain, "application/json", strings.NewReader(initializeBody))
	if err == nil {
		defer res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP to the TLS server: status %d, want a refusal", res.StatusCode)
		}
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and localhost
// and its key, and returns their files and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "agent-exec test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestHTTPProtocol20250618: a client of the older protocol version that
// clients still send is served over HTTP too.
func TestHTTPProtocol20250618(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP(), withProtocol("2025-06-18"))
	if v := s.cs.InitializeResult().ProtocolVersion; v != "2025-06-18" {
		t.Errorf("negotiated %q, want 2025-06-18", v)
	}
	if env := s.runJob("echo older", obj{"until": 30}); env.Output.Text != "older\n" {
		t.Errorf("run: %q", env.Output.Text)
	}
}
