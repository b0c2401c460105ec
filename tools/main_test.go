package tools

import (
	"os"
	"testing"

	"github.com/agent-exec/agent-exec/supervisor"
)

// TestMain lets the test binary act as the supervisor: a launch re-executes
// /proc/self/exe, which here is this binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == supervisor.ModeArg {
		os.Exit(supervisor.Main(os.Args[2:]))
	}
	os.Exit(m.Run())
}
