package jobs

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
)

// List returns jobs newest first: by default those whose cwd is inside the
// service's working directory, every job with All, filtered by state, name,
// tags (a job must carry Tag and every one of Tags; a trailing * makes one a
// prefix) and cwd, at most Limit
// of them (every one with NoLimit). It reads jobs newest first and stops
// once the page is full and one more job matches (Truncated), so the first
// page of a large root costs about the jobs it shows.
func (s *Service) List(ctx context.Context, req *ListRequest) (*Envelope, error) {
	switch req.State {
	case "", jobstore.StateCreated, jobstore.StateRunning, jobstore.StateExited, jobstore.StateKilled, jobstore.StateFailed:
	default:
		return nil, invalid("state", "must be created, running, exited, killed or failed, not %q", req.State)
	}
	if req.Name != "" {
		if err := jobstore.ValidateName(req.Name); err != nil {
			return nil, invalid("name", "%v", err)
		}
	}
	tags := req.Tags
	if req.Tag != "" {
		tags = append([]string{req.Tag}, tags...)
	}
	for _, t := range tags {
		if err := jobstore.ValidateName(strings.TrimSuffix(t, "*")); err != nil {
			return nil, invalid("tag", "%v (a trailing * matches a prefix: ns.*)", err)
		}
	}
	limit := req.Limit
	switch {
	case req.NoLimit:
		limit = -1
	case limit == 0:
		limit = DefaultListLimit
	}
	if !req.NoLimit && (limit < 1 || limit > MaxListLimit) {
		return nil, invalid("limit", "must be between 1 and %d", MaxListLimit)
	}
	scope, hidden := s.listScope(req), 0
	env := envelope("list")
	env.Root = s.store.Root()
	env.Jobs = []Summary{}
	truncated := false
	// Jobs are read newest first and the reading stops at the first match
	// past the page: a full page costs the jobs it looks at, not the root.
	err := s.store.Scan(func(m *jobstore.Meta) bool {
		if (req.Name != "" && m.Name != req.Name) || !hasTags(m.Tags, tags) {
			return false
		}
		if scope.covers(m.Cwd) {
			return true
		}
		// Outside the scope: counted, so that an empty list can say where
		// the jobs are. A state filter needs the state, which only the
		// jobs kept are read for: read it here.
		if req.State == "" || s.stateIs(m.ID, req.State) {
			hidden++
		}
		return false
	}, func(e jobstore.Entry) bool {
		if e.Err != nil || e.Meta == nil || e.State == nil {
			if reason := s.skipReason(e); reason != "" {
				env.Skipped = append(env.Skipped, SkippedJob{JobID: e.ID, Reason: reason})
			}
			return true
		}
		st := e.State
		if st.State == jobstore.StateRunning {
			var err error
			if st, err = s.checkSupervisor(e.ID, st); err != nil {
				return true
			}
		}
		if req.State != "" && st.State != req.State {
			return true
		}
		if len(env.Jobs) == limit {
			truncated = true
			return false
		}
		env.Jobs = append(env.Jobs, s.summary(e.Meta, st))
		return true
	})
	if err != nil {
		return nil, err
	}
	env.Truncated = &truncated
	if scope.dirs != nil && !truncated {
		env.Hidden = &hidden
	}
	return env, nil
}

// hasTags reports whether have holds every one of want. A wanted tag
// ending in * is a prefix: any tag that starts with what precedes the *
// matches it (ns.* matches ns.web and ns.db).
func hasTags(have, want []string) bool {
	for _, t := range want {
		if !hasTag(have, t) {
			return false
		}
	}
	return true
}

func hasTag(have []string, want string) bool {
	prefix, isPrefix := strings.CutSuffix(want, "*")
	if !isPrefix {
		return slices.Contains(have, want)
	}
	return slices.ContainsFunc(have, func(t string) bool { return strings.HasPrefix(t, prefix) })
}

// scope is the directories a list covers: a job is in it when its cwd is
// one of dirs or below one. nil dirs covers every job.
type scope struct{ dirs []string }

func (sc scope) covers(cwd string) bool {
	if sc.dirs == nil {
		return true
	}
	for _, d := range sc.dirs {
		if within(cwd, d) {
			return true
		}
	}
	return false
}

// listScope is the scope of a list: the cwd asked for, else the service's
// working directory, else (all) everything. A directory counts both as
// given and resolved through symlinks: jobs record their cwd resolved, but
// older jobs may hold the path as it was given.
func (s *Service) listScope(req *ListRequest) scope {
	dir := ""
	switch {
	case req.Cwd != "":
		dir = req.Cwd
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(s.opt.Cwd, dir)
		}
		dir = filepath.Clean(dir)
	case !req.All:
		dir = s.opt.Cwd
	default:
		return scope{}
	}
	sc := scope{dirs: []string{dir}}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		sc.dirs = append(sc.dirs, real)
	}
	return sc
}

// stateIs reports whether job id's recorded state is state.
func (s *Service) stateIs(id, state string) bool {
	st, err := s.store.ReadState(id)
	return err == nil && st.State == state
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	if dir == "/" {
		return true
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

func (s *Service) summary(m *jobstore.Meta, st *jobstore.State) Summary {
	j := s.view(m, st, true)
	if j.Tags == nil {
		j.Tags = []string{} // a summary always has its tags
	}
	log := s.store.Path(m.ID, jobstore.OutputLog)
	if m.Separate() {
		log = s.store.Path(m.ID, jobstore.StdoutLog)
		if sizeOf(s.store.Path(m.ID, jobstore.StderrLog)) > 0 && sizeOf(log) == 0 {
			log = s.store.Path(m.ID, jobstore.StderrLog)
		}
	}
	return Summary{
		JobID: j.JobID, Name: j.Name, State: j.State, Reason: j.Reason, ExitCode: j.ExitCode,
		Signal: j.Signal, Command: j.Command, Cwd: j.Cwd, Tags: j.Tags, Run: j.Run,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, DurationMS: j.DurationMS,
		LastLine: output.LastLine(log, lastLineMax, secrets(m)),
	}
}
