package supervisor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// TestMain lets the test binary act as the supervisor: Launch re-executes
// /proc/self/exe, which here is this binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ModeArg {
		os.Exit(Main(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// supervisorsOf lists the live supervisor processes of the job in dir.
func supervisorsOf(dir string) []int {
	pids, _ := allPIDs()
	var out []int
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			continue
		}
		argv := strings.Split(string(b), "\x00")
		if len(argv) >= 3 && argv[0] == "agent-exec-supervisor" && argv[2] == dir {
			if st, err := readProcStat(pid); err == nil && st.State != 'Z' {
				out = append(out, pid)
			}
		}
	}
	return out
}

// TestLaunchTimeoutLeavesNothing (issue 8 item 12): a launch whose
// supervisor does not answer in time fails, and the supervisor it started
// is gone when Launch returns, so it cannot start the job later.
func TestLaunchTimeoutLeavesNothing(t *testing.T) {
	s, err := jobstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	m := &jobstore.Meta{ID: jobstore.NewID(), Command: []string{"touch " + marker + "; exec sleep 600"}, Shell: true,
		Cwd: "/", InheritEnv: true, KillAfterS: 1, Streams: "merged", Tags: []string{}, CreatedAt: jobstore.Now()}
	if err := s.Create(m); err != nil {
		t.Fatal(err)
	}
	// A predecessor that never lets go: the new supervisor waits for it.
	lock, err := s.LockSupervisor(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	old := handshakeTimeout
	handshakeTimeout = time.Second
	defer func() { handshakeTimeout = old }()
	err = Launch(s, m.ID, 1)
	if err == nil {
		t.Fatal("Launch succeeded while the supervisor lock was held")
	}
	if sups := supervisorsOf(s.Dir(m.ID)); len(sups) != 0 {
		t.Fatalf("the supervisor of the failed launch still runs: %v", sups)
	}
	lock.Unlock()
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the job ran although its launch failed")
	}
}
