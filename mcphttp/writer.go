package mcphttp

import (
	"net/http"
	"time"
)

// deadlineWriter gives every write of a response (and every event of a
// stream) a timeout (writeTimeout) to reach the client, so a client that stops reading
// cannot hold a connection and its goroutines forever. A server-wide
// WriteTimeout cannot do this: it would cut off event streams and long
// waits that are healthy.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func newDeadlineWriter(w http.ResponseWriter, timeout time.Duration) *deadlineWriter {
	d := &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout}
	d.extend()
	return d
}

// extend moves the write deadline the timeout ahead; it also replaces a
// deadline left on a kept-alive connection by its previous request.
func (d *deadlineWriter) extend() { _ = d.rc.SetWriteDeadline(time.Now().Add(d.timeout)) }

func (d *deadlineWriter) WriteHeader(status int) {
	d.extend()
	d.ResponseWriter.WriteHeader(status)
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.extend()
	return d.ResponseWriter.Write(p)
}

// Flush implements http.Flusher, which mcp-go needs to stream events.
func (d *deadlineWriter) Flush() {
	d.extend()
	_ = d.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }
