package jobs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/agent-exec/agent-exec/jobstore"
)

// If-running policies of a named run.
const (
	IfRunningError   = "error"
	IfRunningAttach  = "attach"
	IfRunningRestart = "restart"
)

// stdinSource is a job's standard input, checked but not yet copied.
type stdinSource struct {
	data []byte // from the stdin argument
	file string // from stdin_file (absolute)
	size int64
}

// define checks a definition and builds the job's meta. Nothing is written.
func (s *Service) define(d *Definition) (*jobstore.Meta, *stdinSource, error) {
	m := &jobstore.Meta{InheritEnv: true, KillAfterS: DefaultKillAfter, Streams: jobstore.StreamsMerged}
	if err := checkCommand(d.Command); err != nil {
		return nil, nil, err
	}
	m.Command = slices.Clone(d.Command)
	m.Shell = len(d.Command) == 1
	if m.Shell && len(s.opt.Shell) > 0 {
		m.Wrapper = slices.Clone(s.opt.Shell)
	}
	cwd, err := s.checkCwd(d.Cwd)
	if err != nil {
		return nil, nil, err
	}
	m.Cwd = cwd
	if err := checkEnv(d.Env, d.Mask); err != nil {
		return nil, nil, err
	}
	m.Env, m.Mask = withBaseEnv(d.Env, s.opt.Env), slices.Clone(d.Mask)
	for k := range s.opt.Env {
		if _, own := d.Env[k]; !own {
			m.DefaultEnvKeys = append(m.DefaultEnvKeys, k)
		}
	}
	slices.Sort(m.DefaultEnvKeys)
	if m.EnvFiles, err = checkEnvFiles(d.EnvFiles, cwd); err != nil {
		return nil, nil, err
	}
	if d.InheritEnv != nil {
		m.InheritEnv = *d.InheritEnv
	}
	m.TTY, m.Interactive = d.TTY, d.Interactive
	if (m.TTY || m.Interactive) && (d.Stdin != nil || d.StdinFile != "") {
		return nil, nil, invalid("stdin", "an interactive or tty job takes its input from the input tool, not stdin")
	}
	if m.TTY && d.Streams == jobstore.StreamsSeparate {
		return nil, nil, invalid("streams", "a terminal merges stdout and stderr: tty jobs cannot keep them separate")
	}
	if d.Cols < 0 || d.Cols > MaxCols {
		return nil, nil, invalid("cols", "must be between 1 and %d", MaxCols)
	}
	if d.Rows < 0 || d.Rows > MaxRows {
		return nil, nil, invalid("rows", "must be between 1 and %d", MaxRows)
	}
	m.Cols, m.Rows = orDefault(d.Cols, defaultCols), orDefault(d.Rows, defaultRows)
	if _, err := secondsArg("timeout", d.Timeout, MaxSeconds); err != nil {
		return nil, nil, err
	}
	m.TimeoutS = d.Timeout
	if d.KillAfter != nil {
		if _, err := secondsArg("kill_after", *d.KillAfter, MaxGraceSeconds); err != nil {
			return nil, nil, err
		}
		m.KillAfterS = *d.KillAfter
	}
	if d.LogLimit < 0 || d.LogLimit > MaxLogLimit {
		return nil, nil, invalid("log_limit", "must be between 0 (no limit) and %d bytes", int64(MaxLogLimit))
	}
	m.LogLimit = d.LogLimit
	if d.LogRotate != 0 && (d.LogRotate < MinLogRotate || d.LogRotate > MaxLogRotate) {
		return nil, nil, invalid("log_rotate", "must be 0 (keep everything) or between %d and %d bytes", MinLogRotate, int64(MaxLogRotate))
	}
	m.LogRotate = d.LogRotate
	switch d.Streams {
	case "", jobstore.StreamsMerged:
	case jobstore.StreamsSeparate:
		m.Streams = jobstore.StreamsSeparate
	default:
		return nil, nil, invalid("streams", "must be merged or separate, not %q", d.Streams)
	}
	if d.Name != "" {
		if err := jobstore.ValidateName(d.Name); err != nil {
			return nil, nil, invalid("name", "%v", err)
		}
		m.Name = d.Name
	}
	switch d.IfRunning {
	case "", IfRunningError, IfRunningAttach, IfRunningRestart:
	default:
		return nil, nil, invalid("if_running", "must be error, attach or restart, not %q", d.IfRunning)
	}
	if m.Tags, err = checkTags(d.Tags); err != nil {
		return nil, nil, err
	}
	notify := d.Notify
	switch {
	case notify == nil:
		notify = s.opt.Notify
	case notify.Command == "" && notify.File == "" && s.opt.Notify != nil:
		// Patterns without sinks: the default sinks get them.
		notify = &jobstore.Notify{Command: s.opt.Notify.Command, File: s.opt.Notify.File, Match: notify.Match}
	}
	if m.Notify, err = checkNotify(notify, m); err != nil {
		return nil, nil, err
	}
	in, err := s.checkStdin(d)
	if err != nil {
		return nil, nil, err
	}
	m.Stdin = in != nil
	return m, in, nil
}

