package supervisor

import (
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agent-exec/agent-exec/jobstore"
)

// exitedWith and killedBy build the wait statuses wait4 reports.
func exitedWith(code int) unix.WaitStatus         { return unix.WaitStatus(code << 8) }
func killedBy(sig syscall.Signal) unix.WaitStatus { return unix.WaitStatus(sig) }

// The supervisor's decision of how a run ended, for every way it can end.
func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ws        unix.WaitStatus
		endReason string
		endSignal syscall.Signal
		state     string
		reason    string
		signal    string
		exitCode  int // -1: none
	}{
		{"exit 0", exitedWith(0), "", 0, jobstore.StateExited, jobstore.ReasonExit, "", 0},
		{"exit 3", exitedWith(3), "", 0, jobstore.StateExited, jobstore.ReasonExit, "", 3},
		{"killed from elsewhere", killedBy(unix.SIGSEGV), "", 0, jobstore.StateKilled, jobstore.ReasonSignal, "SIGSEGV", -1},
		{"real-time signal from elsewhere", killedBy(syscall.Signal(40)), "", 0, jobstore.StateKilled, jobstore.ReasonSignal, "SIGRTMIN+6", -1},
		{"kill obeyed", killedBy(unix.SIGTERM), jobstore.ReasonKill, unix.SIGTERM, jobstore.StateKilled, jobstore.ReasonKill, "SIGTERM", -1},
		{"kill escalated", killedBy(unix.SIGKILL), jobstore.ReasonKill, unix.SIGTERM, jobstore.StateKilled, jobstore.ReasonKill, "SIGKILL", -1},
		{"kill trapped, exited 42", exitedWith(42), jobstore.ReasonKill, unix.SIGTERM, jobstore.StateExited, jobstore.ReasonKill, "", 42},
		{"timeout", killedBy(unix.SIGTERM), jobstore.ReasonTimeout, unix.SIGTERM, jobstore.StateKilled, jobstore.ReasonTimeout, "SIGTERM", -1},
		{"timeout trapped, exited 0", exitedWith(0), jobstore.ReasonTimeout, unix.SIGTERM, jobstore.StateExited, jobstore.ReasonTimeout, "", 0},
		{"log limit", killedBy(unix.SIGKILL), jobstore.ReasonLogLimit, unix.SIGKILL, jobstore.StateKilled, jobstore.ReasonLogLimit, "SIGKILL", -1},
		{"supervisor signalled", killedBy(unix.SIGINT), jobstore.ReasonSignal, unix.SIGINT, jobstore.StateKilled, jobstore.ReasonSignal, "SIGINT", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, reason, signal, code := outcome(tc.ws, tc.endReason, tc.endSignal)
			if state != tc.state || reason != tc.reason || signal != tc.signal {
				t.Errorf("outcome = %s/%s/%q, want %s/%s/%q", state, reason, signal, tc.state, tc.reason, tc.signal)
			}
			switch {
			case tc.exitCode < 0 && code != nil:
				t.Errorf("exit code %d, want none", *code)
			case tc.exitCode >= 0 && (code == nil || *code != tc.exitCode):
				t.Errorf("exit code %v, want %d", code, tc.exitCode)
			}
		})
	}
}

// The SIGKILL after a grace comes at the earliest deadline asked for: a
// later, longer grace never postpones it, a shorter one brings it forward.
func TestEscalationTakesTheEarliestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sv := &super{}
		start := time.Now()
		sv.armEscalation(5 * time.Second)
		sv.armEscalation(10 * time.Second) // a longer grace: no change
		if got := sv.escalateAt.Sub(start); got != 5*time.Second {
			t.Fatalf("escalation at +%v, want +5s", got)
		}
		sv.armEscalation(2 * time.Second) // a shorter one: sooner
		<-sv.escalation.C
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("escalation fired at +%v, want +2s", got)
		}
	})
}
