package output

import (
	"bytes"
	"testing"
)

// TestRedactWriter: a value split across writes is masked whole; a tail
// that may begin a value is held back until the next write or the flush.
func TestRedactWriter(t *testing.T) {
	tests := []struct {
		secrets []string
		chunks  []string
		want    string
		held    string // before the flush
	}{
		{nil, []string{"plain ", "text"}, "plain text", ""},
		{[]string{"secret"}, []string{"a secret b"}, "a *** b", ""},
		{[]string{"secret"}, []string{"a sec", "ret b"}, "a *** b", ""},
		{[]string{"secret"}, []string{"a s", "e", "c", "r", "e", "t"}, "a ***", ""},
		{[]string{"secret"}, []string{"a sec"}, "a sec", "sec"},
		{[]string{"secret"}, []string{"a sec", "tion"}, "a section", ""},
		{[]string{"secret"}, []string{"sesecret"}, "se***", ""},
		{[]string{"ab", "abcd"}, []string{"xab", "cdy ab"}, "x***y ***", "ab"},
		{[]string{"ab", "abcd"}, []string{"xab", "c!"}, "x***c!", ""},
		{[]string{"aaa"}, []string{"aaaa"}, "***a", "a"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		r := NewRedactor(tt.secrets...).Writer(&out)
		for _, c := range tt.chunks {
			if _, err := r.Write([]byte(c)); err != nil {
				t.Fatal(err)
			}
		}
		held := string(r.pending)
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want || held != tt.held {
			t.Errorf("redact %q of %q = %q (held %q), want %q (held %q)", tt.secrets, tt.chunks, out.String(), held, tt.want, tt.held)
		}
	}
}
