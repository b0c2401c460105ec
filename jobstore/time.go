package jobstore

import (
	"fmt"
	"time"
)

// TimeLayout is the layout of every timestamp agent-exec writes: RFC 3339,
// UTC, milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Time is a time.Time that marshals as RFC 3339 UTC with milliseconds.
type Time struct{ time.Time }

// Now returns the current time as a Time.
func Now() Time { return Time{time.Now()} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler; it accepts any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("time: want a JSON string, got %s", b)
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	t.Time = v
	return nil
}

// String formats t like MarshalJSON does, without quotes.
func (t Time) String() string { return t.UTC().Format(TimeLayout) }
