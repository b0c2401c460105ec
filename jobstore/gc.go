package jobstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// GC lock and trash names in the root. Neither is a valid job id, so
// listing never sees them.
const (
	gcLockFile  = ".gc.lock"
	trashPrefix = ".gc-trash-"
)

// Reasons a collection deletes a job ([GCJob.Reason]).
const (
	GCOlderThan = "older_than" // finished longer ago than OlderThan
	GCMaxJobs   = "max_jobs"   // the root held more than MaxJobs jobs
	GCMaxBytes  = "max_bytes"  // the root's jobs took more than MaxBytes
)

// Reasons a collection keeps a job ([GCResult.Kept]).
const (
	KeepCreated      = "created"       // never started: never collected
	KeepRunning      = "running"       // running: never collected
	KeepUnreadable   = "unreadable"    // its state cannot be read (collected only with Unreadable)
	KeepWithinLimits = "within_limits" // finished, but no limit selects it
	KeepBusy         = "busy"          // selected, but another operation holds the job
	KeepDeleteLimit  = "delete_limit"  // selected, but the collection reached DeleteLimit
	KeepNotScanned   = "not_scanned"   // past ScanLimit: not looked at
	KeepFailed       = "delete_failed" // selected, but removing it failed
)

// Errors of [Store.Collect]: with TryLock, another collection holds the
// root's GC lock; with MinInterval, the last collection was too recent.
var (
	ErrGCBusy   = errors.New("another collection is running on this root")
	ErrGCRecent = errors.New("the root was collected less than the minimum interval ago")
)

// GCPolicy says which finished jobs a collection removes. A finished job is
// removed when any limit selects it: it finished more than OlderThan ago;
// the root holds more than MaxJobs jobs (running and created ones count but
// are never removed), and it is among the oldest; or the root's jobs take
// more than MaxBytes, and it is among the oldest. A zero limit selects
// nothing. Created and running jobs are never removed, nor jobs whose state
// cannot be read unless Unreadable is set (and then only by age, measured
// by their directory's modification time).
type GCPolicy struct {
	OlderThan time.Duration
	MaxJobs   int
	MaxBytes  int64
	// ScanLimit, when positive, bounds the jobs looked at, oldest first;
	// the rest are kept as not_scanned. DeleteLimit, when positive, bounds
	// the jobs removed.
	ScanLimit, DeleteLimit int
	Unreadable             bool
	DryRun                 bool
	// TryLock makes Collect give up with ErrGCBusy when another
	// collection holds the root's lock, instead of waiting for it.
	TryLock bool
	// MinInterval, when positive, makes Collect give up with ErrGCRecent
	// when the last collection of the root (recorded in its lock file)
	// ended less than this long ago.
	MinInterval time.Duration
	// OnLocked, when set, runs once Collect holds the root's lock.
	OnLocked func()
	// Now is the time ages are measured from; zero means time.Now().
	Now time.Time
	// Check, when set, is given every job whose state says running and
	// returns its actual state: the jobs layer repairs a job whose
	// supervisor is gone, so a lost job becomes collectable.
	Check func(id string, st *State) *State
}

// GCJob is one job a collection removed (or, dry, would remove), or one it
// selected but kept.
type GCJob struct {
	ID         string `json:"job_id"`
	Name       string `json:"name,omitempty"`
	State      string `json:"state"`
	Reason     string `json:"reason"`
	Bytes      int64  `json:"bytes"`
	FinishedAt string `json:"finished_at,omitempty"`
	Error      string `json:"error,omitempty"`
}

// GCResult is what a collection did.
type GCResult struct {
	DryRun bool `json:"dry_run"`
	// Jobs is the number of jobs in the root before the collection;
	// Scanned the number looked at.
	Jobs    int `json:"jobs"`
	Scanned int `json:"scanned"`
	// Deleted lists the jobs removed (would be removed, dry), oldest first.
	Deleted    []GCJob `json:"deleted"`
	FreedBytes int64   `json:"freed_bytes"`
	// Kept counts the jobs kept, by reason (see the Keep constants).
	Kept map[string]int `json:"kept"`
	// Spared lists the jobs a limit selected that were kept all the same
	// (busy, delete_limit, delete_failed), at most 100.
	Spared []GCJob `json:"spared,omitempty"`
	// RemainingBytes is the size of the scanned jobs left in the root.
	RemainingBytes int64 `json:"remaining_bytes"`
}

// keepGone is removeFinished's answer for a job removed by someone else.
const keepGone = "gone"

// maxSpared bounds GCResult.Spared.
const maxSpared = 100

// gcEntry is one scanned job.
type gcEntry struct {
	id       string
	st       *State
	finished time.Time // finished_at, else the last state change
	bytes    int64
	reason   string // the limit that selects it, or ""
	name     string // its job name, read before removal
}

