package jobs

import (
	"context"

	"github.com/agent-exec/agent-exec/jobstore"
)

// UpdateRequest is the argument of Update: what to change in a job's
// definition. Only the tags and the notifications can change; a request
// that changes neither is refused, so that an update always says what it
// changes.
type UpdateRequest struct {
	JobID  string           `json:"job_id"`
	Tags   *[]string        `json:"tags,omitempty"`
	Notify *jobstore.Notify `json:"notify,omitempty"`
}

// Update changes the tags or the notifications of a job in any state,
// replacing them as a whole (an empty tag list or notify object removes
// them). The change is recorded as an event "updated". No run reads the
// tags; a running job's supervisor reads the notifications again when the
// run ends (its job.finished goes where they say then), and its output
// patterns at the start of the next run.
func (s *Service) Update(ctx context.Context, req *UpdateRequest) (*Envelope, error) {
	if req.Tags == nil && req.Notify == nil {
		return nil, invalid("tags", "required: the job's new tags (an empty array removes them), or notify")
	}
	var tags []string
	if req.Tags != nil {
		var err error
		if tags, err = checkTags(*req.Tags); err != nil {
			return nil, err
		}
	}
	id, err := s.store.Resolve(req.JobID)
	if err != nil {
		return nil, err
	}
	env := envelope("update")
	err = s.locked(id, func(m *jobstore.Meta, st *jobstore.State) error {
		detail := map[string]any{}
		if req.Notify != nil {
			n, err := checkNotify(req.Notify, m)
			if err != nil {
				return err
			}
			if err := s.store.SetNotify(id, n); err != nil {
				return err
			}
			detail["notify"] = n
		}
		if req.Tags != nil {
			if err := s.store.SetTags(id, tags); err != nil {
				return err
			}
			detail["tags"] = tags
			m.Tags = tags
		}
		_ = s.store.AppendEvent(id, jobstore.Event{Event: "updated", Detail: detail})
		env.Job = s.view(m, st, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return env, nil
}
