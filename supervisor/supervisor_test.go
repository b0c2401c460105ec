package supervisor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, cwd, want string
		ok                    bool
	}{
		{"tool", dir, "/", exe, true},
		{"tool", "/nonexistent:" + dir, "/", exe, true},
		{"tool", "/usr/bin", "/", "", false},
		{"plain", dir, "/", "", false}, // not executable
		{"./tool", "", dir, exe, true}, // relative to the job's cwd
		{exe, "", "/", exe, true},
		{"sh", "", "/", "", true}, // no PATH: a sane default
	} {
		got, err := lookPath(tc.name, tc.path, tc.cwd)
		if (err == nil) != tc.ok || (tc.want != "" && got != tc.want) {
			t.Errorf("lookPath(%q, %q, %q) = %q, %v; want %q ok=%v", tc.name, tc.path, tc.cwd, got, err, tc.want, tc.ok)
		}
	}
}

func TestJobEnv(t *testing.T) {
	t.Setenv("AE_TEST_INHERITED", "yes")
	m := &jobstore.Meta{InheritEnv: true, Env: map[string]string{"AE_TEST_INHERITED": "overridden", "B": "2"}}
	env := jobEnv(m, "01abc", nil)
	if got := envValue(env, "AE_TEST_INHERITED"); got != "overridden" {
		t.Errorf("inherited var = %q, want the job's value", got)
	}
	if got := envValue(env, JobEnvVar); got != "01abc" {
		t.Errorf("%s = %q, want the job id", JobEnvVar, got)
	}
	n := 0
	for _, kv := range env {
		if strings.HasPrefix(kv, "AE_TEST_INHERITED=") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("AE_TEST_INHERITED appears %d times, want once", n)
	}
	bare := jobEnv(&jobstore.Meta{InheritEnv: false, Env: map[string]string{"B": "2"}}, "01abc", nil)
	slices.Sort(bare)
	if want := []string{JobEnvVar + "=01abc", "B=2", "PYTHONUNBUFFERED=1"}; !slices.Equal(bare, want) {
		t.Errorf("jobEnv without inheritance = %q, want %q", bare, want)
	}
	tty := jobEnv(&jobstore.Meta{TTY: true, Env: map[string]string{"B": "2"}}, "01abc", nil)
	slices.Sort(tty)
	if want := []string{JobEnvVar + "=01abc", "B=2"}; !slices.Equal(tty, want) {
		t.Errorf("jobEnv of a tty job = %q, want %q (no PYTHONUNBUFFERED)", tty, want)
	}
	files := jobEnv(&jobstore.Meta{InheritEnv: true, Env: map[string]string{"B": "env"}}, "01abc",
		[]jobstore.EnvVar{{Key: "AE_TEST_INHERITED", Value: "file"}, {Key: "B", Value: "file"}, {Key: "C", Value: "1"}, {Key: "C", Value: "2"}})
	for k, want := range map[string]string{"AE_TEST_INHERITED": "file", "B": "env", "C": "2"} {
		if got := envValue(files, k); got != want {
			t.Errorf("with env files, %s = %q, want %q (inherited < env files in order < env)", k, got, want)
		}
	}
	defaults := jobEnv(&jobstore.Meta{Env: map[string]string{"PAGER": "cat", "D": "default"}, DefaultEnvKeys: []string{"D", "PAGER"}}, "01abc",
		[]jobstore.EnvVar{{Key: "PAGER", Value: "less"}})
	if envValue(defaults, "PAGER") != "less" || envValue(defaults, "D") != "default" {
		t.Errorf("an env file does not override a configured default: %q", defaults)
	}
	own := jobEnv(&jobstore.Meta{Env: map[string]string{"PYTHONUNBUFFERED": ""}}, "01abc", nil)
	if got, ok := envLookup(own, "PYTHONUNBUFFERED"); !ok || got != "" {
		t.Errorf("the job's own empty PYTHONUNBUFFERED became %q (set %v)", got, ok)
	}
}

