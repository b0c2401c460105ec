package integration_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawSession is an MCP session over HTTP driven by hand, so a test sees
// each POST's answer as it is on the wire.
type rawSession struct {
	t  *testing.T
	s  *server
	id string // Mcp-Session-Id
}

const rawProtocol = "2025-11-25"

// openRaw initializes a session with plain HTTP requests.
func (s *server) openRaw() *rawSession {
	s.t.Helper()
	r := &rawSession{t: s.t, s: s}
	res, msgs := r.post(fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`, rawProtocol))
	r.id = res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != http.StatusOK || r.id == "" || len(msgs) != 1 {
		s.t.Fatalf("initialize = %d, session %q, %v", res.StatusCode, r.id, msgs)
	}
	if res, msgs := r.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`); res.StatusCode != http.StatusAccepted {
		s.t.Fatalf("notifications/initialized = %d %v", res.StatusCode, msgs)
	}
	return r
}

// send POSTs one message and returns the response with its body unread;
// the exchange may take up to callTimeout.
func (r *rawSession) send(body string) *http.Response {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	r.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "POST", r.s.http.url, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if r.id != "" {
		req.Header.Set("Mcp-Session-Id", r.id)
		req.Header.Set("Mcp-Protocol-Version", rawProtocol)
	}
	res, err := r.s.http.client.Do(req)
	if err != nil {
		r.t.Fatalf("POST %s: %v", body, err)
	}
	return res
}

// post POSTs one message and returns the response and the messages of
// its body (a JSON object or an event stream), read to the end.
func (r *rawSession) post(body string) (*http.Response, []rawMessage) {
	r.t.Helper()
	res := r.send(body)
	defer res.Body.Close()
	var msgs []rawMessage
	for m := range readMessages(res) {
		msgs = append(msgs, m)
	}
	return res, msgs
}

// rawMessage is a JSON-RPC message as received.
type rawMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Params json.RawMessage `json:"params"`
	text   string
}

// isResponseTo reports whether m is the response to request id.
func (m rawMessage) isResponseTo(id string) bool { return m.Method == "" && string(m.ID) == id }

// readMessages sends the messages of res's body (one JSON object, or the
// events of a stream) as they arrive, and closes the channel at its end.
func readMessages(res *http.Response) <-chan rawMessage {
	ch := make(chan rawMessage, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		stream := strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream")
		for sc.Scan() {
			line := sc.Text()
			if stream {
				var ok bool
				if line, ok = strings.CutPrefix(line, "data: "); !ok {
					continue
				}
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			m := rawMessage{text: line}
			_ = json.Unmarshal([]byte(line), &m)
			ch <- m
		}
	}()
	return ch
}

// TestHTTPCancelledCallGetsNoResponse: over HTTP, a client that cancels
// a waiting call (notifications/cancelled, as Codex sends at its
// tool_timeout_sec) sees the call's event stream end with no response;
// the session goes on answering and the job keeps running.
func TestHTTPCancelledCallGetsNoResponse(t *testing.T) {
	t.Parallel()
	s := startServer(t, overHTTP())
	id := s.started("echo cancel-me; sleep 600", "cancel-me", nil).Job.JobID
	r := s.openRaw()

	res := r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"observe","arguments":{"job_id":%q,"until":40},"_meta":{"progressToken":"tok-cancel"}}}`, id))
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("tools/call = %d", res.StatusCode)
	}
	msgs := readMessages(res)
	// A progress notification means the call is in its wait.
	ceiling := time.After(30 * time.Second)
	for waiting := false; !waiting; {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatal("the call's answer ended before any progress notification")
			}
			if m.isResponseTo("5") {
				t.Fatalf("the call was answered before it was cancelled: %s", m.text)
			}
			waiting = m.Method == "notifications/progress" && strings.Contains(string(m.Params), `"tok-cancel"`)
		case <-ceiling:
			t.Fatal("no progress notification from the waiting call within 30s")
		}
	}
	if res, msgs := r.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5,"reason":"timed out"}}`); res.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/cancelled = %d %v", res.StatusCode, msgs)
	}
	// The stream ends well before the call's own 40 s, without a response.
	ceiling = time.After(30 * time.Second)
	for ended := false; !ended; {
		select {
		case m, ok := <-msgs:
			if !ok {
				ended = true
			} else if m.isResponseTo("5") {
				t.Fatalf("the cancelled call was answered: %s", m.text)
			}
		case <-ceiling:
			t.Fatal("the cancelled call's event stream did not end within 30s")
		}
	}

	// The session still answers, and the job still runs.
	_, answer := r.post(fmt.Sprintf(`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"observe","arguments":{"job_id":%q,"until":0}}}`, id))
	var env struct {
		StructuredContent envelope `json:"structuredContent"`
	}
	if n := len(answer); n == 0 || !answer[n-1].isResponseTo("6") || json.Unmarshal(answer[n-1].Result, &env) != nil {
		t.Fatalf("observe after the cancel: %v", answer)
	}
	if st := env.StructuredContent.Job.State; st != "running" {
		t.Fatalf("the job after the cancelled call is %q, want running", st)
	}
	if env := s.ok("observe", obj{"job_id": id, "until": 0}); env.Job.State != "running" {
		t.Fatalf("the job after the cancelled call, seen by another session: %+v", env.Job)
	}
	s.ok("kill", obj{"job_id": id})
}
