package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runWithStdin runs agent-exec with f as its standard input.
func runWithStdin(t *testing.T, root string, f *os.File, want int, args ...string) result {
	t.Helper()
	r := invoke(t, t.Context(), root, f, args...)
	if r.code != want {
		t.Fatalf("agent-exec %q = exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}

// TestPipedStdin (issue 8, item 17): run reads its standard input for the
// job when it is a regular file or a pipe with input ready, not when it is
// a terminal or /dev/null, not past a second for a pipe nobody writes to,
// and never with --no-stdin.
func TestPipedStdin(t *testing.T) {
	root := newRoot(t)
	pipe := func(data string, closeWriter bool) *os.File {
		t.Helper()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		if _, err := w.WriteString(data); err != nil {
			t.Fatal(err)
		}
		if closeWriter {
			w.Close()
		}
		return r
	}

	r := runWithStdin(t, root, pipe("x from a pipe", true), exitOK, "run", "--", "cat")
	if got := r.envelope(t).Output.Text; got != "x from a pipe" {
		t.Errorf("printf x | agent-exec run -- cat: text %q", got)
	}

	file := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(file, []byte("from a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r = runWithStdin(t, root, f, exitOK, "create", "--", "cat")
	id := r.envelope(t).Job.JobID
	if got := agentExec(t, root, exitOK, "start", id).envelope(t).Output.Text; got != "from a file\n" {
		t.Errorf("agent-exec create -- cat < file, then start: text %q", got)
	}

	// A pipe nobody writes to: left alone after the grace, with a note.
	r = runWithStdin(t, root, pipe("", false), exitOK, "run", "--", "cat; echo end")
	if got := r.envelope(t).Output.Text; got != "end\n" {
		t.Errorf("idle pipe: text %q, want the job without input", got)
	}
	if !strings.Contains(r.stderr, "nothing to read") {
		t.Errorf("idle pipe: stderr %q, want a note", r.stderr)
	}

	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	r = runWithStdin(t, root, devNull, exitOK, "run", "--", "cat; echo end")
	if got := r.envelope(t).Output.Text; got != "end\n" || r.stderr != "" {
		t.Errorf("/dev/null: text %q stderr %q", got, r.stderr)
	}

	r = runWithStdin(t, root, pipe("ignored", true), exitOK, "run", "--no-stdin", "--", "cat; echo end")
	if got := r.envelope(t).Output.Text; got != "end\n" {
		t.Errorf("--no-stdin: text %q", got)
	}
	runWithStdin(t, root, pipe("x", true), exitUsage, "run", "--no-stdin", "--stdin", "y", "--", "cat")

	// A tty job takes its input from input, not from the pipe.
	r = runWithStdin(t, root, pipe("ignored", true), exitOK, "run", "--tty", "--", "echo tty")
	if env := r.envelope(t); !strings.Contains(env.Output.Text, "tty") {
		t.Errorf("tty job with a pipe on stdin: %s", r.stdout)
	}
}