func envLookup(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func startSleep(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	cmd.Env = append(os.Environ(), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestProcStatAndAlive(t *testing.T) {
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	st, err := readProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != os.Getpid() || st.PGID != pid {
		t.Fatalf("stat = %+v, want ppid %d pgid %d", st, os.Getpid(), pid)
	}
	if !Alive(pid, st.Start) {
		t.Fatal("Alive = false for a running process")
	}
	if Alive(pid, st.Start+1) {
		t.Fatal("Alive = true with a different start time (a reused pid)")
	}
	if !slices.Contains(descendants(os.Getpid()), pid) {
		t.Fatal("descendants misses a child")
	}
	exited, stop := WatchExit(pid, st.Start)
	defer stop()
	cmd.Process.Kill()
	cmd.Wait()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("WatchExit did not report the exit")
	}
	if Alive(pid, st.Start) {
		t.Fatal("Alive = true after exit")
	}
}

func TestWatchExitStop(t *testing.T) {
	cmd := startSleep(t)
	start, err := StartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	exited, stop := WatchExit(cmd.Process.Pid, start)
	stop()
	stop() // idempotent
	select {
	case <-exited:
		t.Fatal("stopped watch reported an exit")
	default:
	}
	gone, stop2 := WatchExit(cmd.Process.Pid, start+1) // not that process
	defer stop2()
	select {
	case <-gone:
	default:
		t.Fatal("WatchExit of a mismatched start time should report at once")
	}
}

func TestStopLeftoversFindsJobProcesses(t *testing.T) {
	id := jobstore.NewID()
	a := startSleep(t, JobEnvVar+"="+id)
	other := startSleep(t, JobEnvVar+"="+jobstore.NewID())
	waitA := make(chan error, 1)
	go func() { waitA <- a.Wait() }()
	if n := StopLeftovers(id, 0, 0, time.Second); n != 1 {
		t.Fatalf("StopLeftovers = %d, want 1", n)
	}
	select {
	case <-waitA:
	case <-time.After(10 * time.Second):
		t.Fatal("the job's process survived StopLeftovers")
	}
	if other.ProcessState != nil {
		t.Fatal("another job's process was stopped")
	}
	if st, err := readProcStat(other.Process.Pid); err != nil || st.State == 'Z' {
		t.Fatalf("another job's process is gone: %v", err)
	}
}

func TestControlSocketPathIsShort(t *testing.T) {
	// A root far longer than sun_path's 108 bytes.
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 100), strings.Repeat("e", 100))
	if err := os.MkdirAll(long, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, d, err := listenControl(long)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	defer ln.Close()
	fi, err := os.Lstat(filepath.Join(long, jobstore.ControlSocket))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket = %v, %v; want a 0600 socket", fi, err)
	}
	calls := make(chan ctlCall)
	done := make(chan struct{})
	go serveControl(ln, calls, done)
	go func() {
		c := <-calls
		c.reply <- response{OK: true, Run: 7}
	}()
	c := Dial(long)
	if run, _, err := c.Ping(); err != nil || run != 7 {
		t.Fatalf("Ping = %d, %v; want run 7", run, err)
	}
	close(done)
	// After the run: a kill sends nothing and says so; input is refused.
	if finished, err := c.Kill(0, 0, ""); err != nil || !finished {
		t.Fatalf("kill after the run = %v, %v; want finished at once", finished, err)
	}
	var refused *RefusedError
	if n, err := c.Input([]byte("x"), false, 0, 0); !errors.As(err, &refused) || !errors.Is(err, ErrRunEnded) || n != 0 {
		t.Fatalf("input after the run = %d, %v; want refused with ErrRunEnded", n, err)
	}
	if err := c.Resize(80, 24); !errors.Is(err, ErrRunEnded) {
		t.Fatalf("resize after the run = %v; want ErrRunEnded", err)
	}
	scr, err := c.Screen()
	if !errors.As(err, &refused) || !errors.Is(err, ErrRunEnded) || scr != nil {
		t.Fatalf("screen after the run = %+v, %v; want refused with ErrRunEnded", scr, err)
	}
	if errors.Is(err, ErrNoSupervisor) || errors.Is(err, ErrNoAnswer) || refused.Msg != "the run has ended" {
		t.Fatalf("refusal = %v (%q); want only a refusal", err, refused.Msg)
	}
	ln.Close()
	os.Remove(filepath.Join(long, jobstore.ControlSocket))
	if _, _, err := c.Ping(); !errors.Is(err, ErrNoSupervisor) || errors.As(err, &refused) {
		t.Fatalf("Ping with no listener = %v, want ErrNoSupervisor", err)
	}
}

