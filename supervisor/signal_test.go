package supervisor

import (
	"syscall"
	"testing"
)

func TestSignalNames(t *testing.T) {
	for _, tc := range []struct {
		sig  int
		name string
	}{
		{1, "SIGHUP"}, {9, "SIGKILL"}, {15, "SIGTERM"}, {31, "SIGSYS"},
		{32, "SIG32"}, {33, "SIG33"}, {34, "SIGRTMIN"}, {40, "SIGRTMIN+6"},
		{49, "SIGRTMIN+15"}, {50, "SIGRTMAX-14"}, {62, "SIGRTMAX-2"}, {64, "SIGRTMAX"},
	} {
		if got := SignalName(syscall.Signal(tc.sig)); got != tc.name {
			t.Errorf("SignalName(%d) = %q, want %q", tc.sig, got, tc.name)
		}
		if got := SignalNum(tc.name); int(got) != tc.sig {
			t.Errorf("SignalNum(%q) = %d, want %d", tc.name, got, tc.sig)
		}
	}
	// Every signal has a name, and the name reads back as the signal.
	for n := 1; n <= 64; n++ {
		name := SignalName(syscall.Signal(n))
		if name == "" || int(SignalNum(name)) != n {
			t.Errorf("signal %d: name %q reads back as %d", n, name, SignalNum(name))
		}
	}
	for _, name := range []string{"rtmin+6", "RTMIN+6", "sigrtmin+6", "SIG40"} {
		if got := SignalNum(name); got != 40 {
			t.Errorf("SignalNum(%q) = %d, want 40", name, got)
		}
	}
	for _, name := range []string{"", "BOGUS", "RTMIN+31", "RTMAX-31", "RTMIN+-1", "SIG65", "SIG0", "SIG+5", "RTMIN+x"} {
		if got := SignalNum(name); got != 0 {
			t.Errorf("SignalNum(%q) = %d, want 0", name, got)
		}
	}
	for _, n := range []int{0, 65, -1} {
		if got := SignalName(syscall.Signal(n)); got != "" {
			t.Errorf("SignalName(%d) = %q, want none", n, got)
		}
	}
}
