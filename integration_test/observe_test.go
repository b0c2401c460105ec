package integration_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// bigOutput is what bigCommand prints: 10 000 numbered lines of 10 bytes,
// 100 000 bytes in all.
func bigOutput() string {
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "%09d\n", i)
	}
	return b.String()
}

const bigCommand = `python3 -c 'import sys; sys.stdout.write("".join("%09d\n" % i for i in range(10000)))'`

// TestRunHeadAndTail: with compress off, a run window larger than
// max_bytes keeps its head and its tail and marks the omitted middle with
// one line saying how to read it.
func TestRunHeadAndTail(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	want := bigOutput()
	env := s.runJob(bigCommand, obj{"max_bytes": 4096, "until": 30, "compress": "off"})
	if env.Job.State != "exited" || *env.Job.ExitCode != 0 {
		t.Fatalf("job = %+v", env.Job)
	}
	o := env.Output
	if o.TotalBytes != int64(len(want)) || o.Start != 0 || o.End != int64(len(want)) || !o.Truncated || o.Omitted == nil {
		t.Fatalf("output = total %d start %d end %d truncated %v omitted %v; want the whole run with a middle omitted",
			o.TotalBytes, o.Start, o.End, o.Truncated, o.Omitted)
	}
	om := *o.Omitted
	if om.Start <= 0 || om.End <= om.Start || om.End >= int64(len(want)) {
		t.Fatalf("omitted = %+v", om)
	}
	// The text is the head, one marker line, the tail. A head that ends
	// inside a line gets a newline so that the marker stands on its own.
	head, tailText := want[:om.Start], want[om.End:]
	if n := len(head) + len(tailText); n > 4096 {
		t.Errorf("head+tail = %d bytes, more than max_bytes 4096", n)
	}
	if len(head) > len(tailText) {
		t.Errorf("head %d bytes longer than tail %d: the tail should get the larger share", len(head), len(tailText))
	}
	if !strings.HasSuffix(head, "\n") {
		head += "\n"
	}
	if !strings.HasPrefix(o.Text, head) || !strings.HasSuffix(o.Text, tailText) || len(o.Text) < len(head)+len(tailText) {
		t.Fatalf("text is not head [0,%d) + marker + tail [%d,%d):\n%s", om.Start, om.End, len(want), o.Text)
	}
	marker := o.Text[len(head) : len(o.Text)-len(tailText)]
	if strings.Count(marker, "\n") != 1 || !strings.HasSuffix(marker, "\n") {
		t.Errorf("marker %q is not one line", marker)
	}
	for _, part := range []string{"omitted", fmt.Sprint(om.Start), fmt.Sprint(om.End), fmt.Sprintf("offset=%d", om.Start)} {
		if !strings.Contains(marker, part) {
			t.Errorf("marker %q does not contain %q", marker, part)
		}
	}
}

// TestRunCompressed: by default (compress auto) a run window larger than
// max_bytes is a selection of lines within max_bytes that says what it left
// out and where to read it.
func TestRunCompressed(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	want := bigOutput()
	env := s.runJob(bigCommand, obj{"max_bytes": 4096, "until": 30})
	o := env.Output
	if o.TotalBytes != int64(len(want)) || !o.Truncated || len(o.Text) > 4096 || len(o.Text) < 1024 {
		t.Fatalf("output = total %d, truncated %v, %d bytes of text", o.TotalBytes, o.Truncated, len(o.Text))
	}
	if o.Compression == nil || o.Compression["mode"] != "auto" {
		t.Errorf("compression = %v, want a report of mode auto", o.Compression)
	}
	if !strings.HasPrefix(o.Text, want[:100]) || !strings.HasSuffix(o.Text, want[len(want)-100:]) {
		t.Errorf("the selection lost the first or last lines")
	}
	marked := false
	for _, line := range strings.Split(strings.TrimSuffix(o.Text, "\n"), "\n") {
		if strings.Contains(line, "omitted") && strings.Contains(line, "offset=") {
			marked = true
		} else if !strings.Contains(want, line+"\n") {
			t.Errorf("line %q is neither output nor a marker", line)
		}
	}
	if !marked {
		t.Error("no marker line says what was left out")
	}
	// A window that fits is not touched.
	small := s.runJob("seq 1 5", obj{"max_bytes": 4096})
	if small.Output.Text != "1\n2\n3\n4\n5\n" || small.Output.Truncated {
		t.Errorf("small window = %q truncated %v", small.Output.Text, small.Output.Truncated)
	}
}

