package integration_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Fault injection (issue 4, part 1): things break under a running job on
// purpose, and the tests check what readers see afterwards. The crash
// window of the atomic state write (between temp file and rename) is
// covered by jobstore's TestWriteFileAtomicCrashWindow*; the server
// SIGKILLed mid-wait and the supervisor lost by TestServerKilledMidWait and
// TestSupervisorLost.

// TestFaultWorkloadKilledFromOutside: a SIGKILL that did not come through
// agent-exec is recorded as killed, signal SIGKILL, reason signal.
func TestFaultWorkloadKilledFromOutside(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started("echo up; exec sleep 600", "^up$", nil)
	id := env.Job.JobID
	main := procOf(t, s.detail(id).PID)
	call := s.callAsync("observe", obj{"job_id": id, "until": 30}, "outside-kill")
	s.awaitProgress("outside-kill", 20*time.Second)
	if err := unix.Kill(main.pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	res := receive(t, call, 20*time.Second)
	if res.err != nil {
		t.Fatal(res.err)
	}
	j := res.rep.env.Job
	if j.State != "killed" || j.Signal != "SIGKILL" || j.Reason != "signal" || j.ExitCode != nil || res.rep.env.Wait.Reason != "exited" {
		t.Fatalf("after an outside SIGKILL: job %s/%s signal %q exit %v, wait %s; want killed/signal SIGKILL, wait exited",
			j.State, j.Reason, j.Signal, j.ExitCode, res.rep.env.Wait.Reason)
	}
	if obs := s.ok("observe", obj{"job_id": id}); obs.Job.State != "killed" || obs.Job.Signal != "SIGKILL" || obs.Job.Reason != "signal" || obs.Output.Text != "up\n" {
		t.Errorf("observe later = %s/%s/%s %q", obs.Job.State, obs.Job.Reason, obs.Job.Signal, obs.Output.Text)
	}
	if left := jobProcs(id); len(left) != 0 {
		t.Errorf("processes of the job remain: %v", left)
	}
}

// TestFaultSupervisorKilledLogIntact: the supervisor SIGKILLed under a
// waiting observe. The observe returns by itself, soon, with
// failed/supervisor_lost; every line the job printed before is in the log;
// the workload is stopped.
func TestFaultSupervisorKilledLogIntact(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const n = 500
	env := s.started(fmt.Sprintf(`i=1; while [ $i -le %d ]; do echo "line $i"; i=$((i+1)); done; echo ready; sleep 600`, n), "^ready$", nil)
	id := env.Job.JobID
	procs := jobProcs(id)
	sv, ok := supervisorOf(s.jobDir(id))
	if !ok || len(procs) == 0 {
		t.Fatalf("supervisor found %v, workload %v", ok, procs)
	}
	call := s.callAsync("observe", obj{"job_id": id, "until": 40}, "sv-kill")
	s.awaitProgress("sv-kill", 20*time.Second)
	killed := time.Now()
	if err := unix.Kill(sv.pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	res := receive(t, call, 30*time.Second)
	took := time.Since(killed)
	if res.err != nil {
		t.Fatal(res.err)
	}
	// A couple of seconds on an idle machine; the ceiling leaves room for a
	// loaded race-built run, and is far below the 40 s the observe asked for.
	if took > 10*time.Second {
		t.Errorf("the waiting observe returned %v after the supervisor died, want a couple of seconds", took)
	}
	t.Logf("waiting observe returned %v after the supervisor's SIGKILL", took)
	if j := res.rep.env.Job; j.State != "failed" || j.Reason != "supervisor_lost" || res.rep.env.Wait.Reason != "exited" {
		t.Errorf("waiting observe = %s/%s, wait %s; want failed/supervisor_lost, exited", j.State, j.Reason, res.rep.env.Wait.Reason)
	}
	var want strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	want.WriteString("ready\n")
	b, err := os.ReadFile(filepath.Join(s.jobDir(id), "output.log"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want.String() {
		t.Errorf("output.log after the supervisor's death: %d bytes, want the %d bytes printed before it (tail %q)", len(b), want.Len(), tail(b, 80))
	}
	// The log reads back through the server too, from offset 0.
	obs := s.ok("observe", obj{"job_id": id, "offset": 0, "max_bytes": 1 << 20})
	if obs.Output.Text != want.String() || obs.Output.TotalBytes != int64(want.Len()) {
		t.Errorf("observe offset 0: %d bytes (total %d), want %d", len(obs.Output.Text), obs.Output.TotalBytes, want.Len())
	}
	for _, p := range procs {
		waitGone(t, p, 10*time.Second)
	}
	if left := jobProcs(id); len(left) != 0 {
		t.Errorf("workload processes remain: %v", left)
	}
}

// TestFaultJobDirRemoved: the job's directory removed under a running job.
// The server answers job_not_found for it and keeps serving; the supervisor
// notices nothing until the workload ends (its files are open), and the
// workload keeps running: nothing on disk names it any more, so this is what
// "rm -rf" of a job costs. The test then ends the workload itself and checks
// the supervisor exits with it, without recreating the directory.
func TestFaultJobDirRemoved(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started("echo up; exec sleep 600", "^up$", nil)
	id := env.Job.JobID
	main := procOf(t, s.detail(id).PID)
	sv, ok := supervisorOf(s.jobDir(id))
	if !ok {
		t.Fatal("no supervisor")
	}
	other := s.started("sleep 600", "", nil).Job.JobID

	if err := os.RemoveAll(s.jobDir(id)); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"observe", "kill", "restart", "delete"} {
		s.fail(tool, obj{"job_id": id}, "job_not_found")
	}
	if l := s.listAll(); len(l) != 1 || l[0].JobID != other {
		t.Errorf("list after the removal = %+v, want only %s", l, other)
	}
	if r := s.runJob("echo still serving", nil); r.Job.State != "exited" || r.Output.Text != "still serving\n" {
		t.Errorf("run after the removal = %s %q", r.Job.State, r.Output.Text)
	}
	if obs := s.ok("observe", obj{"job_id": other}); obs.Job.State != "running" {
		t.Errorf("the other job = %s, want running", obs.Job.State)
	}
	// The actual behaviour: the workload and its supervisor run on.
	if !main.alive() || !sv.alive() {
		t.Fatalf("after the removal: workload alive %v, supervisor alive %v", main.alive(), sv.alive())
	}
	// Ended from outside, the workload takes its supervisor with it; the
	// supervisor's failed state write does not bring the directory back.
	if err := unix.Kill(main.pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, sv, 20*time.Second)
	if _, err := os.Stat(s.jobDir(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("job directory after its supervisor exited: %v, want it still gone", err)
	}
	s.fail("observe", obj{"job_id": id}, "job_not_found")
}

// TestFaultRootRemoved: the whole root removed under a running job. Calls
// about the job answer job_not_found, list answers (empty), the server keeps
// serving, and a new run recreates the root. As with a removed job
// directory, the orphaned workload runs on until it is ended from outside.
func TestFaultRootRemoved(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started("echo up; exec sleep 600", "^up$", nil)
	id := env.Job.JobID
	main := procOf(t, s.detail(id).PID)
	sv, ok := supervisorOf(s.jobDir(id))
	if !ok {
		t.Fatal("no supervisor")
	}
	if err := os.RemoveAll(s.root.dir); err != nil {
		t.Fatal(err)
	}
	s.fail("observe", obj{"job_id": id}, "job_not_found")
	s.fail("kill", obj{"job_id": id}, "job_not_found")
	rep := s.call("list", obj{"all": true})
	if rep.env.OK && len(rep.env.Jobs) != 0 {
		t.Errorf("list after the root's removal = %+v", rep.env.Jobs)
	}
	if !rep.env.OK && rep.env.Error.Code != "io_error" {
		t.Errorf("list after the root's removal: %s %s, want ok or io_error", rep.env.Error.Code, rep.env.Error.Message)
	}
	t.Logf("list after the root's removal: %s", rep.text)
	r := s.call("run", obj{"command": "echo again"})
	if r.env.OK {
		if r.env.Job.State != "exited" || r.env.Output.Text != "again\n" {
			t.Errorf("run after the root's removal = %s %q", r.env.Job.State, r.env.Output.Text)
		}
		if fi, err := os.Stat(s.root.dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("root after a new run: %v %v, want recreated 0700", fi, err)
		}
	} else if r.env.Error.Code != "io_error" {
		t.Errorf("run after the root's removal: %s %s, want ok or io_error", r.env.Error.Code, r.env.Error.Message)
	}
	t.Logf("run after the root's removal: ok=%v", r.env.OK)
	if !main.alive() || !sv.alive() {
		t.Fatalf("after the removal: workload alive %v, supervisor alive %v", main.alive(), sv.alive())
	}
	if err := unix.Kill(main.pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, sv, 20*time.Second)
	s.fail("observe", obj{"job_id": id}, "job_not_found")
}

// TestFaultDiskFull: the root on a 1 MiB tmpfs the test mounts, a job that
// writes 4 MiB. The write fails inside the job (ENOSPC), state.json stays
// whole and parseable at every read, the job ends in a consistent terminal
// state, and the server keeps serving.
func TestFaultDiskFull(t *testing.T) {
	t.Parallel()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the disk-full test (needs root and mount rights): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			// Still busy: a lazy unmount detaches it all the same.
			if out2, err2 := exec.Command("umount", "-l", mnt).CombinedOutput(); err2 != nil {
				t.Errorf("umount %s: %v: %s; umount -l: %v: %s", mnt, err, out, err2, out2)
			} else {
				t.Logf("umount %s: %v: %s; unmounted lazily", mnt, err, out)
			}
		}
	})
	r := &root{dir: filepath.Join(mnt, "jobs"), ids: make(map[string]bool)}
	t.Cleanup(func() { r.cleanup(t) }) // runs before the unmount
	s := startServer(t, onRoot(r))

	env := s.runJob(`head -c 4194304 /dev/zero | tr '\0' x; echo "status $?" >&2; exit 3`, obj{"until": 40})
	id := env.Job.JobID
	j := env.Job
	t.Logf("job on a full disk: %s/%s exit %v error %q", j.State, j.Reason, j.ExitCode, j.Error)
	checkStateFile(t, filepath.Join(r.dir, id, "state.json"))
	switch {
	case j.State == "exited" && j.Reason == "exit" && j.ExitCode != nil && *j.ExitCode == 3:
	case j.State == "failed" && j.Error != "":
	default:
		t.Errorf("job on a full disk = %s/%s exit %v error %q, want exited 3, or failed with an error", j.State, j.Reason, j.ExitCode, j.Error)
	}
	fi, err := os.Stat(filepath.Join(r.dir, id, "output.log"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= 4<<20 || fi.Size() == 0 {
		t.Errorf("output.log is %d bytes on a 1 MiB filesystem", fi.Size())
	}
	obs := s.ok("observe", obj{"job_id": id})
	if obs.Job.State != j.State || obs.Job.Reason != j.Reason {
		t.Errorf("observe = %s/%s, run said %s/%s", obs.Job.State, obs.Job.Reason, j.State, j.Reason)
	}
	checkStateFile(t, filepath.Join(r.dir, id, "state.json"))
	// The server still serves: list, and a run (which may fail to create
	// its job on the full disk, but answers with a clear error).
	if l := s.listAll(); len(l) != 1 || l[0].JobID != id {
		t.Errorf("list = %+v", l)
	}
	rep := s.call("run", obj{"command": "echo small"})
	if rep.env.OK {
		if rep.env.Job.State != "exited" && rep.env.Job.State != "failed" {
			t.Errorf("run on the full disk = %+v", rep.env.Job)
		}
	} else if c := rep.env.Error.Code; c != "io_error" && c != "launch_failed" {
		t.Errorf("run on the full disk: %s %s, want io_error or launch_failed", c, rep.env.Error.Message)
	}
	t.Logf("run on the full disk: %s", rep.text)
	// Space freed, everything works again.
	if d := s.ok("delete", obj{"job_id": id}); !d.Deleted {
		t.Errorf("delete = %+v", d)
	}
	if again := s.runJob("echo fits", nil); again.Job.State != "exited" || again.Output.Text != "fits\n" {
		t.Errorf("run after freeing space = %s %q", again.Job.State, again.Output.Text)
	}
	for _, l := range s.listAll() {
		checkStateFile(t, filepath.Join(r.dir, l.JobID, "state.json"))
	}
}

// checkStateFile checks that path is one whole JSON object with a state.
func checkStateFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("read %s: %v", path, err)
		return
	}
	var st struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(b, &st); err != nil || st.State == "" {
		t.Errorf("%s is torn or empty (%v): %q", path, err, b)
	}
}

// TestFaultEvasiveWorkloads: workloads that try to get away — closing their
// output, a daemon on /dev/null in its own session, a new process group,
// TERM ignored — all end with the job, when it is killed or when its main
// process exits.
func TestFaultEvasiveWorkloads(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cases := []struct {
		name, command string
		sleeps        int  // sleep processes in the job's tree once it is up
		kill          bool // kill the job; else its main process exits
	}{
		{"stdout and stderr closed early", `echo ready; exec >&- 2>&-; sleep 600`, 1, true},
		{"daemon reopening /dev/null", `setsid sh -c 'exec >/dev/null 2>&1 </dev/null; sleep 300' & echo ready; sleep 600`, 2, true},
		{"daemon left behind at exit", `setsid sh -c 'exec >/dev/null 2>&1 </dev/null; sleep 300' & sleep 300 & echo ready; read x <go`, 2, false},
		{"new process group", `set -m; sleep 300 & sh -c 'sleep 300' & echo ready; wait`, 2, true},
		{"TERM ignored everywhere", `trap '' TERM; sh -c 'sleep 300' & echo ready; sleep 600`, 2, true},
		{"everything at once", `trap '' TERM; exec 2>&-; set -m; setsid sh -c 'trap "" TERM; exec >/dev/null </dev/null; sleep 300' & sleep 300 & echo ready; exec >&-; sleep 600`, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A job that is to exit by itself waits for a line on the fifo
			// "go" in its working directory.
			cwd := t.TempDir()
			if err := unix.Mkfifo(filepath.Join(cwd, "go"), 0o600); err != nil {
				t.Fatal(err)
			}
			env := s.started(tc.command, "^ready$", obj{"cwd": cwd})
			id := env.Job.JobID
			// Wait for the job's tree to be complete: the background
			// children announce themselves only by existing.
			procs := waitProcs(t, id, tc.sleeps)
			if !tc.kill {
				// Opening blocks until the job's read opens the other end.
				f, err := os.OpenFile(filepath.Join(cwd, "go"), os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString("go\n")
				f.Close()
			}
			if tc.kill {
				k := s.ok("kill", obj{"job_id": id, "grace": 1})
				if k.Job.State != "killed" || k.Job.Reason != "kill" {
					t.Errorf("kill = %s/%s", k.Job.State, k.Job.Reason)
				}
			} else {
				obs := s.ok("observe", obj{"job_id": id, "until": 30})
				if obs.Job.State != "exited" || obs.Job.ExitCode == nil || *obs.Job.ExitCode != 0 {
					t.Errorf("observe = %s/%s exit %v, want exited 0", obs.Job.State, obs.Job.Reason, obs.Job.ExitCode)
				}
			}
			// The terminal state is written once the tree is gone.
			for _, p := range procs {
				if p.alive() {
					t.Errorf("%s (%s) alive after the job ended", p, commOf(p.pid))
					waitGone(t, p, 10*time.Second)
				}
			}
			if left := jobProcs(id); len(left) != 0 {
				t.Errorf("processes of the job remain: %v", left)
			}
			if sv, ok := supervisorOf(s.jobDir(id)); ok {
				waitGone(t, sv, 10*time.Second)
			}
		})
	}
}

// waitProcs waits until job id has at least n live processes (its
// background children may still be forking after "ready") and returns them.
// It polls /proc: nothing announces a fork.
func waitProcs(t *testing.T, id string, n int) []proc {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		procs := jobProcs(id)
		sleeps := 0
		for _, p := range procs {
			if commOf(p.pid) == "sleep" {
				sleeps++
			}
		}
		if sleeps >= n {
			return procs
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s has %d sleep processes after 20s, want %d: %v", id, sleeps, n, procs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func commOf(pid int) string {
	info, err := readProc(pid)
	if err != nil {
		return "?"
	}
	return info.comm
}
