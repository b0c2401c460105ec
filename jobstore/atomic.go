package jobstore

import (
	"fmt"
	"os"
	"path/filepath"
)

// afterTempWrite, when set by a test, runs between writing the temporary
// file and renaming it over the target: the window a crash must not tear.
var afterTempWrite func(tmp string)

// WriteFileAtomic replaces path with data so that a reader (or a crash) sees
// either the old file or the new one, never a mix: the data goes to a
// temporary file in the same directory, is synced, renamed over path, and
// the directory is synced. The file is created 0600.
func WriteFileAtomic(path string, data []byte) error {
	dirSync, err := WriteFileAtomicDirLater(path, data)
	if err != nil {
		return err
	}
	return dirSync()
}

// WriteFileAtomicDirLater is [WriteFileAtomic] without the last step: it
// returns once the new file (synced) has replaced path, and dirSync, which
// the caller must call, syncs the directory. A crash before dirSync has
// returned leaves the old file or the new one, never a torn one; only the
// new one's surviving is in doubt.
func WriteFileAtomicDirLater(path string, data []byte) (dirSync func() error, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomic write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("atomic write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return nil, fmt.Errorf("atomic write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("atomic write %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("atomic write %s: close: %w", path, err)
	}
	if afterTempWrite != nil {
		afterTempWrite(tmp)
	}
	if err = os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("atomic write %s: rename: %w", path, err)
	}
	return func() error { return syncDir(dir) }, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// WriteFileAtomicUnsynced replaces path with data as [WriteFileAtomic]
// does, but without waiting for the disk: readers see the new file as soon
// as it returns, and sync (which must be called) makes it durable (the
// file's data, then the directory's entry) and releases it. Until sync has
// returned, a crash of the machine may leave the old file or the new one,
// or, on a file system that does not flush a file renamed over another, an
// empty or torn one: a caller keeps what it writes durable elsewhere first.
func WriteFileAtomicUnsynced(path string, data []byte) (sync func() error, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomic write %s: %w", path, err)
	}
	tmp := f.Name()
	if err = f.Chmod(0o600); err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("atomic write %s: %w", path, err)
	}
	return func() error {
		err := f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("atomic write %s: sync: %w", path, err)
		}
		return syncDir(dir)
	}, nil
}
