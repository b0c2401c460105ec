package supervisor

import (
	"errors"
	"time"
)

// ControlTimeout bounds the round trip of a ping, kill or screen request.
// An input request is given InputTimeout instead: its write may wait for a
// job that reads slowly.
const ControlTimeout = 5 * time.Second

// ErrRunEnded is matched (errors.Is) by the *RefusedError of a request
// that reached the supervisor after its run had ended.
var ErrRunEnded = errors.New("the run has ended")

// msgRunEnded is the refusal a supervisor gives once its run is over.
var msgRunEnded = ErrRunEnded.Error()

// RefusedError is a supervisor's answer "no" to a request: the socket
// worked, the supervisor read the request and declined it.
type RefusedError struct {
	Msg string // the supervisor's reason
}

func (e *RefusedError) Error() string { return e.Msg }

// Is reports whether e is the refusal target names: ErrRunEnded for a
// request that came after the run.
func (e *RefusedError) Is(target error) bool {
	return target == ErrRunEnded && e.Msg == msgRunEnded
}

// Client talks to the supervisor of one job over its control socket. Each
// call is one connection and one request. Errors wrap ErrNoSupervisor when
// nothing listens, ErrNoAnswer when the supervisor took the request but
// did not answer in time (the request stays queued), or a *RefusedError
// when the supervisor answered no; anything else is a failure of the
// socket itself.
type Client struct {
	dir string
}

// Dial returns a client for the supervisor of the job whose directory is
// dir. It does not connect: each call does.
func Dial(dir string) *Client { return &Client{dir: dir} }

// Ping asks whether a supervisor is there, and returns its run number and
// the pid of the run's main process (0 once the run has ended).
func (c *Client) Ping() (run, pid int, err error) {
	resp, err := send(c.dir, request{Op: opPing}, ControlTimeout)
	if err != nil {
		return 0, 0, err
	}
	return resp.Run, resp.PID, nil
}

// Kill asks the supervisor to end the run: sig to the whole tree, SIGKILL
// after grace (whole milliseconds), reason recorded as the end's reason
// ("kill" when empty; sig 0 means SIGTERM). finished is true when the run
// had already ended and nothing was sent.
func (c *Client) Kill(sig int, grace time.Duration, reason string) (finished bool, err error) {
	resp, err := send(c.dir, request{Op: opKill, Signal: sig, GraceMS: grace.Milliseconds(), Reason: reason}, ControlTimeout)
	if err != nil {
		return false, err
	}
	return resp.Finished, nil
}

// Input hands an interactive job input in one request: a resize to
// cols×rows when both are set, then data, then EOF when eof is set. It
// returns how many bytes of data the job took.
func (c *Client) Input(data []byte, eof bool, cols, rows int) (written int, err error) {
	resp, err := send(c.dir, request{Op: opInput, Data: data, EOF: eof, Cols: cols, Rows: rows}, InputTimeout)
	if err != nil {
		return 0, err
	}
	return resp.Written, nil
}

// Resize sets a tty job's terminal to cols×rows.
func (c *Client) Resize(cols, rows int) error {
	_, err := c.Input(nil, false, cols, rows)
	return err
}

// Screen returns what a tty job's terminal shows now.
func (c *Client) Screen() (*Screen, error) {
	resp, err := send(c.dir, request{Op: opScreen}, ControlTimeout)
	if err != nil {
		return nil, err
	}
	if resp.Screen == nil {
		return nil, &RefusedError{Msg: "the supervisor sent no screen"}
	}
	return resp.Screen, nil
}
