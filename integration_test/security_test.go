package integration_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Security (issue 4 part 5, SECURITY.md): file permissions under any umask,
// symlinks planted in the root never followed, masked values kept out of
// responses, events, the supervisor's log and every process's argv.

// umaskBinary writes a wrapper that starts agent-exec under umask mask, so
// the server (and the supervisors it starts) run with it without touching
// the test process's own umask.
func umaskBinary(t *testing.T, mask string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent-exec-umask")
	script := "#!/bin/sh\numask " + mask + "\nexec '" + binPath + "' \"$@\"\n"
	if err := os.WriteFile(p, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkPerm fails unless path (not followed) has permission bits want.
func checkPerm(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Errorf("lstat %s: %v", path, err)
		return
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v (%04o), want %04o", path, fi.Mode(), got, want)
	}
}

// checkJobDir checks job dir is 0700 and everything in it 0600: regular
// files and the control socket alike. It fails if one of the names in
// must is missing.
func checkJobDir(t *testing.T, dir string, must ...string) {
	t.Helper()
	checkPerm(t, dir, 0o700)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Errorf("read %s: %v", dir, err)
		return
	}
	seen := map[string]bool{}
	for _, e := range ents {
		seen[e.Name()] = true
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			t.Errorf("%s: unexpected directory in a job dir", p)
			checkPerm(t, p, 0o700)
			continue
		}
		fi, err := os.Lstat(p)
		if err != nil {
			// A temp file that was just renamed away.
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			t.Errorf("%s: a symlink in a job dir", p)
			continue
		}
		checkPerm(t, p, 0o600)
	}
	for _, n := range must {
		if !seen[n] {
			t.Errorf("%s: no %s (have %v)", dir, n, keys(seen))
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSecurityPermissions: the root (created by the server under a fresh
// path) is 0700, every job directory 0700, every file in one 0600 and the
// control socket 0600 while the job runs, whatever the server's umask.
func TestSecurityPermissions(t *testing.T) {
	t.Parallel()
	for _, mask := range []string{"022", "000"} {
		t.Run("umask"+mask, func(t *testing.T) {
			t.Parallel()
			r := newRoot(t)
			// A root the server must create itself, two levels down.
			r.dir = filepath.Join(r.dir, "fresh", "jobs")
			s := startServer(t, onRoot(r), withBinary(umaskBinary(t, mask)))
			status, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(status), "\nUmask:\t0"+mask+"\n") {
				t.Fatalf("the server does not run under umask %s:\n%s", mask, status)
			}

			// The job runs under the launcher's umask, not the supervisor's.
			for _, tty := range []bool{false, true} {
				env := s.runJob("umask", obj{"tty": tty, "until": 30})
				if got := strings.TrimSpace(env.Output.Text); got != "0"+mask {
					t.Errorf("umask in a job (tty %v) = %q, want 0%s", tty, got, mask)
				}
			}
			done := s.runJob("cat; echo oops >&2", obj{"stdin": "hello\n"})
			if done.Job.State != "exited" {
				t.Fatalf("run: state %s (%s), want exited", done.Job.State, done.Job.Reason)
			}
			live := s.started(`echo ready; while read line; do echo "got $line"; done`, "ready", obj{"interactive": true})
			id := live.Job.JobID

			checkPerm(t, r.dir, 0o700)
			files := []string{"meta.json", "state.json", "output.log", "events.ndjson", "supervisor.log"}
			checkJobDir(t, s.jobDir(done.Job.JobID), append(files, "stdin.bin")...)
			checkJobDir(t, s.jobDir(id), append(files, "ctl.sock")...)

			s.ok("input", obj{"job_id": id, "text": "x\n"})
			s.ok("kill", obj{"job_id": id, "grace": 1})
			s.ok("restart", obj{"job_id": done.Job.JobID})
			checkPerm(t, r.dir, 0o700)
			for _, d := range r.jobDirs(t) {
				checkJobDir(t, filepath.Join(r.dir, d), files...)
			}
			// Nothing else in the root is open to others either.
			ents, err := os.ReadDir(r.dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				if !e.IsDir() {
					checkPerm(t, filepath.Join(r.dir, e.Name()), 0o600)
				}
			}
		})
	}
}

// snapshot records every file of dir (name → content and mtime).
type fileSnap struct {
	data  []byte
	mtime time.Time
	mode  fs.FileMode
}

func snapshot(t *testing.T, dir string) map[string]fileSnap {
	t.Helper()
	out := map[string]fileSnap{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		out[e.Name()] = fileSnap{data: b, mtime: fi.ModTime(), mode: fi.Mode()}
	}
	return out
}

func sameSnapshot(t *testing.T, what string, before, after map[string]fileSnap) {
	t.Helper()
	for n, b := range before {
		a, ok := after[n]
		switch {
		case !ok:
			t.Errorf("%s: %s was removed", what, n)
		case !bytes.Equal(a.data, b.data):
			t.Errorf("%s: %s was rewritten: %q, was %q", what, n, a.data, b.data)
		case !a.mtime.Equal(b.mtime):
			t.Errorf("%s: %s mtime changed from %v to %v", what, n, b.mtime, a.mtime)
		case a.mode != b.mode:
			t.Errorf("%s: %s mode changed from %v to %v", what, n, b.mode, a.mode)
		}
	}
	for n := range after {
		if _, ok := before[n]; !ok {
			t.Errorf("%s: %s was created", what, n)
		}
	}
}

// try calls a tool that may succeed or fail; only the transport and the
// result contract must hold.
func (s *server) try(tool string, args obj) *envelope {
	s.t.Helper()
	env := s.call(tool, args).env
	if env.OK {
		st := ""
		if env.Job != nil {
			st = env.Job.State + "/" + env.Job.Reason
		}
		s.t.Logf("%s %v: ok %s", tool, args, st)
	} else {
		s.t.Logf("%s %v: %s: %s", tool, args, env.Error.Code, env.Error.Message)
	}
	return env
}

// TestSecuritySymlinkJobDir: a symlink in the root named like a job id,
// pointing at an outside directory that looks like a job, is not a job:
// list, observe, kill, restart, start and delete neither read it as one
// nor write or remove anything there.
func TestSecuritySymlinkJobDir(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	// A real job's files, copied outside, then the job deleted: its id is
	// valid and free.
	id := s.ok("create", obj{"command": "echo planted", "name": "planted"}).Job.JobID
	outside := filepath.Join(t.TempDir(), "outside-job")
	if err := os.Mkdir(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(s.jobDir(id))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.jobDir(id), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(outside, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "meta.json")); err != nil {
		t.Fatalf("the copied job has no meta.json: %v", err)
	}
	if d := s.ok("delete", obj{"job_id": id}); !d.Deleted {
		t.Fatalf("delete %s: not deleted", id)
	}
	if err := os.Symlink(outside, s.jobDir(id)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, outside)

	for _, j := range s.listAll() {
		if j.JobID == id {
			t.Errorf("list shows the planted symlink %s as a job: %+v", id, j)
		}
	}
	for _, ref := range []string{id, id[:8], "planted"} {
		for _, tool := range []string{"observe", "kill", "start", "restart", "delete"} {
			env := s.try(tool, obj{"job_id": ref})
			if env.OK {
				t.Errorf("%s %s succeeded on a symlinked job dir: %+v", tool, ref, env)
			}
		}
	}
	if env := s.try("observe", obj{"job_id": id, "until": 1, "wait_for": "x"}); env.OK {
		t.Errorf("observe (waiting) %s succeeded on a symlinked job dir", id)
	}
	sameSnapshot(t, "outside job dir", before, snapshot(t, outside))
	if fi, err := os.Lstat(s.jobDir(id)); err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("%s is no longer the planted symlink: %v", s.jobDir(id), fi.Mode())
	}
	checkNoSupervisorIn(t, outside)
}

// checkNoSupervisorIn fails if a supervisor runs for dir.
func checkNoSupervisorIn(t *testing.T, dir string) {
	t.Helper()
	for _, pid := range allPIDs() {
		argv := cmdline(pid)
		if len(argv) >= 3 && argv[0] == "agent-exec-supervisor" && strings.HasPrefix(argv[2], dir) {
			t.Errorf("a supervisor (pid %d) runs in %s: %q", pid, dir, argv)
		}
	}
}

// TestSecuritySymlinkJobFile: a symlink planted as one of a job's files,
// pointing outside the root, is never written through: not when the job
// starts, runs, is observed, killed, restarted or deleted. "stray" is an
// extra symlink to the outside directory itself: deleting the job removes
// the link, not what it points at.
func TestSecuritySymlinkJobFile(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"state.json", "output.log", "events.ndjson", "supervisor.log", "meta.json", "stray"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t)
			outsideDir := t.TempDir()
			victim := filepath.Join(outsideDir, "victim")
			if err := os.WriteFile(victim, []byte("do not touch\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// An old mtime makes any write visible even within the
			// filesystem's timestamp granularity.
			old := time.Now().Add(-time.Hour).Truncate(time.Second)
			if err := os.Chtimes(victim, old, old); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, outsideDir)

			id := s.ok("create", obj{"command": "echo out; echo err >&2; sleep 30"}).Job.JobID
			link := filepath.Join(s.jobDir(id), name)
			if err := os.Remove(link); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			target := victim
			if name == "stray" {
				target = outsideDir
			}
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			s.try("start", obj{"job_id": id, "until": 1})
			s.try("observe", obj{"job_id": id})
			s.try("list", obj{"all": true})
			s.try("kill", obj{"job_id": id, "grace": 1})
			s.try("observe", obj{"job_id": id})
			s.try("restart", obj{"job_id": id, "until": 1})
			s.try("kill", obj{"job_id": id, "grace": 1})
			sameSnapshot(t, "outside dir", before, snapshot(t, outsideDir))
			s.try("delete", obj{"job_id": id, "force": true})
			s.try("delete", obj{"job_id": id})
			sameSnapshot(t, "outside dir", before, snapshot(t, outsideDir))
		})
	}
}

