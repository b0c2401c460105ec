package jobstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The name index lets a named create or restart check its name by reading
// one job instead of every job in the root. <root>/.names/n.<name> holds
// the id of the job that last took the name: the job created with it, or
// the job last restarted under it. Every call that makes a named job
// unfinished (create, restart) writes the file under the root's name lock
// (see [Store.LockNames]) before the job can run, so the job a name's file
// points to is the only job of that name that can be unfinished.
// <root>/.names/complete says that the index covers the whole root: it is
// written once, after the index was built from a scan of every job (the
// jobs of a root that predates the index).
const (
	namesDir      = ".names"
	nameFilePfx   = "n."
	namesComplete = "complete"
)

// NameHolder returns the id of the job that last took name, "" when no
// job did, and whether the index is complete (when it is not, only a scan
// of the root can tell). The caller holds the name lock.
func (s *Store) NameHolder(name string) (id string, complete bool, err error) {
	if err := ValidateName(name); err != nil {
		return "", false, fmt.Errorf("name index: %w: %q", err, name)
	}
	if _, err := os.Lstat(filepath.Join(s.root, namesDir, namesComplete)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("name index: %w", err)
	}
	b, err := readNoFollow(filepath.Join(s.root, namesDir, nameFilePfx+name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("name index of %s: %w", name, err)
	}
	id = strings.TrimSpace(string(b))
	if !ValidID(id) {
		// A damaged entry: fall back to a scan, which rewrites it.
		return "", false, nil
	}
	return id, true, nil
}

// SetNameHolder records that job id took name. The caller holds the name
// lock.
func (s *Store) SetNameHolder(name, id string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("name index: %w: %q", err, name)
	}
	if !ValidID(id) {
		return fmt.Errorf("name index: %w: %q", ErrInvalidRef, id)
	}
	dir := filepath.Join(s.root, namesDir)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("name index: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, nameFilePfx+name), []byte(id+"\n")); err != nil {
		return fmt.Errorf("name index of %s: %w", name, err)
	}
	return nil
}

// CompleteNameIndex records holders (name → id of its unfinished job,
// found by a scan of every job) and marks the index complete. The caller
// holds the name lock and scanned under it.
func (s *Store) CompleteNameIndex(holders map[string]string) error {
	for name, id := range holders {
		if err := s.SetNameHolder(name, id); err != nil {
			return err
		}
	}
	dir := filepath.Join(s.root, namesDir)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("name index: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, namesComplete), nil); err != nil {
		return fmt.Errorf("name index: %w", err)
	}
	return nil
}
