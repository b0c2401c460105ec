package supervisor

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Control operations.
const (
	opPing   = "ping"   // is the supervisor there, and for which run
	opKill   = "kill"   // signal the whole tree, escalate to SIGKILL after GraceMS
	opInput  = "input"  // interactive jobs: resize to Cols×Rows, write Data, then EOF
	opScreen = "screen" // tty jobs: the rendered screen
)

// maxControlLine bounds one control message.
const maxControlLine = 8 << 20 // room for a 1 MiB input, base64-encoded

// request is one message to a supervisor's control socket: a JSON object on
// one line. The supervisor answers with one [response] line.
type request struct {
	Op      string `json:"op"`
	Signal  int    `json:"signal,omitempty"`   // kill: the first signal (default SIGTERM)
	GraceMS int64  `json:"grace_ms,omitempty"` // kill: milliseconds before SIGKILL
	Reason  string `json:"reason,omitempty"`   // kill: the reason to record (default "kill")
	Data    []byte `json:"data,omitempty"`     // input: bytes to write to the job's stdin or terminal
	EOF     bool   `json:"eof,omitempty"`      // input: end the input after Data
	Cols    int    `json:"cols,omitempty"`     // input: resize the terminal first (with Rows)
	Rows    int    `json:"rows,omitempty"`
}

// response answers a [request].
type response struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Run   int    `json:"run,omitempty"`
	PID   int    `json:"pid,omitempty"`
	// Written is how many bytes of an input's Data the job took; fewer than
	// given when it stopped reading.
	Written int     `json:"written"`
	Screen  *Screen `json:"screen,omitempty"`
	// Finished is set on an answer to a kill that reached the supervisor
	// after the run had ended: nothing was sent.
	Finished bool `json:"finished,omitempty"`
}

// Screen is what a person would see on a tty job's terminal now.
type Screen struct {
	Cols   int      `json:"cols"`
	Rows   int      `json:"rows"`
	Lines  []string `json:"lines"` // Rows lines of text, trailing spaces trimmed
	Cursor struct {
		Row int `json:"row"` // 0-based
		Col int `json:"col"`
	} `json:"cursor"`
	Title string `json:"title,omitempty"`
	// AltScreen is true while a full-screen program uses the alternate screen.
	AltScreen bool `json:"alt_screen,omitempty"`
}

// ErrNoSupervisor means the job has no supervisor listening: it is not
// running, or its supervisor died.
var ErrNoSupervisor = errors.New("no supervisor is listening for this job")

// ErrNoAnswer means a request was delivered to the supervisor's socket but
// no answer came before the deadline: the supervisor is stopped (SIGSTOP)
// or starved. The request stays queued and takes effect when it runs again.
var ErrNoAnswer = errors.New("the supervisor took the request but did not answer in time")

// send delivers req to the supervisor of the job in dir and returns its
// answer. It returns an error wrapping ErrNoSupervisor when nothing listens,
// ErrNoAnswer when no answer came in time, and a *RefusedError along with
// the answer when the supervisor answered no.
func send(dir string, req request, timeout time.Duration) (*response, error) {
	d, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	conn, err := net.DialTimeout("unix", socketPath(int(d.Fd())), timeout)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("control %s: %w", filepath.Base(dir), ErrNoSupervisor)
		}
		return nil, fmt.Errorf("control %s: %w", filepath.Base(dir), err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, fmt.Errorf("control %s: %w", filepath.Base(dir), err)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("control %s: encode: %w", filepath.Base(dir), err)
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("control %s: write: %w", filepath.Base(dir), err)
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, fmt.Errorf("control %s: %w (%w)", filepath.Base(dir), ErrNoAnswer, err)
		}
		return nil, fmt.Errorf("control %s: read answer: %w", filepath.Base(dir), err)
	}
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		return nil, fmt.Errorf("control %s: decode answer: %w", filepath.Base(dir), err)
	}
	if !resp.OK {
		return &resp, fmt.Errorf("control %s: %w", filepath.Base(dir), &RefusedError{Msg: resp.Error})
	}
	return &resp, nil
}

// listenControl binds the control socket in dir (0600) and returns the
// listener; the caller keeps dirFile open as long as the listener lives.
func listenControl(dir string) (net.Listener, *os.File, error) {
	d, err := openDir(dir)
	if err != nil {
		return nil, nil, err
	}
	path := socketPath(int(d.Fd()))
	// A stale socket from a crashed predecessor: remove it only if it is a socket.
	if fi, err := os.Lstat(filepath.Join(dir, "ctl.sock")); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(filepath.Join(dir, "ctl.sock"))
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		d.Close()
		return nil, nil, fmt.Errorf("listen on control socket: %w", err)
	}
	if err := os.Chmod(filepath.Join(dir, "ctl.sock"), 0o600); err != nil {
		l.Close()
		d.Close()
		return nil, nil, fmt.Errorf("chmod control socket: %w", err)
	}
	return l, d, nil
}

// decodeRequest reads one request line from r, at most maxControlLine
// bytes; the buffer grows with the message, so a small request costs little.
func decodeRequest(r io.Reader) (request, error) {
	var req request
	line, err := bufio.NewReader(io.LimitReader(r, maxControlLine+1)).ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > maxControlLine {
			return req, fmt.Errorf("request longer than %d bytes", maxControlLine)
		}
		return req, err
	}
	if err := json.Unmarshal(line, &req); err != nil {
		return req, fmt.Errorf("decode request: %w", err)
	}
	return req, nil
}
