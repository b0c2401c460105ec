package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// GCConfig is the retention policy of a root: what gc removes when not told
// otherwise, and what the automatic collection after each launch removes.
// A zero limit is no limit.
type GCConfig struct {
	// Auto turns the collection after each successful launch on.
	Auto      bool
	OlderThan time.Duration
	MaxJobs   int
	MaxBytes  int64
	// ScanLimit and DeleteLimit bound the work of one automatic
	// collection: the jobs it looks at (oldest first) and removes.
	ScanLimit, DeleteLimit int
	// Interval is the least time between two automatic collections of a
	// root (0: one after every launch).
	Interval time.Duration
}

// Defaults of the retention policy.
const (
	DefaultGCOlderThan   = 30 * 24 * time.Hour
	DefaultGCMaxJobs     = 1000
	DefaultGCMaxBytes    = 2 << 30
	DefaultGCScanLimit   = 1000
	DefaultGCDeleteLimit = 50
	DefaultGCInterval    = time.Minute
)

// DefaultGCConfig returns the built-in retention policy: automatic, 30 days,
// 1000 jobs, 2 GiB.
func DefaultGCConfig() GCConfig {
	return GCConfig{Auto: true, OlderThan: DefaultGCOlderThan, MaxJobs: DefaultGCMaxJobs,
		MaxBytes: DefaultGCMaxBytes, ScanLimit: DefaultGCScanLimit, DeleteLimit: DefaultGCDeleteLimit,
		Interval: DefaultGCInterval}
}

// GCRequest is the argument of GC. Each limit not given is the root's
// configured one; 0 turns a limit off.
type GCRequest struct {
	OlderThan  json.RawMessage `json:"older_than,omitempty"` // "30d", "12h", "90m", "1h30m", or seconds
	MaxJobs    *int            `json:"max_jobs,omitempty"`
	MaxBytes   json.RawMessage `json:"max_bytes,omitempty"` // bytes, or "2GiB", "500M"
	Unreadable bool            `json:"unreadable,omitempty"`
	DryRun     bool            `json:"dry_run,omitempty"`
}

// GCView is the result of gc: the limits applied and what was done.
type GCView struct {
	OlderThanS int64 `json:"older_than_s"` // 0: no age limit
	MaxJobs    int   `json:"max_jobs"`     // 0: no count limit
	MaxBytes   int64 `json:"max_bytes"`    // 0: no size limit
	*jobstore.GCResult
}

// GC removes finished jobs of the whole root, oldest first: those that
// finished longer ago than older_than, and the oldest ones while the root
// holds more than max_jobs jobs or more than max_bytes bytes. Created and
// running jobs are never removed; jobs whose state cannot be read only
// with unreadable. A dry run reports what would be removed.
func (s *Service) GC(ctx context.Context, req *GCRequest) (*Envelope, error) {
	p := jobstore.GCPolicy{OlderThan: s.gc.OlderThan, MaxJobs: s.gc.MaxJobs, MaxBytes: s.gc.MaxBytes,
		Unreadable: req.Unreadable, DryRun: req.DryRun, Check: s.checkQuiet}
	if len(req.OlderThan) > 0 {
		d, err := durationArg(req.OlderThan)
		if err != nil {
			return nil, invalid("older_than", "%v", err)
		}
		p.OlderThan = d
	}
	if req.MaxJobs != nil {
		if *req.MaxJobs < 0 || *req.MaxJobs > MaxOffset {
			return nil, invalid("max_jobs", "must be 0 (no limit) or more, at most %d", int64(MaxOffset))
		}
		p.MaxJobs = *req.MaxJobs
	}
	if len(req.MaxBytes) > 0 {
		n, err := sizeArg(req.MaxBytes)
		if err != nil {
			return nil, invalid("max_bytes", "%v", err)
		}
		if n > MaxOffset {
			return nil, invalid("max_bytes", "at most %d bytes", int64(MaxOffset))
		}
		p.MaxBytes = n
	}
	res, err := s.store.Collect(p)
	if err != nil {
		return nil, err
	}
	env := envelope("gc")
	env.Root = s.store.Root()
	env.GC = &GCView{OlderThanS: int64(p.OlderThan / time.Second), MaxJobs: p.MaxJobs, MaxBytes: p.MaxBytes, GCResult: res}
	return env, nil
}

