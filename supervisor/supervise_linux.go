package supervisor

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// handshakeFD is the launch pipe's descriptor in the supervisor.
const handshakeFD = 3

// Main runs supervise mode with args <job-dir> <run> and returns the
// process exit code. It is called by main before anything else happens in
// the process.
func Main(args []string) int {
	runtime.GOMAXPROCS(1) // an idle supervisor needs no more (the launcher also sets it in the environment)
	restoreEnv()
	// Nothing the launcher's parents leaked may reach the workload.
	_ = unix.CloseRange(handshakeFD, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	// The supervisor's own files are 0600 whatever the launcher's umask;
	// the workload gets the launcher's umask back (see startWorkload).
	launcherUmask := unix.Umask(0o077)
	hs := os.NewFile(handshakeFD, "handshake")
	if len(args) != 2 {
		reply(hs, handshake{Error: "supervise: want <job-dir> <run>"})
		return 2
	}
	run, err := strconv.Atoi(args[1])
	if err != nil || run < 1 {
		reply(hs, handshake{Error: "supervise: bad run number " + args[1]})
		return 2
	}
	dir := filepath.Clean(args[0])
	s, err := jobstore.Open(filepath.Dir(dir))
	if err != nil {
		reply(hs, handshake{Error: err.Error()})
		return 1
	}
	sv := &super{store: s, id: filepath.Base(dir), dir: dir, run: run, umask: launcherUmask, sinks: newSinkProcs()}
	if err := sv.openLog(); err != nil {
		reply(hs, handshake{Error: err.Error()})
		return 1
	}
	code := sv.main(hs)
	sv.notifyEnd()
	sv.indexer.wait()
	return code
}

// notifyEnd delivers the run's last notifications once the run is over,
// its terminal state durable, and the supervisor lock and control socket
// released (so a restart or delete does not wait for a slow sink): the
// matches of the last output, then job.finished.
func (sv *super) notifyEnd() {
	if sv.final == nil {
		return
	}
	go sv.sinks.reapAll()
	if sv.matcher != nil {
		sv.matcher.finish(sv.endSizes)
	}
	notifyFinished(sv.store, sv.id, sv.final, sv.sinks)
}

func reply(hs *os.File, h handshake) {
	if hs == nil {
		return
	}
	h.OK = h.Error == ""
	b, _ := json.Marshal(h)
	hs.Write(append(b, '\n'))
	hs.Close()
}

// super is the state of one supervisor process. Everything after start-up
// runs on the goroutine of [super.loop]; control connections only pass
// messages to it.
type super struct {
	store *jobstore.Store
	id    string
	dir   string
	run   int
	meta  *jobstore.Meta
	// fileEnv holds the variables of the job's env files, as read for
	// this run.
	fileEnv []jobstore.EnvVar
	log     *slog.Logger
	umask   int // the launching process's, which the workload runs under

	mainPID   int
	startedAt time.Time
	running   *jobstore.State // the state recorded at start

	// Ending the run.
	endReason  string         // "" until something ends the run: kill, timeout, signal
	endSignal  syscall.Signal // the first signal sent
	escalated  bool           // SIGKILL has been sent to the tree
	escalation *time.Timer    // fires the SIGKILL; nil until a termination starts
	escalateAt time.Time

	// Interactive jobs: the write side of the job's input, the slave or
	// read end to close once the job has its copy, and (tty jobs) the
	// output copier and the screen it keeps.
	input    *inputPort
	inputMu  sync.Mutex // one input request at a time (they run off the loop)
	childEnd *os.File
	termLog  *os.File
	termDone chan struct{}
	screen   *screenFeeder

	// Log rotation (log_rotate): where each log's last cut ended, and
	// whether rotation failed and is off.
	rotateBase map[string]int64
	rotateOff  bool

	endRec    *os.File     // the end record (see EndRecordFile); nil if it could not be made
	startSync func() error // syncs the running state's directory entry (see syncStart)
	memFreed  bool         // the start-up's memory went back to the system (see beforeWait)

	// Notifications: the sink processes (reaped by the loop like any
	// child), the output matcher (nil without patterns), and, once the run
	// is over, its terminal state and the logs' sizes at its end.
	sinks    *sinkProcs
	matcher  *matcher
	indexer  *indexer // keeps the logs' notable-line indexes
	final    *jobstore.State
	endSizes map[string]int64

	mainDone      bool
	leftoversTold bool // the main process's leftovers got their SIGTERM
	mainStatus    unix.WaitStatus
	mainEnd       time.Time
}

func (sv *super) openLog() error {
	f, err := os.OpenFile(filepath.Join(sv.dir, jobstore.SupervisorLogFile),
		os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("open supervisor log: %w", err)
	}
	// A panic's trace goes to fd 2: keep it in the log too.
	_ = unix.Dup3(int(f.Fd()), 2, 0)
	sv.log = slog.New(slog.NewJSONHandler(f, nil)).With("job_id", sv.id, "run", sv.run)
	return nil
}

func (sv *super) main(hs *os.File) int {
	lock, err := sv.store.LockSupervisor(sv.id)
	if err != nil {
		reply(hs, handshake{Error: err.Error()})
		return 1
	}
	defer lock.Unlock()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		sv.log.Warn("cannot become subreaper; escaped descendants will not be tracked", "err", err)
	}
	sv.meta, err = sv.store.ReadMeta(sv.id)
	if err != nil {
		reply(hs, handshake{Error: err.Error()})
		return 1
	}
	// SIGCHLD must be watched before the first child can exit.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)

	// The control socket listens before the run is recorded as running, so
	// whoever sees "running" can reach it. Requests wait for the loop.
	ln, dirf, err := listenControl(sv.dir)
	if err != nil {
		reply(hs, handshake{Error: err.Error()})
		return 1
	}
	served := make(chan struct{})
	defer func() {
		ln.Close()
		// Answers still being written (the reply to the request that
		// ended the run, say) reach their callers before the process exits.
		<-served
		os.Remove(filepath.Join(sv.dir, jobstore.ControlSocket))
		dirf.Close()
	}()
	reqs := make(chan ctlCall)
	done := make(chan struct{})
	go func() {
		defer close(served)
		serveControl(ln, reqs, done)
	}()

	offsets, err := sv.start()
	if err != nil {
		close(done)
		sv.recordLaunchError(err, offsets)
		reply(hs, handshake{Error: err.Error()})
		return 1
	}
	reply(hs, handshake{PID: sv.mainPID})
	sv.syncStart()
	sv.loop(sigs, reqs)
	close(done)
	return 0
}

