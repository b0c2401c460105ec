package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/supervisor"
)

// BenchmarkSupervisorProgram prints supervisorProgram's rows alone:
// `go test -run '^$' -bench SupervisorProgram -benchtime 1x ./bench/`. The
// short form skips it: BenchmarkSuite prints the same rows.
func BenchmarkSupervisorProgram(b *testing.B) {
	if testing.Short() {
		b.Skip("BenchmarkSuite measures the same in its short form")
	}
	for b.Loop() {
		t := &table{b: b}
		n := 100
		floor := p(samples(n, forkExec), 50)
		t.add("fork+exec+wait of true, p50", ms(floor), "1×", "floor")
		supervisorProgram(b, t, buildBinary(b), floor, n, false)
		t.print()
	}
}

// supervisorProgram measures goal 3 with each supervisor program: the
// agent-exec-supervisor beside bin (when it is the same build) and bin
// itself (AGENT_EXEC_SUPERVISOR=self): PSS and threads over live jobs
// started from the CLI, and CLI `run -- true` to its exit.
func supervisorProgram(b *testing.B, t *table, bin string, floor time.Duration, n int, short bool) {
	live := 100
	if short {
		live = 5
	}
	for _, env := range []string{"", supervisor.ProgramEnvVar + "=self"} {
		root := b.TempDir()
		cli := func(args ...string) []byte {
			c := exec.Command(bin, append([]string{"--root", root}, args...)...)
			c.Env = append(os.Environ(), env)
			out, err := c.CombinedOutput()
			if err != nil {
				b.Fatalf("%v: %v: %s", args, err, out)
			}
			return out
		}
		run := p(samples(max(n/5, 5), func() time.Duration {
			start := time.Now()
			cli("run", "--", "true")
			return time.Since(start)
		}), 50)
		var sups []int
		var ids []string
		for range live {
			var res struct {
				Job struct {
					ID string `json:"job_id"`
				} `json:"job"`
			}
			if out := cli("run", "--until", "0", "--", "sleep", "600"); json.Unmarshal(out, &res) != nil {
				b.Fatalf("run: %s", out)
			}
			ids = append(ids, res.Job.ID)
			data, err := os.ReadFile(filepath.Join(root, res.Job.ID, jobstore.StateFile))
			if err != nil {
				b.Fatal(err)
			}
			var st jobstore.State
			if err := json.Unmarshal(data, &st); err != nil || st.SupervisorPID == 0 {
				b.Fatalf("state of %s: %v %s", res.Job.ID, err, data)
			}
			sups = append(sups, st.SupervisorPID)
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", sups[0]))
		var pss, threads int
		for _, pid := range sups {
			pss += procField(b, fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
			threads = max(threads, procField(b, fmt.Sprintf("/proc/%d/status", pid), "Threads:"))
		}
		for _, id := range ids {
			cli("kill", "--signal", "KILL", id)
		}
		what := "supervised by " + filepath.Base(exe)
		t.add(fmt.Sprintf("%s: supervisor PSS, mean over %d live jobs", what, live), fmt.Sprintf("%.2f MiB", float64(pss)/float64(live)/1024), "", "≤2 MiB (goal 3)")
		t.add(what+": supervisor threads, most of them", strconv.Itoa(threads), "", "≤3 (goal 3)")
		t.add(what+": CLI run -- true, p50", ms(run), ratio(run, floor), "")
	}
}
