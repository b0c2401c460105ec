package supervisor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
)

// Notification event types.
const (
	EventFinished = "job.finished"
	EventMatched  = "job.output.matched"
)

// NotifyTimeout bounds a command sink: past it the sink's process group
// is killed and the delivery recorded as timed_out.
var NotifyTimeout = 30 * time.Second

// Bounds of what an event carries.
const (
	tailLines    = 10   // lines of output in a job.finished event
	tailBytes    = 4096 // at most this many bytes of them
	maxEventLine = 4096 // a matched line is cut to this many bytes
)

// NotifyEvent is what a sink receives: one JSON object, on a command
// sink's standard input and as one line of a file sink.
type NotifyEvent struct {
	Type  string `json:"type"` // EventFinished or EventMatched
	JobID string `json:"job_id"`
	Name  string `json:"name,omitempty"`
	Run   int    `json:"run"`
	Time  string `json:"time"`
	// job.finished
	State      string `json:"state,omitempty"`
	Reason     string `json:"reason,omitempty"`
	ExitCode   *int   `json:"exit_code,omitempty"`
	Signal     string `json:"signal,omitempty"`
	DurationMS *int64 `json:"duration_ms,omitempty"`
	Error      string `json:"error,omitempty"`
	// Tail is the last lines of the run's output (stdout's when the job
	// keeps two logs; StderrTail then holds stderr's), masked.
	Tail       string `json:"tail,omitempty"`
	StderrTail string `json:"stderr_tail,omitempty"`
	// job.output.matched
	Pattern string `json:"pattern,omitempty"`
	Match   string `json:"match,omitempty"`
	Stream  string `json:"stream,omitempty"` // the log matched: output, stdout or stderr
	Line    string `json:"line,omitempty"`   // the first matching line since the last delivery, masked
	Offset  *int64 `json:"offset,omitempty"` // where Line starts in the log
	// Count is the number of matching lines this event stands for: 1, or
	// more when matches came faster than one delivery per second.
	Count int    `json:"count,omitempty"`
	Log   string `json:"log"` // the log's path
}

// Delivery results.
const (
	Delivered = "delivered"
	Failed    = "failed"
	TimedOut  = "timed_out"
)