// checkTags checks a job's tags and returns them without repeats (an
// empty list, never nil).
func checkTags(tags []string) ([]string, error) {
	if len(tags) > MaxTags {
		return nil, invalid("tags", "at most %d tags", MaxTags)
	}
	for _, t := range tags {
		if err := jobstore.ValidateName(t); err != nil {
			return nil, invalid("tags", "%q: %v", t, err)
		}
	}
	out := dedupe(tags)
	if out == nil {
		out = []string{}
	}
	return out, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func checkCommand(c Command) error {
	if len(c) == 0 {
		return invalid("command", "required: an array of strings (one element is a shell command line) or a string")
	}
	if len(c) == 1 && strings.TrimSpace(c[0]) == "" {
		return invalid("command", "the shell command line is empty")
	}
	if c[0] == "" {
		return invalid("command", "the program name (first element) is empty")
	}
	for i, a := range c {
		if strings.IndexByte(a, 0) >= 0 {
			return invalid("command", "element %d contains a NUL byte", i)
		}
		if !utf8.ValidString(a) {
			return invalid("command", "element %d is not valid UTF-8", i)
		}
	}
	return nil
}

// checkCwd resolves cwd against the service's working directory and checks
// that it is an existing directory.
func (s *Service) checkCwd(cwd string) (string, error) {
	if strings.IndexByte(cwd, 0) >= 0 {
		return "", invalid("cwd", "contains a NUL byte")
	}
	if cwd == "" {
		cwd = s.opt.Cwd
	} else if !filepath.IsAbs(cwd) {
		cwd = filepath.Join(s.opt.Cwd, cwd)
	}
	cwd = filepath.Clean(cwd)
	fi, err := os.Stat(cwd)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", invalid("cwd", "directory %s does not exist", cwd)
		}
		return "", invalid("cwd", "%v", err)
	}
	if !fi.IsDir() {
		return "", invalid("cwd", "%s is not a directory", cwd)
	}
	// Recorded resolved, so that listing by directory does not depend on
	// which path (through which symlink) the job was started from.
	if real, err := filepath.EvalSymlinks(cwd); err == nil {
		cwd = real
	}
	return cwd, nil
}

func checkEnv(env map[string]string, mask []string) error {
	for k, v := range env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return invalid("env", "bad variable name %q", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return invalid("env", "value of %s contains a NUL byte", k)
		}
	}
	for _, k := range mask {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return invalid("mask", "bad variable name %q", k)
		}
	}
	return nil
}