// Collect removes finished jobs by p, oldest first, holding the root's GC
// lock (an flock: it dies with its holder, so a killed collector never
// leaves it behind). Jobs are removed under their own job lock, taken
// without waiting: a job some operation holds is kept as busy. A removed
// job's directory is first renamed out of the way, so a collector killed
// mid-removal leaves no half job, only trash the next collection clears.
func (s *Store) Collect(p GCPolicy) (*GCResult, error) {
	lock, err := s.lockGC(p.TryLock)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if p.OnLocked != nil {
		p.OnLocked()
	}
	if p.Now.IsZero() {
		p.Now = time.Now()
	}
	if p.MinInterval > 0 {
		if last, ok := lastPass(lock); ok && p.Now.Sub(last) < p.MinInterval {
			return nil, ErrGCRecent
		}
	}
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	slices.Reverse(ids) // oldest first
	res := &GCResult{DryRun: p.DryRun, Jobs: len(ids), Deleted: []GCJob{}, Kept: map[string]int{}}
	if p.ScanLimit > 0 && len(ids) > p.ScanLimit {
		res.Kept[KeepNotScanned] = len(ids) - p.ScanLimit
		ids = ids[:p.ScanLimit]
	}
	res.Scanned = len(ids)

	finished, total := s.scanForGC(ids, p, res)
	selectForGC(finished, p, len(ids)+res.Kept[KeepNotScanned], total)

	for _, e := range finished {
		if e.reason == "" {
			res.Kept[KeepWithinLimits]++
			res.RemainingBytes += e.bytes
			continue
		}
		if p.DeleteLimit > 0 && len(res.Deleted) >= p.DeleteLimit {
			res.spare(e, KeepDeleteLimit, "")
			continue
		}
		if p.DryRun {
			res.Deleted = append(res.Deleted, s.gcJob(e))
			res.FreedBytes += e.bytes
			continue
		}
		keep, err := s.removeFinished(e)
		switch {
		case keep == keepGone:
		case keep == "":
			res.Deleted = append(res.Deleted, s.gcJob(e))
			res.FreedBytes += e.bytes
		case err != nil:
			res.spare(e, keep, err.Error())
		default:
			res.spare(e, keep, "")
		}
	}
	s.clearTrash()
	if !p.DryRun {
		recordPass(lock, p.Now)
	}
	return res, nil
}

// lastPass returns when the last collection that changed the root ended,
// as recorded in the GC lock file.
func lastPass(l *Lock) (time.Time, bool) {
	b := make([]byte, 64)
	n, err := l.f.ReadAt(b, 0)
	if n == 0 && err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b[:n])))
	return t, err == nil
}

// recordPass writes the time of this collection into the GC lock file.
func recordPass(l *Lock, now time.Time) {
	stamp := now.UTC().Format(time.RFC3339Nano) + "\n"
	if err := l.f.Truncate(0); err == nil {
		_, _ = l.f.WriteAt([]byte(stamp), 0)
	}
}

func (res *GCResult) spare(e *gcEntry, why, msg string) {
	res.Kept[why]++
	res.RemainingBytes += e.bytes
	if len(res.Spared) < maxSpared {
		j := GCJob{ID: e.id, State: stateOf(e.st), Reason: why, Bytes: e.bytes, Error: msg}
		res.Spared = append(res.Spared, j)
	}
}

func stateOf(st *State) string {
	if st == nil {
		return "unknown"
	}
	return st.State
}

// gcJob describes a removed (or, dry, selected) job. Its name was read
// before removal; on a dry run it is read now.
func (s *Store) gcJob(e *gcEntry) GCJob {
	if e.name == "" {
		if m, err := s.ReadMeta(e.id); err == nil {
			e.name = m.Name
		}
	}
	j := GCJob{ID: e.id, Name: e.name, State: stateOf(e.st), Reason: e.reason, Bytes: e.bytes}
	if !e.finished.IsZero() {
		j.FinishedAt = Time{e.finished}.String()
	}
	return j
}

// scanForGC reads the state and size of each job of ids, counting the kept
// ones in res; it returns the finished jobs, oldest finish first, and the
// total size of every scanned job.
func (s *Store) scanForGC(ids []string, p GCPolicy, res *GCResult) ([]*gcEntry, int64) {
	var finished []*gcEntry
	var total int64
	for _, id := range ids {
		e := &gcEntry{id: id, bytes: dirBytes(s.Dir(id))}
		total += e.bytes
		st, err := s.ReadState(id)
		if err != nil {
			if errors.Is(err, ErrNotFound) && !s.Exists(id) {
				total -= e.bytes // removed meanwhile
				continue
			}
			if !p.Unreadable {
				res.Kept[KeepUnreadable]++
				res.RemainingBytes += e.bytes
				continue
			}
			fi, err := os.Lstat(s.Dir(id))
			if err != nil {
				continue
			}
			e.finished = fi.ModTime()
			finished = append(finished, e)
			continue
		}
		if st.State == StateRunning && p.Check != nil {
			st = p.Check(id, st)
		}
		e.st = st
		switch {
		case st.State == StateCreated:
			res.Kept[KeepCreated]++
			res.RemainingBytes += e.bytes
			continue
		case !Terminal(st.State):
			res.Kept[KeepRunning]++
			res.RemainingBytes += e.bytes
			continue
		}
		e.finished = st.UpdatedAt.Time
		if st.FinishedAt != nil {
			e.finished = st.FinishedAt.Time
		}
		finished = append(finished, e)
	}
	slices.SortStableFunc(finished, func(a, b *gcEntry) int { return a.finished.Compare(b.finished) })
	return finished, total
}

