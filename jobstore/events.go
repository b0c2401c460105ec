package jobstore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Event is one line of events.ndjson.
type Event struct {
	Time  Time   `json:"time"`
	Event string `json:"event"` // created, started, matched, exited, killed, failed, restarted, kill_requested, supervisor_lost…
	Run   int    `json:"run,omitempty"`
	// Detail carries event-specific fields (exit code, signal, reason…).
	Detail map[string]any `json:"detail,omitempty"`
}

// AppendEvent appends one event to job id's event log (see
// [AppendEventAt]).
func (s *Store) AppendEvent(id string, e Event) error {
	if !ValidID(id) {
		return fmt.Errorf("append event: %w: %q", ErrInvalidRef, id)
	}
	if err := AppendEventAt(s.Path(id, EventsFile), e); err != nil {
		return fmt.Errorf("%w of %s", err, id)
	}
	return nil
}

// AppendEventAt appends e as one line to the event log at path (also for a
// job that is not in the store yet, see [Store.CreateLocked]); e.Time, when
// zero, is stamped when the line is written.
//
// Writers are several processes (the launcher, the supervisor, readers that
// record a lost supervisor or a kill request, notification claims), so the
// append is made under an exclusive flock on the log itself, held from
// before the time is stamped until the line is written. O_APPEND alone
// would keep whole writes from interleaving on local filesystems in
// practice (Linux holds the inode's lock across one write(2)), but POSIX
// does not promise it for regular files, a short write is finished by a
// second one that another writer can precede, and the times would not
// follow the lines' order. Under the lock a job's lines are whole, never
// interleaved, and their times never decrease (the clock permitting).
// A failed write is cut back off, and a line left unfinished by a writer
// that died mid-write is ended first, so one torn line never swallows the
// next event; readers skip a line that does not parse. The lock is only
// taken for the write: readers never take it.
func AppendEventAt(path string, e Event) error {
	stamp := e.Time.IsZero()
	if stamp {
		e.Time = Now()
	}
	line, err := json.Marshal(e) // before the file is made: a bad detail writes nothing
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	defer f.Close() // releases the lock
	if err := Flock(f, unix.LOCK_EX); err != nil {
		return fmt.Errorf("append event: lock: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	var b []byte
	if size := fi.Size(); size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
		if last[0] != '\n' {
			b = append(b, '\n') // end the torn line of a writer that died
		}
	}
	if stamp {
		e.Time = Now()
		if line, err = json.Marshal(e); err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
	}
	b = append(append(b, line...), '\n')
	if _, err := f.Write(b); err != nil {
		_ = f.Truncate(fi.Size()) // leave no part of the line behind
		return fmt.Errorf("append event: %w", err)
	}
	return f.Close()
}

// EventMatched records an output line that matched one of the job's
// notify patterns (detail: pattern, match, stream, line, offset, count),
// at most one per pattern per second, folding the matches in between into
// count; it is recorded whether the job has sinks or not.
const EventMatched = "matched"

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
