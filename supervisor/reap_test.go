package supervisor

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// The supervisor's decision after a round of reaping in which children
// remained: is the run over, and what does the tree get now.
func TestAfterReap(t *testing.T) {
	const killAfter = 3 * time.Second
	for _, tc := range []struct {
		name          string
		mainDone      bool
		treeLeft      bool
		leftoversTold bool
		armed         time.Duration // a SIGKILL already armed this far ahead; 0: none
		escalated     bool

		done    bool
		sig     syscall.Signal
		killsAt time.Duration // when the armed SIGKILL fires, from now; 0: none armed
	}{
		{name: "main running", treeLeft: true},
		{name: "main running, a kill's grace running", treeLeft: true, armed: 5 * time.Second, killsAt: 5 * time.Second},
		{name: "main running, kill escalated: latecomers", treeLeft: true, escalated: true, sig: unix.SIGKILL},
		{name: "exit without leftovers", mainDone: true, done: true},
		{name: "exit without leftovers, after a kill", mainDone: true, escalated: true, done: true},
		{name: "exit with leftovers: TERM, KILL after kill_after", mainDone: true, treeLeft: true, sig: unix.SIGTERM, killsAt: killAfter},
		{name: "leftovers told, their grace running", mainDone: true, treeLeft: true, leftoversTold: true, armed: time.Second, killsAt: time.Second},
		{name: "leftovers during a kill's grace: its KILL covers them", mainDone: true, treeLeft: true, armed: 5 * time.Second, killsAt: 5 * time.Second},
		{name: "leftovers ignored TERM past kill_after", mainDone: true, treeLeft: true, leftoversTold: true, escalated: true, sig: unix.SIGKILL},
		{name: "leftovers after a kill escalated", mainDone: true, treeLeft: true, escalated: true, sig: unix.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sv := &super{meta: &jobstore.Meta{KillAfterS: killAfter.Seconds()}, mainDone: tc.mainDone,
					leftoversTold: tc.leftoversTold, escalated: tc.escalated}
				if tc.armed > 0 {
					sv.armEscalation(tc.armed)
				}
				start := time.Now()
				done, sig := sv.afterReap(tc.treeLeft)
				if done != tc.done || sig != tc.sig {
					t.Errorf("afterReap(%v) = %v, %v; want %v, %v", tc.treeLeft, done, SignalName(sig), tc.done, SignalName(tc.sig))
				}
				if tc.killsAt == 0 {
					if sv.escalation != nil {
						t.Errorf("a SIGKILL is armed for +%v, want none", sv.escalateAt.Sub(start))
					}
					return
				}
				if sv.escalation == nil {
					t.Fatalf("no SIGKILL armed, want one at +%v", tc.killsAt)
				}
				<-sv.escalation.C
				if got := time.Since(start); got != tc.killsAt {
					t.Errorf("SIGKILL due at +%v, want +%v", got, tc.killsAt)
				}
			})
		})
	}
}

// Leftovers that ignore SIGTERM: the run goes on (the state is not
// recorded) until SIGKILL, sent kill_after after the TERM and again to
// latecomers, leaves nothing; a second round of reaping before that sends
// no second TERM.
func TestLeftoversIgnoringTermGetKillAfterKillAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const killAfter = 2 * time.Second
		sv := &super{meta: &jobstore.Meta{KillAfterS: killAfter.Seconds()}, mainDone: true}
		start := time.Now()
		steps := []struct {
			treeLeft bool
			done     bool
			sig      syscall.Signal
		}{
			{true, false, unix.SIGTERM}, // the main process exited; a leftover remains
			{true, false, 0},            // it ignores TERM: nothing new
		}
		for i, st := range steps {
			if done, sig := sv.afterReap(st.treeLeft); done != st.done || sig != st.sig {
				t.Fatalf("round %d: afterReap = %v, %v; want %v, %v", i, done, SignalName(sig), st.done, SignalName(st.sig))
			}
		}
		<-sv.escalation.C
		if got := time.Since(start); got != killAfter {
			t.Fatalf("SIGKILL came at +%v, want +%v", got, killAfter)
		}
		if sig := sv.escalate(); sig != unix.SIGKILL {
			t.Fatalf("escalate = %v, want SIGKILL", SignalName(sig))
		}
		if done, sig := sv.afterReap(true); done || sig != unix.SIGKILL {
			t.Fatalf("with a latecomer: afterReap = %v, %v; want false, SIGKILL", done, SignalName(sig))
		}
		if done, sig := sv.afterReap(false); !done || sig != 0 {
			t.Fatalf("with nothing left: afterReap = %v, %v; want true, none", done, SignalName(sig))
		}
	})
}

