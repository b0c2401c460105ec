package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// gcDeadline bounds every wait for a background collection.
const gcDeadline = 30 * time.Second

type gcPass struct {
	res *jobstore.GCResult
	err error
}

// newGCService returns a service over store whose automatic collection
// (one hour, no interval) reports each pass on the returned channel.
func newGCService(t *testing.T, store *jobstore.Store) (*Service, chan gcPass) {
	t.Helper()
	cfg := GCConfig{Auto: true, OlderThan: time.Hour, ScanLimit: 1000, DeleteLimit: 50}
	s, err := New(store, Options{Cwd: t.TempDir(), GC: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	passes := make(chan gcPass, 16)
	s.gcDone = func(r *jobstore.GCResult, err error) { passes <- gcPass{r, err} }
	t.Cleanup(func() {
		ids, _ := store.IDs()
		for _, id := range ids {
			if st, err := store.ReadState(id); err == nil && st.State == jobstore.StateRunning {
				s.Kill(context.Background(), &KillRequest{JobID: id, Signal: []byte("9")})
			}
			if l, err := store.LockSupervisor(id); err == nil {
				l.Unlock() // its supervisor has exited
			}
		}
		s.Close()
	})
	return s, passes
}

func nextPass(t *testing.T, passes chan gcPass) gcPass {
	t.Helper()
	select {
	case p := <-passes:
		return p
	case <-time.After(gcDeadline):
		t.Fatal("no automatic collection within the deadline")
		return gcPass{}
	}
}

// ageJob makes job id look finished long ago.
func ageJob(t *testing.T, store *jobstore.Store, id string, ago time.Duration) {
	t.Helper()
	st, err := store.ReadState(id)
	if err != nil {
		t.Fatal(err)
	}
	fin := jobstore.Time{Time: time.Now().Add(-ago)}
	st.FinishedAt = &fin
	if err := store.WriteState(id, st); err != nil {
		t.Fatal(err)
	}
}

func runUntilDone(t *testing.T, s *Service, cmd ...string) *Envelope {
	t.Helper()
	until := 20.0
	env, err := s.Run(context.Background(), &RunRequest{Definition: Definition{Command: cmd},
		Observation: Observation{Until: &until}}, nil)
	if err != nil {
		t.Fatalf("Run(%q) error = %v", cmd, err)
	}
	return env
}

func TestAutoGCOnRunRemovesOldFinishedOnly(t *testing.T) {
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, passes := newGCService(t, store)
	s.gc.Auto = false // set the scene first
	old := runUntilDone(t, s, "true").Job.JobID
	ageJob(t, store, old, 2*time.Hour)
	running, err := s.Run(context.Background(), &RunRequest{Definition: Definition{Command: Command{"sleep", "60"}},
		Observation: Observation{Until: ptrTo(0.0)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if running.Job.State != jobstore.StateRunning {
		t.Fatalf("sleep job state = %s, want running", running.Job.State)
	}
	ageJob(t, store, running.Job.JobID, 2*time.Hour) // a running job with an old stamp all the same
	created, err := s.Create(context.Background(), &Definition{Command: Command{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	broken := runUntilDone(t, s, "true").Job.JobID
	if err := os.WriteFile(store.Path(broken, jobstore.StateFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-48 * time.Hour)
	for _, id := range []string{created.Job.JobID, broken} {
		os.Chtimes(store.Dir(id), long, long)
	}

	s.gc.Auto = true
	fresh := runUntilDone(t, s, "true").Job.JobID
	p := nextPass(t, passes)
	if p.err != nil {
		t.Fatalf("auto gc error = %v", p.err)
	}
	if len(p.res.Deleted) != 1 || p.res.Deleted[0].ID != old {
		t.Fatalf("auto gc deleted %+v, want only the old finished job %s", p.res.Deleted, old)
	}
	if store.Exists(old) {
		t.Error("the old finished job is still there")
	}
	for _, id := range []string{running.Job.JobID, created.Job.JobID, broken, fresh} {
		if !store.Exists(id) {
			t.Errorf("job %s was removed; running, created, unreadable and new jobs never are", id)
		}
	}
	// The new job may still run when the collection looks at it.
	if p.res.Kept[jobstore.KeepRunning] < 1 || p.res.Kept[jobstore.KeepCreated] != 1 || p.res.Kept[jobstore.KeepUnreadable] != 1 {
		t.Errorf("kept = %v, want a running one, one created, one unreadable", p.res.Kept)
	}
}

func TestAutoGCAfterStartAndRestart(t *testing.T) {
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, passes := newGCService(t, store)
	s.gc.Auto = false
	a := runUntilDone(t, s, "true").Job.JobID
	b := runUntilDone(t, s, "true").Job.JobID
	c, err := s.Create(context.Background(), &Definition{Command: Command{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	ageJob(t, store, a, 2*time.Hour)
	s.gc.Auto = true
	until := 20.0
	if _, err := s.Start(context.Background(), &StartRequest{JobID: c.Job.JobID, Observation: Observation{Until: &until}}, nil); err != nil {
		t.Fatal(err)
	}
	if p := nextPass(t, passes); p.err != nil || len(p.res.Deleted) != 1 || p.res.Deleted[0].ID != a {
		t.Fatalf("after start: pass = %+v, %v; want job %s deleted", p.res, p.err, a)
	}
	ageJob(t, store, c.Job.JobID, 2*time.Hour)
	if _, err := s.Restart(context.Background(), &RestartRequest{JobID: b, Observation: Observation{Until: &until}}, nil); err != nil {
		t.Fatal(err)
	}
	if p := nextPass(t, passes); p.err != nil || len(p.res.Deleted) != 1 || p.res.Deleted[0].ID != c.Job.JobID {
		t.Fatalf("after restart: pass = %+v, %v; want job %s deleted", p.res, p.err, c.Job.JobID)
	}
}

func TestAutoGCConcurrentLaunchesCollectOnce(t *testing.T) {
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Two services on one root stand for two processes: each takes the
	// root's flock on its own descriptor.
	a, passesA := newGCService(t, store)
	b, passesB := newGCService(t, store)
	entered, release := make(chan struct{}), make(chan struct{})
	a.gcOnLocked = func() {
		close(entered)
		<-release
	}
	b.gc.Auto = false
	old := runUntilDone(t, b, "true").Job.JobID
	ageJob(t, store, old, 2*time.Hour)
	b.gc.Auto = true

	runUntilDone(t, a, "true") // returns while a's collection holds the lock
	select {
	case <-entered:
	case <-time.After(gcDeadline):
		t.Fatal("a's collection never took the lock")
	}
	runUntilDone(t, b, "true") // b's launch is not held up by a's collection
	pb := nextPass(t, passesB)
	if !errors.Is(pb.err, jobstore.ErrGCBusy) {
		t.Fatalf("b's collection while a's runs: error = %v, want ErrGCBusy (skipped)", pb.err)
	}
	close(release)
	pa := nextPass(t, passesA)
	if pa.err != nil || len(pa.res.Deleted) != 1 || pa.res.Deleted[0].ID != old {
		t.Fatalf("a's collection = %+v, %v; want the old job deleted once", pa.res, pa.err)
	}
}

func TestAutoGCNeverFailsLaunch(t *testing.T) {
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The lock file cannot be opened: the collection fails, the run not.
	if err := os.Mkdir(filepath.Join(store.Root(), ".gc.lock"), 0o700); err != nil {
		t.Fatal(err)
	}
	s, passes := newGCService(t, store)
	env := runUntilDone(t, s, "true")
	if env.Job.State != jobstore.StateExited {
		t.Fatalf("run state = %s, want exited", env.Job.State)
	}
	if p := nextPass(t, passes); p.err == nil {
		t.Fatal("auto gc error = nil, want the lock failure (logged, not returned)")
	}
}

func TestAutoGCOff(t *testing.T) {
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, passes := newGCService(t, store)
	s.gc.Auto = false
	old := runUntilDone(t, s, "true").Job.JobID
	ageJob(t, store, old, 2*time.Hour)
	runUntilDone(t, s, "true")
	s.Close()
	select {
	case p := <-passes:
		t.Fatalf("a collection ran with auto off: %+v", p)
	default:
	}
	if !store.Exists(old) {
		t.Fatal("the old job was removed with auto off")
	}
}

func TestGCOperation(t *testing.T) {
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newGCService(t, store)
	s.gc.Auto = false
	old := runUntilDone(t, s, "true").Job.JobID
	ageJob(t, store, old, 3*time.Hour)
	newer := runUntilDone(t, s, "true").Job.JobID
	if l, err := store.LockSupervisor(newer); err == nil {
		l.Unlock() // its supervisor has exited: nothing holds the job
	}

	env, err := s.GC(context.Background(), &GCRequest{OlderThan: json.RawMessage(`"2h"`), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if env.Type != "gc" || !env.GC.DryRun || len(env.GC.Deleted) != 1 || env.GC.Deleted[0].ID != old || !store.Exists(old) {
		t.Fatalf("dry run = %+v", env.GC)
	}
	if env.GC.OlderThanS != 7200 || env.GC.MaxJobs != 0 || env.GC.MaxBytes != 0 {
		t.Errorf("limits = %d s, %d jobs, %d bytes; want 7200, 0, 0 (the service's config has none)", env.GC.OlderThanS, env.GC.MaxJobs, env.GC.MaxBytes)
	}
	maxJobs := 0
	env, err = s.GC(context.Background(), &GCRequest{OlderThan: json.RawMessage(`0`), MaxJobs: &maxJobs, MaxBytes: json.RawMessage(`"1k"`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(env.GC.Deleted) != 2 || store.Exists(old) || store.Exists(newer) {
		t.Fatalf("max_bytes 1k: deleted %+v, want both jobs", env.GC.Deleted)
	}

	for _, c := range []struct {
		req   GCRequest
		field string
	}{
		{GCRequest{OlderThan: json.RawMessage(`"soon"`)}, "older_than"},
		{GCRequest{OlderThan: json.RawMessage(`-5`)}, "older_than"},
		{GCRequest{OlderThan: json.RawMessage(`true`)}, "older_than"},
		{GCRequest{MaxJobs: ptrTo(-1)}, "max_jobs"},
		{GCRequest{MaxBytes: json.RawMessage(`"lots"`)}, "max_bytes"},
		{GCRequest{MaxBytes: json.RawMessage(`-1`)}, "max_bytes"},
	} {
		_, err := s.GC(context.Background(), &c.req)
		if e := AsError(err); e.Code != CodeInvalidInput || e.Field != c.field {
			t.Errorf("GC(%+v) error = %v, want invalid_input on %s", c.req, err, c.field)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute, "3600s": time.Hour,
		"3600": time.Hour, "1h30m": 90 * time.Minute, "0": 0, "1.5d": 36 * time.Hour,
	} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1h", "-3", "soon", "3w", "1e300d"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) error = nil, want one", in)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1024": 1024, "1k": 1024, "1K": 1024, "1KB": 1024, "1KiB": 1024, "512M": 512 << 20,
		"2GiB": 2 << 30, "2g": 2 << 30, "1T": 1 << 40, "1.5k": 1536,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1", "1x", "k", "1e30T"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) error = nil, want one", in)
		}
	}
}

func TestDeleteBulk(t *testing.T) {
	store, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newGCService(t, store)
	s.gc.Auto = false
	ctx := context.Background()
	until := 20.0
	run := func(d Definition) string {
		t.Helper()
		env, err := s.Run(ctx, &RunRequest{Definition: d, Observation: Observation{Until: &until}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := store.LockSupervisor(env.Job.JobID); err == nil && env.Job.State != jobstore.StateRunning {
			l.Unlock()
		}
		return env.Job.JobID
	}
	a := run(Definition{Command: Command{"true"}, Tags: []string{"ci"}})
	zero := 0.0
	bEnv, err := s.Run(ctx, &RunRequest{Definition: Definition{Command: Command{"sleep", "60"}, Tags: []string{"ci"}},
		Observation: Observation{Until: &zero}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := bEnv.Job.JobID
	c := run(Definition{Command: Command{"true"}, Tags: []string{"other"}})
	d := run(Definition{Command: Command{"true"}, Name: "web"})
	ageJob(t, store, d, 10*24*time.Hour)
	e, err := s.Create(ctx, &Definition{Command: Command{"true"}, Tags: []string{"ci"}})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := run(Definition{Command: Command{"true"}, Tags: []string{"ci"}, Cwd: t.TempDir()})

	ids := func(env *Envelope) []string {
		var out []string
		for _, j := range env.Bulk.Deleted {
			out = append(out, j.JobID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(v ...string) []string { slices.Sort(v); return v }

	env, err := s.Delete(ctx, &DeleteRequest{Tag: "ci", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(env); !slices.Equal(got, sorted(a, e.Job.JobID)) || env.Bulk.Kept[jobstore.KeepRunning] != 1 || !store.Exists(a) {
		t.Fatalf("dry run by tag: deleted %v, kept %v; want %s and %s listed, the running one kept, nothing removed", got, env.Bulk.Kept, a, e.Job.JobID)
	}
	env, err = s.Delete(ctx, &DeleteRequest{Tag: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(env); !slices.Equal(got, sorted(a, e.Job.JobID)) || store.Exists(a) || !store.Exists(b) || !store.Exists(elsewhere) {
		t.Fatalf("delete by tag: deleted %v; want only %s and %s (not the running one, not the one of another directory)", got, a, e.Job.JobID)
	}
	env, err = s.Delete(ctx, &DeleteRequest{OlderThan: json.RawMessage(`"7d"`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(env); !slices.Equal(got, []string{d}) || env.Bulk.Deleted[0].Name != "web" || !store.Exists(c) {
		t.Fatalf("delete older_than 7d: deleted %+v; want only %s", env.Bulk.Deleted, d)
	}
	env, err = s.Delete(ctx, &DeleteRequest{Tag: "ci", All: true, State: jobstore.StateExited})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(env); !slices.Equal(got, []string{elsewhere}) {
		t.Fatalf("delete tag ci, state exited, all: deleted %v; want %s", got, elsewhere)
	}

	// With job_id, the filters are conditions on that job.
	env, err = s.Delete(ctx, &DeleteRequest{JobID: c, Tag: "ci"})
	if err != nil || len(env.Bulk.Deleted) != 0 || !store.Exists(c) {
		t.Fatalf("delete %s --tag ci (it is tagged other) = %+v, %v; want nothing deleted", c, env, err)
	}
	env, err = s.Delete(ctx, &DeleteRequest{JobID: c, Tag: "other", DryRun: true})
	if err != nil || len(env.Bulk.Deleted) != 1 || !store.Exists(c) {
		t.Fatalf("dry delete %s --tag other = %+v, %v; want it listed, kept", c, env, err)
	}
	for _, c := range []struct {
		req   DeleteRequest
		field string
	}{
		{DeleteRequest{Tag: "ci", Force: true}, "force"},
		{DeleteRequest{State: jobstore.StateRunning}, "state"},
		{DeleteRequest{DryRun: true}, "job_id"},
		{DeleteRequest{All: true}, "job_id"},
		{DeleteRequest{OlderThan: json.RawMessage(`"soon"`)}, "older_than"},
		{DeleteRequest{State: "bogus"}, "state"},
	} {
		_, err := s.Delete(ctx, &c.req)
		if e := AsError(err); e.Code != CodeInvalidInput || e.Field != c.field {
			t.Errorf("Delete(%+v) error = %v, want invalid_input on %s", c.req, err, c.field)
		}
	}
}
