package jobstore

import (
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// crockfordLower is the alphabet job ids are written in, spelled out here
// independently of the package constant.
const crockfordLower = "0123456789abcdefghjkmnpqrstvwxyz"

// decodeIDTime decodes the first ten characters of a ULID, the creation time
// in milliseconds since the Unix epoch.
func decodeIDTime(t *testing.T, id string) int64 {
	t.Helper()
	if len(id) < 10 {
		t.Fatalf("decodeIDTime(%q): id shorter than 10 characters", id)
	}
	var ms int64
	for i := 0; i < 10; i++ {
		v := strings.IndexByte(crockfordLower, id[i])
		if v < 0 {
			t.Fatalf("decodeIDTime(%q): character %q is not in the alphabet", id, id[i])
		}
		ms = ms<<5 | int64(v)
	}
	return ms
}

func checkIDShape(t *testing.T, id string) {
	t.Helper()
	if len(id) != IDLen {
		t.Fatalf("len(NewID()) = %d, want %d (id %q)", len(id), IDLen, id)
	}
	for i := 0; i < len(id); i++ {
		if !strings.ContainsRune(crockfordLower, rune(id[i])) {
			t.Fatalf("NewID() = %q: character %d (%q) not in %q", id, i, id[i], crockfordLower)
		}
	}
	if !ValidID(id) {
		t.Fatalf("ValidID(%q) = false, want true", id)
	}
}

func TestNewIDShape(t *testing.T) {
	for i := 0; i < 100; i++ {
		checkIDShape(t, NewID())
	}
}

func TestNewIDTimestamp(t *testing.T) {
	before := time.Now().UnixMilli()
	id := NewID()
	after := time.Now().UnixMilli()
	got := decodeIDTime(t, id)
	if got < before || got > after {
		t.Fatalf("decodeIDTime(NewID()) = %d (id %q), want in [%d, %d]", got, id, before, after)
	}
}

func TestNewIDMonotonic(t *testing.T) {
	const n = 10000
	prev := NewID()
	for i := 1; i < n; i++ {
		id := NewID()
		if id <= prev {
			t.Fatalf("NewID() call %d = %q, want > previous %q", i, id, prev)
		}
		prev = id
	}
}

func TestNewIDConcurrentUnique(t *testing.T) {
	const goroutines, perG = 8, 2000
	results := make([][]string, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]string, perG)
			for i := range ids {
				ids[i] = NewID()
			}
			results[g] = ids
		}()
	}
	wg.Wait()
	seen := make(map[string]int, goroutines*perG)
	for g, ids := range results {
		for i, id := range ids {
			checkIDShape(t, id)
			if i > 0 && id <= ids[i-1] {
				t.Errorf("goroutine %d: NewID() call %d = %q, want > previous %q", g, i, id, ids[i-1])
			}
			if other, dup := seen[id]; dup {
				t.Fatalf("NewID() = %q in goroutines %d and %d, want unique ids", id, other, g)
			}
			seen[id] = g
		}
	}
	if len(seen) != goroutines*perG {
		t.Fatalf("distinct ids = %d, want %d", len(seen), goroutines*perG)
	}
}

// TestEncodeULID checks the encoder against math/big's base-32 conversion.
func TestEncodeULID(t *testing.T) {
	ref := func(b [16]byte) string {
		digits := new(big.Int).SetBytes(b[:]).Text(32) // 0-9a-v
		var sb strings.Builder
		for range IDLen - len(digits) {
			sb.WriteByte('0')
		}
		for _, c := range digits {
			v := strings.IndexRune("0123456789abcdefghijklmnopqrstuv", c)
			sb.WriteByte(crockfordLower[v])
		}
		return sb.String()
	}
	var ones [16]byte
	for i := range ones {
		ones[i] = 0xff
	}
	tests := []struct {
		name string
		in   [16]byte
		want string
	}{
		{"zero", [16]byte{}, "00000000000000000000000000"},
		{"all ones", ones, "7zzzzzzzzzzzzzzzzzzzzzzzzz"},
		{"one", [16]byte{15: 1}, "00000000000000000000000001"},
		{"ramp", [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}, ""},
		{"top bit", [16]byte{0: 0x80}, "40000000000000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = ref(tt.in)
			}
			if got := encodeULID(tt.in); got != want {
				t.Errorf("encodeULID(%x) = %q, want %q", tt.in, got, want)
			}
			if got, want := encodeULID(tt.in), ref(tt.in); got != want {
				t.Errorf("encodeULID(%x) = %q, want %q (math/big)", tt.in, got, want)
			}
		})
	}
}

