package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBareEnvironmentNoted (issue 15, item 2): a server started the way
// Codex starts it, with only HOME, LANG, PATH and TERM, logs one line on
// stderr saying that its jobs inherit only these; a server with a usual
// environment does not.
func TestBareEnvironmentNoted(t *testing.T) {
	t.Parallel()
	wrapper := filepath.Join(t.TempDir(), "agent-exec-codex-env")
	gorace := ""
	if raceEnabled {
		gorace = " GORACE=atexit_sleep_ms=0"
	}
	script := "#!/bin/sh\nexec env -i HOME=\"$HOME\" LANG=C.UTF-8 PATH=\"$PATH\" TERM=dumb" + gorace + " '" + binPath + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	bare := startServer(t, withBinary(wrapper))
	env := bare.runJob("env", nil)
	if strings.Contains(env.Output.Text, "USER=") || !strings.Contains(env.Output.Text, "TERM=dumb") {
		t.Fatalf("the wrapper did not give the server a bare environment; a job sees:\n%s", env.Output.Text)
	}
	usual := startServer(t, withEnv("AE_USUAL_A=1", "AE_USUAL_B=1", "AE_USUAL_C=1", "AE_USUAL_D=1",
		"AE_USUAL_E=1", "AE_USUAL_F=1", "AE_USUAL_G=1")) // more than a bare few, whatever the test's own
	usual.runJob("true", nil)

	read := func(s *server) string {
		b, err := os.ReadFile(s.stderr)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(bare); strings.Count(got, "bare environment") != 1 || !strings.Contains(got, "HOME,LANG,PATH,TERM") {
		t.Errorf("bare server's stderr, want one bare environment line naming HOME,LANG,PATH,TERM:\n%s", got)
	}
	if got := read(usual); strings.Contains(got, "bare environment") {
		t.Errorf("a server with a usual environment warned:\n%s", got)
	}
}
