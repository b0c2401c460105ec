package jobs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/internal/testutil"
	"github.com/agent-exec/agent-exec/jobstore"
)

// followService is newService whose temporary root is removed only after
// every supervisor has exited: a supervisor writes a little (its log, the
// last event) after it records a final state, and that races with the
// removal of the root.
func followService(t *testing.T) *Service {
	t.Helper()
	s := newService(t)
	t.Cleanup(func() { testutil.AwaitSupervisors(t, s.store.Root(), followCeiling) })
	return s
}

// notifyBuffer is a Writer that tells, through changed, when it grew.
type notifyBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{changed: make(chan struct{}, 1)} }

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// followCeiling bounds the waits of these tests: it catches a hang, not a
// slow machine. On a loaded machine a step can take long: recording a lost
// supervisor writes and syncs state.json, and a sync waits behind every
// other process's writes to the same disk.
const followCeiling = 2 * time.Minute

// waitFor waits, a generous while at most, until the buffer holds want.
func (b *notifyBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(followCeiling)
	for b.String() != want {
		select {
		case <-b.changed:
		case <-deadline:
			t.Fatalf("waited %v for output %q; have %q", followCeiling, want, b.String())
		}
	}
}

type followResult struct {
	env *Envelope
	err error
}

// followAsync runs Follow in the background.
func followAsync(ctx context.Context, s *Service, ref string, w *notifyBuffer) <-chan followResult {
	done := make(chan followResult, 1)
	go func() {
		env, err := s.Follow(ctx, ref, "", 0, true, w)
		done <- followResult{env, err}
	}()
	return done
}

func awaitFollow(t *testing.T, done <-chan followResult) *Envelope {
	t.Helper()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Follow: %v", r.err)
		}
		return r.env
	case <-time.After(followCeiling):
		t.Fatalf("Follow did not return within %v", followCeiling)
	}
	return nil
}