// How a real run ends, main process and leftovers: the state recorded,
// what the log holds once it is recorded, and the leftovers gone.
func TestRunEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real jobs that wait out kill_after")
	}
	for _, tc := range []struct {
		name     string
		script   string
		state    string
		code     int
		log      []string      // lines the log holds when the state is recorded
		lastFrom time.Duration // at least this long from the main exit to the supervisor's
	}{
		{"exit without leftovers", "echo main; exit 3", jobstore.StateExited, 3, []string{"main"}, 0},
		// The leftover's last words, written a while after its TERM, are
		// on disk before the run is recorded as over.
		{"leftover obeys TERM, last words kept",
			`sh -c 'trap "sleep 0.3; echo leftover got TERM; exit 0" TERM; sleep 600 & wait' & echo main`,
			jobstore.StateExited, 0, []string{"main", "leftover got TERM"}, 0},
		{"leftover ignores TERM: KILL after kill_after",
			`sh -c 'trap "" TERM; echo leftover $$; exec sleep 600' & echo main`,
			jobstore.StateExited, 0, []string{"main", "leftover "}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := jobstore.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			m := &jobstore.Meta{ID: jobstore.NewID(), Command: []string{tc.script}, Shell: true, Cwd: "/", InheritEnv: true,
				KillAfterS: 1, Streams: "merged", Tags: []string{}, CreatedAt: jobstore.Now()}
			if err := s.Create(m); err != nil {
				t.Fatal(err)
			}
			if err := Launch(s, m.ID, 1); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { StopLeftovers(m.ID, 0, 0, 0) }) // should this test fail
			st, err := s.ReadState(m.ID)
			if err != nil {
				t.Fatal(err)
			}
			gone, stop := WatchExit(st.SupervisorPID, st.SupervisorStart)
			defer stop()
			select {
			case <-gone:
			case <-time.After(30 * time.Second):
				t.Fatal("the supervisor did not end within 30 s")
			}
			ended := time.Now()
			if st, err = s.ReadState(m.ID); err != nil {
				t.Fatal(err)
			}
			if st.State != tc.state || st.Reason != jobstore.ReasonExit || st.ExitCode == nil || *st.ExitCode != tc.code {
				t.Errorf("state %s/%s exit %v, want %s/%s exit %d", st.State, st.Reason, st.ExitCode, tc.state, jobstore.ReasonExit, tc.code)
			}
			if took := ended.Sub(st.FinishedAt.Time); took < tc.lastFrom {
				t.Errorf("the run was over %v after the main process exited, want at least %v (kill_after)", took, tc.lastFrom)
			}
			b, err := os.ReadFile(s.Path(m.ID, jobstore.OutputLog))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.log {
				if !strings.Contains(string(b), want) {
					t.Errorf("output.log = %q, want it to hold %q", b, want)
				}
			}
			logInfo, err1 := os.Stat(s.Path(m.ID, jobstore.OutputLog))
			stateInfo, err2 := os.Stat(s.Path(m.ID, jobstore.StateFile))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if logInfo.ModTime().After(stateInfo.ModTime()) {
				t.Errorf("output.log written at %v, after the terminal state (%v): a reader of the state missed output",
					logInfo.ModTime(), stateInfo.ModTime())
			}
			if _, pid, ok := strings.Cut(string(b), "leftover "); ok {
				p, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(pid, "\n", 2)[0]))
				if p > 0 && unix.Kill(p, 0) == nil {
					t.Errorf("the leftover %d still runs after the run ended", p)
				}
			}
		})
	}
}

// The memory the start-up used goes back to the system the first time the
// loop waits, and only then: a run that ended before the loop first waited
// records its end without paying for it.
func TestBeforeWaitFreesMemoryOnce(t *testing.T) {
	calls := 0
	old := freeOSMemory
	freeOSMemory = func() { calls++ }
	t.Cleanup(func() { freeOSMemory = old })
	sv := &super{}
	if calls != 0 {
		t.Fatalf("memory given back %d times before the loop waited, want 0", calls)
	}
	for range 3 {
		sv.beforeWait()
	}
	if calls != 1 {
		t.Errorf("memory given back %d times over three waits, want once", calls)
	}
}
