package jobstore

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
)

// SecretsFile records the values of the masked variables a job inherited
// from the environment of whoever launched its runs (a variable given in
// the definition's Env is in meta.json already). It is written by the
// launcher before the run starts, 0600 like every file of the job, and
// never goes into meta.json, an argv or a response: readers redact with
// these values, never with their own environment, which may lack them.
const SecretsFile = "secrets.json"

// secretsRecord is the content of secrets.json.
type secretsRecord struct {
	Values []string `json:"values"`
}

// RecordSecrets adds values to job id's recorded secrets. The values of
// earlier runs are kept: their output is still in the logs even when a
// later launcher's environment no longer has them. Empty values and values
// already recorded are skipped; with nothing new the file is not written.
// The caller holds the job's operation lock.
func (s *Store) RecordSecrets(id string, values []string) error {
	old, err := s.readSecrets(id)
	if err != nil {
		return err
	}
	rec := secretsRecord{Values: slices.Clone(old)}
	for _, v := range values {
		if v != "" && !slices.Contains(rec.Values, v) {
			rec.Values = append(rec.Values, v)
		}
	}
	if len(rec.Values) == len(old) {
		return nil
	}
	return s.writeJSON(id, SecretsFile, rec)
}

// readSecrets returns job id's recorded secrets; none when nothing was
// recorded.
func (s *Store) readSecrets(id string) ([]string, error) {
	var rec secretsRecord
	err := s.readJSON(id, SecretsFile, &rec)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("recorded masked values: %w", err)
	}
	return rec.Values, nil
}
