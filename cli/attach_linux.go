package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobs"
)

// detachKey is the byte that ends an attach, leaving the job running:
// ctrl-], as telnet taught.
const detachKey = 0x1d

// attachVerb connects the user's terminal to a tty job: output live,
// keystrokes in, window resizes forwarded, until ctrl-] detaches (the job
// keeps running) or the job ends.
func attachVerb(ctx context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("attach", "attach JOB   (detach with ctrl-])")
	fs.addAliases()
	var job string
	if code, ok := fs.parseJob(inv, args, &job); !ok {
		return code
	}
	tty, ok := inv.in.(*os.File)
	if !ok || !isTerminal(tty) {
		return fs.usageError(inv.stdio, errors.New("attach needs a terminal on standard input"))
	}
	svc, err := inv.service(fs)
	if err != nil {
		return inv.fail("attach", err)
	}
	defer svc.Close()
	t, err := svc.AttachTerminal(job)
	if err != nil {
		return inv.fail("attach", err)
	}
	a := &attachment{svc: svc, t: t, tty: tty, out: inv.out}
	reason, err := a.run(ctx)
	if err != nil {
		return inv.fail("attach", err)
	}
	fmt.Fprintf(inv.err, "\r\n[%s]\r\n", reason)
	return exitOK
}

// attachment is one person's terminal connected to one job.
type attachment struct {
	svc *jobs.Service
	t   *jobs.Terminal
	tty *os.File
	out io.Writer
}

func (a *attachment) run(ctx context.Context) (string, error) {
	old, err := makeRaw(int(a.tty.Fd()))
	if err != nil {
		return "", fmt.Errorf("raw mode: %w", err)
	}
	defer unix.IoctlSetTermios(int(a.tty.Fd()), unix.TCSETS, old)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	defer signal.Stop(winch)
	a.resizeToTerminal()
	defer a.svc.Deliver(a.t.JobID, nil, false, a.t.Cols, a.t.Rows) // give the job its own size back

	fmt.Fprintf(a.out, "[attached to %s; detach with ctrl-]]\r\n", a.t.JobID)
	from := sizeOfFile(a.t.Log)
	a.draw(a.t.Screen)

	ended := make(chan error, 1)
	go func() {
		_, err := a.svc.Follow(ctx, a.t.JobID, "", from, true, a.out)
		ended <- err
	}()
	detached := make(chan error, 1)
	go func() { detached <- a.pump(ctx) }()
	for {
		select {
		case <-winch:
			a.resizeToTerminal()
		case err := <-ended:
			if err != nil && !errors.Is(err, context.Canceled) {
				return "", err
			}
			return "job " + a.t.JobID + " ended", nil
		case err := <-detached:
			if err != nil {
				return "", err
			}
			return "detached; job " + a.t.JobID + " keeps running", nil
		case <-ctx.Done():
			return "detached; job " + a.t.JobID + " keeps running", nil
		}
	}
}

// pump forwards keystrokes until the detach key; it returns nil on detach.
func (a *attachment) pump(ctx context.Context) error {
	buf := make([]byte, 4096)
	for ctx.Err() == nil {
		n, err := a.tty.Read(buf)
		if n > 0 {
			data, detach := buf[:n], false
			if i := bytes.IndexByte(data, detachKey); i >= 0 {
				data, detach = data[:i], true
			}
			if len(data) > 0 {
				if _, derr := a.svc.Deliver(a.t.JobID, data, false, 0, 0); derr != nil {
					return derr
				}
			}
			if detach {
				return nil
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *attachment) resizeToTerminal() {
	ws, err := unix.IoctlGetWinsize(int(a.tty.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 || ws.Row == 0 {
		return
	}
	a.svc.Deliver(a.t.JobID, nil, false, int(ws.Col), int(ws.Row))
}

// draw paints the job's current screen so the person sees what is there
// before new output arrives.
func (a *attachment) draw(s *jobs.Screen) {
	if s == nil {
		return
	}
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[2J")
	for i, line := range s.Lines {
		if i > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(line)
	}
	fmt.Fprintf(&b, "\x1b[%d;%dH", s.Cursor.Row+1, s.Cursor.Col+1)
	io.WriteString(a.out, b.String())
}

// makeRaw puts the terminal fd in raw mode and returns its old settings.
func makeRaw(fd int) (*unix.Termios, error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return old, nil
}

func sizeOfFile(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
