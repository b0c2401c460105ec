package jobstore

import (
	"slices"
	"testing"
)

func TestMaskedValues(t *testing.T) {
	tests := []struct {
		name string
		meta Meta
		want []string
	}{
		{"no mask", Meta{Env: map[string]string{"A": "1"}}, nil},
		{"nil env", Meta{Mask: []string{"A"}}, nil},
		{"one", Meta{Env: map[string]string{"TOKEN": "s3cret", "PATH": "/bin"}, Mask: []string{"TOKEN"}}, []string{"s3cret"}},
		{"mask order", Meta{Env: map[string]string{"A": "a", "B": "b", "C": "c"}, Mask: []string{"C", "A"}}, []string{"c", "a"}},
		{"empty value left out", Meta{Env: map[string]string{"A": "", "B": "b"}, Mask: []string{"A", "B"}}, []string{"b"}},
		{"missing key left out", Meta{Env: map[string]string{"B": "b"}, Mask: []string{"NOPE", "B"}}, []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.meta.MaskedValues(); !slices.Equal(got, tt.want) {
				t.Errorf("Meta{Env: %v, Mask: %v}.MaskedValues() = %q, want %q", tt.meta.Env, tt.meta.Mask, got, tt.want)
			}
		})
	}
}

func TestSeparate(t *testing.T) {
	tests := []struct {
		streams string
		want    bool
	}{
		{StreamsSeparate, true},
		{StreamsMerged, false},
		{"", false},
		{"Separate", false},
	}
	for _, tt := range tests {
		t.Run(tt.streams, func(t *testing.T) {
			m := &Meta{Streams: tt.streams}
			if got := m.Separate(); got != tt.want {
				t.Errorf("Meta{Streams: %q}.Separate() = %v, want %v", tt.streams, got, tt.want)
			}
		})
	}
}

func TestTerminal(t *testing.T) {
	tests := []struct {
		state string
		want  bool
	}{
		{StateCreated, false},
		{StateRunning, false},
		{StateExited, true},
		{StateKilled, true},
		{StateFailed, true},
		{"", false},
		{"Exited", false},
		{ReasonExit, false},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			if got := Terminal(tt.state); got != tt.want {
				t.Errorf("Terminal(%q) = %v, want %v", tt.state, got, tt.want)
			}
		})
	}
}
