package jobs

import (
	"os"

	"github.com/agent-exec/agent-exec/jobstore"
)

// secrets returns the strings no response about job m may contain: the
// values of its masked variables, given in its definition or inherited by
// its runs as their launchers recorded them (never this process's
// environment, which may lack them). Every response redacts them through
// one [output.Redactor].
func secrets(m *jobstore.Meta) []string { return m.MaskedValues() }

// recordSecrets records, before a run of job id starts, the values of its
// masked variables that the run inherits from this process's environment
// (the supervisor hands this environment on), so that any later reader,
// whatever its own environment, can redact them. The caller holds the job
// lock. A failure fails the launch: a run whose values could not be
// recorded could not be shown safely.
func (s *Service) recordSecrets(id string) error {
	m, err := s.store.ReadMeta(id)
	if err != nil {
		return err
	}
	if !m.InheritEnv || len(m.Mask) == 0 {
		return nil
	}
	var vals []string
	for _, k := range m.Mask {
		if _, given := m.Env[k]; given {
			continue // in meta.json already, and it wins over the inherited value
		}
		if v := os.Getenv(k); v != "" {
			vals = append(vals, v)
		}
	}
	if err := s.store.RecordSecrets(id, vals); err != nil {
		return &Error{Code: CodeIO, Message: "record the job's masked values: " + err.Error(), err: err}
	}
	return nil
}
