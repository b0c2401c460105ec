package jobs

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
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
// process's event engine (the logs' growth, coalesced; the state; the exit
// of the run's supervisor, a lost one recorded as such), and returns once the job is in a
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
	var jw *jobWatch
	if follow {
		// Subscribe before the first read, so no change between the read
		// and the wait goes unnoticed. Only the state and the logs matter:
		// not the events, the supervisor's log or the locks.
		e, err := s.events()
		if err != nil {
			return nil, err
		}
		jw, err = e.watchJob(s.store.Dir(id), jobstore.OutputLog, jobstore.StdoutLog, jobstore.StderrLog)
		if err != nil {
			return nil, err
		}
		defer jw.close()
	}
	m, st, err := s.reconcile(id)
	if err != nil {
		return nil, err
	}
	name, file, err := streamLog(m, stream)
	if err != nil {
		return nil, err
	}
	f := &follower{path: s.store.Path(id, file), pos: from, out: output.NewRedactor(secrets(m)...).Writer(w)}
	env := func() *Envelope {
		e := envelope("logs")
		e.Job = s.view(m, st, false)
		end := f.pos - int64(f.out.Held())
		e.Output = &OutputView{Stream: name, TotalBytes: sizeOf(f.path), Start: from, End: end, NextOffset: end}
		return e
	}
	limit := int64(-1)
	if !follow {
		limit = sizeOf(f.path)
	}
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
			if err := f.out.Flush(); err != nil {
				return nil, err
			}
			return env(), nil
		}
		if !follow {
			return env(), nil
		}
		if st.State == jobstore.StateRunning {
			// The first run seen, or a new one: watch its supervisor.
			jw.watchSupervisor(st.SupervisorPID, st.SupervisorStart)
		}
		select {
		case <-jw.C:
		case <-ctx.Done():
			return env(), nil
		}
		// Output alone changes nothing but the log: copy it. A new state
		// or a gone supervisor (reconcile records a lost one; one that
		// ended normally wrote the final state before it exited) is read.
		c := jw.take()
		if c&(ChangeState|ChangeSupervisorGone) == 0 {
			continue
		}
		if m, st, err = s.reconcile(id); err != nil {
			return nil, err
		}
		if c&ChangeSupervisorGone != 0 {
			jw.afterGone(st)
		}
	}
}

// follower copies a log forward from pos.
type follower struct {
	path string
	pos  int64 // next byte of the log to copy
	out  *output.RedactWriter
}

// copy writes the log's bytes from f.pos up to limit (-1: to its end) in
// bounded chunks, from where the log's data starts when log_rotate
// discarded what was before. A log that does not exist yet is empty. A cancelled ctx
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
		// Bytes log_rotate discarded are skipped, not copied as zeros.
		if fi, err := file.Stat(); err == nil {
			f.pos = max(f.pos, output.DataStartOf(file, fi.Size()))
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
			if _, werr := f.out.Write(buf[:n]); werr != nil {
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
