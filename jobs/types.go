package jobs

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/agent-exec/agent-exec/jobstore"
)

// SchemaVersion is the envelope's schema_version. Version 2 made the job
// object of operation results lean (see [Job]).
const SchemaVersion = "2"

// Command is a job's command: one element is a shell command line, two or
// more an argv. In JSON it is an array of strings, or a plain string taken
// as a shell command line.
type Command []string

// UnmarshalJSON accepts a string or an array of strings.
func (c *Command) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Command{s}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("want a string or an array of strings")
	}
	*c = a
	return nil
}

// Definition is what a job runs: the fields of run and create.
type Definition struct {
	Command     Command           `json:"command"`
	Cwd         string            `json:"cwd,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	EnvFiles    []string          `json:"env_files,omitempty"`
	InheritEnv  *bool             `json:"inherit_env,omitempty"` // default true
	Mask        []string          `json:"mask,omitempty"`
	Stdin       *string           `json:"stdin,omitempty"`
	StdinFile   string            `json:"stdin_file,omitempty"`
	TTY         bool              `json:"tty,omitempty"`
	Interactive bool              `json:"interactive,omitempty"`
	Cols        int               `json:"cols,omitempty"`
	Rows        int               `json:"rows,omitempty"`
	Timeout     float64           `json:"timeout,omitempty" zero:"value"`    // seconds, 0 = none
	KillAfter   *float64          `json:"kill_after,omitempty"`              // seconds, default 5
	LogLimit    int64             `json:"log_limit,omitempty" zero:"value"`  // bytes a run may write to each log; 0 = none
	LogRotate   int64             `json:"log_rotate,omitempty" zero:"value"` // keep about the last this many bytes of each log; 0 = all
	Streams     string            `json:"streams,omitempty"`                 // merged (default) or separate
	Name        string            `json:"name,omitempty"`
	IfRunning   string            `json:"if_running,omitempty"` // error (default), attach, restart
	Tags        []string          `json:"tags,omitempty"`
	// Notify says where the job's notifications go (see the README).
	Notify *jobstore.Notify `json:"notify,omitempty"`
}

// Observation says what to wait for and which window of output to show:
// the fields shared by run, start, restart and observe.
type Observation struct {
	Until       *float64 `json:"until,omitempty"` // seconds; the default depends on the operation
	WaitFor     string   `json:"wait_for,omitempty"`
	WaitForPort int      `json:"wait_for_port,omitempty"`
	IdleMS      int      `json:"idle_ms,omitempty"`
	Offset      *int64   `json:"offset,omitempty"` // observe only: read forward from here
	Stream      string   `json:"stream,omitempty"` // output, stdout or stderr
	MaxBytes    int      `json:"max_bytes,omitempty"`
	Raw         bool     `json:"raw,omitempty"`
	Compress    string   `json:"compress,omitempty"`
	// View is "text" (the default: a window of the log) or, for a tty job,
	// "screen": the screen a person would see now, instead of a text
	// window unless offset or tail_lines asks for one. Observe only.
	View string `json:"view,omitempty"`
	// TailLines, when positive, shows the last TailLines lines (within
	// MaxBytes) instead of the byte window. Observe only.
	TailLines int `json:"tail_lines,omitempty"`
	// Detail asks for the job's definition and bookkeeping fields in the
	// job object (see [Job]). Observe only.
	Detail bool `json:"detail,omitempty"`

	// Forever is for the command line (observe --forever), not a tool
	// argument: wait with no deadline, past the service's MaxUntil, until
	// the job ends, the wait is satisfied or ctx ends. Until must be nil.
	Forever bool `json:"-"`
}

// InputRequest is the argument of Input.
type InputRequest struct {
	JobID string   `json:"job_id"`
	Text  *string  `json:"text,omitempty"` // bytes as given
	Keys  []string `json:"keys,omitempty"` // named keys, sent after Text
	EOF   bool     `json:"eof,omitempty"`  // end the input after Text and Keys
	Cols  int      `json:"cols,omitempty"` // resize the terminal first (tty jobs; with Rows)
	Rows  int      `json:"rows,omitempty"`
	Observation
}

// RunRequest is the argument of Run.
type RunRequest struct {
	Definition
	Observation
}

// StartRequest is the argument of Start and Observe.
type StartRequest struct {
	JobID string `json:"job_id"`
	Observation
}

// RestartRequest is the argument of Restart.
type RestartRequest struct {
	JobID  string          `json:"job_id"`
	Signal json.RawMessage `json:"signal,omitempty"` // a name or a number
	Grace  *float64        `json:"grace,omitempty"`
	Observation
}

// KillRequest is the argument of Kill.
type KillRequest struct {
	JobID  string          `json:"job_id"`
	Signal json.RawMessage `json:"signal,omitempty"` // a name (TERM, SIGTERM) or a number; default SIGTERM
	Grace  *float64        `json:"grace,omitempty"`  // seconds before SIGKILL, default 5
}

// DeleteRequest is the argument of Delete.
type DeleteRequest struct {
	JobID string `json:"job_id,omitempty"`
	Force bool   `json:"force,omitempty"`
	// Without JobID, the filters select the jobs to delete, scoped like
	// list (Cwd, All); DryRun only reports them.
	State     string          `json:"state,omitempty"`
	Name      string          `json:"name,omitempty"`
	Tag       string          `json:"tag,omitempty"`
	OlderThan json.RawMessage `json:"older_than,omitempty"`
	Cwd       string          `json:"cwd,omitempty"`
	All       bool            `json:"all,omitempty"`
	DryRun    bool            `json:"dry_run,omitempty"`
}

// ListRequest is the argument of List.
type ListRequest struct {
	State string `json:"state,omitempty"`
	Name  string `json:"name,omitempty"`
	Tag   string `json:"tag,omitempty"`
	Cwd   string `json:"cwd,omitempty"`
	All   bool   `json:"all,omitempty"`
	Limit int    `json:"limit,omitempty"` // default 50

	// Tags and NoLimit are for the command line (list --tag a --tag b,
	// --limit 0), not tool arguments: more tags a job must carry besides
	// Tag, and every matching job instead of at most Limit.
	Tags    []string `json:"-"`
	NoLimit bool     `json:"-"`
}

// Envelope is every operation's result. Its fields are in the order a
// model reads them (the encoding keeps the order of the struct): whether
// the call worked and what it is, the error or the job, then what the call
// brought (input delivered, the wait, the output, the screen), then the
// fields of kill, list and delete.
type Envelope struct {
	SchemaVersion string `json:"schema_version"`
	OK            bool   `json:"ok"`
	Type          string `json:"type"`

	Error *Error `json:"error,omitempty"`
	Job   *Job   `json:"job,omitempty"`
	// input
	Input  *InputView  `json:"input,omitempty"`
	Wait   *WaitView   `json:"wait,omitempty"`
	Output *OutputView `json:"output,omitempty"`
	// observe with view screen
	Screen *Screen `json:"screen,omitempty"`
	// Waited, in a wait on several jobs, is each one's state, in the
	// order given.
	Waited []Summary `json:"waited,omitempty"`

	// kill
	Signal          string `json:"signal,omitempty"`
	Escalated       *bool  `json:"escalated,omitempty"`
	AlreadyFinished *bool  `json:"already_finished,omitempty"` // the run had ended: nothing was sent
	// list
	Jobs      []Summary `json:"jobs,omitzero"` // omitzero: an empty list is [], never left out
	Truncated *bool     `json:"truncated,omitempty"`
	Root      string    `json:"root,omitempty"`
	// Hidden counts the jobs that match the filters but lie outside the
	// list's directory scope (all shows them); set when a scope applied
	// and the list is not truncated (a full page stops the reading, so
	// only a list that read every job can count them).
	Hidden *int `json:"hidden,omitempty"`
	// Skipped names the jobs whose files could not be read, and why
	// (among the jobs the list read: newest first, up to a full page).
	Skipped []SkippedJob `json:"skipped,omitempty"`
	// delete
	JobID   string `json:"job_id,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
	// gc
	GC *GCView `json:"gc,omitempty"`
	// delete by filters
	Bulk *BulkView `json:"bulk,omitempty"`
}

