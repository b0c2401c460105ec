package jobstore

import (
	"math"
	"time"
)

// MaxSeconds is the largest number of seconds any seconds field of a job
// (a runtime limit, a grace, a wait) may hold: 366 days. It keeps every
// such field far inside time.Duration's range (about 292 years).
const MaxSeconds = 366 * 24 * 60 * 60

// Duration converts a number of seconds to a time.Duration, saturating:
// NaN and values <= 0 give 0, values above MaxSeconds give MaxSeconds. It
// is the one conversion of seconds fields (meta.json, tool arguments), so
// no value, checked or not, wraps around into a negative or tiny
// duration.
func Duration(seconds float64) time.Duration {
	switch {
	case math.IsNaN(seconds) || seconds <= 0:
		return 0
	case seconds >= MaxSeconds:
		return MaxSeconds * time.Second
	}
	return time.Duration(seconds * float64(time.Second))
}
