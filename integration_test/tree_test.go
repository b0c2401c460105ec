package integration_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readPID reads a pid a job wrote to a file.
func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pid
}

// readStatSnapshot reads a copy of /proc/PID/stat a job took while the
// process lived: it identifies the process even after it is gone.
func readStatSnapshot(t *testing.T, pidFile, statFile string) proc {
	t.Helper()
	pid := readPID(t, pidFile)
	b, err := os.ReadFile(statFile)
	if err != nil {
		t.Fatal(err)
	}
	info, err := parseStat(b)
	if err != nil {
		t.Fatalf("%s: %v", statFile, err)
	}
	if !strings.HasPrefix(string(b), strconv.Itoa(pid)+" ") {
		t.Fatalf("%s is not the stat of pid %d: %q", statFile, pid, b)
	}
	return proc{pid: pid, start: info.start}
}

// TestKillTree: kill stops the whole tree, including a background child
// and a setsid'd, double-forked grandchild that left the process group.
func TestKillTree(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cwd := t.TempDir()
	env := s.started(`sleep 600 & echo $! > child.pid
setsid -w sh -c 'sleep 600 & echo $! > grandchild.pid'
echo ready
sleep 600`, "^ready$", obj{"cwd": cwd})
	main := procOf(t, s.detail(env.Job.JobID).PID)
	child := procOf(t, readPID(t, filepath.Join(cwd, "child.pid")))
	grandchild := procOf(t, readPID(t, filepath.Join(cwd, "grandchild.pid")))
	// The grandchild left the job's process group and session: a kill of
	// the group alone would miss it.
	mi, _ := readProc(main.pid)
	gi, _ := readProc(grandchild.pid)
	if gi.pgid == mi.pgid || gi.sid == mi.sid {
		t.Fatalf("grandchild in pgid %d sid %d, main in pgid %d sid %d: setsid did not take", gi.pgid, gi.sid, mi.pgid, mi.sid)
	}

	k := s.ok("kill", obj{"job_id": env.Job.JobID})
	if k.Job.State != "killed" || k.Job.Reason != "kill" {
		t.Fatalf("kill = %+v", k.Job)
	}
	// The terminal state is written once no process of the tree is left.
	for name, p := range map[string]proc{"main": main, "child": child, "setsid grandchild": grandchild} {
		if p.alive() {
			t.Errorf("%s %s is alive after the job was reported killed", name, p)
			waitGone(t, p, 10*time.Second)
		}
	}
	if left := jobProcs(env.Job.JobID); len(left) != 0 {
		t.Errorf("processes of the job remain: %v", left)
	}
	if sv, ok := supervisorOf(s.jobDir(env.Job.JobID)); ok {
		waitGone(t, sv, 10*time.Second)
	}
}

// TestExitStopsLeftovers: when the main process exits, what it left in the
// background is stopped before the job is reported finished.
func TestExitStopsLeftovers(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cwd := t.TempDir()
	env := s.runJob(`sleep 300 & echo $! > bg.pid; cat /proc/$!/stat > bg.stat
setsid -w sh -c 'sleep 300 & echo $! > gc.pid; cat /proc/$!/stat > gc.stat'
echo main done`, obj{"cwd": cwd, "until": 30})
	j := env.Job
	if j.State != "exited" || j.Reason != "exit" || j.ExitCode == nil || *j.ExitCode != 0 || env.Output.Text != "main done\n" {
		t.Fatalf("job = %s/%s exit %v, output %q; want exited 0", j.State, j.Reason, j.ExitCode, env.Output.Text)
	}
	bg := readStatSnapshot(t, filepath.Join(cwd, "bg.pid"), filepath.Join(cwd, "bg.stat"))
	gc := readStatSnapshot(t, filepath.Join(cwd, "gc.pid"), filepath.Join(cwd, "gc.stat"))
	for name, p := range map[string]proc{"background sleep": bg, "setsid sleep": gc} {
		if p.alive() {
			t.Errorf("%s %s is alive after the job was reported exited", name, p)
			waitGone(t, p, 10*time.Second)
		}
	}
	if left := jobProcs(j.JobID); len(left) != 0 {
		t.Errorf("processes of the job remain: %v", left)
	}
}
