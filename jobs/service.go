package jobs

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// Default limits of a Service.
const (
	DefaultMaxUntil     = 50 * time.Second
	DefaultRunUntil     = 10 * time.Second
	DefaultMaxBytes     = 16384
	DefaultKillAfter    = 5.0
	DefaultGrace        = 5.0
	DefaultListLimit    = 50
	MaxStdinBytes       = 64 << 20
	defaultCols         = 120
	defaultRows         = 40
	lastLineMax         = 200
	maxWaitBacklogBytes = 8 << 20
)

// Options configure a Service.
type Options struct {
	// Cwd is the caller's working directory: relative cwd arguments are
	// taken from it, and List shows the jobs under it by default.
	Cwd string
	// MaxUntil caps every wait (default DefaultMaxUntil); RunUntil is the
	// wait of run, start and restart when the caller gives none (default
	// DefaultRunUntil).
	MaxUntil, RunUntil time.Duration
	// MaxRunning, when positive, caps the jobs running at once in the
	// store: a launch past it fails with invalid_state instead of starting.
	// The running jobs are counted from the live supervisors this process
	// sees in /proc, so the count reads the running jobs, not every job.
	MaxRunning int
	// Shell, when set, wraps one-element (shell command line) commands in
	// place of /bin/sh -c; the command line is its last argument. It is
	// recorded in each job, so restarts run the same wrapper.
	Shell []string
	// Env holds variables added to every new job's environment; the job's
	// own env wins over them.
	Env map[string]string
	// Notify holds the notification sinks of new jobs whose definition
	// has none (config.toml's [notify]); nil: none.
	Notify *jobstore.Notify
	// MaxBytes and Compress are the output window's size and compress mode
	// when a call gives none (defaults DefaultMaxBytes and auto).
	MaxBytes int
	Compress string
	// GC is the root's retention policy, for gc and the automatic
	// collection after each launch; nil means DefaultGCConfig.
	GC *GCConfig
	// Log receives diagnostics; nil discards them.
	Log *slog.Logger
}

// Service runs the operations on one store. It is safe for concurrent use.
type Service struct {
	store *jobstore.Store
	opt   Options
	log   *slog.Logger

	gc         GCConfig
	gcRunning  atomic.Bool    // an automatic collection of this service runs
	bg         sync.WaitGroup // background work: automatic collections
	bgMu       sync.Mutex     // orders bg.Add against Close's bg.Wait
	closing    bool           // guarded by bgMu: Close has begun, start no more
	gcOnLocked func()         // tests: runs once an automatic collection holds the root's lock
	gcDone     func(*jobstore.GCResult, error)
}

// New returns a Service over store.
func New(store *jobstore.Store, opt Options) (*Service, error) {
	if opt.Cwd == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("jobs: working directory: %w", err)
		}
		opt.Cwd = wd
	}
	if opt.MaxUntil <= 0 {
		opt.MaxUntil = DefaultMaxUntil
	}
	if opt.RunUntil <= 0 {
		opt.RunUntil = DefaultRunUntil
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.RunUntil > opt.MaxUntil {
		opt.RunUntil = opt.MaxUntil
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gc := DefaultGCConfig()
	if opt.GC != nil {
		gc = *opt.GC
	}
	return &Service{store: store, opt: opt, log: log, gc: gc}, nil
}

// Store returns the service's job store.
func (s *Service) Store() *jobstore.Store { return s.store }

// events returns the process's event engine, shared by every Service.
func (s *Service) events() (*engine, error) {
	return processEngine(s.log)
}

// Close releases the service's resources, once its background work (an
// automatic collection, bounded) has finished.
func (s *Service) Close() error {
	s.bgMu.Lock()
	s.closing = true
	s.bgMu.Unlock()
	s.bg.Wait()
	return nil
}