// TestObserveTailAndPaging: observe shows the tail by default; reading
// forward from offset in pages of max_bytes reassembles the exact log.
func TestObserveTailAndPaging(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	want := bigOutput()
	env := s.runJob(bigCommand, obj{"until": 30})
	id := env.Job.JobID
	if env.Job.State != "exited" {
		t.Fatalf("job = %+v", env.Job)
	}
	if b, err := os.ReadFile(s.detail(id).OutputLog); err != nil || string(b) != want {
		t.Fatalf("output.log: %d bytes, %v; want the 100000 bytes printed", len(b), err)
	}

	// A finished run is read as run read it: the same selection.
	if o := s.ok("observe", obj{"job_id": id}).Output; o.Text != env.Output.Text || o.Compression == nil {
		t.Errorf("observe of the finished run = %d bytes (%v), run's window %d bytes", len(o.Text), o.Compression, len(env.Output.Text))
	}
	// tail_lines: the last lines when they fit; else the tail that fits,
	// after one line that says what came before and how to read it.
	for _, maxBytes := range []int{0, 1000, 256} {
		args := obj{"job_id": id, "tail_lines": 10000}
		limit := 16384
		if maxBytes > 0 {
			args["max_bytes"], limit = maxBytes, maxBytes
		}
		o := s.ok("observe", args).Output
		if o.End != int64(len(want)) || o.TotalBytes != int64(len(want)) || !o.Truncated || o.Omitted != nil {
			t.Errorf("tail (max_bytes %d): end %d total %d truncated %v omitted %v", maxBytes, o.End, o.TotalBytes, o.Truncated, o.Omitted)
		}
		if len(o.Text) > limit || len(o.Text) < limit/2 {
			t.Errorf("tail (max_bytes %d) = %d bytes", maxBytes, len(o.Text))
		}
		marker, rest, _ := strings.Cut(o.Text, "\n")
		if !strings.HasPrefix(marker, "[... ") || !strings.Contains(marker, "offset=0") || rest != want[o.Start:] {
			t.Errorf("tail (max_bytes %d) is not a marker and the end of the log from %d: %q", maxBytes, o.Start, marker)
		}
		if o.NextOffset != int64(len(want)) {
			t.Errorf("tail next_offset = %d, want %d", o.NextOffset, len(want))
		}
	}
	if o := s.ok("observe", obj{"job_id": id, "tail_lines": 3}).Output; o.Text != want[len(want)-30:] || o.Truncated || o.Start != int64(len(want)-30) {
		t.Errorf("tail_lines 3 = %q from %d, truncated %v", o.Text, o.Start, o.Truncated)
	}
	s.fail("observe", obj{"job_id": id, "tail_lines": 0}, "invalid_input")
	s.fail("observe", obj{"job_id": id, "tail_lines": 3, "offset": 0}, "invalid_input")

	var got strings.Builder
	offset, pages := int64(0), 0
	for {
		o := s.ok("observe", obj{"job_id": id, "offset": offset, "max_bytes": 4096}).Output
		pages++
		if o.Start != offset || o.Omitted != nil || len(o.Text) > 4096 {
			t.Fatalf("page at %d: start %d, %d bytes, omitted %v", offset, o.Start, len(o.Text), o.Omitted)
		}
		got.WriteString(o.Text)
		if o.NextOffset <= offset && o.NextOffset != int64(len(want)) {
			t.Fatalf("page at %d: next_offset %d does not move forward", offset, o.NextOffset)
		}
		if o.NextOffset == o.TotalBytes {
			if o.Truncated {
				t.Error("last page says truncated")
			}
			break
		}
		if !o.Truncated {
			t.Errorf("page at %d of %d: not truncated", offset, o.TotalBytes)
		}
		offset = o.NextOffset
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
	}
	if got.String() != want {
		t.Fatalf("pages reassemble to %d bytes that differ from the %d-byte log", got.Len(), len(want))
	}
	if pages < len(want)/4096 {
		t.Errorf("%d pages of at most 4096 bytes for %d bytes", pages, len(want))
	}
	// Past the end: nothing, at the end.
	o := s.ok("observe", obj{"job_id": id, "offset": len(want)}).Output
	if o.Text != "" || o.NextOffset != int64(len(want)) || o.Truncated {
		t.Errorf("observe at the end: %+v", o)
	}
}

// TestRawAndCleaned: output text has terminal escapes removed and
// carriage-return overwrites collapsed, unless raw is asked for; the log
// keeps the raw bytes.
func TestRawAndCleaned(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	env := s.runJob(`printf 'plain \033[1;31mred\033[0m text\n'; printf 'progress 10%%\rprogress 50%%\rprogress 100%%\n'; printf 'done\n'`, nil)
	rawWant := "plain \x1b[1;31mred\x1b[0m text\nprogress 10%\rprogress 50%\rprogress 100%\ndone\n"
	cleanWant := "plain red text\nprogress 100%\ndone\n"
	if env.Output.Text != cleanWant {
		t.Errorf("run text = %q, want %q", env.Output.Text, cleanWant)
	}
	id := env.Job.JobID
	if o := s.ok("observe", obj{"job_id": id}).Output; o.Text != cleanWant {
		t.Errorf("observe text = %q, want %q", o.Text, cleanWant)
	}
	if o := s.ok("observe", obj{"job_id": id, "raw": true}).Output; o.Text != rawWant {
		t.Errorf("observe raw text = %q, want %q", o.Text, rawWant)
	}
	if b, _ := os.ReadFile(s.detail(id).OutputLog); string(b) != rawWant {
		t.Errorf("output.log = %q, want the raw bytes", b)
	}
}
