package jobstore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
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

// NotifyLockFile serializes the claims of a job's notifications.
const NotifyLockFile = "notify.lock"

// EventNotifying is the event that claims a notification for delivery
// (detail "key"); EventNotified records a delivery's results.
const (
	EventNotifying = "notifying"
	EventNotified  = "notified"
)

// ClaimNotification records in job id's event log that the notification
// named key is being delivered, unless it was claimed before: it reports
// true to exactly one caller per key, whichever process it runs in (the
// check and the record are made under an flock on NotifyLockFile, which
// dies with its holder). A claimed notification is never delivered again,
// even if its deliverer dies before recording the results.
func (s *Store) ClaimNotification(id, key string) (bool, error) {
	l, err := s.lock(id, NotifyLockFile, syscall.LOCK_EX)
	if err != nil {
		return false, fmt.Errorf("claim notification: %w", err)
	}
	defer l.Unlock()
	claimed, err := s.hasClaim(id, key)
	if err != nil || claimed {
		return false, err
	}
	if err := s.AppendEvent(id, Event{Event: EventNotifying, Detail: map[string]any{"key": key}}); err != nil {
		return false, fmt.Errorf("claim notification: %w", err)
	}
	return true, nil
}

// hasClaim reports whether job id's event log holds a claim of key.
func (s *Store) hasClaim(id, key string) (bool, error) {
	f, err := os.Open(s.Path(id, EventsFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read events: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	needle := []byte(`"` + EventNotifying + `"`)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, needle) {
			continue
		}
		var e Event
		if json.Unmarshal(line, &e) == nil && e.Event == EventNotifying && e.Detail["key"] == key {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return false, fmt.Errorf("read events: %w", err)
	}
	return false, nil
}