func TestEndRecord(t *testing.T) {
	dir := t.TempDir()
	f, err := openEndRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := ReadEndRecord(dir, 1); ok {
		t.Fatal("a blank end record reads as a state")
	}
	code := 3
	if err := writeEndRecord(f, &jobstore.State{State: jobstore.StateExited, Reason: jobstore.ReasonExit, Run: 2, ExitCode: &code}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, EndRecordFile)); err != nil || fi.Size() != endRecordSize || fi.Mode().Perm() != 0o600 {
		t.Fatalf("end record = %v, %v; want %d bytes, 0600", fi, err, endRecordSize)
	}
	if _, ok := ReadEndRecord(dir, 1); ok {
		t.Fatal("the record of run 2 reads as run 1's")
	}
	st, ok := ReadEndRecord(dir, 2)
	if !ok || st.State != jobstore.StateExited || st.ExitCode == nil || *st.ExitCode != 3 {
		t.Fatalf("ReadEndRecord = %+v, %v", st, ok)
	}
	// A new run blanks it again.
	g, err := openEndRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	if _, ok := ReadEndRecord(dir, 2); ok {
		t.Fatal("a reopened end record still holds the last run's state")
	}
}

// TestWatchExitNoThreadPerWatch: watches park on the netpoller, so 150 of
// them do not each hold an OS thread in a blocking poll.
func TestWatchExitNoThreadPerWatch(t *testing.T) {
	cmd := startSleep(t)
	start, err := StartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	var stops []func()
	for range 150 {
		_, stop := WatchExit(cmd.Process.Pid, start)
		stops = append(stops, stop)
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	// A watch that blocked a thread would do so within moments of its
	// start: look for half a second.
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n := threadCount(t); n > 40 {
			t.Fatalf("%d OS threads with 150 exit watches", n)
		}
	}
}

// threadCount returns the number of OS threads of this process.
func threadCount(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// TestSupervisorEnvGOMAXPROCS: a supervisor starts with GOMAXPROCS=1, and
// restoreEnv gives it back the launcher's value (or none) for the workload.
func TestSupervisorEnvGOMAXPROCS(t *testing.T) {
	for _, launcher := range []string{"", "3"} {
		env := []string{"A=1", JobEnvVar + "=01old", launcherGOMAXPROCS + "=planted"}
		if launcher != "" {
			env = append(env, "GOMAXPROCS="+launcher)
		}
		sup := supervisorEnv(env)
		if v, _ := envLookup(sup, "GOMAXPROCS"); v != "1" || strings.Count(strings.Join(sup, "\n"), "GOMAXPROCS=") != 1+min(len(launcher), 1) {
			t.Fatalf("supervisorEnv(%q) = %q, want GOMAXPROCS=1 once and the launcher's aside", env, sup)
		}
		if _, ok := envLookup(sup, JobEnvVar); ok {
			t.Errorf("supervisorEnv kept %s: %q", JobEnvVar, sup)
		}
		for _, kv := range sup {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		if launcher == "" {
			os.Unsetenv(launcherGOMAXPROCS)
		}
		restoreEnv()
		if v, ok := os.LookupEnv("GOMAXPROCS"); v != launcher || ok != (launcher != "") {
			t.Errorf("launcher GOMAXPROCS %q: restored %q (set %v)", launcher, v, ok)
		}
		if _, ok := os.LookupEnv(launcherGOMAXPROCS); ok {
			t.Errorf("%s left in the environment", launcherGOMAXPROCS)
		}
		if os.Getenv("A") != "1" {
			t.Error("restoreEnv lost another variable")
		}
	}
}