// SinkResult is the outcome of one sink for one event.
type SinkResult struct {
	Sink     string `json:"sink"` // command or file
	Result   string `json:"result"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Error    string `json:"error,omitempty"`
	MS       int64  `json:"ms"`
}

// finishedKey names a run's job.finished in claims.
func finishedKey(run int) string { return EventFinished + "/" + strconv.Itoa(run) }

// NotifyFinished delivers the job.finished event of the run that st
// ended, to the sinks of job id's definition as it is now, unless it was
// delivered (or is being delivered) already; see
// [jobstore.Store.ClaimNotification]. It is called by whoever records a
// terminal state, once that state is durable: the supervisor, or the
// reader that records a lost supervisor. It returns once every sink is
// done or timed out.
func NotifyFinished(store *jobstore.Store, id string, st *jobstore.State) {
	notifyFinished(store, id, st, nil)
}

func notifyFinished(store *jobstore.Store, id string, st *jobstore.State, procs *sinkProcs) {
	m, err := store.ReadMeta(id)
	if err != nil || m.Notify == nil || (m.Notify.Command == "" && m.Notify.File == "") {
		return
	}
	if ok, err := store.ClaimNotification(id, finishedKey(st.Run)); err != nil || !ok {
		return
	}
	red := output.NewRedactor(m.MaskedValues()...)
	ev := &NotifyEvent{
		Type: EventFinished, JobID: id, Name: m.Name, Run: st.Run, Time: jobstore.Now().String(),
		State: st.State, Reason: st.Reason, ExitCode: st.ExitCode, Signal: st.Signal,
		DurationMS: st.DurationMS, Error: red.String(st.Error),
	}
	if m.Separate() {
		ev.Log = store.Path(id, jobstore.StdoutLog)
		ev.Tail = red.String(logTail(ev.Log, st.LogOffset["stdout"]))
		ev.StderrTail = red.String(logTail(store.Path(id, jobstore.StderrLog), st.LogOffset["stderr"]))
	} else {
		ev.Log = store.Path(id, jobstore.OutputLog)
		ev.Tail = red.String(logTail(ev.Log, st.LogOffset["output"]))
	}
	deliver(store, m, ev, procs, nil)
}

// logTail returns the last lines of the log at path, after offset from:
// at most tailLines lines and tailBytes bytes, read from the end.
func logTail(path string, from int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	start := max(from, fi.Size()-tailBytes)
	buf := make([]byte, fi.Size()-start)
	n, _ := f.ReadAt(buf, start)
	buf = buf[:n]
	trimmed := bytes.TrimSuffix(buf, []byte("\n"))
	lines := 0
	for i := len(trimmed) - 1; i >= 0; i-- {
		if trimmed[i] == '\n' {
			if lines++; lines == tailLines {
				return string(buf[i+1:])
			}
		}
	}
	if start > from {
		// The first line is cut: drop it.
		if i := bytes.IndexByte(buf, '\n'); i >= 0 && i+1 < len(buf) {
			return string(buf[i+1:])
		}
	}
	return string(buf)
}

// deliver sends ev to every sink of m.Notify and records the results in
// the job's event log (event "notified"). extra is added to the record.
func deliver(store *jobstore.Store, m *jobstore.Meta, ev *NotifyEvent, procs *sinkProcs, extra map[string]any) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return
	}
	var results []SinkResult
	if m.Notify.File != "" {
		results = append(results, fileSink(m.Notify.File, payload))
	}
	if m.Notify.Command != "" {
		results = append(results, commandSink(m.Notify.Command, m.Cwd, ev, payload, procs))
	}
	detail := map[string]any{"type": ev.Type, "results": results}
	for k, v := range extra {
		detail[k] = v
	}
	_ = store.AppendEvent(m.ID, jobstore.Event{Event: jobstore.EventNotified, Run: ev.Run, Detail: detail})
}

// fileSink appends payload as one line to the file at path, creating it
// (and its directory) if need be.
func fileSink(path string, payload []byte) SinkResult {
	t0 := time.Now()
	r := SinkResult{Sink: "file", Result: Delivered}
	err := os.MkdirAll(filepath.Dir(path), 0o700)
	if err == nil {
		var f *os.File
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			_, err = f.Write(append(payload[:len(payload):len(payload)], '\n'))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		r.Result, r.Error = Failed, err.Error()
	}
	r.MS = time.Since(t0).Milliseconds()
	return r
}

// commandSink runs cmd with /bin/sh -c in dir, in a process group of its
// own, with payload on its standard input and the event's fields in
// AGENT_EXEC_EVENT_* variables; its output is discarded. Past
// NotifyTimeout the group is killed.
func commandSink(cmd, dir string, ev *NotifyEvent, payload []byte, procs *sinkProcs) SinkResult {
	t0 := time.Now()
	r := SinkResult{Sink: "command"}
	defer func() { r.MS = time.Since(t0).Milliseconds() }()
	if _, err := os.Stat(dir); err != nil {
		dir = "/"
	}
	pid, done, err := startSink([]string{"/bin/sh", "-c", cmd}, sinkEnv(ev), dir, payload, procs)
	if err != nil {
		r.Result, r.Error = Failed, err.Error()
		return r
	}
	timer := time.NewTimer(NotifyTimeout)
	defer timer.Stop()
	var ws unix.WaitStatus
	select {
	case ws = <-done:
	case <-timer.C:
		_ = unix.Kill(-pid, unix.SIGKILL)
		<-done
		r.Result, r.Error = TimedOut, fmt.Sprintf("still running after %s: killed", NotifyTimeout)
		return r
	}
	switch {
	case ws.Exited():
		code := ws.ExitStatus()
		r.ExitCode = &code
		r.Result = Delivered
		if code != 0 {
			r.Result, r.Error = Failed, "exit status "+strconv.Itoa(code)
		}
	case ws.Signaled():
		r.Result, r.Error = Failed, "killed by "+SignalName(ws.Signal())
	default:
		r.Result, r.Error = Failed, "ended in an unknown way"
	}
	return r
}

// sinkEnv is a command sink's environment: this process's, without the
// variable that marks a job's processes, plus AGENT_EXEC_EVENT_<FIELD>
// for each scalar field of ev.
func sinkEnv(ev *NotifyEvent) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, JobEnvVar+"=") {
			env = append(env, kv)
		}
	}
	b, _ := json.Marshal(ev)
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	for k, v := range fields {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(v)
		default:
			continue
		}
		if strings.IndexByte(s, 0) < 0 {
			env = append(env, "AGENT_EXEC_EVENT_"+strings.ToUpper(k)+"="+s)
		}
	}
	return env
}

// startSink starts argv in its own process group with stdin fed from
// payload and stdout/stderr on /dev/null. done receives its wait status
// once it is reaped: by procs's owner when procs is set (a supervisor,
// whose loop reaps every child), else by a goroutine of its own.
func startSink(argv, env []string, dir string, payload []byte, procs *sinkProcs) (int, <-chan unix.WaitStatus, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, nil, err
	}
	defer null.Close()
	// The payload is in an anonymous file, not a pipe: its end is an end
	// of file whatever other processes forked meanwhile hold.
	in, err := payloadFile(payload)
	if err != nil {
		return 0, nil, err
	}
	defer in.Close()
	attr := &os.ProcAttr{Dir: dir, Env: env, Files: []*os.File{in, null, null},
		Sys: &syscall.SysProcAttr{Setpgid: true}}
	done := make(chan unix.WaitStatus, 1)
	var p *os.Process
	if procs != nil {
		procs.mu.Lock()
		p, err = os.StartProcess(argv[0], argv, attr)
		if err == nil {
			procs.waits[p.Pid] = done
			procs.wake()
		}
		procs.mu.Unlock()
	} else {
		p, err = os.StartProcess(argv[0], argv, attr)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("start sink: %w", err)
	}
	pid := p.Pid
	_ = p.Release()
	if procs == nil {
		go func() {
			var ws unix.WaitStatus
			for {
				_, err := unix.Wait4(pid, &ws, 0, nil)
				if !errors.Is(err, unix.EINTR) {
					break
				}
			}
			done <- ws
		}()
	}
	return pid, done, nil
}

// payloadFile returns an anonymous file holding payload, read from its
// start.
func payloadFile(payload []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("agent-exec-event", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sink input: %w", err)
	}
	f := os.NewFile(uintptr(fd), "agent-exec-event")
	if _, err := f.Write(payload); err != nil {
		f.Close()
		return nil, fmt.Errorf("sink input: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("sink input: %w", err)
	}
	return f, nil
}

// sinkProcs are the sink processes of a supervisor (a nil *sinkProcs has
// none). The supervisor reaps
// every child itself (it is a subreaper), so a sink's status reaches its
// waiter through here, and the job's tree is told from the sinks by
// their process groups.
type sinkProcs struct {
	mu    sync.Mutex
	waits map[int]chan unix.WaitStatus // by pid, which is also the process group
	more  chan struct{}                // a sink was started (for reapAll)
}

func newSinkProcs() *sinkProcs {
	return &sinkProcs{waits: map[int]chan unix.WaitStatus{}, more: make(chan struct{}, 1)}
}

func (k *sinkProcs) wake() {
	select {
	case k.more <- struct{}{}:
	default:
	}
}

// exited hands the status of pid to its waiter and reports whether pid
// was a sink.
func (k *sinkProcs) exited(pid int, ws unix.WaitStatus) bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	ch, ok := k.waits[pid]
	if ok {
		delete(k.waits, pid)
		ch <- ws
	}
	return ok
}

// running reports whether a sink process is running.
func (k *sinkProcs) running() bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.waits) > 0
}

// isSink reports whether process pid belongs to a sink's process group.
func (k *sinkProcs) isSink(pid int) bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	n := len(k.waits)
	k.mu.Unlock()
	if n == 0 {
		return false
	}
	st, err := readProcStat(pid)
	if err != nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.waits[st.PGID]
	return ok
}

// jobDescendants returns the supervisor's descendants that are not
// sinks: what is left of the job's tree.
func (k *sinkProcs) jobDescendants() []int {
	var out []int
	for _, pid := range descendants(os.Getpid()) {
		if !k.isSink(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// reapAll reaps children for the rest of the process's life, once the
// loop (which reaped them before) is over: only sinks are left.
func (k *sinkProcs) reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
		case err != nil:
			<-k.more // no child now: wait for a sink to start
		default:
			k.exited(pid, ws)
		}
	}
}
