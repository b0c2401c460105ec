package integration_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Races (issue 4, part 2): concurrent calls on one job or one root, from one
// server or several, end in states a reader can make sense of.

// callMany runs n calls of tool concurrently, args(i) giving the arguments
// of the i-th, and returns the replies in order; a transport or contract
// failure is fatal.
func (s *server) callMany(tool string, n int, args func(i int) obj) []*reply {
	s.t.Helper()
	reps := make([]*reply, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			reps[i], errs[i] = s.invoke(ctx, &mcp.CallToolParams{Name: tool, Arguments: args(i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			s.t.Fatalf("%s #%d: %v", tool, i, err)
		}
	}
	return reps
}

// supervisorsOf lists every live supervisor of the job in dir.
func supervisorsOf(dir string) []proc {
	var out []proc
	for _, pid := range allPIDs() {
		argv := cmdline(pid)
		if len(argv) >= 3 && argv[0] == "agent-exec-supervisor" && argv[2] == dir {
			if info, err := readProc(pid); err == nil && info.state != 'Z' {
				out = append(out, proc{pid: pid, start: info.start})
			}
		}
	}
	return out
}

// settleOneRun waits until the supervisors of the job in dir other than the
// one running its current run (the parent of pid) are gone, then checks
// that exactly one supervisor and one workload process are left.
func settleOneRun(t *testing.T, s *server, id string, pid int) {
	t.Helper()
	info, err := readProc(pid)
	if err != nil {
		t.Fatalf("the current run's process %d: %v", pid, err)
	}
	for _, sv := range supervisorsOf(s.jobDir(id)) {
		if sv.pid != info.ppid {
			waitGone(t, sv, 20*time.Second)
		}
	}
	if svs := supervisorsOf(s.jobDir(id)); len(svs) != 1 || svs[0].pid != info.ppid {
		t.Errorf("supervisors of the job = %v, want only pid %d (the parent of the current run)", svs, info.ppid)
	}
	// /proc/PID/environ reads empty while the new run's shell execs its
	// command: look again for a while before calling it wrong.
	deadline := time.Now().Add(10 * time.Second)
	for {
		procs := jobProcs(id)
		if len(procs) == 1 && procs[0].pid == pid {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("workload processes = %v, want only the current run's %d", procs, pid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRaceManyServersManyRuns: four servers on one root, 50 concurrent runs
// each → 200 distinct jobs, each exited 0 with its own output.
func TestRaceManyServersManyRuns(t *testing.T) {
	t.Parallel()
	const servers, runs = 4, 50
	r := newRoot(t)
	ss := make([]*server, servers)
	for i := range ss {
		ss[i] = startServer(t, onRoot(r))
	}
	began := time.Now()
	replies := make([][]*reply, servers)
	var wg sync.WaitGroup
	for k, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// callMany's failures are fatal: they must come from this
			// goroutine's test, so collect and check afterwards.
			replies[k] = make([]*reply, runs)
			var inner sync.WaitGroup
			for i := range runs {
				inner.Add(1)
				go func() {
					defer inner.Done()
					ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
					defer cancel()
					rep, err := s.invoke(ctx, &mcp.CallToolParams{Name: "run", Arguments: obj{
						"command": fmt.Sprintf("echo %d", k*runs+i), "until": 60}})
					if err != nil {
						t.Errorf("run %d on server %d: %v", i, k, err)
						return
					}
					replies[k][i] = rep
				}()
			}
			inner.Wait()
		}()
	}
	wg.Wait()
	t.Logf("%d concurrent runs over %d servers took %v", servers*runs, servers, time.Since(began))
	if t.Failed() {
		t.FailNow()
	}
	ids := make(map[string]string) // job id → the output it must have
	for k := range ss {
		for i, rep := range replies[k] {
			want := fmt.Sprintf("%d\n", k*runs+i)
			env := rep.env
			if !env.OK {
				t.Errorf("run %q: %s %s", want, env.Error.Code, env.Error.Message)
				continue
			}
			j := env.Job
			if j.State != "exited" || j.ExitCode == nil || *j.ExitCode != 0 || env.Output.Text != want {
				t.Errorf("run %q = %s/%s exit %v output %q", want, j.State, j.Reason, j.ExitCode, env.Output.Text)
			}
			if prev, dup := ids[j.JobID]; dup {
				t.Errorf("job id %s given to both %q and %q", j.JobID, prev, want)
			}
			ids[j.JobID] = want
		}
	}
	// Every job is complete and readable, from another server than the
	// one that ran it, and on disk.
	list := ss[0].ok("list", obj{"all": true, "limit": 1000}).Jobs
	if len(list) != servers*runs || len(ids) != servers*runs {
		t.Fatalf("list has %d jobs, runs made %d distinct ids; want %d", len(list), len(ids), servers*runs)
	}
	for _, l := range list {
		want, ok := ids[l.JobID]
		if !ok {
			t.Errorf("list shows job %s no run made", l.JobID)
			continue
		}
		if l.State != "exited" || l.ExitCode == nil || *l.ExitCode != 0 || l.LastLine+"\n" != want {
			t.Errorf("list: job %s = %s exit %v last line %q, want exited 0 %q", l.JobID, l.State, l.ExitCode, l.LastLine, want)
		}
		b, err := os.ReadFile(filepath.Join(r.dir, l.JobID, "output.log"))
		if err != nil || string(b) != want {
			t.Errorf("output.log of %s = %q, %v; want %q", l.JobID, b, err, want)
		}
		checkStateFile(t, filepath.Join(r.dir, l.JobID, "state.json"))
	}
	n := 0
	for id, want := range ids {
		if n++; n > 20 {
			break
		}
		if obs := ss[n%servers].ok("observe", obj{"job_id": id}); obs.Output.Text != want || obs.Job.State != "exited" {
			t.Errorf("observe %s = %s %q, want exited %q", id, obs.Job.State, obs.Output.Text, want)
		}
	}
}

// TestRaceConcurrentRestarts: 20 concurrent restarts of one running job
// leave exactly one live run, and the run counter counts every restart
// that succeeded.
func TestRaceConcurrentRestarts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started("exec sleep 600", "", nil)
	id := env.Job.JobID
	const n = 20
	reps := s.callMany("restart", n, func(int) obj { return obj{"job_id": id, "until": 0, "grace": 5} })
	ok := 0
	runs := make(map[int]bool)
	for i, rep := range reps {
		if !rep.env.OK {
			t.Logf("restart #%d: %s %s", i, rep.env.Error.Code, rep.env.Error.Message)
			if rep.env.Error.Code != "invalid_state" {
				t.Errorf("restart #%d: %s %s, want success or invalid_state", i, rep.env.Error.Code, rep.env.Error.Message)
			}
			continue
		}
		ok++
		if runs[rep.env.Job.Run] {
			t.Errorf("two restarts both report run %d", rep.env.Job.Run)
		}
		runs[rep.env.Job.Run] = true
	}
	obs := s.ok("observe", obj{"job_id": id, "detail": true})
	if obs.Job.State != "running" || obs.Job.Run != ok+1 {
		t.Fatalf("after %d restarts (%d succeeded): %s run %d, want running run %d", n, ok, obs.Job.State, obs.Job.Run, ok+1)
	}
	// Serialized by the job lock, every restart should succeed; one that
	// failed (invalid_state, checked above) must at least leave the counter
	// consistent, which the check above did.
	t.Logf("%d of %d concurrent restarts succeeded", ok, n)
	settleOneRun(t, s, id, obs.Job.PID)
}

// TestRaceKillDuringRestart: a kill and a restart of one running job at the
// same time. They are serialized: either the kill comes last (the job is
// killed, nothing of it runs) or the restart does (run 2 runs, alone).
func TestRaceKillDuringRestart(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for round := range 3 {
		env := s.started("exec sleep 600", "", nil)
		id := env.Job.JobID
		restart := s.callAsync("restart", obj{"job_id": id, "until": 0, "grace": 5}, "")
		kill := s.callAsync("kill", obj{"job_id": id, "grace": 5}, "")
		rr, kr := receive(t, restart, 60*time.Second), receive(t, kill, 60*time.Second)
		if rr.err != nil || kr.err != nil {
			t.Fatalf("restart: %v; kill: %v", rr.err, kr.err)
		}
		if !rr.rep.env.OK || !kr.rep.env.OK {
			t.Fatalf("restart %s; kill %s", rr.rep.text, kr.rep.text)
		}
		obs := s.ok("observe", obj{"job_id": id, "detail": true})
		t.Logf("round %d: final %s run %d", round, obs.Job.State, obs.Job.Run)
		switch obs.Job.State {
		case "running":
			if obs.Job.Run != 2 || kr.rep.env.Job.Run != 1 || kr.rep.env.Job.State != "killed" {
				t.Errorf("restart last: job run %d, kill saw run %d %s; want run 2 running, kill of run 1", obs.Job.Run, kr.rep.env.Job.Run, kr.rep.env.Job.State)
			}
			settleOneRun(t, s, id, obs.Job.PID)
			s.ok("kill", obj{"job_id": id})
		case "killed":
			if obs.Job.Run != 2 || obs.Job.Reason != "kill" || kr.rep.env.Job.Run != 2 {
				t.Errorf("kill last: job %s/%s run %d, kill saw run %d; want killed/kill run 2", obs.Job.State, obs.Job.Reason, obs.Job.Run, kr.rep.env.Job.Run)
			}
			if left := jobProcs(id); len(left) != 0 {
				t.Errorf("processes of the killed job remain: %v", left)
			}
		default:
			t.Errorf("after kill and restart: %s/%s run %d", obs.Job.State, obs.Job.Reason, obs.Job.Run)
		}
	}
}

// TestRaceDeleteDuringObserve: delete (force) of a job while an observe
// waits on it. The observe returns by itself, the job is gone, and so are
// its processes.
func TestRaceDeleteDuringObserve(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.started("exec sleep 600", "", nil)
	id := env.Job.JobID
	procs := jobProcs(id)
	sv, ok := supervisorOf(s.jobDir(id))
	if !ok {
		t.Fatal("no supervisor")
	}
	call := s.callAsync("observe", obj{"job_id": id, "until": 40}, "deleted-wait")
	s.awaitProgress("deleted-wait", 20*time.Second)
	if d := s.ok("delete", obj{"job_id": id, "force": true}); !d.Deleted {
		t.Fatalf("delete = %+v", d)
	}
	began := time.Now()
	res := receive(t, call, 30*time.Second)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("the waiting observe returned %v after the delete", took)
	}
	// Any of these answers makes sense: the run's end, seen before the
	// removal; job_not_found; io_error, a file of the job vanishing while
	// the answer was being read.
	if e := res.rep.env; e.OK {
		if e.Job.State != "killed" {
			t.Errorf("waiting observe = %s/%s, want killed", e.Job.State, e.Job.Reason)
		}
	} else if e.Error.Code != "job_not_found" && e.Error.Code != "io_error" {
		t.Errorf("waiting observe: %s %s, want job_not_found, io_error or the killed job", e.Error.Code, e.Error.Message)
	}
	t.Logf("waiting observe answered: %s", res.rep.text)
	s.fail("observe", obj{"job_id": id}, "job_not_found")
	if _, err := os.Stat(s.jobDir(id)); !os.IsNotExist(err) {
		t.Errorf("job directory after delete: %v", err)
	}
	for _, p := range append(procs, sv) {
		waitGone(t, p, 10*time.Second)
	}
}

// TestRaceConcurrentStarts: two starts of one created job, from two servers
// at once → one succeeds, the other is invalid_state, and there is one run.
func TestRaceConcurrentStarts(t *testing.T) {
	t.Parallel()
	r := newRoot(t)
	s1, s2 := startServer(t, onRoot(r)), startServer(t, onRoot(r))
	for round := range 5 {
		id := s1.ok("create", obj{"command": "exec sleep 600", "name": "twice-" + strconv.Itoa(round)}).Job.JobID
		a := s1.callAsync("start", obj{"job_id": id, "until": 0}, "")
		b := s2.callAsync("start", obj{"job_id": id, "until": 0}, "")
		ra, rb := receive(t, a, 60*time.Second), receive(t, b, 60*time.Second)
		if ra.err != nil || rb.err != nil {
			t.Fatalf("start: %v; %v", ra.err, rb.err)
		}
		okRep, failRep := ra.rep, rb.rep
		if !okRep.env.OK {
			okRep, failRep = failRep, okRep
		}
		if !okRep.env.OK || failRep.env.OK {
			t.Fatalf("round %d: starts answered %s and %s, want one success and one invalid_state", round, ra.rep.text, rb.rep.text)
		}
		if failRep.env.Error.Code != "invalid_state" {
			t.Errorf("round %d: the losing start: %s %s, want invalid_state", round, failRep.env.Error.Code, failRep.env.Error.Message)
		}
		if j := okRep.env.Job; j.State != "running" || j.Run != 1 {
			t.Errorf("round %d: the winning start = %s run %d", round, j.State, j.Run)
		}
		obs := s2.ok("observe", obj{"job_id": id, "detail": true})
		if obs.Job.State != "running" || obs.Job.Run != 1 {
			t.Fatalf("round %d: job = %s run %d, want running run 1", round, obs.Job.State, obs.Job.Run)
		}
		settleOneRun(t, s1, id, obs.Job.PID)
		s1.ok("kill", obj{"job_id": id})
	}
}
