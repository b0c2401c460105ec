// Package testutil holds helpers shared by the tests of several packages.
// Only tests import it.
package testutil

import (
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// AwaitSupervisors waits until the supervisor of every job in the store at
// root has exited, each for at most within, and reports one that has not.
// A supervisor writes a little (its log, the last event) after it records
// a final state, which races with the removal of a temporary root: call it
// from a t.Cleanup registered after t.TempDir's.
func AwaitSupervisors(t testing.TB, root string, within time.Duration) {
	t.Helper()
	st, err := jobstore.Open(root)
	if err != nil {
		return
	}
	ids, err := st.IDs()
	if err != nil {
		return
	}
	for _, id := range ids {
		state, err := st.ReadState(id)
		if err != nil || state.SupervisorPID == 0 {
			continue
		}
		gone, stop := supervisor.WatchExit(state.SupervisorPID, state.SupervisorStart)
		select {
		case <-gone:
		case <-time.After(within):
			t.Errorf("the supervisor of job %s did not exit within %v", id, within)
		}
		stop()
	}
}
