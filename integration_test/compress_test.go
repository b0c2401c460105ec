package integration_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompressBigLogAndEnv: over MCP, a run of 24 MiB keeps its first line
// and the error in its middle within the default window, and observe of
// the finished run returns the same; env output masks secret values.
func TestCompressBigLogAndEnv(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	script := filepath.Join(t.TempDir(), "gen.py")
	src := `import sys
w = sys.stdout.write
w("fatal: config file /etc/app.toml: unknown key 'listen_adress'\n")
line = "2026-12-01T10:00:00.000Z INFO request handled path=/api/items status=200 dur=12ms %08d\n"
for i in range(120000):
    w(line % i)
w("2026-12-01T10:05:00.000Z ERROR database connection lost: read tcp 10.0.0.7:5432: i/o timeout\n")
for i in range(120000):
    w(line % i)
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := s.runJob([]string{"python3", script}, obj{"until": 40})
	if env.Job.State != "exited" {
		t.Fatalf("job = %+v", env.Job)
	}
	for _, out := range []*outputView{env.Output, s.ok("observe", obj{"job_id": env.Job.JobID}).Output} {
		if out.TotalBytes < 20<<20 || len(out.Text) > 16384 {
			t.Fatalf("window of %d bytes from %d", len(out.Text), out.TotalBytes)
		}
		for _, want := range []string{"fatal: config file /etc/app.toml", "ERROR database connection lost"} {
			if !strings.Contains(out.Text, want) {
				t.Errorf("the window lost %q", want)
			}
		}
	}

	const token = "ghp_integration0123456789SECRET"
	masked := s.runJob("env", obj{"env": obj{"GITHUB_TOKEN": token}})
	if strings.Contains(masked.Output.Text, token) || !strings.Contains(masked.Output.Text, "GITHUB_TOKEN=***") {
		t.Errorf("env output = %q", masked.Output.Text)
	}
}
