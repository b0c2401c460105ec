package jobstore

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeMarshalJSON(t *testing.T) {
	plus5 := time.FixedZone("+05", 5*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"millis", time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC), `"2026-01-02T03:04:05.678Z"`},
		{"zero millis", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"2026-01-02T03:04:05.000Z"`},
		{"leading zero millis", time.Date(2026, 1, 2, 3, 4, 5, 7_000_000, time.UTC), `"2026-01-02T03:04:05.007Z"`},
		{"sub-millisecond truncated", time.Date(2026, 1, 2, 3, 4, 5, 678_999_999, time.UTC), `"2026-01-02T03:04:05.678Z"`},
		{"other zone to UTC", time.Date(2026, 1, 2, 8, 4, 5, 678_000_000, plus5), `"2026-01-02T03:04:05.678Z"`},
		{"local zone to UTC", time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC).Local(), `"2026-01-02T03:04:05.678Z"`},
		{"zero value", time.Time{}, `"0001-01-01T00:00:00.000Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(Time{tt.in})
			if err != nil {
				t.Fatalf("json.Marshal(Time{%v}) error = %v, want nil", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("json.Marshal(Time{%v}) = %s, want %s", tt.in, got, tt.want)
			}
			if s, want := (Time{tt.in}).String(), tt.want[1:len(tt.want)-1]; s != want {
				t.Errorf("Time{%v}.String() = %q, want %q", tt.in, s, want)
			}
		})
	}
}

func TestTimeMarshalInStruct(t *testing.T) {
	v := struct {
		At  Time  `json:"at"`
		Ptr *Time `json:"ptr,omitempty"`
	}{At: Time{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%+v) error = %v, want nil", v, err)
	}
	if want := `{"at":"2026-01-02T03:04:05.000Z"}`; string(got) != want {
		t.Errorf("json.Marshal(%+v) = %s, want %s", v, got, want)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	tests := []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
		time.Now().Truncate(time.Millisecond),
	}
	for _, in := range tests {
		t.Run(in.String(), func(t *testing.T) {
			b, err := json.Marshal(Time{in})
			if err != nil {
				t.Fatalf("json.Marshal(Time{%v}) error = %v, want nil", in, err)
			}
			var got Time
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("json.Unmarshal(%s) error = %v, want nil", b, err)
			}
			if !got.Equal(in) {
				t.Errorf("json.Unmarshal(%s) = %v, want %v", b, got.Time, in)
			}
			if got.Location() != time.UTC {
				t.Errorf("json.Unmarshal(%s).Location() = %v, want UTC", b, got.Location())
			}
		})
	}
}

func TestTimeUnmarshalJSON(t *testing.T) {
	want := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{`"2026-01-02T03:04:05.678Z"`, want, false},
		{`"2026-01-02T08:04:05.678+05:00"`, want, false},
		{`"2026-01-02T03:04:05.678123456Z"`, want.Add(123456), false},
		{`"2026-01-02T03:04:05Z"`, want.Truncate(time.Second), false},
		{`123`, time.Time{}, true},
		{`1767322800678`, time.Time{}, true},
		{`null`, time.Time{}, true},
		{`true`, time.Time{}, true},
		{`{}`, time.Time{}, true},
		{`[]`, time.Time{}, true},
		{`""`, time.Time{}, true},
		{`"not a time"`, time.Time{}, true},
		{`"2026-01-02 03:04:05Z"`, time.Time{}, true},
		{`"2026-01-02T03:04:05"`, time.Time{}, true}, // no zone
		{`"`, time.Time{}, true},
		{``, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Time
			err := got.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Errorf("Time.UnmarshalJSON(%s) = %v, nil, want an error", tt.in, got.Time)
				}
				return
			}
			if err != nil {
				t.Fatalf("Time.UnmarshalJSON(%s) error = %v, want nil", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Time.UnmarshalJSON(%s) = %v, want %v", tt.in, got.Time, tt.want)
			}
		})
	}
}

// TestTimeUnmarshalInStruct checks that a non-string field fails the whole
// document, as a corrupt state.json must.
func TestTimeUnmarshalInStruct(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{`{"at":"2026-01-02T03:04:05.678Z"}`, false},
		{`{"at":1767322800}`, true},
		{`{"at":{"sec":1}}`, true},
		{`{"at":["2026-01-02T03:04:05.678Z"]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v struct {
				At Time `json:"at"`
			}
			err := json.Unmarshal([]byte(tt.in), &v)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("json.Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestNow(t *testing.T) {
	before := time.Now()
	got := Now()
	after := time.Now()
	if got.Before(before) || got.After(after) {
		t.Errorf("Now() = %v, want in [%v, %v]", got.Time, before, after)
	}
}
