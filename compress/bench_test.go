package compress

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkCorpus compresses each kind of the corpus with Always at the
// default window, and reports per kind and overall the size reduction
// (reduction_%: 100 × (1 − returned/original bytes), over all the kind's
// files together) and the time per MiB of input (ms/MiB).
func BenchmarkCorpus(b *testing.B) {
	files := loadCorpus(b)
	byDir := map[string][]corpusFile{}
	var dirs []string
	for _, f := range files {
		if _, ok := byDir[f.dir]; !ok {
			dirs = append(dirs, f.dir)
		}
		byDir[f.dir] = append(byDir[f.dir], f)
	}
	slices.Sort(dirs)
	run := func(b *testing.B, fs []corpusFile) {
		in, out := 0, 0
		for _, f := range fs {
			o, _, _ := Compress(Input{Text: f.text, Command: f.cmd, MaxBytes: defaultMaxBytes, Mode: Always})
			in += len(f.text)
			out += len(o)
		}
		start := time.Now()
		for b.Loop() {
			for _, f := range fs {
				Compress(Input{Text: f.text, Command: f.cmd, MaxBytes: defaultMaxBytes, Mode: Always})
			}
		}
		elapsed := time.Since(start)
		b.SetBytes(int64(in))
		b.ReportMetric(100*(1-float64(out)/float64(in)), "reduction_%")
		b.ReportMetric(elapsed.Seconds()*1000/float64(b.N)/(float64(in)/(1<<20)), "ms/MiB")
	}
	for _, dir := range dirs {
		b.Run(dir, func(b *testing.B) { run(b, byDir[dir]) })
	}
	b.Run("all", func(b *testing.B) { run(b, files) })
}

// BenchmarkLog10MiB compresses a 10 MiB application log (auto, default
// window): the cost of the whole pipeline on a large span. Besides the
// wall clock (ns/op) it reports the process's CPU time per op
// (cpu-ms/op), which load from other processes does not inflate.
func BenchmarkLog10MiB(b *testing.B) {
	text := syntheticLog(10 << 20)
	b.SetBytes(int64(len(text)))
	cpu := cpuTime()
	for b.Loop() {
		_, _, applied := Compress(Input{Text: text, Command: []string{"./server"}, MaxBytes: defaultMaxBytes})
		if !applied {
			b.Fatal("not applied")
		}
	}
	b.ReportMetric((cpuTime()-cpu)*1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkUnknown10MiB compresses 10 MiB of output of no known kind, whose
// lines are all different (the generic path, without log collapsing).
func BenchmarkUnknown10MiB(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	for sb.Len() < 10<<20 {
		fmt.Fprintf(&sb, "step %d: wrote %x to slot %d of the build cache\n", r.Int(), r.Uint64(), r.IntN(1000))
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	cpu := cpuTime()
	for b.Loop() {
		Compress(Input{Text: text, MaxBytes: defaultMaxBytes, Mode: Summary})
	}
	b.ReportMetric((cpuTime()-cpu)*1000/float64(b.N), "cpu-ms/op")
}

// syntheticLog returns about n bytes of a server log: requests, periodic
// stats, a few warnings, errors and a traceback.
func syntheticLog(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	sb.Grow(n + 256)
	paths := []string{"/api/orders", "/api/orders/42", "/api/cart", "/healthz", "/api/users/7", "/static/app.js"}
	t := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	for i := 0; sb.Len() < n; i++ {
		t = t.Add(time.Duration(r.IntN(5000)) * time.Microsecond)
		ts := t.Format("2006-01-02T15:04:05.000000Z")
		switch {
		case i%50000 == 7:
			fmt.Fprintf(&sb, "%s ERROR [db] query failed: connection reset by peer (conn=%x)\n", ts, r.Uint32())
			sb.WriteString("Traceback (most recent call last):\n  File \"/srv/app/db.py\", line 88, in query\n    cur.execute(sql)\nConnectionResetError: [Errno 104] Connection reset by peer\n")
		case i%20000 == 3:
			fmt.Fprintf(&sb, "%s WARN  [pool] slow checkout took %dms\n", ts, 500+r.IntN(2000))
		case i%1000 == 0:
			fmt.Fprintf(&sb, "%s INFO  [stats] rps=%d p99=%dms heap=%dMB goroutines=%d\n", ts, r.IntN(900), r.IntN(200), 40+r.IntN(20), 12+r.IntN(5))
		default:
			fmt.Fprintf(&sb, "%s INFO  [http] %s %s status=%d bytes=%d dur=%dms req=%016x\n", ts, "GET",
				paths[r.IntN(len(paths))], 200, r.IntN(50000), r.IntN(90), r.Uint64())
		}
	}
	return sb.String()
}

// BenchmarkNotable scans 64 MiB of an application log for error lines
// (what indexing a long log costs per byte); SetBytes gives MB/s.
func BenchmarkNotable(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<20; i++ {
		fmt.Fprintf(&sb, "2026-12-01T10:00:00.000Z INFO request handled path=/api/items/%d status=200 dur=%dms user=u%d\n", i, i%97, i%1000)
		if i%5000 == 0 {
			fmt.Fprintf(&sb, "2026-12-01T10:00:00.000Z ERROR upstream failed: connection reset %d\n", i)
		}
	}
	buf := []byte(sb.String())
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		n := 0
		Notable(buf, 0, func(int64, uint64) { n++ })
		if n == 0 {
			b.Fatal("no error line found")
		}
	}
}
