package mcphttp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MinTokenBytes is the shortest token ReadToken accepts.
const MinTokenBytes = 16

// ReadToken reads a bearer token from path: the file's content without
// surrounding white space, at least MinTokenBytes long. insecure is true
// when the file is readable or writable by group or others.
func ReadToken(path string) (token []byte, insecure bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("read token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("read token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("read token file %s: not a regular file", path)
	}
	buf, err := io.ReadAll(io.LimitReader(f, 4097))
	if err != nil {
		return nil, false, fmt.Errorf("read token file: %w", err)
	}
	if len(buf) > 4096 {
		return nil, false, fmt.Errorf("read token file %s: longer than 4096 bytes", path)
	}
	token = bytes.TrimSpace(buf)
	if len(token) < MinTokenBytes {
		return nil, false, fmt.Errorf("read token file %s: the token has %d bytes, want at least %d", path, len(token), MinTokenBytes)
	}
	if bytes.ContainsAny(token, " \t\r\n") {
		return nil, false, fmt.Errorf("read token file %s: the token contains white space", path)
	}
	return token, fi.Mode().Perm()&0o077 != 0, nil
}

// EnsureToken returns the token in path, creating the file (0600) with a
// new random token when it does not exist. created says which happened.
func EnsureToken(path string) (token []byte, created bool, err error) {
	token, _, err = ReadToken(path)
	if err == nil {
		return token, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	var b [32]byte
	rand.Read(b[:])
	token = []byte(base64.RawURLEncoding.EncodeToString(b[:]))
	// Written to a private temporary name and linked into place, so
	// another server starting at the same moment reads the whole token or
	// makes its own link fail.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return nil, false, fmt.Errorf("create token file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(token, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("write token file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		token, _, err = ReadToken(path)
		return token, false, err
	} else if err != nil {
		return nil, false, fmt.Errorf("create token file: %w", err)
	}
	return token, true, nil
}
