//go:build race

package integration_test

// raceEnabled reports whether this test binary is race-built; the binary
// under test is then built with -race too.
const raceEnabled = true
