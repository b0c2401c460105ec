package integration_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMaskInheritedReaderWithoutVariable (issue 8, security 1): a masked
// variable the job inherited from the server that launched it is redacted
// by a second server whose environment lacks it, in every response: the
// job object, output windows, compression, wait matches, list's last
// lines and progress notifications. The value is recorded in a 0600 file
// of the job, never in meta.json.
func TestMaskInheritedReaderWithoutVariable(t *testing.T) {
	t.Parallel()
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	token := "sekret" + hex.EncodeToString(rnd[:])
	const key = "AGENT_EXEC_IT_INHERITED"
	r := newRoot(t)
	launcher := startServer(t, onRoot(r), withEnv(key+"="+token))
	cmd := `echo "token=$` + key + `"; echo ready; while read line; do echo "got $line $` + key + `"; done`
	env := launcher.started(cmd, "ready", obj{"mask": []any{key}, "interactive": true, "name": "inherited"})
	id := env.Job.JobID
	if !strings.Contains(env.Output.Text, "token=***") {
		t.Fatalf("run window %q: want token=***", env.Output.Text)
	}
	launcher.stop()

	reader := startServer(t, onRoot(r))
	reader.ok("observe", obj{"job_id": id})
	reader.ok("observe", obj{"job_id": id, "offset": 0, "raw": true})
	reader.ok("observe", obj{"job_id": id, "compress": "always"})
	reader.ok("list", obj{"all": true})
	reader.ok("input", obj{"job_id": id, "text": "one\n", "wait_for": "got one", "until": 20})
	m := reader.ok("observe", obj{"job_id": id, "offset": 0, "wait_for": "got one", "until": 20})
	if m.Wait == nil || m.Wait.Matched == nil || !strings.Contains(m.Wait.Matched.Line, "got one ***") {
		t.Errorf("wait for got one: %+v", m.Wait)
	}
	if last := reader.listAll(); len(last) != 1 || last[0].LastLine != "got one ***" {
		t.Errorf("list: %+v, want last line \"got one ***\"", last)
	}
	// A wait with a progress token: its notifications carry the last line.
	call := reader.callAsync("observe", obj{"job_id": id, "until": 30, "wait_for": "never printed"}, "inherited-progress")
	reader.awaitProgress("inherited-progress", 20*time.Second)
	reader.ok("kill", obj{"job_id": id, "grace": 1})
	if res := receive(t, call, 30*time.Second); res.err != nil {
		t.Errorf("observe with progress: %v", res.err)
	}
	reader.ok("observe", obj{"job_id": id})

	wire := reader.raw.String()
	if !strings.Contains(wire, "got one ***") || !strings.Contains(wire, "token=***") {
		t.Fatalf("the reader's wire never shows the masked lines: the check below would prove nothing")
	}
	if i := strings.Index(wire, token); i >= 0 {
		t.Errorf("the masked value is on the reader's wire: …%s…", wire[max(0, i-200):min(len(wire), i+100)])
	}
	b, err := os.ReadFile(filepath.Join(r.dir, id, "meta.json"))
	if err != nil || strings.Contains(string(b), token) {
		t.Errorf("meta.json holds the inherited value (%v):\n%s", err, b)
	}
	fi, err := os.Stat(filepath.Join(r.dir, id, "secrets.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets.json: %v, %v; want a 0600 file", fi, err)
	}
}
