package integration_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRunCommandForms(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	tests := []struct {
		name    string
		command any
		code    int
		text    string
	}{
		{"string", "echo hello", 0, "hello\n"},
		{"one-element array is a shell line", []string{"echo hello | tr h H"}, 0, "Hello\n"},
		{"argv", []string{"echo", "hello", "$HOME"}, 0, "hello $HOME\n"},
		{"argv exit code", []string{"sh", "-c", "exit 7"}, 7, ""},
		{"shell exit code", "echo partial; exit 3", 3, "partial\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := s.runJob(tc.command, nil)
			j := env.Job
			if j.State != "exited" || j.Reason != "exit" || j.ExitCode == nil || *j.ExitCode != tc.code {
				t.Fatalf("job = state %s reason %s exit_code %v, want exited/exit/%d", j.State, j.Reason, j.ExitCode, tc.code)
			}
			if env.Output.Text != tc.text || env.Output.Stream != "output" || env.Output.Truncated {
				t.Errorf("output = %+v, want text %q on stream output", env.Output, tc.text)
			}
			if env.Wait.Reason != "exited" {
				t.Errorf("wait.reason = %s, want exited", env.Wait.Reason)
			}
			if env.Wait.UntilS != 10 {
				t.Errorf("wait.until_s = %v, want the run default 10", env.Wait.UntilS)
			}
			if j.Run != 1 || j.DurationMS == nil || j.Cwd != "" || j.CreatedAt != "" || j.OutputLog != "" || j.Command != nil {
				t.Errorf("job = %+v: want run 1 and a duration, the detail fields left out", j)
			}
			j = s.detail(j.JobID)
			if j.Run != 1 || j.Cwd != s.dir || j.PID != 0 || j.CreatedAt == "" || j.StartedAt == "" || j.FinishedAt == "" || j.DurationMS == nil {
				t.Errorf("observe detail job = %+v: want run 1, cwd %s, no pid once exited, and all timestamps", j, s.dir)
			}
			want := tc.command
			if str, ok := want.(string); ok {
				want = []string{str}
			}
			if !reflect.DeepEqual(j.Command, want) {
				t.Errorf("job.command = %q, want %q", j.Command, want)
			}
			if !filepath.IsAbs(j.OutputLog) || filepath.Dir(j.OutputLog) != s.jobDir(j.JobID) {
				t.Errorf("output_log = %q, want a file in %s", j.OutputLog, s.jobDir(j.JobID))
			}
			if b, err := os.ReadFile(j.OutputLog); err != nil || string(b) != tc.text {
				t.Errorf("output.log = %q, %v; want %q", b, err, tc.text)
			}
		})
	}
}

func TestRunMergesStderr(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob("echo out1; echo err1 >&2; echo out2; echo err2 >&2", nil)
	if want := "out1\nerr1\nout2\nerr2\n"; env.Output.Text != want {
		t.Errorf("merged output = %q, want %q (exact interleaving)", env.Output.Text, want)
	}
	if j := s.detail(env.Job.JobID); j.OutputLog == "" || j.StdoutLog != "" || j.StderrLog != "" {
		t.Errorf("merged job has output_log %q, stdout_log %q / stderr_log %q", j.OutputLog, j.StdoutLog, j.StderrLog)
	}
}

func TestRunSeparateStreams(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob("echo out1; echo err1 >&2; echo out2", obj{"streams": "separate"})
	id := env.Job.JobID
	if env.Output.Stream != "stdout" || env.Output.Text != "out1\nout2\n" {
		t.Errorf("run output = %q on %s, want stdout only", env.Output.Text, env.Output.Stream)
	}
	if j := s.detail(id); j.StdoutLog == "" || j.StderrLog == "" {
		t.Errorf("separate job without stdout_log/stderr_log: %+v", j)
	}
	for stream, want := range map[string]string{"stdout": "out1\nout2\n", "stderr": "err1\n"} {
		o := s.ok("observe", obj{"job_id": id, "stream": stream}).Output
		if o.Stream != stream || o.Text != want {
			t.Errorf("observe stream %s = %q on %s, want %q", stream, o.Text, o.Stream, want)
		}
	}
	if e := s.fail("observe", obj{"job_id": id, "stream": "output"}, "invalid_input"); e.Field != "stream" {
		t.Errorf("stream output of a separate job: field %q, want stream", e.Field)
	}
	// And the other way round.
	merged := s.runJob("echo x", nil).Job.JobID
	if e := s.fail("observe", obj{"job_id": merged, "stream": "stderr"}, "invalid_input"); e.Field != "stream" {
		t.Errorf("stream stderr of a merged job: field %q, want stream", e.Field)
	}
}

func TestLaunchFailure(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for _, command := range [][]string{
		{"/nonexistent/prog", "arg"},
		{"no-such-program-anywhere", "arg"},
		{"/etc/passwd", "arg"}, // not executable
	} {
		e := s.fail("run", obj{"command": command}, "launch_failed")
		if !strings.Contains(e.Message, command[0]) {
			t.Errorf("run %q: message %q does not name the program", command, e.Message)
		}
	}
	if jobs := s.listAll(); len(jobs) != 0 {
		t.Errorf("failed launches left jobs behind: %+v", jobs)
	}
	if dirs := s.root.jobDirs(t); len(dirs) != 0 {
		t.Errorf("failed launches left job directories: %v", dirs)
	}
	// A one-element command is a shell command line (DESIGN.md §4): a
	// missing program is then the shell's error, exit 127, not a launch
	// failure.
	env := s.runJob([]string{"/nonexistent/prog"}, nil)
	if env.Job.State != "exited" || *env.Job.ExitCode != 127 || !strings.Contains(env.Output.Text, "/nonexistent/prog") {
		t.Errorf("shell line with a missing program: %+v, output %q", env.Job, env.Output.Text)
	}
}

func TestCwd(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	missing := filepath.Join(s.dir, "does-not-exist")
	if e := s.fail("run", obj{"command": "pwd", "cwd": missing}, "invalid_input"); e.Field != "cwd" {
		t.Errorf("missing cwd: field %q, want cwd", e.Field)
	}
	if e := s.fail("create", obj{"command": "pwd", "cwd": missing}, "invalid_input"); e.Field != "cwd" {
		t.Errorf("create with missing cwd: field %q, want cwd", e.Field)
	}
	file := filepath.Join(s.dir, "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if e := s.fail("run", obj{"command": "pwd", "cwd": file}, "invalid_input"); e.Field != "cwd" {
		t.Errorf("cwd on a file: field %q, want cwd", e.Field)
	}
	if n := len(s.listAll()); n != 0 || len(s.root.jobDirs(t)) != 0 {
		t.Fatalf("a refused cwd created %d jobs", n)
	}

	// A relative cwd is taken from the server's working directory.
	if err := os.Mkdir(filepath.Join(s.dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := s.runJob("pwd", obj{"cwd": "sub"})
	want := filepath.Join(s.dir, "sub")
	if cwd := s.detail(env.Job.JobID).Cwd; cwd != want || env.Output.Text != want+"\n" {
		t.Errorf("relative cwd: job.cwd %q, pwd %q; want %q", cwd, env.Output.Text, want)
	}
}
