package main

import (
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	const (
		called    = `{"finding":{"osv":"GO-1","fixed_version":"v1.27.3","trace":[{"module":"stdlib","version":"v1.26.8","package":"net/http","function":"Get"}]}}`
		imported  = `{"finding":{"osv":"GO-2","fixed_version":"v1.27.3","trace":[{"module":"stdlib","version":"v1.26.8","package":"net/http"}]}}`
		module    = `{"finding":{"osv":"GO-3","fixed_version":"v0.2.0","trace":[{"module":"example.com/m","version":"v0.1.0","package":"example.com/m","function":"F"}]}}`
		toolchain = `{"finding":{"osv":"GO-4","fixed_version":"v1.27.3","trace":[{"module":"toolchain","version":"v1.26.8","package":"crypto/tls","function":"Dial"}]}}`
		other     = `{"config":{"go_version":"go1.27.3"}}`
	)
	tests := []struct {
		name            string
		in              string
		stdlib, modules int
	}{
		{"nothing", other, 0, 0},
		{"standard library called", other + called, 1, 0},
		{"toolchain called", toolchain, 1, 0},
		{"standard library only imported", imported, 0, 0},
		{"required module called", module, 0, 1},
		{"both, one id twice", called + called + module, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(got.stdlib) != tt.stdlib || len(got.modules) != tt.modules {
				t.Errorf("read(%s) = %d stdlib, %d modules; want %d, %d", tt.name, len(got.stdlib), len(got.modules), tt.stdlib, tt.modules)
			}
		})
	}
	if _, err := read(strings.NewReader("{")); err == nil {
		t.Error("read(truncated) = nil error, want one")
	}
}