func TestIncr(t *testing.T) {
	tests := []struct {
		name string
		in   [10]byte
		want [10]byte
	}{
		{"last byte", [10]byte{9: 1}, [10]byte{9: 2}},
		{"carry", [10]byte{8: 0x01, 9: 0xff}, [10]byte{8: 0x02, 9: 0x00}},
		{"long carry", [10]byte{0: 0x00, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff}, [10]byte{0: 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in
			incr(&got)
			if got != tt.want {
				t.Errorf("incr(%x) = %x, want %x", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	good := "01jd5k2m3n4p5q6r7s8t9v0w1x"
	tests := []struct {
		in   string
		want bool
	}{
		{good, true},
		{NewID(), true},
		{"00000000000000000000000000", true},
		{"7zzzzzzzzzzzzzzzzzzzzzzzzz", true},
		{"8zzzzzzzzzzzzzzzzzzzzzzzzz", false}, // overflows 128 bits
		{"zzzzzzzzzzzzzzzzzzzzzzzzzz", false},
		{"", false},
		{good[:25], false},
		{good + "0", false},
		{strings.ToUpper(good), false},
		{"01JD5K2M3N4P5Q6R7S8T9V0W1X", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w1i", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w1l", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w1o", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w1u", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w/x", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w.x", false},
		{"..jd5k2m3n4p5q6r7s8t9v0w1x", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w\x00x", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w\xffx", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w*x", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w?x", false},
		{"-1jd5k2m3n4p5q6r7s8t9v0w1x", false},
		{"01jd5k2m3n4p5q6r7s8t9v0w x", false},
		{"01jd5k2m3n4p5q6r7s8t9v0wé", false}, // 26 bytes, non-ASCII
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ValidID(tt.in); got != tt.want {
				t.Errorf("ValidID(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidPrefix(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"0", false},
		{"01j", false},
		{"01jd", true},
		{"01jd5k2m3n", true},
		{"01jd5k2m3n4p5q6r7s8t9v0w1x", true},
		{"01jd5k2m3n4p5q6r7s8t9v0w1x0", false}, // 27 chars
		{"01JD", false},
		{"01ji", false},
		{"01jl", false},
		{"01jo", false},
		{"01ju", false},
		{"../x", false},
		{"01j/", false},
		{"a/bc", false},
		{"01j\x00", false},
		{"01j\xff", false},
		{"01j*", false},
		{"01j?", false},
		{"-01j", false},
		{".01j", false},
		{"01 j", false},
		{"test", true}, // also a name; Resolve tries the prefix first
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validPrefix(tt.in); got != tt.want {
				t.Errorf("validPrefix(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"build", nil},
		{"a", nil},
		{"0", nil},
		{"Build-2.x_final", nil},
		{"UPPER", nil},
		{"a..b", nil}, // dots in the middle are fine; only a leading one is not
		{"a-", nil},
		{strings.Repeat("a", 64), nil},
		{strings.Repeat("a", 65), ErrInvalidName},
		{"", ErrInvalidName},
		{"..", ErrInvalidName},
		{".", ErrInvalidName},
		{".hidden", ErrInvalidName},
		{"-rf", ErrInvalidName},
		{"_x", ErrInvalidName},
		{"/", ErrInvalidName},
		{"a/b", ErrInvalidName},
		{"../x", ErrInvalidName},
		{"a\\b", ErrInvalidName},
		{"a\x00b", ErrInvalidName},
		{"a\xffb", ErrInvalidName},
		{"né", ErrInvalidName},
		{"*", ErrInvalidName},
		{"a*", ErrInvalidName},
		{"?", ErrInvalidName},
		{"a?", ErrInvalidName},
		{"a b", ErrInvalidName},
		{"a\nb", ErrInvalidName},
		{"a:b", ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ValidateName(tt.in); got != tt.want {
				t.Errorf("ValidateName(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
