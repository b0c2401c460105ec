package jobs

import (
	"math"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/screen"
)

// Argument limits. This package is the authority on which tool arguments
// are acceptable: the checks of every operation use these numbers, and the
// published input schemas (package schemas) state the same ones, which a
// test in package tools holds equal, value by value.
const (
	// MaxSeconds bounds timeout and until (seconds). until is then reduced
	// to the service's MaxUntil, never refused for being long.
	MaxSeconds = jobstore.MaxSeconds
	// MaxGraceSeconds bounds grace and kill_after: the seconds between a
	// signal and SIGKILL.
	MaxGraceSeconds = 3600
	// MaxIdleMS bounds idle_ms (one hour).
	MaxIdleMS = 3_600_000
	// MaxCols and MaxRows bound a terminal's size: the screen a tty job
	// is rendered on is exactly the size the job was given.
	MaxCols = screen.MaxCols
	MaxRows = screen.MaxRows
	// MaxTailLines bounds tail_lines.
	MaxTailLines = 10000
	// MinMaxBytes and MaxMaxBytes bound max_bytes.
	MinMaxBytes = 256
	MaxMaxBytes = 1 << 20
	// MaxTags bounds the tags of a job.
	MaxTags = 32
	// MinLogRotate and MaxLogRotate bound log_rotate.
	MinLogRotate = 64 << 10
	MaxLogRotate = 1 << 40
	// MaxEnvFiles bounds the env files of a job.
	MaxEnvFiles = 16
	// MaxListLimit bounds list's limit.
	MaxListLimit = 1000
	// MaxKeys bounds the keys of one input call, MaxKeyLen each key's length
	// in characters.
	MaxKeys   = 1000
	MaxKeyLen = 16
	// MaxSignal is the highest signal number.
	MaxSignal = 64
	// MaxLogLimit bounds log_limit (1 TiB).
	MaxLogLimit = 1 << 40
	// MaxOffset bounds offset: the largest integer a JSON number holds
	// exactly.
	MaxOffset = 1<<53 - 1
	// MaxPatternBytes bounds a regular expression (wait_for, a notify
	// match): a longer one is refused before it is compiled, whose cost
	// grows with its length.
	MaxPatternBytes = 4096
)

// secondsArg checks a seconds argument named field against [0, max] and
// returns it as a duration. NaN is refused.
func secondsArg(field string, v, max float64) (time.Duration, error) {
	if math.IsNaN(v) || v < 0 || v > max {
		return 0, invalid(field, "must be between 0 and %g seconds", max)
	}
	return jobstore.Duration(v), nil
}

// seconds converts checked seconds to a duration (saturating).
func seconds(s float64) time.Duration { return jobstore.Duration(s) }
