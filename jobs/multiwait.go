package jobs

import (
	"context"
	"regexp"
	"sync"
	"time"
)

// jobRef is the form of a job id, id prefix or name in a request.
var jobRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// maxWaitJobs bounds the jobs one call waits on.
const maxWaitJobs = 100

// ObserveRequest is the argument of ObserveJobs: one job (job_id), or
// several (job_ids) waited on together.
type ObserveRequest struct {
	StartRequest
	JobIDs []string `json:"job_ids,omitempty"`
	// All waits for every job of job_ids to end or match; by default the
	// first one ends the wait.
	All bool `json:"all,omitempty"`
}

// ObserveJobs is Observe over one job (job_id) or several (job_ids, with
// job_id counted among them when both are given). With several it waits,
// as Observe does, on each at once, and returns when the first of them
// ends or matches (with All: when every one has, or at the deadline). The
// envelope's job, output and wait are those of the job that finished first
// (wait.job_id names it; at a deadline with none finished, of the first job
// given, and wait.job_id is empty); waited lists every job's state and
// last line, in the order given.
func (s *Service) ObserveJobs(ctx context.Context, req *ObserveRequest, progress Progress) (*Envelope, error) {
	if req.JobIDs != nil && len(req.JobIDs) == 0 {
		return nil, invalid("job_ids", "must not be empty")
	}
	for i, ref := range req.JobIDs {
		if !jobRef().MatchString(ref) {
			return nil, invalid("job_ids", "job_ids[%d]: %q is not a job id or name", i, ref)
		}
	}
	refs := req.JobIDs
	if req.JobID != "" {
		refs = append([]string{req.JobID}, refs...)
	}
	if len(refs) == 0 {
		return nil, invalid("job_id", "give job_id or job_ids")
	}
	if len(req.JobIDs) == 0 {
		return s.Observe(ctx, &req.StartRequest, progress) // all of one job is that job
	}
	if len(refs) > maxWaitJobs {
		return nil, invalid("job_ids", "at most %d jobs in one call, not %d", maxWaitJobs, len(refs))
	}
	if req.Offset != nil {
		return nil, invalid("offset", "reads forward on one job: give job_id alone")
	}
	if req.View == "screen" {
		return nil, invalid("view", "screen shows one job: give job_id alone")
	}
	// detail is observe's and applies to the job answered for; the rest
	// is checked as a wait that reads no offset.
	detail := req.Detail
	req.Detail = false
	err := s.checkObservation(&req.Observation, false)
	req.Detail = detail
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(refs))
	seen := make(map[string]bool, len(refs))
	for _, ref := range refs {
		id, err := s.store.Resolve(ref)
		if err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	first, short, err := s.waitJobs(ctx, ids, &req.Observation, req.All, progress)
	if err != nil {
		return nil, err
	}
	// The full answer for the job that ended the wait (or the first given).
	which := ids[0]
	if first != nil {
		which = first.id
	}
	o := req.Observation
	if first != nil {
		zero := 0.0
		o.Until, o.Forever, o.WaitFor, o.WaitForPort, o.IdleMS = &zero, false, "", 0, 0
	}
	env, err := s.observe(ctx, which, &o, callView{typ: "observe", kind: windowTail}, nil)
	if err != nil {
		return nil, err
	}
	if first != nil {
		env.Wait = first.wait
		env.Wait.JobID = first.id
		if short {
			// all: the first ended, but not every one before the deadline.
			env.Wait.Reason = WaitDeadline
		}
	}
	for _, id := range ids {
		m, st, err := s.read(id)
		if err != nil {
			return nil, err
		}
		env.Waited = append(env.Waited, s.summary(m, st))
	}
	return env, nil
}

// finished is a job whose wait ended it (or, for all, that ended first).
type finished struct {
	id   string
	wait *WaitView
}

// waitJobs waits on every job of ids at once, as o asks, and returns the
// first to end or match (nil when none did before the deadline); with all
// it returns once every one has ended or matched, or the deadline passed
// (short: some had not).
func (s *Service) waitJobs(ctx context.Context, ids []string, o *Observation, all bool, progress Progress) (first *finished, short bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		f   finished
		err error
	}
	results := make(chan result, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		var p Progress
		if i == 0 {
			p = progress // one wait reports the call's progress
		}
		wg.Go(func() {
			wv, err := s.waitOne(ctx, id, o, p)
			results <- result{finished{id, wv}, err}
		})
	}
	defer wg.Wait()
	var firstAt time.Time
	for range ids {
		r := <-results
		if r.err != nil {
			cancel()
			return nil, false, r.err
		}
		switch r.f.wait.Reason {
		case WaitDeadline, WaitCancelled, WaitNotWaited:
			short = true // the call's deadline, or our own cancel
			continue
		}
		// Waits that end at once (jobs already finished) return in any
		// order: an ended job counts from when it finished, a match from
		// when it was seen.
		at := time.Now()
		if r.f.wait.Reason == WaitExited {
			if _, st, err := s.read(r.f.id); err == nil && st.FinishedAt != nil {
				at = st.FinishedAt.Time
			}
		}
		if first == nil || at.Before(firstAt) {
			f := r.f
			first, firstAt = &f, at
		}
		if !all {
			cancel()
		}
	}
	return first, short && all, nil
}

// waitOne waits on job id as o asks and says how the wait ended.
func (s *Service) waitOne(ctx context.Context, id string, o *Observation, progress Progress) (*WaitView, error) {
	w, st, err := s.waiterFor(id, o, 0, progress) // observe waits only when asked
	if err != nil {
		return nil, err
	}
	return w.wait(ctx, st)
}
