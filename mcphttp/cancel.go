package mcphttp

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"
)

// Cancelled requests get no response.
//
// A client cancels a request it sent with a notifications/cancelled of
// its own, in another POST of the same session; the protocol then wants
// no response to the request. mcp-go cancels the request's context (the
// call stops waiting; its job keeps running) but still writes whatever the
// handler returns: the last event of the POST's event stream, or the
// POST's JSON body. So every request in flight is known here by session
// and id; a notifications/cancelled marks it before mcp-go sees the
// notification, and the request's response writer then leaves out the
// response. A POST answered by an event stream ends with no response
// event (the notifications sent before stay); one that mcp-go would have
// answered with a JSON object is answered with an event stream that ends
// with no event, since an empty JSON body would be malformed.
//
// Only requests of a session are tracked: a 2026-07-28 request has no
// session, and a client gives one up by closing its connection, after
// which mcp-go writes nothing.

// requestKey names a request in flight: its session and its id, as
// compact JSON (so 7 and "7" differ, as in JSON-RPC).
type requestKey struct{ session, id string }

// pending is one request in flight.
type pending struct {
	key       requestKey
	cancelled atomic.Bool
	// stop, when set, ends the request's context (an intercepted request
	// waits on it); mcp-go cancels its own.
	stop context.CancelFunc
}

// pendingRequests are the requests in flight, by session and id.
type pendingRequests struct {
	mu sync.Mutex
	m  map[requestKey]*pending // guarded by mu
}

// add records a request in flight, whose context stop ends (nil: none);
// the caller removes it when answered.
func (p *pendingRequests) add(key requestKey, stop context.CancelFunc) *pending {
	r := &pending{key: key, stop: stop}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[requestKey]*pending)
	}
	p.m[key] = r
	return r
}

// remove forgets r; a later request that reused its id is kept.
func (p *pendingRequests) remove(r *pending) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m[r.key] == r {
		delete(p.m, r.key)
	}
}

// cancel marks the request named by key cancelled; it reports false when
// no such request is in flight (answered already, or never sent).
func (p *pendingRequests) cancel(key requestKey) bool {
	p.mu.Lock()
	r := p.m[key]
	p.mu.Unlock()
	if r == nil {
		return false
	}
	r.cancelled.Store(true)
	if r.stop != nil {
		r.stop()
	}
	return true
}

// message is what serveMCP reads of a POSTed JSON-RPC message.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		RequestID json.RawMessage `json:"requestId"` // of notifications/cancelled
	} `json:"params"`
}

// parseMessage reads body as one JSON-RPC message; ok is false for
// anything else (a batch, or not JSON), which mcp-go answers itself.
func parseMessage(body []byte) (m message, ok bool) {
	return m, json.Unmarshal(body, &m) == nil
}

// isRequest reports whether m is a request (it has a method and an id).
func (m *message) isRequest() bool {
	return m.Method != "" && len(m.ID) > 0 && !bytes.Equal(m.ID, []byte("null"))
}

// compactJSON is raw in compact form, or raw itself if it is not JSON.
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// unanswered is the response writer of a request in flight: once the
// request is cancelled, the JSON-RPC response to it is not written.
type unanswered struct {
	http.ResponseWriter
	req *pending
	log *slog.Logger
}

// WriteHeader turns a JSON answer to a cancelled request into an event
// stream, which may end with no event.
func (u *unanswered) WriteHeader(status int) {
	if u.req.cancelled.Load() && status == http.StatusOK && hasMediaType(u.Header(), "application/json") {
		u.Header().Set("Content-Type", "text/event-stream")
		u.Header().Set("Cache-Control", "no-cache")
	}
	u.ResponseWriter.WriteHeader(status)
}

// Write leaves out the response to a cancelled request. mcp-go writes
// each message (an event, or the JSON body) with one Write.
func (u *unanswered) Write(p []byte) (int, error) {
	if u.req.cancelled.Load() && hasMediaType(u.Header(), "text/event-stream") && answers(p, u.req.key.id) {
		u.log.Info("request cancelled by the client: no response is sent", "session", u.req.key.session, "id", u.req.key.id)
		return len(p), nil
	}
	return u.ResponseWriter.Write(p)
}

// Flush implements http.Flusher, which mcp-go needs to stream events.
func (u *unanswered) Flush() {
	if f, ok := u.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (u *unanswered) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// hasMediaType reports whether h's Content-Type is of media type mt.
func hasMediaType(h http.Header, mt string) bool {
	got, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && got == mt
}

// answers reports whether p, one event of an event stream or a JSON
// body, is the JSON-RPC response (a message with no method) to the
// request with id (compact JSON).
func answers(p []byte, id string) bool {
	data := p
	if !bytes.HasPrefix(bytes.TrimSpace(p), []byte("{")) {
		data = nil
		for line := range bytes.Lines(p) {
			if d, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data:")); ok {
				data = append(data, bytes.TrimPrefix(d, []byte(" "))...)
			}
		}
	}
	var m message
	return json.Unmarshal(data, &m) == nil && m.Method == "" && len(m.ID) > 0 && compactJSON(m.ID) == id
}