// checkQuiet is checkSupervisor for the collector: a job it cannot check
// stays as it was read.
func (s *Service) checkQuiet(id string, st *jobstore.State) *jobstore.State {
	if got, err := s.checkSupervisor(id, st); err == nil && got != nil {
		return got
	}
	return st
}

// afterLaunch starts the automatic collection in the background, unless it
// is off or one of this service's is still running. It never delays or
// fails the launch: errors are logged.
func (s *Service) afterLaunch() {
	if !s.gc.Auto {
		return
	}
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closing || !s.gcRunning.CompareAndSwap(false, true) {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.gcRunning.Store(false)
		res, err := s.store.Collect(jobstore.GCPolicy{OlderThan: s.gc.OlderThan, MaxJobs: s.gc.MaxJobs,
			MaxBytes: s.gc.MaxBytes, ScanLimit: s.gc.ScanLimit, DeleteLimit: s.gc.DeleteLimit,
			MinInterval: s.gc.Interval, TryLock: true, Check: s.checkQuiet, OnLocked: s.gcOnLocked})
		switch {
		case errors.Is(err, jobstore.ErrGCBusy), errors.Is(err, jobstore.ErrGCRecent):
			s.log.Debug("auto gc skipped", "err", err)
		case err != nil:
			s.log.Warn("auto gc", "err", err)
		case len(res.Deleted) > 0:
			s.log.Info("auto gc", "deleted", len(res.Deleted), "freed_bytes", res.FreedBytes)
		}
		if s.gcDone != nil {
			s.gcDone(res, err)
		}
	}()
}

// ParseDuration reads a retention age: a number with a unit d (days), h, m
// or s ("30d", "12h"), a Go duration ("1h30m"), or a bare number of
// seconds. "0" means no age limit.
func ParseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	bad := fmt.Errorf("%q is not a duration; use e.g. 30d, 12h, 90m, 3600s or 1h30m", v)
	if !durationRE().MatchString(v) {
		return 0, bad
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return secondsDuration(f, bad)
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, bad
		}
		return secondsDuration(f*86400, bad)
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d.Seconds() > MaxDurationS {
		return 0, bad
	}
	return d, nil
}

// MaxDurationS bounds a retention age, in seconds (about 285 years; the
// schemas' older_than maximum).
const MaxDurationS = 9e9

// durationRE is the grammar of ParseDuration (and of the schemas'
// older_than pattern).
var durationRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([0-9]+(\.[0-9]+)?d?|([0-9]+(\.[0-9]+)?(h|ms|m|s))+)$`)
})

func secondsDuration(f float64, bad error) (time.Duration, error) {
	if f < 0 || math.IsNaN(f) || f > MaxDurationS {
		return 0, bad
	}
	return time.Duration(f * float64(time.Second)), nil
}

// ParseSize reads a byte count: a whole number, optionally with a binary
// unit K, M, G or T (also written KB, KiB, …; all are powers of 1024).
// "0" means no size limit.
func ParseSize(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	bad := fmt.Errorf("%q is not a size; use a number of bytes, or e.g. 512M, 2GiB", v)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "b"), "i")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || math.IsNaN(f) || f*float64(mult) > math.MaxInt64/2 {
		return 0, bad
	}
	return int64(f * float64(mult)), nil
}

// durationArg reads older_than: a string for ParseDuration, or a number of
// seconds.
func durationArg(raw json.RawMessage) (time.Duration, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return secondsDuration(f, fmt.Errorf("want 0 or more seconds"))
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, errors.New("want a duration such as \"30d\" or a number of seconds")
	}
	return ParseDuration(v)
}

// sizeArg reads max_bytes: a number of bytes or a string for ParseSize.
func sizeArg(raw json.RawMessage) (int64, error) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		if n < 0 {
			return 0, errors.New("want 0 or more bytes")
		}
		return n, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, errors.New("want a number of bytes or a size such as \"2GiB\"")
	}
	return ParseSize(v)
}
