package supervisor

import (
	"errors"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// The supervisor keeps each log's notable-line index (see
// notable_linux.go) as the log grows, so that the first selection from a
// long log after its run reads an index that is already there instead of
// scanning the whole log: a 1 GiB log would cost that call seconds.
//
// It works off the output path: the kernel writes the logs (a tty job's
// copier is another goroutine), and the indexer reads the log files
// behind them on a goroutine of its own, so a slow scan never slows what
// the job writes. Its cost is bounded in every way the job could feel:
//
//   - time: it looks at the logs every indexInterval while they grow, less
//     often (up to indexQuiet) while they do not (a supervisor takes no
//     inotify instance), and scans only once a log has grown past
//     indexFrom, indexGrowth at a time at least: a quiet or small job
//     costs a stat per look;
//   - CPU: it scans indexChunk bytes at a time and then sleeps for the CPU
//     time the chunk took, so it uses at most half a core while the run
//     lasts and yields the supervisor's one thread between chunks;
//   - memory: one chunk buffer and the count of records per key (at
//     most maxNotable);
//   - locks: it never waits for the index's lock; when a reader holds it,
//     the reader is extending the index itself, and the indexer looks
//     again later. It holds the lock one chunk at a time, so a reader
//     waits for at most one chunk.
//
// Once the run is over, what the indexer had not reached yet is scanned
// without the pauses, catchUpChunk at a time on two threads (the job no
// longer needs the CPU), for at most indexCatchUp, after the supervisor
// lock is released; a reader that comes meanwhile takes the index over
// between two chunks, and whatever is left is scanned by the first reader
// that needs it.
const (
	indexInterval = 100 * time.Millisecond
	indexFrom     = 4 << 20 // a selection examines a shorter span whole
	indexGrowth   = 1 << 20
	indexChunk    = 256 << 10
	indexQuiet    = 2 * time.Second
	indexCatchUp  = 30 * time.Second
	catchUpChunk  = 4 << 20
)

// indexer keeps the notable-line indexes of a run's logs.
type indexer struct {
	logs   []*indexedLog
	stop   chan map[string]int64 // the logs' sizes at the end of the run
	opened chan struct{}         // closed once the indexes to catch up are open
	done   chan struct{}
	pause  *time.Timer // the pause after a chunk, reused
}

type indexedLog struct {
	stream, path, idxPath string
	x                     *notableIndex // nil until the log is long enough
	off                   bool          // the index could not be kept: left to readers
	seen                  int64         // the log's size at the last look
}

// newIndexer returns the indexer of a run whose logs are streams.
func (sv *super) newIndexer(streams map[string]int64) *indexer {
	ix := &indexer{stop: make(chan map[string]int64, 1), opened: make(chan struct{}), done: make(chan struct{})}
	for stream := range streams {
		ix.logs = append(ix.logs, &indexedLog{stream: stream,
			path:    filepath.Join(sv.dir, stream+".log"),
			idxPath: filepath.Join(sv.dir, NotableIndexName(stream))})
	}
	return ix
}

// run follows the logs until stop gives their final sizes, then catches
// up with them. It looks every indexInterval while a log grows, and less
// and less often (up to indexQuiet) while none does.
func (ix *indexer) run() {
	defer close(ix.done)
	interval := indexInterval
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case end := <-ix.stop:
			ix.catchUp(end)
			return
		case <-t.C:
			grew := false
			for _, l := range ix.logs {
				g, ok := ix.follow(l)
				grew = grew || g
				if !ok {
					break // the run is over: stop has the sizes
				}
			}
			if grew {
				interval = indexInterval
			} else {
				interval = min(2*interval, indexQuiet)
			}
			t.Reset(interval)
		}
	}
}

