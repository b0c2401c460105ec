package jobstore

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// RecordSecrets keeps the values of every run; ReadMeta hands them to the
// reader in Inherited (and MaskedValues), never through meta.json; a
// corrupt record fails the read rather than leave values unmasked.
func TestRecordSecrets(t *testing.T) {
	s := newStore(t)
	m := &Meta{ID: NewID(), Command: []string{"true"}, Cwd: "/", InheritEnv: true,
		Env: map[string]string{"GIVEN": "given-value"}, Mask: []string{"GIVEN", "TOKEN"},
		Streams: StreamsMerged, Tags: []string{}, CreatedAt: Time{time.Now()}}
	if err := s.Create(m); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadMeta(m.ID); err != nil || got.Inherited != nil {
		t.Fatalf("ReadMeta before any record = %v, %v; want no inherited values", got, err)
	}
	if err := s.RecordSecrets(m.ID, []string{"first", ""}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSecrets(m.ID, []string{"second", "first"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadMeta(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"first", "second"}; !slices.Equal(got.Inherited, want) {
		t.Errorf("Inherited = %q, want %q", got.Inherited, want)
	}
	if want := []string{"given-value", "first", "second"}; !slices.Equal(got.MaskedValues(), want) {
		t.Errorf("MaskedValues() = %q, want %q", got.MaskedValues(), want)
	}
	checkMode(t, s.Path(m.ID, SecretsFile), 0o600)
	b, err := os.ReadFile(s.Path(m.ID, MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "first") {
		t.Errorf("meta.json holds an inherited value:\n%s", b)
	}

	if err := os.WriteFile(s.Path(m.ID, SecretsFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadMeta(m.ID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadMeta with a corrupt record: %v, want ErrCorrupt", err)
	}
}
