package supervisor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/compress"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
)

// The notable-line index of a log: the offsets of the lines that read as
// errors or failures (see [compress.Notable]), so that a selection from a
// log too long to read whole can look at every one of them. The
// supervisor keeps it as the log grows (see indexer), off the job's
// output path; a reader that finds it behind extends it from where it
// stopped. It lives in the job directory as notable.<stream>.idx:
//
//	header (32 bytes): magic "AENIDX01", the log's inode, the log offset
//	                   scanned up to (a line start), the number of records
//	records (16 bytes each, by offset): a line's log offset, its key
//
// Offsets are those of the log file, which every run of the job appends
// to, so the index stays valid across restarts; a log that is not the
// one indexed (another inode, or shorter than what was scanned: a log cut
// to its log_limit) starts a new index. Bytes log_rotate punched out are
// never scanned. Whoever extends it holds an exclusive flock on the index
// file; records are written before the header that counts them, so a
// header always describes records that are there.
const (
	notableMagic  = "AENIDX01"
	notableHeader = 32
	notableRecord = 16
	// notableRepeats is how many lines of one key (lines alike once
	// numbers and ids are set aside) the index keeps; a log that repeats
	// one error a million times indexes five.
	notableRepeats = 5
	// maxNotable bounds the records of one index (16 bytes each: 1 MiB),
	// and so the memory of whoever extends it. A selection shows at most a
	// few hundred of them.
	maxNotable = 1 << 16
	// readerChunk is how much of the log a reader scans at a time (on two
	// goroutines, see compress.Notable).
	readerChunk = 8 << 20
)

// NotableLine is one record of a notable-line index: the log offset of a
// line that reads as an error or a failure, and its key (lines alike
// once numbers and ids are set aside share a key).
type NotableLine struct {
	Off int64
	Key uint64
}

// ErrNotableBusy: another process is extending the index.
var ErrNotableBusy = errors.New("the notable index is being extended by another process")

// NotableIndexName returns the index file's name for a stream (output,
// stdout, stderr).
func NotableIndexName(stream string) string { return "notable." + stream + ".idx" }

// ExtendNotable brings the index at idxPath of the log at logPath up to
// the last line that ends at or before end, and returns all its records,
// by offset. It scans only what the index lacks: when the supervisor kept
// it up as the log grew, nothing or little. It scans at most limit bytes
// (0: no limit); with a limit it does not wait for another that holds the
// index, and fails with ErrNotableBusy.
func ExtendNotable(logPath, idxPath string, end, limit int64) ([]NotableLine, error) {
	x, err := openNotable(logPath, idxPath, true)
	if err != nil {
		return nil, err
	}
	defer x.close()
	if err := x.lock(limit == 0); err != nil {
		return nil, err
	}
	size, err := x.sync()
	if err != nil {
		return nil, err
	}
	end = min(end, size)
	if limit > 0 {
		end = min(end, x.scanned+limit)
	}
	x.buf = make([]byte, min(readerChunk, max(end-x.scanned, 1)))
	for x.scanned < end {
		more, err := x.step(end)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
	}
	return x.lines, nil
}

// notableIndex is an open index and its log, with what it held at the
// last sync or step: a reader keeps the records, the supervisor only
// their count per key (which the repeat bound needs).
type notableIndex struct {
	log, idx *os.File
	ino      uint64
	scanned  int64          // where the next step starts
	header   int64          // the scanned offset of the header x last read or wrote
	count    int            // records in the file
	counts   map[uint64]int // records per key
	keep     bool           // keep the records in lines
	lines    []NotableLine
	buf      []byte        // one chunk of the log
	found    []NotableLine // a step's records, reused: a step allocates nothing
	rec      []byte        // their encoding, reused
}

// openNotable opens the log and its index (made 0600 if missing). A
// reader keeps the records.
func openNotable(logPath, idxPath string, keep bool) (*notableIndex, error) {
	log, err := os.Open(logPath)
	if err != nil {
		return nil, fmt.Errorf("notable lines: %w", err)
	}
	idx, err := os.OpenFile(idxPath, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("notable lines: %w", err)
	}
	return &notableIndex{log: log, idx: idx, keep: keep, counts: map[uint64]int{}}, nil
}

func (x *notableIndex) close() {
	x.log.Close()
	x.idx.Close()
}

// lock takes the index's flock; unless wait, it fails at once with
// ErrNotableBusy when another holds it. unlock releases it.
func (x *notableIndex) lock(wait bool) error {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	err := jobstore.Flock(x.idx, how)
	switch {
	case errors.Is(err, unix.EWOULDBLOCK):
		return ErrNotableBusy
	case err != nil:
		return fmt.Errorf("notable lines: lock the index: %w", err)
	}
	return nil
}

func (x *notableIndex) unlock() { _ = jobstore.Flock(x.idx, unix.LOCK_UN) }

