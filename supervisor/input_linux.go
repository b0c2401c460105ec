package supervisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// inputPort is the write side of an interactive job's standard input: the
// PTY master of a tty job, or the write end of the stdin pipe of an
// interactive one. Input requests use it one at a time, off the loop; the
// loop closes it when the run ends, which makes a pending write return.
type inputPort struct {
	f      *os.File // non-blocking, so writes take deadlines
	tty    bool
	closed atomic.Bool // a pipe was closed: eof, or the run ended
}

// writeTimeout bounds one write: a job that does not read its input never
// hangs a caller; the answer says how much was taken.
const writeTimeout = time.Second

// InputTimeout is how long a caller should give an input request: the
// write's own bound plus room for the answer.
const InputTimeout = writeTimeout + 4*time.Second

// write writes p, returning how many bytes the job took before the
// deadline.
func (in *inputPort) write(p []byte) (int, error) {
	if in.closed.Load() {
		return 0, errors.New("stdin was closed (eof)")
	}
	if err := in.f.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return 0, err
	}
	n, err := in.f.Write(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, nil // the job stopped reading: partial
	}
	return n, err
}

// eof ends the input: the terminal's EOF character (at the start of a line
// it makes a read return 0) for a tty, closing the pipe otherwise.
func (in *inputPort) eof() error {
	if in.tty {
		_, err := in.write([]byte{4})
		return err
	}
	return in.close()
}

// close closes a pipe's write end, once.
func (in *inputPort) close() error {
	if in.closed.Swap(true) {
		return nil
	}
	return in.f.Close()
}

// resize sets the terminal's size; the kernel tells the foreground process
// group with SIGWINCH.
func (in *inputPort) resize(cols, rows int) error {
	if !in.tty {
		return errors.New("not a terminal job")
	}
	rc, err := in.f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = rc.Control(func(fd uintptr) {
		// Not pty.Setsize: it would put the master back in blocking mode.
		ierr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(rows), Col: uint16(cols)})
	})
	if err != nil {
		return err
	}
	return ierr
}

// nonblocking returns a pollable *os.File for fd (taking ownership of a dup
// of it), so reads and writes park on the netpoller and take deadlines.
func nonblocking(f *os.File, name string) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("dup %s: %w", name, err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("nonblock %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// attachTerminal gives cmd a new pseudo-terminal of cols×rows as its
// controlling terminal (its own session) and returns the master. The caller
// closes the returned slave once the command has started.
func attachTerminal(cmd *exec.Cmd, cols, rows int) (master, slave *os.File, err error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("open a pseudo-terminal: %w", err)
	}
	if err := pty.Setsize(tty, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)}); err != nil {
		ptmx.Close()
		tty.Close()
		return nil, nil, fmt.Errorf("size the pseudo-terminal: %w", err)
	}
	master, err = nonblocking(ptmx, "ptmx")
	ptmx.Close()
	if err != nil {
		tty.Close()
		return nil, nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	return master, tty, nil
}

// attachPipe gives cmd a stdin pipe whose write end the supervisor keeps.
func attachPipe(cmd *exec.Cmd) (w, r *os.File, err error) {
	r, w0, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("stdin pipe: %w", err)
	}
	w, err = nonblocking(w0, "stdin")
	w0.Close()
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	cmd.Stdin = r
	return w, r, nil
}

// copyTerminal copies the terminal's output to log until the last holder
// of the slave side is gone (EIO), then closes done. Nothing written before the exit is lost: the master keeps it
// until read.
func copyTerminal(master *os.File, log io.Writer, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 32<<10)
	for {
		n, err := master.Read(buf)
		if n > 0 {
			// A full disk must not wedge the job: keep draining.
			_, _ = log.Write(buf[:n])
		}
		if err != nil {
			return // EIO once every slave fd is closed, or the master closed
		}
	}
}
