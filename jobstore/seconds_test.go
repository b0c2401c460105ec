package jobstore

import (
	"math"
	"testing"
	"time"
)

func TestDurationSaturates(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want time.Duration
	}{
		{0, 0},
		{-1, 0},
		{math.NaN(), 0},
		{math.Inf(-1), 0},
		{1.5, 1500 * time.Millisecond},
		{1e-10, 0},
		{MaxSeconds, MaxSeconds * time.Second},
		{1e10, MaxSeconds * time.Second},
		{1e12, MaxSeconds * time.Second},
		{math.MaxFloat64, MaxSeconds * time.Second},
		{math.Inf(1), MaxSeconds * time.Second},
	} {
		if got := Duration(c.in); got != c.want {
			t.Errorf("Duration(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
