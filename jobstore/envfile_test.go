package jobstore

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	src := "# a comment\n" +
		"\n" +
		"PLAIN=some value  \n" +
		"  export  EXPORTED=x\n" +
		"EMPTY=\n" +
		"HASH=a#b $HOME\n" +
		"SINGLE='it''s' \n" +
		"LIT='a\\n$b' # note\n" +
		"DOUBLE=\"a\\tb\\n\\\"c\\\" \\\\ \\$d\"\r\n" +
		"_under_1=ok\n" +
		"PLAIN=again"
	got, err := ParseEnvFile([]byte(src))
	if err == nil {
		t.Fatalf("SINGLE='it''s' should be refused, got %v", got)
	}
	src = strings.Replace(src, "SINGLE='it''s' \n", "SINGLE='its' \n", 1)
	got, err = ParseEnvFile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvVar{
		{"PLAIN", "some value"}, {"EXPORTED", "x"}, {"EMPTY", ""}, {"HASH", "a#b $HOME"},
		{"SINGLE", "its"}, {"LIT", "a\\n$b"}, {"DOUBLE", "a\tb\n\"c\" \\ $d"}, {"_under_1", "ok"}, {"PLAIN", "again"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestParseEnvFileErrors(t *testing.T) {
	for _, tc := range []struct{ src, msg string }{
		{"A=1\nnot a line\n", "line 2: want KEY=VALUE"},
		{"1A=x", "line 1: bad variable name"},
		{"A =x", "line 1: bad variable name"},
		{"exportA=1\nexport =1", "line 2: bad variable name"},
		{"\n\nK=\"secret", "line 3: K: the quoted value has no closing quote"},
		{"K='secret' trailing", "line 1: K: only blanks and a # comment"},
		{"K=\"se\\qcret\"", "line 1: K: unknown escape"},
		{"K=a\x00b", "contains a NUL byte"},
	} {
		_, err := ParseEnvFile([]byte(tc.src))
		var fe *EnvFileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: got %v, want an EnvFileError with %q", tc.src, err, tc.msg)
			continue
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "trailing") {
			t.Errorf("%q: the error %q quotes the value", tc.src, err)
		}
	}
}

func TestReadEnvFileNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.env")
	if err := os.WriteFile(p, []byte("A=1\nB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadEnvFiles([]string{p})
	if err == nil || err.Error() != "env file "+p+": line 2: want KEY=VALUE" {
		t.Fatalf("got %v", err)
	}
	missing := filepath.Join(dir, "missing.env")
	_, err = ReadEnvFile(missing)
	if err == nil || err.Error() != "env file "+missing+": does not exist" || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
	if _, err := ReadEnvFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a directory: got %v", err)
	}
	if err := os.WriteFile(p, make([]byte, MaxEnvFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvFile(p); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("a large file: got %v", err)
	}
}