// start opens the logs, starts the workload and records state running.
// It returns the log offsets at the start of the run (also on failure).
func (sv *super) start() (map[string]int64, error) {
	m := sv.meta
	names := []string{jobstore.OutputLog}
	if m.Separate() {
		names = []string{jobstore.StdoutLog, jobstore.StderrLog}
	}
	offsets := make(map[string]int64, len(names))
	files := make([]*os.File, len(names))
	for i, n := range names {
		f, err := os.OpenFile(filepath.Join(sv.dir, n), os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return offsets, fmt.Errorf("open %s: %w", n, err)
		}
		defer f.Close() // the workload holds its own copies
		fi, err := f.Stat()
		if err != nil {
			return offsets, fmt.Errorf("stat %s: %w", n, err)
		}
		offsets[strings.TrimSuffix(n, ".log")] = fi.Size()
		files[i] = f
	}
	cmd, err := sv.command()
	if err != nil {
		return offsets, err
	}
	if err := sv.connectStdio(cmd, files); err != nil {
		return offsets, err
	}
	if err := sv.startWorkload(cmd); err != nil {
		sv.closeInput()
		return offsets, err
	}
	sv.startInput(offsets["output"])
	sv.mainPID = cmd.Process.Pid
	sv.startedAt = time.Now()
	start, err := StartTime(sv.mainPID)
	if err != nil {
		sv.log.Warn("no start time for the workload", "err", err)
	}
	// The end record is made before the run counts as running, so a run
	// that ends on a full disk still has a place for its status; it is
	// synced after the handshake (syncStart).
	if sv.endRec, err = openEndRecord(sv.dir); err != nil {
		sv.log.Warn("no end record: a full disk at the end may lose the run's status", "err", err)
	}
	selfStart, _ := StartTime(os.Getpid())
	startedAt := jobstore.Time{Time: sv.startedAt}
	st := &jobstore.State{
		State: jobstore.StateRunning, Run: sv.run,
		PID: sv.mainPID, PIDStart: start,
		SupervisorPID: os.Getpid(), SupervisorStart: selfStart,
		LogOffset: offsets, StartedAt: &startedAt,
	}
	syncDir, err := sv.store.WriteStateDirLater(sv.id, st)
	if err != nil {
		// Without a recorded state nobody can find the job: stop it.
		_ = unix.Kill(-sv.mainPID, unix.SIGKILL)
		return offsets, fmt.Errorf("record running state: %w", err)
	}
	sv.startSync = syncDir
	sv.running = st
	sv.event("started", map[string]any{"pid": sv.mainPID})
	if sv.matcher = sv.newMatcher(offsets); sv.matcher != nil {
		go sv.matcher.run()
	}
	sv.indexer = sv.newIndexer(offsets)
	go sv.indexer.run()
	sv.log.Info("started", "pid", sv.mainPID, "command", m.Command)
	return offsets, nil
}

