package jobs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// followChunk bounds each read of a log: Follow never holds more than this
// much of a log in memory, however large the log.
const followChunk = 64 << 10

// Follow copies the bytes of one of job ref's logs to w, starting at byte
// offset from: stream is output, stdout or stderr, or "" for the job's main
// log (output, or stdout when the job keeps its streams apart).
//
// Without follow it copies what the log holds when the call begins. With
// follow it then keeps copying new bytes as they are written, waking on the
// service's shared inotify watcher and on the exit of the run's supervisor
// (a lost supervisor is recorded as such), and returns once the job is in a
// final state and every byte it wrote has been copied: like tail -f, but
// ending by itself. A job that was created but not started is waited for.
// Cancelling ctx stops the copy early; that is not an error.
//
// The bytes are the log's raw bytes except that the values of the job's
// masked variables are replaced by "***", as in every other response. To do
// that across reads, a tail that could be the start of a masked value is
// held back until the next read decides; it is written once the job has
// ended, and never while it still runs.
//
// The envelope, of type "logs", carries the job as it was last seen and an
// output object without text whose start and end (= next_offset) give the
// span of the log that was copied. Errors are those of Resolve (job_not_found,
// ambiguous_job_id, invalid_input), invalid_input for a bad stream or offset,
// and w's write errors.
func (s *Service) Follow(ctx context.Context, ref, stream string, from int64, follow bool, w io.Writer) (*Envelope, error) {
	switch stream {
	case "", "output", "stdout", "stderr":
	default:
		return nil, invalid("stream", "must be output, stdout or stderr, not %q", stream)
	}
	if from < 0 {
		return nil, invalid("offset", "must be >= 0")
	}
	id, err := s.store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	var changes <-chan struct{}
	if follow {
		// Subscribe before the first read, so no change between the read
		// and the wait goes unnoticed.
		wt, err := s.watcher()
		if err != nil {
			return nil, err
		}
		ch, unsubscribe, err := wt.subscribe(s.store.Dir(id))
		if err != nil {
			return nil, err
		}
		defer unsubscribe()
		changes = ch
	}
	m, st, err := s.current(id)
	if err != nil {
		return nil, err
	}
	name, file, err := streamLog(m, stream)
	if err != nil {
		return nil, err
	}
	f := &follower{path: s.store.Path(id, file), pos: from, out: newRedactor(w, secrets(m))}
	env := func() *Envelope {
		e := envelope("logs")
		e.Job = s.view(m, st)
		end := f.pos - int64(f.out.held())
		e.Output = &OutputView{Stream: name, TotalBytes: sizeOf(f.path), Start: from, End: end, NextOffset: end}
		return e
	}
	limit := int64(-1)
	if !follow {
		limit = sizeOf(f.path)
	}
	var supervisorGone <-chan struct{}
	var watchedPID int
	var watchedStart uint64
	stopWatch := func() {}
	defer func() { stopWatch() }()
	for {
		// The state was read before the log: a final state is recorded
		// only after the job's last byte is on disk, so after a final state
		// this copy sees every byte there will ever be.
		if err := f.copy(ctx, limit); err != nil {
			if ctx.Err() != nil {
				return env(), nil
			}
			return nil, err
		}
		if jobstore.Terminal(st.State) {
			if err := f.out.flush(); err != nil {
				return nil, err
			}
			return env(), nil
		}
		if !follow {
			return env(), nil
		}
		if st.State == jobstore.StateRunning && (st.SupervisorPID != watchedPID || st.SupervisorStart != watchedStart) {
			// The first run seen, or a new one: watch its supervisor.
			stopWatch()
			watchedPID, watchedStart = st.SupervisorPID, st.SupervisorStart
			supervisorGone, stopWatch = supervisor.WatchExit(st.SupervisorPID, st.SupervisorStart)
		}
		select {
		case <-changes:
		case <-supervisorGone:
			// current (below) records a lost supervisor; one that ended
			// normally wrote the final state before it exited.
			supervisorGone = nil
		case <-ctx.Done():
			return env(), nil
		}
		if m, st, err = s.current(id); err != nil {
			return nil, err
		}
	}
}

// follower copies a log forward from pos.
type follower struct {
	path string
	pos  int64 // next byte of the log to copy
	out  *redactor
}

// copy writes the log's bytes from f.pos up to limit (-1: to its end) in
// bounded chunks. A log that does not exist yet is empty. A cancelled ctx
// stops it with ctx's error.
func (f *follower) copy(ctx context.Context, limit int64) error {
	file, err := os.Open(f.path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer file.Close() // read-only: a close error cannot lose data
	buf := make([]byte, followChunk)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := len(buf)
		if limit >= 0 {
			if f.pos >= limit {
				return nil
			}
			want = int(min(int64(want), limit-f.pos))
		}
		n, err := file.ReadAt(buf[:want], f.pos)
		if n > 0 {
			if werr := f.out.write(buf[:n]); werr != nil {
				return werr
			}
			f.pos += int64(n)
		}
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// redactor writes bytes through to w with every secret replaced by "***".
// A secret may be split across writes, so a tail that is the beginning of
// a secret is held back until later bytes (or flush) settle it.
type redactor struct {
	w       io.Writer
	secrets [][]byte  // longest first, so the longest match wins
	first   [256]bool // the first bytes of the secrets
	pending []byte    // held back: a proper prefix of some secret
	out     []byte
}

func newRedactor(w io.Writer, secrets []string) *redactor {
	r := &redactor{w: w}
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, []byte(s))
			r.first[s[0]] = true
		}
	}
	slices.SortFunc(r.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return r
}

// held returns the number of bytes held back.
func (r *redactor) held() int { return len(r.pending) }

func (r *redactor) write(p []byte) error {
	if len(r.secrets) == 0 {
		_, err := r.w.Write(p)
		return err
	}
	if len(r.pending) > 0 {
		p = append(r.pending, p...)
	}
	return r.scan(p, false)
}

// flush writes what is held back, redacted: no more bytes will come.
func (r *redactor) flush() error {
	if len(r.pending) == 0 {
		return nil
	}
	return r.scan(r.pending, true)
}

// scan writes b with the secrets replaced. Unless final, a tail of b that
// may be the start of a secret (or of a longer one than it already holds)
// is kept in pending instead.
func (r *redactor) scan(b []byte, final bool) error {
	r.out = r.out[:0]
	i, plain := 0, 0 // b[plain:i] is clear text not yet copied to out
scan:
	for i < len(b) {
		if !r.first[b[i]] {
			i++
			continue
		}
		rest := b[i:]
		for _, s := range r.secrets { // longest first
			if bytes.HasPrefix(rest, s) {
				r.out = append(append(r.out, b[plain:i]...), "***"...)
				i += len(s)
				plain = i
				continue scan
			}
			if !final && len(rest) < len(s) && bytes.HasPrefix(s, rest) {
				break scan // maybe this secret: wait for more
			}
		}
		i++
	}
	r.out = append(r.out, b[plain:i]...)
	r.pending = append(r.pending[:0:0], b[i:]...)
	if len(r.out) == 0 {
		return nil
	}
	_, err := r.w.Write(r.out)
	return err
}
