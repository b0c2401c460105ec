package jobstore

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// IDLen is the length of a job id.
const IDLen = 26

// MinPrefixLen is the shortest id prefix accepted in place of a full id.
const MinPrefixLen = 4

// MaxNameLen bounds job names and tags.
const MaxNameLen = 64

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

var (
	idMu   sync.Mutex
	lastMS uint64
	lastR  [10]byte
)

// NewID returns a new job id: a lowercase ULID whose first ten characters
// encode the creation time in milliseconds. Ids made by one process are
// strictly increasing.
func NewID() string {
	idMu.Lock()
	defer idMu.Unlock()
	ms := uint64(time.Now().UnixMilli())
	if ms <= lastMS {
		ms = lastMS
		incr(&lastR)
	} else {
		lastMS = ms
		if _, err := rand.Read(lastR[:]); err != nil {
			panic(fmt.Sprintf("jobstore: read random bytes: %v", err))
		}
	}
	var b [16]byte
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[0:6], ts[2:8])
	copy(b[6:], lastR[:])
	return encodeULID(b)
}

func incr(r *[10]byte) {
	for i := len(r) - 1; i >= 0; i-- {
		r[i]++
		if r[i] != 0 {
			return
		}
	}
}

// encodeULID writes 128 bits as 26 base32 characters (the first carries 3 bits).
func encodeULID(b [16]byte) string {
	out := make([]byte, IDLen)
	// Treat b as a 130-bit big-endian number with two leading zero bits.
	var acc uint32
	bits := 2 // the two implicit leading zero bits
	pos := 0
	for _, x := range b {
		acc = acc<<8 | uint32(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[pos] = crockford[(acc>>uint(bits))&31]
			pos++
		}
	}
	return string(out)
}

func isIDChar(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u')
}

// ValidID reports whether s is a well-formed full job id.
func ValidID(s string) bool {
	return len(s) == IDLen && s[0] <= '7' && validIDChars(s)
}

// validPrefix reports whether s could be a prefix of a job id.
func validPrefix(s string) bool {
	return len(s) >= MinPrefixLen && len(s) <= IDLen && validIDChars(s)
}

func validIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return false
		}
	}
	return true
}

// ErrInvalidName is returned for names and tags that break the grammar:
// 1 to 64 characters of ASCII letters, digits, '.', '_' and '-', starting
// with a letter or digit.
var ErrInvalidName = errors.New("must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")

// ValidateName checks a job name or a tag against the name grammar.
func ValidateName(s string) error {
	if len(s) == 0 || len(s) > MaxNameLen {
		return ErrInvalidName
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return ErrInvalidName
		}
	}
	return nil
}
