package supervisor

import (
	"testing"
	"time"
)

// A command sink past NotifyTimeout is killed, with its process group,
// and reported timed_out.
func TestCommandSinkTimeout(t *testing.T) {
	old := NotifyTimeout
	NotifyTimeout = 200 * time.Millisecond
	t.Cleanup(func() { NotifyTimeout = old })
	r := commandSink("sleep 60 & sleep 60; wait", t.TempDir(), &NotifyEvent{Type: EventFinished}, []byte("{}"), nil)
	if r.Result != TimedOut || r.ExitCode != nil {
		t.Fatalf("result %+v, want timed_out", r)
	}
	r = commandSink("read x; test \"$AGENT_EXEC_EVENT_TYPE\" = job.finished && exit 4", t.TempDir(), &NotifyEvent{Type: EventFinished}, []byte("{}"), nil)
	if r.Result != Failed || r.ExitCode == nil || *r.ExitCode != 4 {
		t.Fatalf("result %+v, want failed with exit code 4", r)
	}
}
