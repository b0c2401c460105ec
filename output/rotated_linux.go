package output

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// DataStartOf returns the offset of the first byte of f that holds data:
// 0 for an ordinary log, the end of the range a job's log_rotate punched
// out of it (those bytes are gone; reading them gives zeros) otherwise, and
// size for a log that is all hole or empty. A file system that cannot say
// (no SEEK_DATA) reports 0.
func DataStartOf(f *os.File, size int64) int64 {
	off, err := unix.Seek(int(f.Fd()), 0, unix.SEEK_DATA)
	switch {
	case errors.Is(err, unix.ENXIO):
		return size
	case err != nil || off < 0:
		return 0
	}
	return off
}

// DataStart is [DataStartOf] on the file at path; 0 when it cannot be
// opened.
func DataStart(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0
	}
	return DataStartOf(f, fi.Size())
}
