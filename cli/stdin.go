package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobs"
)

// pipedGrace is how long run and create wait for a pipe on their standard
// input to have something to read (data, or its end) before they leave it
// alone. A producer such as printf or git diff is ready well within it; a
// pipe nobody writes to (an ssh session, a tool that keeps stdin open)
// costs this much once, instead of a hang.
const pipedGrace = time.Second

// stdinFlags adds --no-stdin to run and create.
func stdinFlags(fs *flagSet, noStdin *bool) {
	fs.BoolVar(noStdin, "no_stdin", false, "never give the job this command's standard input (see --stdin)")
}

// autoStdin decides, when no --stdin, --stdin_file or --no-stdin was given,
// whether this command's standard input becomes the job's: when it is a
// regular file (< file) or a pipe or socket with something to read within
// pipedGrace (printf x | agent-exec run -- cat). A terminal, /dev/null and
// other devices never do, nor does a tty or interactive job (it takes its
// input from input). It sets d.Stdin to "-" so that readStdin reads it.
func (inv *invocation) autoStdin(verb string, d *jobs.Definition, noStdin bool) error {
	if d.Stdin != nil || d.StdinFile != "" || d.TTY || d.Interactive {
		if noStdin && (d.Stdin != nil || d.StdinFile != "") {
			return errors.New("--no-stdin and --stdin or --stdin_file contradict each other")
		}
		return nil
	}
	f, ok := inv.in.(*os.File)
	if noStdin || !ok || f == nil {
		return nil
	}
	use, err := readableInput(f, pipedGrace)
	if err != nil {
		return nil // nothing usable: the job gets no input, as without a pipe
	}
	if !use {
		if isPipe(f) {
			fmt.Fprintf(inv.err, "agent-exec %s: standard input is a pipe with nothing to read after %v: the job gets none (--stdin - waits for it; --no-stdin skips this check)\n", verb, pipedGrace)
		}
		return nil
	}
	dash := "-"
	d.Stdin = &dash
	return nil
}

// readableInput reports whether f is a regular file, or a pipe or socket
// that has data or its end (hang-up) within grace.
func readableInput(f *os.File, grace time.Duration) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return true, nil
	case unix.S_IFIFO, unix.S_IFSOCK:
	default:
		return false, nil // a terminal, /dev/null, another device
	}
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	deadline := time.Now().Add(grace)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms < 0 {
			ms = 0
		}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, err
		}
		return n > 0 && fds[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0, nil
	}
}

// isPipe reports whether f is a pipe or a socket.
func isPipe(f *os.File) bool {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	m := st.Mode & unix.S_IFMT
	return m == unix.S_IFIFO || m == unix.S_IFSOCK
}