// catchUp scans what the indexes lack up to the logs' sizes at the end of
// the run, without pauses, until indexCatchUp has passed.
func (ix *indexer) catchUp(end map[string]int64) {
	for _, l := range ix.logs {
		if _, ok := end[l.stream]; ok {
			ix.open(l)
		}
	}
	close(ix.opened)
	deadline := time.Now().Add(indexCatchUp)
	for _, l := range ix.logs {
		if l.x != nil {
			runtime.GOMAXPROCS(2) // compress.Notable scans a large chunk on two
			l.x.buf = make([]byte, catchUpChunk)
		}
		for l.x != nil && time.Now().Before(deadline) {
			if more, err := l.step(end[l.stream]); err != nil || !more {
				break // a reader holds the index (and extends it), or it is done
			}
		}
		l.close()
	}
}

// open makes l's index once its log is long enough; it reports whether
// there is one. The job directory is the supervisor's until its lock is
// released: nothing is made in it after (see end).
func (ix *indexer) open(l *indexedLog) bool {
	if l.x != nil || l.off {
		return l.x != nil
	}
	var st unix.Stat_t
	if err := unix.Stat(l.path, &st); err != nil || st.Size < indexFrom {
		return false
	}
	x, err := openNotable(l.path, l.idxPath, false)
	if err != nil {
		l.off = true
		return false
	}
	x.buf = make([]byte, indexChunk)
	l.x = x
	return true
}

// follow extends l's index while the run lasts, a chunk at a time,
// pausing after each chunk for the CPU time it took: at most half a core,
// and on a machine where the job waits for a core, about the share of one
// more process, not less (a pause as long as the chunk's wall time would
// shrink with the load until the index falls far behind). It reports whether the
// log grew since the last look, and false as ok when the run's end was
// announced meanwhile (the rest is for catchUp). It gives up on a log
// whose index fails (the readers will try), and leaves a round to a
// reader that holds the lock.
func (ix *indexer) follow(l *indexedLog) (grew, ok bool) {
	var st unix.Stat_t
	if err := unix.Stat(l.path, &st); err != nil {
		return false, true
	}
	grew, l.seen = st.Size != l.seen, st.Size
	if !ix.open(l) || st.Size-l.x.scanned < indexGrowth {
		return grew, true
	}
	for {
		c0 := processCPU()
		more, err := l.step(-1)
		if err != nil && !errors.Is(err, ErrNotableBusy) {
			l.off = true
			l.close()
		}
		if err != nil || !more {
			return grew, true
		}
		if ix.pause == nil {
			ix.pause = time.NewTimer(processCPU() - c0)
		} else {
			ix.pause.Reset(processCPU() - c0)
		}
		select {
		case end := <-ix.stop:
			ix.pause.Stop()
			ix.stop <- end // for run
			return grew, false
		case <-ix.pause.C:
		}
	}
}

// processCPU returns the CPU time the supervisor has used (its goroutines
// move between threads: a thread's own time would miss some of a chunk).
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// end tells the indexer that the run is over, with its logs' sizes at its
// end, and returns once the indexes to catch up are open; wait waits for
// the catch-up. Both do nothing on a nil indexer.
func (ix *indexer) end(sizes map[string]int64) {
	if ix != nil {
		ix.stop <- sizes
		<-ix.opened
	}
}

func (ix *indexer) wait() {
	if ix != nil {
		<-ix.done
	}
}

// step extends l's index by one chunk under the index's lock. It reports
// whether there may be more to scan: not once the index reaches end, or
// the log's size when end is -1 and the log has not grown by indexGrowth
// since the index stopped.
func (l *indexedLog) step(end int64) (bool, error) {
	x := l.x
	if err := x.lock(false); err != nil {
		return false, err
	}
	defer x.unlock()
	size, err := x.sync()
	if err != nil {
		return false, err
	}
	if end < 0 {
		if size-x.scanned < indexGrowth {
			return false, nil
		}
		end = size
	}
	if x.scanned >= min(end, size) {
		return false, nil
	}
	return x.step(min(end, size))
}

func (l *indexedLog) close() {
	if l.x != nil {
		l.x.close()
		l.x = nil
	}
}
