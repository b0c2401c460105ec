package jobstore

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// gcHelperEnv makes the test binary a collector that holds the GC lock of
// the root it names until it is killed (see TestMain).
const gcHelperEnv = "JOBSTORE_GC_HOLD_ROOT"

func TestMain(m *testing.M) {
	if root := os.Getenv(gcHelperEnv); root != "" {
		holdGCLock(root)
		return
	}
	if spec := os.Getenv(appendHelperEnv); spec != "" {
		os.Exit(appendEvents(spec))
	}
	os.Exit(m.Run())
}

// holdGCLock runs a collection on root that stops, holding the lock, once
// it has said so on stdout.
func holdGCLock(root string) {
	s, err := Open(root)
	if err != nil {
		os.Exit(3)
	}
	hold := func() {
		os.Stdout.WriteString("locked\n")
		select {} // until killed
	}
	_, _ = s.Collect(GCPolicy{OlderThan: time.Hour, OnLocked: hold})
	os.Exit(4)
}

// gcJob makes a job in state, finished ago (when terminal), with an
// output.log of size bytes.
func makeGCJob(t testing.TB, s *Store, name, state string, ago time.Duration, size int) string {
	t.Helper()
	id := NewID()
	m := &Meta{ID: id, Name: name, Command: []string{"true"}, Cwd: "/", Streams: StreamsMerged,
		Tags: []string{}, CreatedAt: Now()}
	if err := s.Create(m); err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	st := &State{State: state, Run: 1}
	if Terminal(state) {
		fin := Time{time.Now().Add(-ago)}
		st.FinishedAt = &fin
		code := 0
		st.ExitCode = &code
	}
	if err := s.WriteState(id, st); err != nil {
		t.Fatalf("WriteState() error = %v", err)
	}
	if size > 0 {
		if err := os.WriteFile(s.Path(id, OutputLog), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func deletedIDs(r *GCResult) []string {
	var ids []string
	for _, j := range r.Deleted {
		ids = append(ids, j.ID)
	}
	return ids
}

func mustCollect(t *testing.T, s *Store, p GCPolicy) *GCResult {
	t.Helper()
	r, err := s.Collect(p)
	if err != nil {
		t.Fatalf("Collect(%+v) error = %v, want nil", p, err)
	}
	return r
}

func TestCollectByAgeKeepsUnfinishedAndUnreadable(t *testing.T) {
	s := newStore(t)
	day := 24 * time.Hour
	old := makeGCJob(t, s, "old", StateExited, 40*day, 1000)
	oldKilled := makeGCJob(t, s, "", StateKilled, 31*day, 10)
	recent := makeGCJob(t, s, "", StateExited, day, 10)
	running := makeGCJob(t, s, "", StateRunning, 0, 10)
	created := makeGCJob(t, s, "", StateCreated, 0, 0)
	broken := makeGCJob(t, s, "", StateExited, 40*day, 0)
	if err := os.WriteFile(s.Path(broken, StateFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	old40 := time.Now().Add(-40 * day)
	for _, id := range []string{running, created, broken} {
		os.Chtimes(s.Dir(id), old40, old40) // old directories, all the same never collected
	}

	r := mustCollect(t, s, GCPolicy{OlderThan: 30 * day})
	if got, want := deletedIDs(r), []string{old, oldKilled}; !slices.Equal(got, want) {
		t.Fatalf("deleted = %v, want %v (oldest first)", got, want)
	}
	if r.Deleted[0].Name != "old" || r.Deleted[0].Reason != GCOlderThan || r.Deleted[0].State != StateExited {
		t.Errorf("deleted[0] = %+v, want name old, reason older_than, state exited", r.Deleted[0])
	}
	if r.FreedBytes < 1010 {
		t.Errorf("freed_bytes = %d, want at least the 1010 bytes of logs", r.FreedBytes)
	}
	want := map[string]int{KeepWithinLimits: 1, KeepRunning: 1, KeepCreated: 1, KeepUnreadable: 1}
	for k, v := range want {
		if r.Kept[k] != v {
			t.Errorf("kept[%s] = %d, want %d (kept = %v)", k, r.Kept[k], v, r.Kept)
		}
	}
	for _, id := range []string{old, oldKilled} {
		if s.Exists(id) {
			t.Errorf("job %s still exists", id)
		}
	}
	for _, id := range []string{recent, running, created, broken} {
		if !s.Exists(id) {
			t.Errorf("job %s was removed", id)
		}
	}
	if r.Jobs != 6 || r.Scanned != 6 || r.DryRun {
		t.Errorf("jobs, scanned, dry_run = %d, %d, %v; want 6, 6, false", r.Jobs, r.Scanned, r.DryRun)
	}
}

func TestCollectUnreadableOnlyWhenAskedAndOld(t *testing.T) {
	s := newStore(t)
	broken := makeGCJob(t, s, "", StateExited, 0, 0)
	fresh := makeGCJob(t, s, "", StateExited, 0, 0)
	for _, id := range []string{broken, fresh} {
		os.Remove(s.Path(id, StateFile))
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(s.Dir(broken), old, old)

	r := mustCollect(t, s, GCPolicy{OlderThan: time.Hour, MaxJobs: 1, MaxBytes: 1})
	if len(r.Deleted) != 0 || r.Kept[KeepUnreadable] != 2 {
		t.Fatalf("without Unreadable: deleted %v, kept %v; want none deleted, 2 unreadable", deletedIDs(r), r.Kept)
	}
	r = mustCollect(t, s, GCPolicy{OlderThan: time.Hour, MaxJobs: 1, MaxBytes: 1, Unreadable: true})
	if got := deletedIDs(r); !slices.Equal(got, []string{broken}) {
		t.Fatalf("with Unreadable: deleted %v, want only the old one %s (a fresh one may be mid-creation)", got, broken)
	}
	if r.Deleted[0].State != "unknown" {
		t.Errorf("state = %q, want unknown", r.Deleted[0].State)
	}
}

func TestCollectMaxJobsCountsEveryJob(t *testing.T) {
	s := newStore(t)
	var finished []string
	for i := range 5 {
		finished = append(finished, makeGCJob(t, s, "", StateFailed, time.Duration(5-i)*time.Minute, 0))
	}
	makeGCJob(t, s, "", StateRunning, 0, 0)
	r := mustCollect(t, s, GCPolicy{MaxJobs: 3})
	if got, want := deletedIDs(r), finished[:3]; !slices.Equal(got, want) {
		t.Fatalf("deleted = %v, want the 3 oldest %v (6 jobs, max 3, the running one counts)", got, want)
	}
	for _, j := range r.Deleted {
		if j.Reason != GCMaxJobs {
			t.Errorf("reason = %q, want max_jobs", j.Reason)
		}
	}
	ids, _ := s.IDs()
	if len(ids) != 3 {
		t.Errorf("%d jobs left, want 3", len(ids))
	}
}

func TestCollectMaxBytesAloneDeletesOldest(t *testing.T) {
	s := newStore(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, makeGCJob(t, s, "", StateExited, time.Duration(5-i)*time.Minute, 10000))
	}
	r := mustCollect(t, s, GCPolicy{MaxBytes: 25000})
	if got, want := deletedIDs(r), ids[:3]; !slices.Equal(got, want) {
		t.Fatalf("deleted = %v, want the 3 oldest %v", got, want)
	}
	if r.RemainingBytes > 25000 || r.RemainingBytes < 20000 {
		t.Errorf("remaining_bytes = %d, want between 20000 and the limit 25000", r.RemainingBytes)
	}
	if r.Deleted[0].Reason != GCMaxBytes {
		t.Errorf("reason = %q, want max_bytes", r.Deleted[0].Reason)
	}
}

func TestCollectDryRunChangesNothing(t *testing.T) {
	s := newStore(t)
	a := makeGCJob(t, s, "a", StateExited, 2*time.Hour, 100)
	makeGCJob(t, s, "", StateExited, 0, 100)
	r := mustCollect(t, s, GCPolicy{OlderThan: time.Hour, DryRun: true})
	if got := deletedIDs(r); !slices.Equal(got, []string{a}) || !r.DryRun || r.Deleted[0].Name != "a" {
		t.Fatalf("dry run = %+v, want job a listed with its name, dry_run true", r)
	}
	if !s.Exists(a) {
		t.Fatal("a dry run removed the job")
	}
	if r.FreedBytes < 100 {
		t.Errorf("freed_bytes = %d, want what it would free (>= 100)", r.FreedBytes)
	}
}

func TestCollectLimitsWork(t *testing.T) {
	s := newStore(t)
	var ids []string
	for i := range 6 {
		ids = append(ids, makeGCJob(t, s, "", StateExited, time.Duration(60-i)*time.Hour, 0))
	}
	r := mustCollect(t, s, GCPolicy{OlderThan: time.Hour, ScanLimit: 4, DeleteLimit: 2})
	if got := deletedIDs(r); !slices.Equal(got, ids[:2]) {
		t.Fatalf("deleted = %v, want the 2 oldest %v", got, ids[:2])
	}
	if r.Scanned != 4 || r.Kept[KeepNotScanned] != 2 || r.Kept[KeepDeleteLimit] != 2 {
		t.Errorf("scanned %d, kept %v; want 4 scanned, 2 not_scanned, 2 delete_limit", r.Scanned, r.Kept)
	}
	if len(r.Spared) != 2 || r.Spared[0].Reason != KeepDeleteLimit {
		t.Errorf("spared = %+v, want the 2 jobs past the delete limit", r.Spared)
	}
	// The next collection goes on where this one stopped: oldest first.
	r = mustCollect(t, s, GCPolicy{OlderThan: time.Hour, ScanLimit: 4, DeleteLimit: 2})
	if got := deletedIDs(r); !slices.Equal(got, ids[2:4]) {
		t.Fatalf("second collection deleted %v, want %v", got, ids[2:4])
	}
}

func TestCollectKeepsBusyJob(t *testing.T) {
	s := newStore(t)
	id := makeGCJob(t, s, "", StateExited, 2*time.Hour, 0)
	l, err := s.LockJob(id)
	if err != nil {
		t.Fatal(err)
	}
	r := mustCollect(t, s, GCPolicy{OlderThan: time.Hour})
	l.Unlock()
	if len(r.Deleted) != 0 || r.Kept[KeepBusy] != 1 {
		t.Fatalf("deleted %v, kept %v; want the locked job kept as busy", deletedIDs(r), r.Kept)
	}
	r = mustCollect(t, s, GCPolicy{OlderThan: time.Hour})
	if len(r.Deleted) != 1 {
		t.Fatalf("after unlock: deleted %v, want the job", deletedIDs(r))
	}
}

func TestCollectCheckRepairsLostJob(t *testing.T) {
	s := newStore(t)
	id := makeGCJob(t, s, "", StateRunning, 0, 0)
	fin := Time{time.Now().Add(-2 * time.Hour)}
	// Like the jobs layer's repair, the check records the loss.
	check := func(id string, _ *State) *State {
		st := &State{State: StateFailed, Reason: ReasonSupervisorLost, FinishedAt: &fin}
		if err := s.WriteState(id, st); err != nil {
			t.Error(err)
		}
		return st
	}
	r := mustCollect(t, s, GCPolicy{OlderThan: time.Hour, Check: check})
	if got := deletedIDs(r); !slices.Equal(got, []string{id}) {
		t.Fatalf("deleted = %v, want the lost job", got)
	}
}

func TestCollectClearsTrash(t *testing.T) {
	s := newStore(t)
	trash := filepath.Join(s.Root(), trashPrefix+NewID())
	if err := os.MkdirAll(filepath.Join(trash, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	mustCollect(t, s, GCPolicy{})
	if _, err := os.Stat(trash); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("trash left behind: stat error = %v", err)
	}
}

func TestCollectTryLockSkipsWhileHeld(t *testing.T) {
	s := newStore(t)
	id := makeGCJob(t, s, "", StateExited, 2*time.Hour, 0)
	held, err := s.lockGC(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Collect(GCPolicy{OlderThan: time.Hour, TryLock: true}); !errors.Is(err, ErrGCBusy) {
		t.Fatalf("Collect(TryLock) while held: error = %v, want ErrGCBusy", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Collect(GCPolicy{OlderThan: time.Hour})
		done <- err
	}()
	held.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("waiting Collect: %v", err)
		}
	case <-time.After(lockDeadline):
		t.Fatal("a waiting Collect did not get the lock once it was released")
	}
	if s.Exists(id) {
		t.Fatal("the waiting collection did not collect")
	}
}

func TestKilledCollectorLeavesNoLock(t *testing.T) {
	s := newStore(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), gcHelperEnv+"="+s.Root())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		t.Fatalf("helper said %q, %v; want locked", line, err)
	}
	if _, err := s.Collect(GCPolicy{TryLock: true}); !errors.Is(err, ErrGCBusy) {
		t.Fatalf("Collect(TryLock) while the helper holds the lock: error = %v, want ErrGCBusy", err)
	}
	cmd.Process.Kill() // SIGKILL: no cleanup runs
	cmd.Wait()
	if _, err := s.Collect(GCPolicy{TryLock: true}); err != nil {
		t.Fatalf("Collect(TryLock) after the holder was killed: error = %v, want nil (the flock died with it)", err)
	}
}

// benchRoot makes a root of n finished jobs (none old), each with a small
// meta, state, events file and log, like real ones.
func benchRoot(b *testing.B, n int) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "jobs"))
	if err != nil {
		b.Fatal(err)
	}
	// Written directly, without the store's fsyncs, or making the root
	// would take minutes.
	fin := Time{time.Now().Add(-time.Minute)}
	for range n {
		id := NewID()
		m, _ := json.Marshal(&Meta{ID: id, Command: []string{"true"}, Cwd: "/", Streams: StreamsMerged,
			Tags: []string{}, CreatedAt: Now()})
		st, _ := json.Marshal(&State{State: StateExited, Run: 1, FinishedAt: &fin, UpdatedAt: fin})
		files := map[string][]byte{MetaFile: m, StateFile: st, OutputLog: make([]byte, 2000),
			EventsFile: []byte(`{"event":"created"}` + "\n")}
		if err := os.Mkdir(s.Dir(id), 0o700); err != nil {
			b.Fatal(err)
		}
		for name, data := range files {
			if err := os.WriteFile(s.Path(id, name), data, 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	return s
}

// BenchmarkCollectAuto10k measures one auto-GC pass (the defaults of the
// jobs layer: scan 1000 jobs, oldest first) over a root of 10 000
// finished jobs that no limit selects but the job count: each pass deletes
// its 50. The root is made again when a pass has emptied what it may take.
func BenchmarkCollectAuto10k(b *testing.B) {
	s := benchRoot(b, 10000)
	p := GCPolicy{OlderThan: 30 * 24 * time.Hour, MaxJobs: 1000, MaxBytes: 2 << 30,
		ScanLimit: 1000, DeleteLimit: 50, TryLock: true}
	for b.Loop() {
		if _, err := s.Collect(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCollectAutoScanOnly10k measures an auto-GC pass over a root of
// 10 000 finished jobs when nothing is to be deleted: the steady cost of
// looking.
func BenchmarkCollectAutoScanOnly10k(b *testing.B) {
	s := benchRoot(b, 10000)
	p := GCPolicy{OlderThan: 30 * 24 * time.Hour, MaxJobs: 20000, MaxBytes: 2 << 30,
		ScanLimit: 1000, DeleteLimit: 50, TryLock: true}
	for b.Loop() {
		if _, err := s.Collect(p); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCollectMinInterval(t *testing.T) {
	s := newStore(t)
	mustCollect(t, s, GCPolicy{MinInterval: time.Hour}) // never collected: runs
	if _, err := s.Collect(GCPolicy{MinInterval: time.Hour}); !errors.Is(err, ErrGCRecent) {
		t.Fatalf("second Collect within the interval: error = %v, want ErrGCRecent", err)
	}
	mustCollect(t, s, GCPolicy{MinInterval: time.Hour, Now: time.Now().Add(2 * time.Hour)})
	mustCollect(t, s, GCPolicy{}) // no interval: always runs
}

// A job's size for gc counts the files of its tasks/ directory too.
func TestDirBytesCountsTasks(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "output.log"), make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "tasks"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tasks", "t.json"), make([]byte, 50), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := dirBytes(dir), int64(150); got != want {
		t.Fatalf("dirBytes(%s) = %d, want %d", dir, got, want)
	}
	if got := dirBytes(filepath.Join(dir, "gone")); got != 0 {
		t.Fatalf("dirBytes of a missing directory = %d, want 0", got)
	}
}
