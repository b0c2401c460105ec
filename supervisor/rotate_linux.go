package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// The logs of a job with log_rotate N are kept near their last N bytes by
// punching the older bytes out of the file (fallocate PUNCH_HOLE with
// KEEP_SIZE): the blocks are freed, the file keeps its size, and every
// offset stays what it was. This is the one mechanism that works for a log
// the kernel writes: the workload's descriptors append to the same inode
// for its whole life, so renaming the file away would not move them, and
// truncating or collapsing it would shift every offset a reader holds.
// Readers find where the data starts with SEEK_DATA (see output.DataStart)
// and never show the punched range, which reads as zeros.
//
// A log is cut once it holds 2N bytes past the last cut, back to the last N
// rounded down to the file system's block, so it holds between N and 2N
// bytes (plus what the job writes between two checks) and is cut about once
// per N bytes written.

// rotateLogs cuts every log of this run that has grown past twice the
// job's log_rotate since its last cut. A file system that cannot punch
// holes turns rotation off for the rest of the run, once logged and
// recorded as an event log_rotate_failed.
func (sv *super) rotateLogs() {
	if sv.meta.LogRotate <= 0 || sv.rotateOff {
		return
	}
	if sv.rotateBase == nil {
		sv.rotateBase = make(map[string]int64)
	}
	for stream := range sv.running.LogOffset {
		path := filepath.Join(sv.dir, stream+".log")
		base, err := punchLog(path, sv.meta.LogRotate, sv.rotateBase[stream])
		if err != nil {
			sv.rotateOff = true
			sv.log.Error("log rotation failed; the logs keep growing", "log", path, "err", err)
			sv.event("log_rotate_failed", map[string]any{"stream": stream, "error": err.Error()})
			return
		}
		sv.rotateBase[stream] = base
	}
}

// punchLog frees the bytes of the log at path before its last keep bytes
// (rounded down to a block) when it holds 2*keep bytes or more past base,
// the end of its last cut, and returns the new end of the cut (base when
// nothing was done).
func punchLog(path string, keep, base int64) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return base, nil // no log yet
	}
	size := fi.Size()
	if size-base < 2*keep {
		return base, nil
	}
	block := int64(4096)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Blksize > 0 {
		block = int64(st.Blksize)
	}
	cut := (size - keep) / block * block
	if cut <= base {
		return base, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return base, fmt.Errorf("open %s: %w", filepath.Base(path), err)
	}
	defer f.Close()
	if err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, base, cut-base); err != nil {
		return base, fmt.Errorf("punch the first %d bytes out of %s: %w", cut, filepath.Base(path), err)
	}
	return cut, nil
}
