package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// EventLine is one line of the events stream: one event of a job's
// events.ndjson, with the job it belongs to. ID ("JOB_ID:OFFSET", the byte
// offset of the line in that job's events.ndjson) is unique and stable: a
// consumer that replays from an earlier --since drops the ids it has seen.
type EventLine struct {
	ID     string         `json:"id"`
	JobID  string         `json:"job_id"`
	Name   string         `json:"name,omitempty"`
	Time   jobstore.Time  `json:"time"`
	Event  string         `json:"event"`
	Run    int            `json:"run,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`
}

// eventsChunk bounds one read of an events file.
const eventsChunk = 64 << 10

// ResumeSlack is how far before since a resumed stream starts: events of
// different jobs recorded close together can be seen by a follower in
// another order than their times, so a follower stopped after a line of
// time T may not have printed an event of another job stamped just before
// T. Lines before since-ResumeSlack are skipped; the consumer drops the
// ids it has already handled.
const ResumeSlack = 2 * time.Second

// Events calls emit, in order per job, for every event recorded in the
// events.ndjson of each job of refs (none: every job of the root, and with
// follow the jobs created later too) at or after since-ResumeSlack (since
// zero: all). Without
// follow it returns once every file has been read to its end; with follow
// it then waits on the process's event engine (no polling) for new lines
// and new jobs, until ctx ends. A line not yet ended by a newline is left
// for a later read; a line that does not parse is skipped.
func (s *Service) Events(ctx context.Context, refs []string, since time.Time, follow bool, emit func(*EventLine) error) error {
	e, err := s.events()
	if err != nil {
		return err
	}
	st := &eventStream{s: s, e: e, since: since, emit: emit, jobs: make(map[string]*eventFile),
		wake: make(chan struct{}, 1), dirty: make(map[string]bool)}
	defer st.close()
	var ids []string
	if len(refs) == 0 {
		if follow {
			// Watch the root before listing it: a job made after the list
			// is seen by the watch.
			cancel, err := e.w.notify(s.store.Root(), st.rootChanged)
			if err != nil {
				return err
			}
			st.cancels = append(st.cancels, cancel)
		}
		if ids, err = s.store.IDs(); err != nil {
			return err
		}
	} else {
		for _, ref := range refs {
			id, err := s.store.Resolve(ref)
			if err != nil {
				return err
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		if err := st.add(id, follow); err != nil {
			return err
		}
	}
	if !follow {
		return nil
	}
	for {
		select {
		case <-st.wake:
		case <-ctx.Done():
			return nil
		}
		if err := st.drain(); err != nil {
			return err
		}
	}
}

// eventStream is one Events call: the jobs it reads and what changed.
type eventStream struct {
	s     *Service
	e     *engine
	since time.Time
	emit  func(*EventLine) error
	jobs  map[string]*eventFile

	mu      sync.Mutex
	wake    chan struct{}
	dirty   map[string]bool // guarded by mu: jobs whose events file changed
	newDirs bool            // guarded by mu: the root changed
	cancels []func()
}

// eventFile is how far one job's events file has been read.
type eventFile struct {
	id, name string
	off      int64
}

func (st *eventStream) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// rootChanged runs under the watcher's lock: note it, read later.
func (st *eventStream) rootChanged(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if name == "" || jobstore.ValidID(name) {
		st.newDirs = true
		st.signal()
	}
}

// add starts reading job id (watching its events file first with follow).
func (st *eventStream) add(id string, follow bool) error {
	if _, ok := st.jobs[id]; ok {
		return nil
	}
	f := &eventFile{id: id}
	if m, err := st.s.store.ReadMeta(id); err == nil {
		f.name = m.Name
	}
	st.jobs[id] = f
	if follow {
		cancel, err := st.e.w.notify(st.s.store.Dir(id), func(string) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.dirty[id] = true
			st.signal()
		}, jobstore.EventsFile)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if cancel != nil {
			st.cancels = append(st.cancels, cancel)
		}
	}
	return st.read(f)
}

// drain reads what changed since the last drain.
func (st *eventStream) drain() error {
	st.mu.Lock()
	dirty, newDirs := st.dirty, st.newDirs
	st.dirty, st.newDirs = make(map[string]bool), false
	st.mu.Unlock()
	if newDirs {
		ids, err := st.s.store.IDs()
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := st.add(id, true); err != nil {
				return err
			}
		}
	}
	for id := range dirty {
		if f := st.jobs[id]; f != nil {
			if err := st.read(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// read emits the whole lines of f's events file past f.off.
func (st *eventStream) read(f *eventFile) error {
	file, err := os.Open(st.s.store.Path(f.id, jobstore.EventsFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // deleted, or not made yet
		}
		return err
	}
	defer file.Close() // read-only
	buf := make([]byte, eventsChunk)
	var carry []byte
	for {
		n, err := file.ReadAt(buf, f.off+int64(len(carry)))
		data := append(carry, buf[:n]...)
		for {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break
			}
			if err := st.line(f, data[:i], f.off); err != nil {
				return err
			}
			f.off += int64(i + 1)
			data = data[i+1:]
		}
		carry = append([]byte(nil), data...)
		if len(carry) > eventsChunk {
			return fmt.Errorf("events of %s: a line longer than %d bytes at %d", f.id, eventsChunk, f.off)
		}
		if errors.Is(err, io.EOF) || n == 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (st *eventStream) line(f *eventFile, b []byte, off int64) error {
	var ev jobstore.Event
	if json.Unmarshal(b, &ev) != nil {
		return nil
	}
	if !st.since.IsZero() && ev.Time.Before(st.since.Add(-ResumeSlack)) {
		return nil
	}
	return st.emit(&EventLine{ID: fmt.Sprintf("%s:%d", f.id, off), JobID: f.id, Name: f.name,
		Time: ev.Time, Event: ev.Event, Run: ev.Run, Detail: ev.Detail})
}

func (st *eventStream) close() {
	for _, c := range st.cancels {
		c()
	}
}
