package jobs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/agent-exec/agent-exec/compress"
	"github.com/agent-exec/agent-exec/output"
)

// The notable-line index of a log: the offsets of the lines that read as
// errors or failures (see [compress.Notable]), so that a selection from a
// log too long to read whole can look at every one of them. Readers build
// it, never the supervisor: the first reader that needs it scans the log,
// and each later one scans only what was written since, appending to the
// file. It lives in the job directory as notable.<stream>.idx:
//
//	header (32 bytes): magic "AENIDX01", the log's inode, the log offset
//	                   scanned up to (a line start), the number of records
//	records (16 bytes each, by offset): a line's log offset, its key
//
// Offsets are those of the log file, which every run of the job appends
// to, so the index stays valid across restarts; a log that is not the
// one indexed (another inode, or shorter than what was scanned) starts a
// new index.
const (
	notableMagic  = "AENIDX01"
	notableHeader = 32
	notableRecord = 16
	// notableRepeats is how many lines of one key (lines alike once
	// numbers and ids are set aside) the index keeps; a log that repeats
	// one error a million times indexes five.
	notableRepeats = 5
	// maxNotable bounds the records of one index (16 bytes each).
	maxNotable = 1 << 18
	// notableChunk is how much of the log one scan step reads.
	notableChunk = 8 << 20
)

// notableLine is one record of the index.
type notableLine struct {
	off int64
	key uint64
}

// errBusy: another reader is extending the index.
var errBusy = errors.New("the index is being extended by another reader")

// notableIndexName returns the index file's name for a stream.
func notableIndexName(stream string) string { return "notable." + stream + ".idx" }

// keepNotableUp extends the index of a running job's log by at most
// notableStep bytes, for a call that does not need it (the plain tail of
// a running job): the scan then follows the log as it grows, a little at
// each look, and the call that needs the index finds it up to date. A log
// that fits one examined span has no use for an index. Errors are left
// for the call that needs the index.
func keepNotableUp(logPath, stream string, end int64) {
	if end <= maxCompressSpan {
		return
	}
	idx := filepath.Join(filepath.Dir(logPath), notableIndexName(stream))
	_, _ = extendNotableBy(logPath, idx, end, notableStep)
}

// notableStep bounds what keepNotableUp scans in one call: about 0.1 s of
// CPU on this kind of machine (BenchmarkSelect1GiB: 1.9 s a GiB).
const notableStep = 64 << 20

// notableLines returns the indexed lines of the log at logPath with an
// offset in [from, to), extending the index at idxPath to the last line
// that ends at or before end first. Its cost is that of the bytes
// written since the last call, plus reading the index.
func notableLines(logPath, idxPath string, end, from, to int64) ([]notableLine, error) {
	lines, err := extendNotable(logPath, idxPath, end)
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(lines), func(k int) bool { return lines[k].off >= from })
	j := sort.Search(len(lines), func(k int) bool { return lines[k].off >= to })
	return lines[i:j], nil
}

// extendNotable brings the index up to end and returns all its records.
func extendNotable(logPath, idxPath string, end int64) ([]notableLine, error) {
	return extendNotableBy(logPath, idxPath, end, 0)
}

