package jobs

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// Code is a stable error code of the envelope.
type Code string

// The error codes. They never change meaning; new ones may be added.
const (
	CodeInvalidInput   Code = "invalid_input"
	CodeNotFound       Code = "job_not_found"
	CodeAmbiguous      Code = "ambiguous_job_id"
	CodeInvalidState   Code = "invalid_state"
	CodeNameInUse      Code = "name_in_use"
	CodeStdinTooLarge  Code = "stdin_too_large"
	CodeNotInteractive Code = "not_interactive"
	CodeLaunchFailed   Code = "launch_failed"
	CodeIO             Code = "io_error"
	CodeInternal       Code = "internal_error"
	// CodeUnresponsive: the job's supervisor took a kill request but did
	// not answer in time (it is stopped or starved); the request is queued.
	CodeUnresponsive Code = "supervisor_unresponsive"
)

// Error is an operation's failure as the envelope reports it.
type Error struct {
	Code      Code           `json:"code"`
	Message   string         `json:"message"`
	Retryable bool           `json:"retryable"`
	Field     string         `json:"field,omitempty"`   // invalid_input: the argument at fault
	Details   map[string]any `json:"details,omitempty"` // e.g. ambiguous_job_id candidates
	err       error
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.err }

func invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidInput, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

func stateErr(format string, args ...any) *Error {
	return &Error{Code: CodeInvalidState, Message: fmt.Sprintf(format, args...)}
}

// AsError turns any error into an *Error: store and supervisor errors map to
// their codes, anything else is internal_error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var amb *jobstore.AmbiguousError
	var le *supervisor.LaunchError
	var pe *fs.PathError
	var left *jobstore.LeftoverError
	switch {
	case errors.As(err, &left):
		// The job is gone from the store; say exactly what is left.
		return &Error{Code: CodeIO, Message: err.Error(),
			Details: map[string]any{"job_id": left.ID, "deleted": true, "left_behind": left.Dir}, err: err}
	case errors.As(err, &amb):
		return &Error{Code: CodeAmbiguous, Message: err.Error() + "; use more characters of the id",
			Details: map[string]any{"candidates": amb.Candidates, "matches": max(amb.Matches, len(amb.Candidates))}, err: err}
	case errors.Is(err, jobstore.ErrInvalidRef):
		return &Error{Code: CodeInvalidInput, Field: "job_id", Message: "job_id: " + err.Error(), err: err}
	case errors.Is(err, jobstore.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: err.Error() + "; list shows the jobs there are", err: err}
	case errors.As(err, &le):
		return &Error{Code: CodeLaunchFailed, Message: le.Msg, err: err}
	case errors.Is(err, jobstore.ErrCorrupt), errors.As(err, &pe):
		// A file system error (a full disk, a removed directory) is an
		// I/O problem, not a bug.
		return &Error{Code: CodeIO, Message: err.Error(), err: err}
	}
	return &Error{Code: CodeInternal, Message: err.Error(), err: err}
}
