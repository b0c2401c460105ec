package jobstore

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"
)

// Event is one line of events.ndjson.
type Event struct {
	Time  Time   `json:"time"`
	Event string `json:"event"` // created, started, exited, killed, failed, restarted, kill_requested, supervisor_lost…
	Run   int    `json:"run,omitempty"`
	// Detail carries event-specific fields (exit code, signal, reason…).
	Detail map[string]any `json:"detail,omitempty"`
}

// AppendEvent appends one event to job id's event log. Each event is a
// single write on an O_APPEND file, so concurrent writers never interleave
// within a line.
func (s *Store) AppendEvent(id string, e Event) error {
	if !ValidID(id) {
		return fmt.Errorf("append event: %w: %q", ErrInvalidRef, id)
	}
	if err := AppendEventAt(s.Path(id, EventsFile), e); err != nil {
		return fmt.Errorf("%w of %s", err, id)
	}
	return nil
}

// AppendEventAt appends e to the event log at path in one write: for a
// job that is not in the store yet (see [Store.CreateLocked]).
func AppendEventAt(path string, e Event) error {
	if e.Time.IsZero() {
		e.Time = Now()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	b = append(b, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("append event: %w", err)
	}
	return f.Close()
}
