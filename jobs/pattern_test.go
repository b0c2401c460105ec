package jobs

import (
	"errors"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/jobstore"
)

// A regular expression longer than MaxPatternBytes is refused before it
// is compiled (compiling a hostile megabyte costs seconds); one of exactly
// MaxPatternBytes is compiled as usual.
func TestPatternLength(t *testing.T) {
	s := newService(t)
	long := strings.Repeat("(", MaxPatternBytes+1)
	refused := func(what string, err error, field, says string) {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidInput || e.Field != field || !strings.Contains(e.Message, says) {
			t.Errorf("%s: %v, want invalid_input on %s saying %q", what, err, field, says)
		}
	}
	_, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}},
		Observation: Observation{WaitFor: long}}, nil)
	refused("wait_for of MaxPatternBytes+1", err, "wait_for", "at most 4096 bytes")
	_, err = s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}},
		Observation: Observation{WaitFor: long[1:]}}, nil)
	refused("wait_for of MaxPatternBytes, unbalanced", err, "wait_for", "RE2")
	_, err = s.Create(t.Context(), &Definition{Command: Command{"true"}, Notify: &jobstore.Notify{File: "/dev/null",
		Match: []jobstore.NotifyMatch{{Pattern: long, Match: jobstore.MatchRegex}}}})
	refused("notify regex of MaxPatternBytes+1", err, "notify", "at most 4096 bytes")
	ok := strings.Repeat("a", MaxPatternBytes)
	zero := 0.0
	if _, err := s.Run(t.Context(), &RunRequest{Definition: Definition{Command: Command{"true"}},
		Observation: Observation{WaitFor: ok, Until: &zero}}, nil); err != nil {
		t.Errorf("wait_for of MaxPatternBytes: %v", err)
	}
}