// sync, under the lock, brings x up to the index file and returns the
// log's size: nothing to read when x wrote the header last, the records
// another added since when it extended the index, all of it otherwise. An
// index of another log, damaged, or of an older format is emptied and
// started again.
func (x *notableIndex) sync() (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(x.log.Fd()), &st); err != nil {
		return 0, fmt.Errorf("notable lines: stat the log: %w", err)
	}
	size := st.Size
	var h [notableHeader]byte
	n, err := x.idx.ReadAt(h[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("notable lines: read the index: %w", err)
	}
	scanned := int64(binary.LittleEndian.Uint64(h[16:]))
	count := int64(binary.LittleEndian.Uint64(h[24:]))
	if n < notableHeader || string(h[:8]) != notableMagic || binary.LittleEndian.Uint64(h[8:]) != st.Ino ||
		scanned > size || count < 0 || count > maxNotable {
		return size, x.reset(st.Ino, size)
	}
	from := x.count
	if x.ino != st.Ino || scanned < x.header || int(count) < x.count {
		from = 0 // not the index x last saw: read it all
		x.counts, x.lines = map[uint64]int{}, nil
	}
	var raw []byte
	if int(count) > from {
		raw = make([]byte, (int(count)-from)*notableRecord)
	}
	if _, err := x.idx.ReadAt(raw, notableHeader+int64(from)*notableRecord); err != nil && len(raw) > 0 {
		if errors.Is(err, io.EOF) {
			return size, x.reset(st.Ino, size) // records missing: start again
		}
		return 0, fmt.Errorf("notable lines: read the index: %w", err)
	}
	for k := 0; k < len(raw); k += notableRecord {
		l := NotableLine{Off: int64(binary.LittleEndian.Uint64(raw[k:])), Key: binary.LittleEndian.Uint64(raw[k+8:])}
		x.counts[l.Key]++
		if x.keep {
			x.lines = append(x.lines, l)
		}
	}
	x.ino, x.scanned, x.header, x.count = st.Ino, scanned, scanned, int(count)
	// Bytes log_rotate discarded are not scanned (they read as zeros).
	x.scanned = max(x.scanned, output.DataStartOf(x.log, size))
	return size, nil
}

// reset empties the index file and x.
func (x *notableIndex) reset(ino uint64, size int64) error {
	if err := x.idx.Truncate(0); err != nil {
		return fmt.Errorf("notable lines: reset the index: %w", err)
	}
	x.ino, x.scanned, x.header, x.count = ino, output.DataStartOf(x.log, size), 0, 0
	x.counts, x.lines = map[uint64]int{}, nil
	return nil
}

// step scans the log from x.scanned for at most one chunk (len(x.buf)),
// complete lines only, not past end, and appends what it finds to the
// index. It reports whether it moved: not when the only line left is
// still being written.
func (x *notableIndex) step(end int64) (bool, error) {
	n := min(int64(len(x.buf)), end-x.scanned)
	if n <= 0 {
		return false, nil
	}
	chunk := x.buf[:n]
	if _, err := x.log.ReadAt(chunk, x.scanned); err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("notable lines: read the log: %w", err)
	}
	// Scan complete lines only: the last one may still be written.
	cut := int64(bytes.LastIndexByte(chunk, '\n') + 1)
	if cut == 0 {
		if n < int64(len(x.buf)) {
			return false, nil // an unfinished line: a later step sees it whole
		}
		cut = n // a line longer than a chunk: scan it in pieces
	}
	found := x.found[:0]
	compress.Notable(chunk[:cut], x.scanned, func(off int64, key uint64) {
		if x.counts[key] < notableRepeats && x.count+len(found) < maxNotable {
			x.counts[key]++
			found = append(found, NotableLine{off, key})
		}
	})
	x.found = found[:0]
	if err := x.append(found, x.scanned+cut); err != nil {
		return false, err
	}
	return true, nil
}

// append writes the records found after the others, then the header
// that counts them: a reader that finds a header finds its records.
func (x *notableIndex) append(found []NotableLine, scanned int64) error {
	if len(found) > 0 {
		raw := x.rec[:0]
		for _, l := range found {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(l.Off))
			raw = binary.LittleEndian.AppendUint64(raw, l.Key)
		}
		x.rec = raw[:0]
		if _, err := x.idx.WriteAt(raw, notableHeader+int64(x.count)*notableRecord); err != nil {
			return fmt.Errorf("notable lines: write the index: %w", err)
		}
	}
	var h [notableHeader]byte
	copy(h[:], notableMagic)
	binary.LittleEndian.PutUint64(h[8:], x.ino)
	binary.LittleEndian.PutUint64(h[16:], uint64(scanned))
	binary.LittleEndian.PutUint64(h[24:], uint64(x.count+len(found)))
	if _, err := x.idx.WriteAt(h[:], 0); err != nil {
		return fmt.Errorf("notable lines: write the index: %w", err)
	}
	x.scanned, x.header, x.count = scanned, scanned, x.count+len(found)
	if x.keep {
		x.lines = append(x.lines, found...)
	}
	return nil
}