// extendNotableBy is extendNotable that scans at most limit bytes of the
// log (0: no limit); with a limit, it does not wait for another reader
// that holds the index, and fails with errBusy.
func extendNotableBy(logPath, idxPath string, end, limit int64) ([]notableLine, error) {
	log, err := os.Open(logPath)
	if err != nil {
		return nil, fmt.Errorf("notable lines: %w", err)
	}
	defer log.Close()
	ino, size, err := fileID(log)
	if err != nil {
		return nil, fmt.Errorf("notable lines: %w", err)
	}
	end = min(end, size)
	idx, err := os.OpenFile(idxPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("notable lines: %w", err)
	}
	defer idx.Close()
	if err := lockFile(idx, limit == 0); err != nil { // released by Close
		return nil, fmt.Errorf("notable lines: lock the index: %w", err)
	}
	scanned, lines, err := readNotable(idx, ino, size)
	if err != nil {
		return nil, err
	}
	if scanned >= end {
		return lines, nil
	}
	counts := make(map[uint64]int, len(lines))
	for _, l := range lines {
		counts[l.key]++
	}
	// Bytes log_rotate discarded are not scanned (they read as zeros).
	scanned = max(scanned, min(output.DataStartOf(log, size), end))
	buf := make([]byte, min(notableChunk, max(end-scanned, 1)))
	if limit > 0 {
		end = min(end, scanned+limit)
	}
	for scanned < end {
		n := min(int64(len(buf)), end-scanned)
		chunk := buf[:n]
		if _, err := log.ReadAt(chunk, scanned); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("notable lines: read the log: %w", err)
		}
		// Scan complete lines only: the last one may still be written.
		cut := int64(bytes.LastIndexByte(chunk, '\n') + 1)
		if cut == 0 {
			if n < notableChunk {
				break // an unfinished line: a later call sees it whole
			}
			cut = n // a line longer than a chunk: scan it in pieces
		}
		added := len(lines)
		compress.Notable(chunk[:cut], scanned, func(off int64, key uint64) {
			if counts[key] < notableRepeats && len(lines) < maxNotable {
				counts[key]++
				lines = append(lines, notableLine{off, key})
			}
		})
		scanned += cut
		if err := appendNotable(idx, ino, scanned, lines, added); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

// readNotable reads the index; one of another log, damaged or of an older
// format is emptied and started again.
func readNotable(idx *os.File, ino uint64, size int64) (int64, []notableLine, error) {
	var h [notableHeader]byte
	n, err := idx.ReadAt(h[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, fmt.Errorf("notable lines: read the index: %w", err)
	}
	scanned := int64(binary.LittleEndian.Uint64(h[16:]))
	count := int64(binary.LittleEndian.Uint64(h[24:]))
	if n < notableHeader || string(h[:8]) != notableMagic || binary.LittleEndian.Uint64(h[8:]) != ino ||
		scanned > size || count < 0 || count > maxNotable {
		if err := idx.Truncate(0); err != nil {
			return 0, nil, fmt.Errorf("notable lines: reset the index: %w", err)
		}
		return 0, nil, nil
	}
	raw := make([]byte, count*notableRecord)
	if _, err := idx.ReadAt(raw, notableHeader); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, idx.Truncate(0) // records missing: start again
		}
		return 0, nil, fmt.Errorf("notable lines: read the index: %w", err)
	}
	lines := make([]notableLine, count)
	for k := range lines {
		r := raw[k*notableRecord:]
		lines[k] = notableLine{off: int64(binary.LittleEndian.Uint64(r)), key: binary.LittleEndian.Uint64(r[8:])}
	}
	return scanned, lines, nil
}

// appendNotable writes the records lines[from:] after the others, then
// the header that counts them: a reader that finds a header finds its
// records.
func appendNotable(idx *os.File, ino uint64, scanned int64, lines []notableLine, from int) error {
	raw := make([]byte, (len(lines)-from)*notableRecord)
	for k, l := range lines[from:] {
		binary.LittleEndian.PutUint64(raw[k*notableRecord:], uint64(l.off))
		binary.LittleEndian.PutUint64(raw[k*notableRecord+8:], l.key)
	}
	if _, err := idx.WriteAt(raw, notableHeader+int64(from)*notableRecord); err != nil {
		return fmt.Errorf("notable lines: write the index: %w", err)
	}
	var h [notableHeader]byte
	copy(h[:], notableMagic)
	binary.LittleEndian.PutUint64(h[8:], ino)
	binary.LittleEndian.PutUint64(h[16:], uint64(scanned))
	binary.LittleEndian.PutUint64(h[24:], uint64(len(lines)))
	if _, err := idx.WriteAt(h[:], 0); err != nil {
		return fmt.Errorf("notable lines: write the index: %w", err)
	}
	return nil
}