// selectForGC sets the reason of each finished job that a limit selects:
// jobs is the number of jobs in the root, total the bytes of those scanned.
func selectForGC(finished []*gcEntry, p GCPolicy, jobs int, total int64) {
	if p.OlderThan > 0 {
		cutoff := p.Now.Add(-p.OlderThan)
		for _, e := range finished {
			if e.finished.Before(cutoff) {
				e.reason = GCOlderThan
				jobs--
				total -= e.bytes
			}
		}
	}
	for _, e := range finished {
		if e.reason != "" || e.st == nil {
			continue // unreadable jobs are collected by age only
		}
		switch {
		case p.MaxJobs > 0 && jobs > p.MaxJobs:
			e.reason = GCMaxJobs
		case p.MaxBytes > 0 && total > p.MaxBytes:
			e.reason = GCMaxBytes
		default:
			continue
		}
		jobs--
		total -= e.bytes
	}
}

// removeFinished removes the directory of a selected job under its job
// lock, checking again that it is finished and that its supervisor has
// exited. It returns "" when it removed the job, keepGone when somebody
// else did, else why it was kept.
func (s *Store) removeFinished(e *gcEntry) (string, error) {
	l, err := s.tryLockJob(e.id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return keepGone, nil
		}
		if errors.Is(err, unix.EWOULDBLOCK) {
			return KeepBusy, nil
		}
		return KeepFailed, err
	}
	defer l.Unlock()
	if e.st != nil {
		st, err := s.ReadState(e.id)
		if err != nil || !Terminal(st.State) {
			return KeepBusy, nil // restarted, or changing, since the scan
		}
		alive, held, err := s.ProbeSupervisor(e.id)
		if err != nil || alive {
			return KeepBusy, nil // still writing its last event
		}
		held.Unlock()
	}
	if m, err := s.ReadMeta(e.id); err == nil {
		e.name = m.Name
	}
	trash := filepath.Join(s.root, trashPrefix+e.id)
	if err := os.Rename(s.Dir(e.id), trash); err != nil {
		return KeepFailed, fmt.Errorf("remove job %s: %w", e.id, err)
	}
	if err := os.RemoveAll(trash); err != nil {
		// Gone from the root all the same; the next collection retries.
		return "", nil
	}
	return "", nil
}

// clearTrash removes what collectors and deletes killed mid-removal, and
// creators killed mid-creation, left behind.
func (s *Store) clearTrash() {
	s.clearStaging()
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), trashPrefix) && e.IsDir() {
			_ = os.RemoveAll(filepath.Join(s.root, e.Name()))
		}
	}
}

// dirBytes returns the total size of the regular files in dir and below
// it (a job directory's tasks/ holds the job's MCP task files, which
// clients add to). A file with holes (a log that log_rotate cut) counts
// the bytes it holds on disk, not its size. What cannot be read counts 0.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil // skip what cannot be read; keep the rest
		}
		if fi, err := e.Info(); err == nil {
			n += heldBytes(fi)
		}
		return nil
	})
	return n
}

// tryLockJob takes job id's operation lock if nobody holds it; it fails
// with an error matching unix.EWOULDBLOCK when somebody does.
func (s *Store) tryLockJob(id string) (*Lock, error) {
	f, err := s.openLockFile(id, JobLockFile)
	if err != nil {
		return nil, err
	}
	if err := Flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s of %s: %w", JobLockFile, id, err)
	}
	return &Lock{f: f}, nil
}

// lockGC takes the root's GC lock: waiting for it, or with try failing at
// once with ErrGCBusy when another collection holds it.
func (s *Store) lockGC(try bool) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(s.root, gcLockFile), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lock gc: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("lock gc: %w", err)
	}
	how := unix.LOCK_EX
	if try {
		how |= unix.LOCK_NB
	}
	if err := Flock(f, how); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrGCBusy
		}
		return nil, fmt.Errorf("lock gc: %w", err)
	}
	return &Lock{f: f}, nil
}

// heldBytes is a file's size, or the bytes allocated to it when fewer (a
// sparse file).
func heldBytes(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Blocks*512 < fi.Size() {
		return st.Blocks * 512
	}
	return fi.Size()
}
