// Package integration_test drives the real agent-exec binary end to end: it
// builds the binary once, starts "agent-exec mcp" per test on its own job
// root and talks to it over stdio with the official MCP Go SDK client.
package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	// binDir holds the binaries built for this run.
	binDir string
	// binPath is the agent-exec binary built by TestMain, with -race when
	// the tests are race-built.
	binPath string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "agent-exec-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration_test: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	binPath = filepath.Join(dir, "agent-exec")
	if err := build(binPath, raceEnabled); err != nil {
		fmt.Fprintln(os.Stderr, "integration_test:", err)
		return 1
	}
	return m.Run()
}

// build builds agent-exec into path, with the race detector if race.
func build(path string, race bool) error {
	args := []string{"build", "-o", path}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "github.com/agent-exec/agent-exec")
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is needed to build agent-exec: %w", err)
	}
	cmd := exec.Command(goTool, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %v: %w", args, err)
	}
	return nil
}

var (
	plainOnce sync.Once
	plainPath string
	plainErr  error
)

// plainBinary returns an agent-exec built without the race detector, built
// once on first use. It is for the one test that pushes 64 MiB through
// JSON: the race detector makes that about eight times slower (a minute
// and more on two cores), and what it checks is a size limit, not
// concurrency.
func plainBinary(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return binPath
	}
	plainOnce.Do(func() {
		plainPath = filepath.Join(binDir, "agent-exec-norace")
		plainErr = build(plainPath, false)
	})
	if plainErr != nil {
		t.Fatal(plainErr)
	}
	return plainPath
}
