package jobstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// IDs returns the ids of every job in the root, newest first. Entries that
// are not job directories (other files, symlinks, malformed names) are
// skipped.
func (s *Store) IDs() ([]string, error) {
	ents, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list jobs in %s: %w", s.root, err)
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.IsDir() && e.Type()&os.ModeSymlink == 0 && ValidID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(b, a) })
	return ids, nil
}

// Entry is one job as read by [Store.List]. Err is set when its files could
// not be read; Meta and State are then nil or partial.
type Entry struct {
	ID    string
	Meta  *Meta
	State *State
	Err   error
}

// List reads every job's definition and state, newest first. keep, when not
// nil, is asked about each job once its meta.json is read; jobs it rejects
// are skipped without reading their state.
func (s *Store) List(keep func(*Meta) bool) ([]Entry, error) {
	var out []Entry
	err := s.Scan(keep, func(e Entry) bool {
		out = append(out, e)
		return true
	})
	return out, err
}

// Scan reads the jobs newest first, as [Store.List] does, and hands each
// kept one (or one whose meta.json could not be read) to visit; it stops
// reading when visit returns false, so a caller that needs only the newest
// few jobs reads only as many as it looks at.
func (s *Store) Scan(keep func(*Meta) bool, visit func(Entry) bool) error {
	ids, err := s.IDs()
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, err := s.ReadMeta(id)
		if err != nil {
			if !visit(Entry{ID: id, Err: err}) {
				return nil
			}
			continue
		}
		if keep != nil && !keep(m) {
			continue
		}
		st, err := s.ReadState(id)
		if !visit(Entry{ID: id, Meta: m, State: st, Err: err}) {
			return nil
		}
	}
	return nil
}

// Resolve turns what a caller typed into a job id. It accepts, in this
// order: a full job id; a unique prefix of one (4+ characters); a job name,
// which means the newest job of that name. It returns ErrInvalidRef for a
// string none of these grammars allows (before touching the filesystem),
// an *AmbiguousError for a prefix matching several jobs, and ErrNotFound.
func (s *Store) Resolve(ref string) (string, error) {
	isPrefix := validPrefix(ref)
	isName := ValidateName(ref) == nil
	if !isPrefix && !isName {
		return "", fmt.Errorf("resolve %q: %w", ref, ErrInvalidRef)
	}
	if ValidID(ref) && s.Exists(ref) {
		return ref, nil
	}
	if isName && !isPrefix {
		// Only a name: the index may answer without listing the root.
		if id, ok := s.namedByIndex(ref, nil); ok {
			return id, nil
		}
	}
	ids, err := s.IDs()
	if errors.Is(err, fs.ErrNotExist) {
		// The root was removed: no job is there.
		return "", fmt.Errorf("resolve %q: %w", ref, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	if isPrefix {
		var matches []string
		for _, id := range ids {
			if strings.HasPrefix(id, ref) {
				matches = append(matches, id)
			}
		}
		switch {
		case len(matches) == 1:
			return matches[0], nil
		case len(matches) > 1:
			return "", &AmbiguousError{Ref: ref, Matches: len(matches),
				Candidates: matches[:min(len(matches), MaxAmbiguousCandidates)]}
		}
	}
	if isName {
		if id, ok := s.namedByIndex(ref, ids); ok {
			return id, nil
		}
		for _, id := range ids {
			if m, err := s.ReadMeta(id); err == nil && m.Name == ref {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("resolve %q: %w", ref, ErrNotFound)
}

// namedByIndex finds the newest job named name through the name index,
// reading the job that last took the name and, only when that job was
// restarted, the jobs created after it. ids, when not nil, is the root's
// ids newest first. ok is false when the index cannot tell (it is
// incomplete, holds no job of the name, or its job is gone): the caller
// then scans.
//
// The job that last took a name is the newest of that name unless it took
// it again by a restart after newer jobs of the name had finished: a
// create writes the index, so any job of the name created after the
// holder's own creation would hold the name itself.
func (s *Store) namedByIndex(name string, ids []string) (id string, ok bool) {
	holder, complete, err := s.NameHolder(name)
	if err != nil || !complete || holder == "" || !s.Exists(holder) {
		// Exists: the holder must still be a real directory of the root,
		// not a symlink planted in its place (IDs skips those too).
		return "", false
	}
	m, err := s.ReadMeta(holder)
	if err != nil || m.Name != name {
		return "", false
	}
	st, err := s.ReadState(holder)
	if err != nil {
		return "", false
	}
	if st.Run <= 1 {
		return holder, true
	}
	if ids == nil {
		if ids, err = s.IDs(); err != nil {
			return "", false
		}
	}
	for _, id := range ids {
		if id <= holder {
			break
		}
		if m, err := s.ReadMeta(id); err == nil && m.Name == name {
			return id, true
		}
	}
	return holder, true
}

// WithName returns the ids of the jobs named name, newest first.
func (s *Store) WithName(name string) ([]string, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		if m, err := s.ReadMeta(id); err == nil && m.Name == name {
			out = append(out, id)
		}
	}
	return out, nil
}