// syncStart makes the start durable once the launcher has its answer, so
// that no launch waits for these syncs: the end record's blanks (written
// before the run counted as running, which reserves their blocks) and the
// directory entry of the running state (whose file was synced before it
// replaced state.json: a machine crash before this leaves the state before
// the start or the running one, never a torn one).
func (sv *super) syncStart() {
	if sv.endRec != nil {
		if err := syncEndRecord(sv.endRec); err != nil {
			sv.log.Warn("sync the end record", "err", err)
		}
	}
	if err := sv.startSync(); err != nil {
		sv.log.Warn("sync the running state", "err", err)
	}
}

// startWorkload starts cmd under the launcher's umask: a umask is
// inherited across fork and exec, and exec.Cmd has no setting for it, so
// the supervisor's own (077) is swapped out for the instant of the fork.
// No other goroutine of the supervisor creates files at this point.
func (sv *super) startWorkload(cmd *exec.Cmd) error {
	old := unix.Umask(sv.umask)
	defer unix.Umask(old)
	return cmd.Start()
}

// command builds the workload's exec.Cmd from the definition.
func (sv *super) command() (*exec.Cmd, error) {
	m := sv.meta
	fileEnv, err := sv.readEnvFiles()
	if err != nil {
		return nil, err
	}
	sv.fileEnv = fileEnv
	env := jobEnv(m, sv.id, fileEnv)
	var argv []string
	switch {
	case m.Shell && len(m.Wrapper) > 0:
		argv = append(slices.Clone(m.Wrapper), m.Command[0])
	case m.Shell:
		argv = []string{"/bin/sh", "-c", m.Command[0]}
	default:
		argv = m.Command
	}
	// The directory may have gone since the job was defined; exec would
	// then blame the program ("fork/exec /bin/sh: no such file").
	if err := checkDir(m.Cwd); err != nil {
		return nil, fmt.Errorf("working directory %s: %w", m.Cwd, err)
	}
	path, err := lookPath(argv[0], envValue(env, "PATH"), m.Cwd)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env, Dir: m.Cwd}
	return cmd, nil
}

// pythonUnbuffered makes Python write its output as it goes.
const pythonUnbuffered = "PYTHONUNBUFFERED"

