package supervisor

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// ctlCall is a control request on its way to the loop.
type ctlCall struct {
	req   request
	reply chan response
}

// afterRun answers a request that came once the run was over: nothing is
// left to act on. A kill is answered ok and Finished (nothing was sent);
// input and screen requests fail, so nobody is told that input was taken.
func afterRun(req request) response {
	switch req.Op {
	case opPing:
		return response{OK: true}
	case opKill:
		return response{OK: true, Finished: true}
	}
	return response{Error: msgRunEnded}
}

// serveControl answers control connections until ln is closed. Requests
// go to the loop through calls; once done is closed (the run is over) they
// are answered at once by afterRun. It returns once
// ln is closed and every answer has been written.
func serveControl(ln net.Listener, calls chan<- ctlCall, done <-chan struct{}) {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return // closed
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			req, err := decodeRequest(conn)
			var resp response
			if err != nil {
				resp = response{Error: err.Error()}
			} else {
				c := ctlCall{req: req, reply: make(chan response, 1)}
				select {
				case calls <- c:
					resp = <-c.reply
				case <-done:
					resp = afterRun(req)
				}
			}
			b, _ := json.Marshal(resp)
			conn.Write(append(b, '\n'))
		}()
	}
}

// dispatch answers a control request without blocking the loop: kills and
// pings at once; input writes (which wait for a job that does not read) and
// screen requests (which draw) on goroutines of their own.
func (sv *super) dispatch(c ctlCall) {
	switch c.req.Op {
	case opInput:
		if resp, ok := sv.checkInput(); !ok {
			c.reply <- resp
			return
		}
		go func() { c.reply <- sv.handleInput(c.req) }()
	case opScreen:
		go func() { c.reply <- sv.handleScreen() }()
	default:
		c.reply <- sv.handle(c.req)
	}
}

func (sv *super) handle(req request) response {
	switch req.Op {
	case opPing:
		return response{OK: true, Run: sv.run, PID: sv.mainPID}
	case opKill:
		sig := syscall.Signal(req.Signal)
		if sig == 0 {
			sig = unix.SIGTERM
		}
		reason := req.Reason
		if reason == "" {
			reason = jobstore.ReasonKill
		}
		sv.log.Info("kill requested", "signal", SignalName(sig), "grace_ms", req.GraceMS)
		sv.end(reason, sig, time.Duration(req.GraceMS)*time.Millisecond)
		return response{OK: true, Run: sv.run, PID: sv.mainPID}
	default:
		return response{Error: "unknown op " + req.Op}
	}
}

// checkInput says, on the loop, whether the job can take input now.
func (sv *super) checkInput() (response, bool) {
	resp := response{Run: sv.run, PID: sv.mainPID}
	switch {
	case sv.input == nil:
		resp.Error = "the job was not started with tty or interactive: its stdin is not open"
	case sv.mainDone:
		resp.Error = "the job's main process has exited"
	default:
		return resp, true
	}
	return resp, false
}

// handleInput applies an input request: resize, write, eof. It runs on a
// goroutine of its own (a write may wait for a job that does not read), one
// request at a time.
func (sv *super) handleInput(req request) response {
	sv.inputMu.Lock()
	defer sv.inputMu.Unlock()
	resp := response{Run: sv.run, PID: sv.mainPID}
	if req.Cols > 0 || req.Rows > 0 {
		if err := sv.input.resize(req.Cols, req.Rows); err != nil {
			resp.Error = "resize: " + err.Error()
			return resp
		}
		if sv.screen != nil {
			sv.screen.resize(req.Cols, req.Rows)
		}
	}
	if len(req.Data) > 0 {
		n, err := sv.input.write(req.Data)
		resp.Written = n
		if err != nil && !errors.Is(err, os.ErrClosed) {
			resp.Error = "write: " + err.Error()
			return resp
		}
		if err != nil {
			resp.Error = "write: stdin was closed (eof)"
			return resp
		}
	}
	if req.EOF {
		if err := sv.input.eof(); err != nil {
			resp.Error = "eof: " + err.Error()
			return resp
		}
	}
	resp.OK = true
	return resp
}

func (sv *super) handleScreen() response {
	if sv.screen == nil {
		return response{Error: "no screen: the job was not started with tty"}
	}
	return response{OK: true, Run: sv.run, PID: sv.mainPID, Screen: sv.screen.current()}
}