// ErrorEnvelope wraps err in the error envelope.
func ErrorEnvelope(err error) *Envelope {
	e := AsError(err)
	if len(e.Message) > MaxErrorMessage {
		// A message that quotes a huge argument (a 1 MiB job_id) would
		// send the megabyte back; its head names the argument and the fault.
		short := *e
		cut := MaxErrorMessage
		for cut > 0 && !utf8.RuneStart(e.Message[cut]) {
			cut--
		}
		short.Message = fmt.Sprintf("%s… (%d more bytes of this message left out)", e.Message[:cut], len(e.Message)-cut)
		e = &short
	}
	return &Envelope{SchemaVersion: SchemaVersion, Type: "error", Error: e}
}

// MaxErrorMessage bounds an error envelope's message, in bytes.
const MaxErrorMessage = 1024

func envelope(typ string) *Envelope {
	return &Envelope{SchemaVersion: SchemaVersion, OK: true, Type: typ}
}

// Job is the job object of the envelope. Operation results (run, start,
// restart, kill, input, observe) carry what a model acts on: the id, name,
// state, reason, exit code or signal, launch error, run and duration. The
// rest, the definition and the bookkeeping, comes with observe's detail
// and in create and update, whose results are about the definition; list
// has its own summaries. Empty detail fields are left out.
type Job struct {
	JobID    string `json:"job_id"`
	Name     string `json:"name,omitempty"`
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"`
	Error    string `json:"error,omitempty"`
	Run      int    `json:"run"`
	// DurationMS is the run's, so far while it runs.
	DurationMS *int64 `json:"duration_ms,omitempty"`

	// Detail fields.
	Command     []string `json:"command,omitempty"`
	Cwd         string   `json:"cwd,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	EnvKeys     []string `json:"env_keys,omitempty"`
	TTY         bool     `json:"tty,omitempty"`
	Interactive bool     `json:"interactive,omitempty"`
	PID         int      `json:"pid,omitempty"`
	CreatedAt   string   `json:"created_at,omitempty"`
	StartedAt   string   `json:"started_at,omitempty"`
	FinishedAt  string   `json:"finished_at,omitempty"`
	TimeoutS    float64  `json:"timeout_s,omitempty"`
	OutputLog   string   `json:"output_log,omitempty"`
	StdoutLog   string   `json:"stdout_log,omitempty"`
	StderrLog   string   `json:"stderr_log,omitempty"`
}

// InputView says what an input call delivered. An input result carries it
// only when the job took fewer bytes than given (it stopped reading).
type InputView struct {
	Bytes   int  `json:"bytes"`   // bytes given (text and keys)
	Written int  `json:"written"` // bytes the job took; fewer when it stopped reading
	EOF     bool `json:"eof"`
	Resized bool `json:"resized"`
}

// Range is a byte range [start, end) of a log.
type Range struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// OutputView is a bounded window of one stream. In JSON, fields at their
// usual value are left out: stream when it is "output" (the merged log),
// start when it is 0, truncated when it is false; decoding puts them back.
type OutputView struct {
	Stream     string `json:"stream,omitempty"`
	Text       string `json:"text"`
	TotalBytes int64  `json:"total_bytes"`
	Start      int64  `json:"start,omitempty"`
	End        int64  `json:"end"`
	Omitted    *Range `json:"omitted,omitempty"`
	NextOffset int64  `json:"next_offset"`
	Truncated  bool   `json:"truncated,omitempty"`
	// RotatedBefore: the window was asked to start before this offset, and
	// log_rotate has discarded the bytes before it.
	RotatedBefore int64          `json:"rotated_before,omitempty"`
	Compression   map[string]any `json:"compression,omitempty"`
}

// outputJSON is OutputView's encoding without its methods.
type outputJSON OutputView

// MarshalJSON leaves the stream out when it is "output".
func (v OutputView) MarshalJSON() ([]byte, error) {
	if v.Stream == "output" {
		v.Stream = ""
	}
	return json.Marshal(outputJSON(v))
}

// UnmarshalJSON reads a window, its stream "output" when none is given.
func (v *OutputView) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, (*outputJSON)(v)); err != nil {
		return err
	}
	if v.Stream == "" {
		v.Stream = "output"
	}
	return nil
}

// Wait reasons.
const (
	WaitExited    = "exited"
	WaitMatched   = "matched"
	WaitPortOpen  = "port_open"
	WaitIdle      = "idle"
	WaitDeadline  = "deadline"
	WaitNotWaited = "not_waited"
	// WaitCancelled: the caller gave up (ctrl-c on the CLI, a cancelled
	// request) before anything else ended the wait.
	WaitCancelled = "cancelled"
)

// WaitView says how a wait ended.
type WaitView struct {
	WaitedMS int64   `json:"waited_ms"`
	UntilS   float64 `json:"until_s"`
	Reason   string  `json:"reason"`
	Matched  *Match  `json:"matched,omitempty"`
	// JobID, in a wait on several jobs, names the one that ended the wait.
	JobID string `json:"job_id,omitempty"`
	// Hint says what may be wrong when the wait ran out with the run silent.
	Hint string `json:"hint,omitempty"`
}

// Match is the line a wait_for pattern matched.
type Match struct {
	Pattern string `json:"pattern"`
	Line    string `json:"line"`
	Offset  int64  `json:"offset"` // byte offset of the line's start in the log
}

// SkippedJob is a job list could not read: its meta.json or state.json is
// corrupt or missing. kill stops it and delete removes it all the same.
type SkippedJob struct {
	JobID  string `json:"job_id"`
	Reason string `json:"reason"`
}

// Summary is one job of a list.
type Summary struct {
	JobID      string   `json:"job_id"`
	Name       string   `json:"name,omitempty"`
	State      string   `json:"state"`
	Reason     string   `json:"reason,omitempty"`
	ExitCode   *int     `json:"exit_code,omitempty"`
	Signal     string   `json:"signal,omitempty"`
	Command    []string `json:"command"`
	Cwd        string   `json:"cwd"`
	Tags       []string `json:"tags"`
	Run        int      `json:"run"`
	CreatedAt  string   `json:"created_at"`
	StartedAt  string   `json:"started_at,omitempty"`
	FinishedAt string   `json:"finished_at,omitempty"`
	DurationMS *int64   `json:"duration_ms,omitempty"`
	LastLine   string   `json:"last_line"`
}