// checkEnvFiles resolves the env files against the job's directory cwd
// and reads each once, so that a missing, unreadable or malformed file
// fails the definition. Their values are not kept: each run's supervisor
// reads the files again when it starts.
func checkEnvFiles(paths []string, cwd string) ([]string, error) {
	if len(paths) > MaxEnvFiles {
		return nil, invalid("env_files", "at most %d env files", MaxEnvFiles)
	}
	var out []string
	for _, p := range paths {
		if p == "" || strings.IndexByte(p, 0) >= 0 {
			return nil, invalid("env_files", "a path is empty or contains a NUL byte")
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		p = filepath.Clean(p)
		if _, err := jobstore.ReadEnvFile(p); err != nil {
			return nil, invalid("env_files", "%v", err)
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) checkStdin(d *Definition) (*stdinSource, error) {
	switch {
	case d.Stdin != nil && d.StdinFile != "":
		return nil, invalid("stdin", "give stdin or stdin_file, not both")
	case d.Stdin != nil:
		if len(*d.Stdin) > MaxStdinBytes {
			return nil, &Error{Code: CodeStdinTooLarge, Field: "stdin",
				Message: fmt.Sprintf("stdin: %d bytes, more than the %d allowed", len(*d.Stdin), MaxStdinBytes)}
		}
		return &stdinSource{data: []byte(*d.Stdin), size: int64(len(*d.Stdin))}, nil
	case d.StdinFile != "":
		p := d.StdinFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.opt.Cwd, p)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, invalid("stdin_file", "%v", err)
		}
		if !fi.Mode().IsRegular() {
			return nil, invalid("stdin_file", "%s is not a regular file", p)
		}
		if fi.Size() > MaxStdinBytes {
			return nil, &Error{Code: CodeStdinTooLarge, Field: "stdin_file",
				Message: fmt.Sprintf("stdin_file: %d bytes, more than the %d allowed", fi.Size(), MaxStdinBytes)}
		}
		return &stdinSource{file: p, size: fi.Size()}, nil
	}
	return nil, nil
}

// writeStdin snapshots the job's standard input into dst.
func (s *Service) writeStdin(dst string, in *stdinSource) error {
	if in.file == "" {
		return jobstore.WriteFileAtomic(dst, in.data)
	}
	src, err := os.Open(in.file)
	if err != nil {
		return invalid("stdin_file", "%v", err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("snapshot stdin: %w", err)
	}
	n, err := io.Copy(out, io.LimitReader(src, MaxStdinBytes+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("snapshot stdin: %w", err)
	}
	if n > MaxStdinBytes {
		return &Error{Code: CodeStdinTooLarge, Field: "stdin_file", Message: "stdin_file grew past the limit while it was read"}
	}
	return nil
}

// dedupe returns a copy of list without repeats, in first-seen order.
func dedupe(list []string) []string {
	var out []string
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// withBaseEnv returns env with the variables of base it does not set; env
// itself when base adds nothing.
func withBaseEnv(env, base map[string]string) map[string]string {
	if len(base) == 0 {
		return env
	}
	out := make(map[string]string, len(env)+len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// MaxNotifyMatches bounds the output patterns of a job's notify.
const MaxNotifyMatches = 16

// checkNotify checks a job's notifications against its definition m and
// returns them with the file sink's path made absolute (against m's cwd);
// nil when n is nil or names no sink and no pattern (which removes them).
// Patterns without a sink are valid: their matches are recorded in the
// job's events.ndjson (as every match is), for the events stream.
func checkNotify(n *jobstore.Notify, m *jobstore.Meta) (*jobstore.Notify, error) {
	if n == nil || (n.Command == "" && n.File == "" && len(n.Match) == 0) {
		return nil, nil
	}
	out := &jobstore.Notify{Command: n.Command, File: n.File}
	if strings.IndexByte(n.Command, 0) >= 0 || strings.IndexByte(n.File, 0) >= 0 {
		return nil, invalid("notify", "command and file must not contain a NUL byte")
	}
	if n.File != "" && !filepath.IsAbs(n.File) {
		out.File = filepath.Join(m.Cwd, n.File)
	}
	if len(n.Match) > MaxNotifyMatches {
		return nil, invalid("notify", "at most %d match patterns", MaxNotifyMatches)
	}
	for i, p := range n.Match {
		if p.Pattern == "" {
			return nil, invalid("notify", "match[%d]: the pattern is empty", i)
		}
		switch p.Match {
		case "", jobstore.MatchContains:
			p.Match = jobstore.MatchContains
		case jobstore.MatchRegex:
			if len(p.Pattern) > MaxPatternBytes {
				return nil, invalid("notify", "match[%d]: a regex is at most %d bytes", i, MaxPatternBytes)
			}
			if _, err := regexp.Compile(p.Pattern); err != nil {
				return nil, invalid("notify", "match[%d]: %v", i, err)
			}
		default:
			return nil, invalid("notify", "match[%d]: match must be contains or regex, not %q", i, p.Match)
		}
		switch p.Stream {
		case "":
		case "stdout", "stderr":
			if !m.Separate() {
				return nil, invalid("notify", "match[%d]: stream %s needs streams separate; a merged log matches without stream", i, p.Stream)
			}
		default:
			return nil, invalid("notify", "match[%d]: stream must be stdout or stderr, not %q", i, p.Stream)
		}
		out.Match = append(out.Match, p)
	}
	return out, nil
}