// TestSecurityMaskedValue: a masked value is in the job's environment and
// its output.log (documented), and nowhere else: not in any byte the server
// wrote on stdout, not in events.ndjson or supervisor.log, not in the argv
// of any process while the job runs.
func TestSecurityMaskedValue(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	token := "sekret" + hex.EncodeToString(rnd[:])
	cmd := `echo "value=$TOKEN"; echo ready; while read line; do echo "got $line $TOKEN"; done`
	args := obj{"env": obj{"TOKEN": token}, "mask": []any{"TOKEN"}, "interactive": true, "name": "masked"}
	env := s.started(cmd, "ready", args)
	id := env.Job.JobID
	if !strings.Contains(env.Output.Text, "value=***") {
		t.Errorf("run window %q: want value=***", env.Output.Text)
	}

	checkArgv := func(when string) {
		t.Helper()
		procs := jobProcs(id)
		if len(procs) == 0 {
			t.Errorf("%s: no workload process of %s found", when, id)
		}
		for _, p := range procs {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/environ")
			if err == nil && !bytes.Contains(b, []byte("TOKEN="+token)) {
				t.Errorf("%s: workload pid %d has no TOKEN in its environment", when, p.pid)
			}
		}
		if _, ok := supervisorOf(s.jobDir(id)); !ok {
			t.Errorf("%s: no supervisor of %s found", when, id)
		}
		for _, pid := range allPIDs() {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			if err == nil && bytes.Contains(b, []byte(token)) {
				t.Errorf("%s: the masked value is in the argv of pid %d: %q", when, pid, b)
			}
		}
	}
	checkArgv("first run")

	s.ok("input", obj{"job_id": id, "text": "one\n"})
	w := s.ok("observe", obj{"job_id": id, "until": 10, "wait_for": "got one"})
	if w.Wait == nil || w.Wait.Reason != "matched" {
		t.Fatalf("wait for got one: %+v", w.Wait)
	}
	s.ok("observe", obj{"job_id": id})
	s.ok("observe", obj{"job_id": "masked"})
	s.ok("list", obj{"all": true})
	s.ok("kill", obj{"job_id": id, "grace": 1})
	r := s.ok("restart", obj{"job_id": id, "until": 30, "wait_for": "ready"})
	if r.Job.State != "running" {
		t.Fatalf("restart: state %s (%s)", r.Job.State, r.Job.Reason)
	}
	checkArgv("second run")
	s.ok("input", obj{"job_id": id, "text": "two\n"})
	s.ok("observe", obj{"job_id": id, "until": 10, "wait_for": "got two"})
	s.ok("kill", obj{"job_id": id, "grace": 1})
	s.ok("observe", obj{"job_id": id})

	wire := s.raw.String()
	if strings.Contains(wire, token) {
		i := strings.Index(wire, token)
		t.Errorf("the masked value is on the wire: …%s…", wire[max(0, i-200):min(len(wire), i+100)])
	}
	if !strings.Contains(wire, "got two ***") {
		t.Errorf("the wire never shows the masked line \"got two ***\"")
	}
	for _, n := range []string{"events.ndjson", "supervisor.log", "state.json"} {
		b, err := os.ReadFile(filepath.Join(s.jobDir(id), n))
		if err != nil {
			t.Errorf("read %s: %v", n, err)
			continue
		}
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("the masked value is in %s:\n%s", n, b)
		}
	}
	if b, err := os.ReadFile(filepath.Join(s.jobDir(id), "output.log")); err != nil || !bytes.Contains(b, []byte("got two "+token)) {
		t.Errorf("output.log keeps the real bytes (documented), got %q (%v)", b, err)
	}
	s.stop()
	if b, err := os.ReadFile(s.stderr); err == nil && bytes.Contains(b, []byte(token)) {
		t.Errorf("the masked value is in the server's stderr")
	}
}
