package jobs

import (
	"context"

	"github.com/agent-exec/agent-exec/jobstore"
)

// UpdateRequest is the argument of Update: what to change in a job's
// definition. Only the tags can change; a nil Tags is refused, so that an
// update always says what it changes.
type UpdateRequest struct {
	JobID string    `json:"job_id"`
	Tags  *[]string `json:"tags,omitempty"`
}

// Update changes the tags of a job in any state, replacing them as a whole
// (an empty list removes them). The change is recorded as an event
// "updated". Runs are not affected: no run reads the tags.
func (s *Service) Update(ctx context.Context, req *UpdateRequest) (*Envelope, error) {
	if req.Tags == nil {
		return nil, invalid("tags", "required: the job's new tags (an empty array removes them)")
	}
	tags, err := checkTags(*req.Tags)
	if err != nil {
		return nil, err
	}
	id, err := s.store.Resolve(req.JobID)
	if err != nil {
		return nil, err
	}
	env := envelope("update")
	err = s.locked(id, func(m *jobstore.Meta, st *jobstore.State) error {
		if err := s.store.SetTags(id, tags); err != nil {
			return err
		}
		_ = s.store.AppendEvent(id, jobstore.Event{Event: "updated", Detail: map[string]any{"tags": tags}})
		m.Tags = tags
		env.Job = s.view(m, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return env, nil
}