// readEnvFiles reads the job's env files afresh for this run, and records
// the values they give to masked variables in the job's secrets (the
// launcher holds the job's operation lock until this supervisor answers),
// before the workload can print any of them. A file that cannot be read or
// parsed, or values that cannot be recorded, fail the launch.
func (sv *super) readEnvFiles() ([]jobstore.EnvVar, error) {
	m := sv.meta
	if len(m.EnvFiles) == 0 {
		return nil, nil
	}
	vars, err := jobstore.ReadEnvFiles(m.EnvFiles)
	if err != nil {
		return nil, err
	}
	var masked []string
	for _, v := range vars {
		if _, given := m.Env[v.Key]; !given && slices.Contains(m.Mask, v.Key) {
			masked = append(masked, v.Value)
		}
	}
	if err := sv.store.RecordSecrets(sv.id, masked); err != nil {
		return nil, fmt.Errorf("record the masked values of the env files: %w", err)
	}
	return vars, nil
}

// jobEnv is the workload's environment: the supervisor's own (which is the
// launcher's) unless the job said inherit_env false, then the configured
// defaults (DefaultEnvKeys), then the variables of its env files in order,
// then the job's own env, then AGENT_EXEC_JOB_ID. A job without a terminal also gets PYTHONUNBUFFERED=1
// unless its environment already has that variable: Python block-buffers
// its output to a pipe or file, so a wait would see nothing of it.
func jobEnv(m *jobstore.Meta, id string, fileEnv []jobstore.EnvVar) []string {
	var env []string
	if m.InheritEnv {
		env = os.Environ()
	}
	idx := make(map[string]int, len(env))
	for i, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		idx[k] = i
	}
	set := func(k, v string) {
		if i, ok := idx[k]; ok {
			env[i] = k + "=" + v
			return
		}
		idx[k] = len(env)
		env = append(env, k+"="+v)
	}
	for _, k := range m.DefaultEnvKeys {
		if v, ok := m.Env[k]; ok {
			set(k, v)
		}
	}
	for _, v := range fileEnv {
		set(v.Key, v.Value)
	}
	keys := make([]string, 0, len(m.Env))
	for k := range m.Env {
		if !slices.Contains(m.DefaultEnvKeys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		set(k, m.Env[k])
	}
	if _, ok := idx[pythonUnbuffered]; !ok && !m.TTY {
		set(pythonUnbuffered, "1")
	}
	set(JobEnvVar, id)
	return env
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath finds an executable the way a shell would, but with the job's
// PATH rather than the supervisor's. A name with a slash is taken as is
// (relative to the job's cwd).
func lookPath(name, pathEnv, cwd string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return p, nil
	}
	if pathEnv == "" {
		pathEnv = "/usr/local/bin:/usr/bin:/bin"
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(cwd, d)
		}
		p := filepath.Join(d, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: executable file not found in PATH", name)
}

// checkDir reports why p cannot be a working directory, if it cannot.
func checkDir(p string) error {
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return err
	case !fi.IsDir():
		return errors.New("not a directory")
	}
	return nil
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	return unix.Faccessat(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS)
}

func (sv *super) recordLaunchError(err error, offsets map[string]int64) {
	sv.log.Error("launch failed", "err", err)
	now := jobstore.Now()
	st := &jobstore.State{
		State: jobstore.StateFailed, Reason: jobstore.ReasonLaunchError, Error: err.Error(),
		Run: sv.run, LogOffset: offsets, FinishedAt: &now,
	}
	if werr := sv.store.WriteState(sv.id, st); werr != nil {
		sv.log.Error("record launch failure", "err", werr)
	}
	sv.event("failed", map[string]any{"reason": jobstore.ReasonLaunchError, "error": err.Error()})
}

func (sv *super) event(name string, detail map[string]any) {
	if err := sv.store.AppendEvent(sv.id, jobstore.Event{Event: name, Run: sv.run, Detail: detail}); err != nil {
		sv.log.Warn("append event", "event", name, "err", err)
	}
}
