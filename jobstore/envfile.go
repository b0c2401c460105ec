package jobstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// MaxEnvFileBytes bounds one env file: a larger file is refused, not cut.
const MaxEnvFileBytes = 1 << 20

// EnvFileError is an env file that could not be read or parsed. It names
// the file and, for a syntax error, the line; it never quotes a value, which
// may be a secret.
type EnvFileError struct {
	Path string
	Line int // 0 when the file as a whole is at fault
	Msg  string
	Err  error // the underlying error, if any
}

func (e *EnvFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("env file %s: line %d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("env file %s: %s", e.Path, e.Msg)
}

func (e *EnvFileError) Unwrap() error { return e.Err }

// EnvVar is one variable of an env file.
type EnvVar struct{ Key, Value string }

// ReadEnvFiles reads the env files at paths, in order, and returns their
// variables in the order they appear; a later one of the same key wins
// when they are applied in order.
func ReadEnvFiles(paths []string) ([]EnvVar, error) {
	var out []EnvVar
	for _, p := range paths {
		vars, err := ReadEnvFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, vars...)
	}
	return out, nil
}

// ReadEnvFile reads and parses one env file (see [ParseEnvFile]). The file
// must be a regular file of at most [MaxEnvFileBytes]; a symlink to one is
// followed.
func ReadEnvFile(path string) ([]EnvVar, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &EnvFileError{Path: path, Msg: envOpenMsg(err), Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &EnvFileError{Path: path, Msg: err.Error(), Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &EnvFileError{Path: path, Msg: "not a regular file"}
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxEnvFileBytes+1))
	if err != nil {
		return nil, &EnvFileError{Path: path, Msg: "read: " + err.Error(), Err: err}
	}
	if len(b) > MaxEnvFileBytes {
		return nil, &EnvFileError{Path: path, Msg: fmt.Sprintf("larger than %d bytes", MaxEnvFileBytes)}
	}
	vars, err := ParseEnvFile(b)
	if err != nil {
		var pe *EnvFileError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return nil, err
	}
	return vars, nil
}

func envOpenMsg(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "does not exist"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ParseEnvFile parses the contents of an env file. The format is strict:
//
//   - one variable per line, KEY=VALUE; lines end in \n (a \r before it is
//     dropped);
//   - blank lines, and lines whose first non-blank character is #, are
//     ignored;
//   - a line may start with "export " (any blanks after it);
//   - KEY is a letter or _, then letters, digits or _; the = follows it
//     directly;
//   - VALUE is either the rest of the line with the blanks at its ends
//     removed, taken literally (# and $ included), or quoted: '…' is literal,
//     "…" knows the escapes \\ \" \n \t \r and \$, and nothing else; after
//     the closing quote only blanks and a # comment may follow. A value
//     never spans lines, and nothing is expanded;
//   - a NUL byte anywhere is an error.
//
// Errors are *EnvFileError with the line number and without the value.
func ParseEnvFile(b []byte) ([]EnvVar, error) {
	if bytes.IndexByte(b, 0) >= 0 {
		return nil, &EnvFileError{Msg: "contains a NUL byte"}
	}
	var out []EnvVar
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		v, ok, msg := parseEnvLine(line)
		if msg != "" {
			return nil, &EnvFileError{Line: n + 1, Msg: msg}
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, nil
}

const envBlanks = " \t"

// parseEnvLine parses one line: ok is false for a blank or comment line;
// msg says what is wrong with a bad one.
func parseEnvLine(line string) (v EnvVar, ok bool, msg string) {
	s := strings.TrimLeft(line, envBlanks)
	if s == "" || s[0] == '#' {
		return v, false, ""
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && strings.ContainsRune(envBlanks, rune(rest[0])) {
		s = strings.TrimLeft(rest, envBlanks)
	}
	key, val, found := strings.Cut(s, "=")
	if !found {
		return v, false, "want KEY=VALUE"
	}
	if !validEnvKey(key) {
		return v, false, "bad variable name (a letter or _, then letters, digits or _, then = with no blank before it)"
	}
	val, msg = envValue(strings.TrimLeft(val, envBlanks))
	if msg != "" {
		return v, false, key + ": " + msg
	}
	return EnvVar{Key: key, Value: val}, true, ""
}

func validEnvKey(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// envValue parses what follows KEY= (leading blanks removed).
func envValue(s string) (string, string) {
	if s == "" || (s[0] != '"' && s[0] != '\'') {
		return strings.TrimRight(s, envBlanks), ""
	}
	q := s[0]
	var b strings.Builder
	i := 1
	for ; i < len(s) && s[i] != q; i++ {
		c := s[i]
		if q == '"' && c == '\\' {
			i++
			if i == len(s) {
				break
			}
			switch s[i] {
			case '\\', '"', '$':
				c = s[i]
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			default:
				return "", "unknown escape in a double-quoted value (known: \\\\ \\\" \\n \\t \\r \\$)"
			}
		}
		b.WriteByte(c)
	}
	if i >= len(s) {
		return "", "the quoted value has no closing quote on its line"
	}
	rest := strings.TrimLeft(s[i+1:], envBlanks)
	if rest != "" && rest[0] != '#' {
		return "", "only blanks and a # comment may follow the closing quote"
	}
	return b.String(), ""
}
