package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
)

// BulkView is the result of a delete by filters.
type BulkView struct {
	DryRun bool `json:"dry_run"`
	// Deleted lists the jobs removed (would be removed, dry), newest first.
	Deleted []BulkJob `json:"deleted"`
	// Kept counts the matching jobs left, by reason: running, busy.
	Kept map[string]int `json:"kept"`
}

// BulkJob is one job a bulk delete removed.
type BulkJob struct {
	JobID string `json:"job_id"`
	Name  string `json:"name,omitempty"`
	State string `json:"state"`
}

// Bulk reports whether req names jobs by filters rather than one job.
func (req *DeleteRequest) Bulk() bool { return req.bulk() }

// bulk reports whether req is a delete by filters rather than of one job.
func (req *DeleteRequest) bulk() bool {
	return req.State != "" || req.Name != "" || req.Tag != "" || len(req.OlderThan) > 0 ||
		req.Cwd != "" || req.All || req.DryRun
}

// deleteBulk removes every job that matches the filters (scoped like list:
// the service's working directory unless cwd or all), except running ones.
// Only jobs that finished (or, created ones, were created) longer ago than
// older_than match it. With job_id, the filters are conditions on that one
// job: it is removed only if it meets them.
func (s *Service) deleteBulk(ctx context.Context, req *DeleteRequest) (*Envelope, error) {
	if req.Force {
		return nil, invalid("force", "a delete by filters never removes running jobs; kill them first")
	}
	if req.JobID == "" && req.State == "" && req.Name == "" && req.Tag == "" && len(req.OlderThan) == 0 {
		return nil, invalid("job_id", "give a job, or at least one filter: state, name, tag or older_than")
	}
	if req.State == jobstore.StateRunning {
		return nil, invalid("state", "running jobs are never deleted in bulk; kill them first")
	}
	var cutoff time.Time
	if len(req.OlderThan) > 0 {
		d, err := durationArg(req.OlderThan)
		if err != nil {
			return nil, invalid("older_than", "%v", err)
		}
		cutoff = time.Now().Add(-d)
	}
	var list *Envelope
	var err error
	if req.JobID != "" {
		list, err = s.oneMatching(ctx, req)
	} else {
		list, err = s.List(ctx, &ListRequest{State: req.State, Name: req.Name, Tag: req.Tag, Cwd: req.Cwd, All: req.All, NoLimit: true})
	}
	if err != nil {
		return nil, err
	}
	view := &BulkView{DryRun: req.DryRun, Deleted: []BulkJob{}, Kept: map[string]int{}}
	for _, j := range list.Jobs {
		if !cutoff.IsZero() && !endedBefore(j, cutoff) {
			continue
		}
		if j.State == jobstore.StateRunning {
			view.Kept[jobstore.KeepRunning]++
			continue
		}
		if !req.DryRun {
			if err := s.removeIdle(j.JobID); err != nil {
				if errors.Is(err, jobstore.ErrNotFound) {
					continue
				}
				view.Kept[jobstore.KeepBusy]++
				s.log.Debug("bulk delete: kept", "job_id", j.JobID, "err", err)
				continue
			}
		}
		view.Deleted = append(view.Deleted, BulkJob{JobID: j.JobID, Name: j.Name, State: j.State})
	}
	env := envelope("delete")
	env.Root = s.store.Root()
	env.Bulk = view
	return env, nil
}

// oneMatching lists job_id alone if it matches the filters (whatever its
// directory: a job named explicitly is not scoped), else nothing.
func (s *Service) oneMatching(ctx context.Context, req *DeleteRequest) (*Envelope, error) {
	if _, err := s.List(ctx, &ListRequest{State: req.State, Name: req.Name, Tag: req.Tag, Limit: 1}); err != nil {
		return nil, err // the filters' own checks
	}
	id, err := s.store.Resolve(req.JobID)
	if err != nil {
		return nil, err
	}
	m, st, err := s.reconcile(id)
	if err != nil {
		return nil, err
	}
	env := envelope("list")
	if (req.State == "" || st.State == req.State) && (req.Name == "" || m.Name == req.Name) &&
		(req.Tag == "" || hasTag(m.Tags, req.Tag)) {
		env.Jobs = []Summary{s.summary(m, st)}
	}
	return env, nil
}

// endedBefore reports whether job j finished (a created job: was created)
// before t.
func endedBefore(j Summary, t time.Time) bool {
	stamp := j.FinishedAt
	if stamp == "" {
		stamp = j.CreatedAt
	}
	at, err := time.Parse(time.RFC3339Nano, stamp)
	return err == nil && at.Before(t)
}

// removeIdle removes job id under its job lock if it is not running.
func (s *Service) removeIdle(id string) error {
	return s.locked(id, func(_ *jobstore.Meta, st *jobstore.State) error {
		if st.State == jobstore.StateRunning {
			return stateErr("job %s is running", id)
		}
		if sl, err := s.store.LockSupervisor(id); err == nil {
			sl.Unlock() // its supervisor has exited
		}
		return s.store.Remove(id)
	})
}