// gate is a FIFO a job blocks on (read x < fifo) until the test opens it.
func gate(t *testing.T, dir string) func() {
	t.Helper()
	p := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("go\n"); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func runNoWait(t *testing.T, s *Service, d Definition) string {
	t.Helper()
	zero := 0.0
	env, err := s.Run(t.Context(), &RunRequest{Definition: d, Observation: Observation{Until: &zero}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := env.Job.JobID
	t.Cleanup(func() {
		_, _ = s.Delete(context.WithoutCancel(t.Context()), &DeleteRequest{JobID: id, Force: true})
	})
	return id
}

func TestFollowToTheEnd(t *testing.T) {
	s := followService(t)
	dir := t.TempDir()
	open := gate(t, dir)
	id := runNoWait(t, s, Definition{Command: Command{"echo a; read x < fifo; echo b"}, Cwd: dir})

	out := newNotifyBuffer()
	done := followAsync(t.Context(), s, id, out)
	out.waitFor(t, "a\n")
	open()
	env := awaitFollow(t, done)
	if got := out.String(); got != "a\nb\n" {
		t.Fatalf("Follow wrote %q, want %q", got, "a\nb\n")
	}
	if env.Type != "logs" || env.Job.State != jobstore.StateExited {
		t.Fatalf("Follow envelope: type %s job %+v", env.Type, env.Job)
	}
	if env.Output.Start != 0 || env.Output.End != 4 || env.Output.NextOffset != 4 || env.Output.TotalBytes != 4 {
		t.Fatalf("Follow output = %+v, want 0-4 of 4", env.Output)
	}
}

// A job that has not started yet is waited for.
func TestFollowCreatedJob(t *testing.T) {
	s := followService(t)
	env, err := s.Create(t.Context(), &Definition{Command: Command{"echo started"}})
	if err != nil {
		t.Fatal(err)
	}
	id := env.Job.JobID
	out := newNotifyBuffer()
	done := followAsync(t.Context(), s, id, out)
	if _, err := s.Start(t.Context(), &StartRequest{JobID: id}, nil); err != nil {
		t.Fatal(err)
	}
	awaitFollow(t, done)
	if got := out.String(); got != "started\n" {
		t.Fatalf("Follow wrote %q, want %q", got, "started\n")
	}
}

func TestFollowWithoutFollowing(t *testing.T) {
	s := followService(t)
	dir := t.TempDir()
	open := gate(t, dir)
	id := runNoWait(t, s, Definition{Command: Command{"printf 'abc\\n'; read x < fifo; echo more"}, Cwd: dir})

	// Wait for the first line through the service's own wait.
	one := 30.0
	if _, err := s.Observe(t.Context(), &StartRequest{JobID: id, Observation: Observation{Until: &one, WaitFor: "abc"}}, nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	env, err := s.Follow(t.Context(), id, "output", 1, false, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "bc\n" || env.Job.State != jobstore.StateRunning || env.Output.NextOffset != 4 {
		t.Fatalf("Follow(from 1, no follow) = %q, job %s, output %+v", out.String(), env.Job.State, env.Output)
	}
	open()
}

func TestFollowErrors(t *testing.T) {
	s := followService(t)
	env, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := env.Job.JobID
	tests := []struct {
		ref, stream string
		from        int64
		code        Code
	}{
		{"nosuchjob", "", 0, CodeNotFound},
		{"!bad", "", 0, CodeInvalidInput},
		{id, "both", 0, CodeInvalidInput},
		{id, "stderr", 0, CodeInvalidInput}, // merged job
		{id, "", -1, CodeInvalidInput},
	}
	for _, tt := range tests {
		_, err := s.Follow(t.Context(), tt.ref, tt.stream, tt.from, true, &bytes.Buffer{})
		if got := AsError(err).Code; err == nil || got != tt.code {
			t.Errorf("Follow(%q, %q, %d) = %v, want %s", tt.ref, tt.stream, tt.from, err, tt.code)
		}
	}
}

// A cancelled context ends the following, not the job.
func TestFollowCancelled(t *testing.T) {
	s := followService(t)
	dir := t.TempDir()
	open := gate(t, dir)
	id := runNoWait(t, s, Definition{Command: Command{"echo a; read x < fifo"}, Cwd: dir})
	ctx, cancel := context.WithCancel(t.Context())
	out := newNotifyBuffer()
	done := followAsync(ctx, s, id, out)
	out.waitFor(t, "a\n")
	cancel()
	env := awaitFollow(t, done)
	if env.Job.State != jobstore.StateRunning {
		t.Fatalf("after cancel the job is %s, want running", env.Job.State)
	}
	open()
}

// A supervisor that dies ends the following: the loss is recorded.
func TestFollowSupervisorLost(t *testing.T) {
	s := followService(t)
	dir := t.TempDir()
	gate(t, dir) // never opened: the job blocks until stopped
	id := runNoWait(t, s, Definition{Command: Command{"echo a; read x < fifo"}, Cwd: dir})
	out := newNotifyBuffer()
	done := followAsync(t.Context(), s, id, out)
	out.waitFor(t, "a\n")
	st, err := s.store.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(st.SupervisorPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	env := awaitFollow(t, done)
	if env.Job.State != jobstore.StateFailed || env.Job.Reason != jobstore.ReasonSupervisorLost {
		t.Fatalf("after the supervisor died: job %+v", env.Job)
	}
}

func TestFollowRedacts(t *testing.T) {
	s := followService(t)
	d := Definition{Command: Command{`printf 'key=%s; again %s!\n' "$KEY" "$KEY"`},
		Env: map[string]string{"KEY": "hunter2"}, Mask: []string{"KEY"}}
	env, err := s.Run(t.Context(), &RunRequest{Definition: d}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := s.Follow(t.Context(), env.Job.JobID, "", 0, true, &out); err != nil {
		t.Fatal(err)
	}
	if want := "key=***; again ***!\n"; out.String() != want {
		t.Fatalf("Follow wrote %q, want %q", out.String(), want)
	}
}

// Follow reads in bounded chunks: a log several chunks long arrives whole.
func TestFollowLargeLog(t *testing.T) {
	s := followService(t)
	const n = 3*followChunk + 17
	env, err := s.Run(t.Context(), &RunRequest{Definition: Definition{
		Command: Command{"head -c " + strconv.Itoa(n) + " /dev/zero | tr '\\0' x"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	fe, err := s.Follow(t.Context(), env.Job.JobID, "", 0, false, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != n || strings.Trim(out.String(), "x") != "" || fe.Output.NextOffset != n {
		t.Fatalf("Follow copied %d bytes (next_offset %d), want %d", out.Len(), fe.Output.NextOffset, n)
	}
}
