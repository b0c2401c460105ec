package supervisor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The notable index is extended from where it stopped: a second call
// scans only the bytes written since, and finds what they hold.
func TestNotableIndexIsIncremental(t *testing.T) {
	dir := t.TempDir()
	logPath, idx := filepath.Join(dir, "output.log"), filepath.Join(dir, NotableIndexName("output"))
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	write := func(s string) int64 {
		t.Helper()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		return st.Size()
	}
	size := write(strings.Repeat("ok line\n", 1000) + "error: first\n" + strings.Repeat("ok line\n", 10) + "error: unfinished")
	lines, err := ExtendNotable(logPath, idx, size, 0)
	if err != nil || len(lines) != 1 || lines[0].Off != 8000 {
		t.Fatalf("first scan = %v, %v; want the line at 8000", lines, err)
	}
	// The unfinished line was left for later; once finished, it is found,
	// with what follows it.
	size = write(" now\n" + strings.Repeat("fine\n", 5) + "panic: second\n")
	lines, err = ExtendNotable(logPath, idx, size, 0)
	if err != nil || len(lines) != 3 || lines[1].Off != 8093 {
		t.Fatalf("second scan = %v, %v; want three lines, the unfinished one at 8093", lines, err)
	}
	st, _ := os.Stat(idx)
	if st.Size() != notableHeader+3*notableRecord || st.Mode().Perm() != 0o600 {
		t.Fatalf("index is %d bytes, mode %v", st.Size(), st.Mode())
	}
	// An index of another log starts again.
	if err := os.WriteFile(idx, []byte("garbage that is not an index at all, longer than a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	if lines, err = ExtendNotable(logPath, idx, size, 0); err != nil || len(lines) != 3 {
		t.Fatalf("after damage = %v, %v", lines, err)
	}
}

// The supervisor's indexer and readers extend one index at once, while
// the log grows, across a restart (a new indexer on the appended log) and
// a log cut shorter (log_limit): the index always ends up as one built in
// a single pass over the final log.
func TestNotableIndexConcurrent(t *testing.T) {
	dir := t.TempDir()
	logPath, idx := filepath.Join(dir, "output.log"), filepath.Join(dir, NotableIndexName("output"))
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var block strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&block, "INFO step %d of the build went fine\n", i)
		if i%400 == 7 {
			fmt.Fprintf(&block, "ERROR: case %s failed\n", strings.Repeat("x", i%13+1))
		}
	}
	write := func(blocks int) {
		for range blocks {
			if _, err := f.WriteString(block.String()); err != nil {
				t.Error(err)
				return
			}
		}
	}
	follow := func(x *notableIndex, stop <-chan struct{}) {
		x.buf = make([]byte, 64<<10)
		l := &indexedLog{x: x}
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := l.step(-1); err != nil && !errors.Is(err, ErrNotableBusy) {
				t.Error(err)
				return
			}
		}
	}
	run := func(blocks int) {
		x, err := openNotable(logPath, idx, false)
		if err != nil {
			t.Fatal(err)
		}
		defer x.close()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { follow(x, stop) })
		for range 2 {
			wg.Go(func() {
				for range 20 {
					st, _ := os.Stat(logPath)
					if _, err := ExtendNotable(logPath, idx, st.Size(), 0); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		write(blocks)
		close(stop)
		wg.Wait()
	}
	check := func(what string) {
		t.Helper()
		st, _ := os.Stat(logPath)
		got, err := ExtendNotable(logPath, idx, st.Size(), 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ExtendNotable(logPath, filepath.Join(t.TempDir(), "fresh.idx"), st.Size(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Fatalf("%s: the index holds %d lines, a fresh one %d:\n%v\n%v", what, len(got), len(want), got, want)
		}
	}
	run(40)
	check("one run")
	run(40) // a restart: the log is appended to, the index continued
	check("a second run")
	// The log cut shorter than what was scanned: the index starts again.
	st, _ := os.Stat(logPath)
	if err := os.Truncate(logPath, st.Size()/3); err != nil {
		t.Fatal(err)
	}
	run(5)
	check("after a cut")
}
