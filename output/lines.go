package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// LastLinesStart returns the offset where the last n lines of the file at
// path begin (a last line without a newline counts as one), reading at
// most reach bytes back from its end: ok is false when the n lines are
// longer than that. A missing file, or one with at most n lines, gives 0.
func LastLinesStart(path string, n int, reach int64) (start int64, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("open log: %w", err)
	}
	defer f.Close() // read-only
	st, err := f.Stat()
	if err != nil {
		return 0, false, fmt.Errorf("stat log: %w", err)
	}
	return lastLinesStart(f, st.Size(), n, reach)
}

func lastLinesStart(f io.ReaderAt, size int64, n int, reach int64) (int64, bool, error) {
	lo := max(0, size-reach-1) // one more byte: the newline before the first line
	buf := make([]byte, size-lo)
	if _, err := f.ReadAt(buf, lo); err != nil && !errors.Is(err, io.EOF) {
		return 0, false, fmt.Errorf("read log: %w", err)
	}
	end := len(buf)
	if end > 0 && buf[end-1] == '\n' {
		end-- // the last line's own newline
	}
	for k := 0; k < n; k++ {
		i := bytes.LastIndexByte(buf[:end], '\n')
		if i < 0 {
			return 0, lo == 0, nil
		}
		end = i
	}
	return lo + int64(end) + 1, true, nil
}
