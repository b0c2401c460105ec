package compress

import (
	"strings"
	"sync"
)

// Limits of the log summary.
const (
	// errorRepeats is how many lines of one error (after normalisation)
	// are failures; later ones are noise.
	errorRepeats = 5
	// overviewKeys: when a log has at most this many distinct lines after
	// normalisation, the first of each is context, an overview of what the
	// log says; otherwise they are ordinary lines.
	overviewKeys = 64
	// stackLines is how many lines of a stack trace are messages; the
	// rest are context.
	stackLines = 12
)

var (
	reProgress = lazyRegexp(`\d(\.\d+)?\s?%|^\s*\d+K[ .]{10,}|\[[#=>\-. ]{5,}\]|^\s*\(?\d+/\d+\)?\s`)
)

// keyTable counts lines by key: an open-addressing hash table, because a
// Go map costs several times more per line on a log of a million lines.
type keyTable struct {
	keys   []uint64
	counts []int32
	used   int
}

// grow doubles the table.
func (t *keyTable) grow() {
	old := *t
	t.keys, t.counts, t.used = make([]uint64, 2*len(old.keys)), make([]int32, 2*len(old.keys)), 0
	mask := uint64(len(t.keys) - 1)
	for j, k := range old.keys {
		if k == 0 {
			continue
		}
		i := (k ^ k>>29) & mask
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i], t.counts[i] = k, old.counts[j]
		t.used++
	}
}

func newKeyTable(n int) *keyTable {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &keyTable{keys: make([]uint64, size), counts: make([]int32, size)}
}

// inc counts one more line with key k and returns how many there are now.
// Key 0 is folded into 1, an empty slot being 0. The table doubles when
// half full.
func (t *keyTable) inc(k uint64) int32 {
	if k == 0 {
		k = 1
	}
	if 2*(t.used+1) > len(t.keys) {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	for i := (k ^ k>>29) & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			t.counts[i]++
			return t.counts[i]
		case 0:
			t.keys[i], t.counts[i] = k, 1
			t.used++
			return 1
		}
	}
}

// classifyLogs ranks application and access logs: error lines are
// failures (their first few repeats), stack traces under them messages and
// context, server errors (5xx) failures and client errors (4xx) context,
// warnings context; of the other lines, the first of each kind (numbers,
// times and ids set aside) is ordinary, or context when a log has few
// kinds, and every later one is noise.
func classifyLogs(d *doc) {
	keys := make([]uint64, d.n)
	flags := make([]uint8, d.n)
	parallel(d.n, func(from, to int) {
		for i := from; i < to; i++ {
			keys[i], flags[i] = logLine(d.line(i))
		}
	})
	seen := newKeyTable(min(d.n, 1024))
	first := make([]bool, d.n)
	for i, k := range keys {
		first[i] = seen.inc(k) == 1
	}
	overview := seen.used <= overviewKeys
	counts := newKeyTable(64)
	stack := -1 // lines since a stack trace began, -1 outside one
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		if stack >= 0 {
			if isStackLine(l) {
				if stack < stackLines {
					d.set(i, tierMessage, labelStack)
				} else {
					d.set(i, tierContext, labelStack)
				}
				stack++
				continue
			}
			stack = -1
			if isExceptionLine(l) {
				d.set(i, tierFailure, labelNone)
				continue
			}
		}
		f := flags[i]
		switch {
		case strings.HasPrefix(l, "Traceback ") || strings.HasPrefix(l, "goroutine ") && strings.HasSuffix(l, ":"):
			d.set(i, tierFailure, labelNone)
			stack = 0
		case f&flagError != 0:
			if counts.inc(keys[i]) <= errorRepeats {
				d.set(i, tierFailure, labelNone)
			} else {
				d.set(i, tierNoise, labelRepeatedErrors)
			}
			if i+1 < d.n && isStackLine(d.line(i+1)) {
				stack = 0
			}
		case f&flagWarn != 0:
			if counts.inc(keys[i]) <= errorRepeats {
				d.set(i, tierContext, labelWarnings)
			} else {
				d.set(i, tierNoise, labelSimilar)
			}
		case first[i] && overview:
			d.set(i, tierContext, labelNone)
		case first[i]:
			d.set(i, tierNormal, labelNone)
		default:
			d.set(i, tierNoise, labelSimilar)
		}
	}
}

// logLine returns the key and flags of a log line: scanLine's, with the
// class of an access log's status in the key and as a flag.
func logLine(l string) (key uint64, flags uint8) {
	k, f := scanLine(l)
	if st := httpStatus(l); st != 0 {
		k ^= uint64(st/100) * 0x9E3779B97F4A7C15
		switch {
		case st >= 500:
			f |= flagError
		case st >= 400:
			f |= flagWarn
		default:
			f &^= flagError | flagWarn // a 200 for /error.html is no error
		}
	}
	return k, f
}

// parallelLines is the number of lines from which parallel splits work in
// two.
const parallelLines = 1 << 14

// parallel calls work on [0, n), in two halves at once when n is large: a
// span of several MiB is scanned in half the time on two cores.
func parallel(n int, work func(from, to int)) {
	if n < parallelLines {
		work(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { work(0, n/2) })
	work(n/2, n)
	wg.Wait()
}

// isStackLine reports whether l continues a stack trace: an indented
// line (Python's File lines and source, Java's at lines, Go's file lines)
// or a Go frame (a function call) or a chained-exception line.
func isStackLine(l string) bool {
	if l == "" {
		return false
	}
	if l[0] == ' ' || l[0] == '\t' {
		return true
	}
	return strings.HasSuffix(l, ")") && strings.Contains(l, "(") && !strings.Contains(l, " ") ||
		strings.HasPrefix(l, "created by ") || strings.HasPrefix(l, "Caused by: ") ||
		strings.HasPrefix(l, "During handling of the above exception") ||
		strings.HasPrefix(l, "The above exception was the direct cause")
}

// isExceptionLine reports whether l is the line that ends a Python
// traceback: "KeyError: 'x'", "json.decoder.JSONDecodeError: …".
func isExceptionLine(l string) bool {
	name, _, ok := strings.Cut(l, ":")
	return ok && name != "" && !strings.Contains(name, " ") && scanFlags(name)&flagError != 0
}

// httpStatus returns the status of an access log line
// (… "GET /x HTTP/1.1" 404 …), or 0.
func httpStatus(l string) int {
	q := strings.IndexByte(l, '"')
	if q < 0 {
		return 0
	}
	i := strings.Index(l[q:], " HTTP/")
	if i < 0 {
		return 0
	}
	i += q
	j := strings.IndexByte(l[i:], '"')
	if j < 0 {
		return 0
	}
	s := l[i+j+1:]
	s = strings.TrimLeft(s, " ")
	if len(s) < 3 || !isDigits(s[:3]) || len(s) > 3 && s[3] >= '0' && s[3] <= '9' {
		return 0
	}
	return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
}

// classifyProgress ranks progress output: of each run of progress lines
// (percentages, bars, wget's dot rows, n/m counters) the last is a
// summary and the others are noise; the other lines are left to the
// generic ranking.
func classifyProgress(d *doc) {
	last := -1 // the last progress line of the current run
	var other []int
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		if isProgress(l) {
			if last >= 0 {
				d.set(last, tierNoise, labelProgress)
			}
			d.set(i, tierSummary, labelNone)
			last = i
			continue
		}
		if strings.TrimSpace(l) != "" {
			last = -1
			other = append(other, i)
		}
	}
	if len(other) <= progressOther {
		for _, i := range other {
			d.setUnset(i, tierContext, labelNone)
		}
	}
}

// progressOther: when progress output has at most this many other lines
// (wget's request and result, a download's name), they are context.
const progressOther = 40

// isProgress reports whether l is a progress update.
func isProgress(l string) bool {
	return (strings.ContainsAny(l, "%[/") || strings.Contains(l, "K ")) && reProgress().MatchString(l)
}

// classifyErrors ranks any output by its error words: a line with one is
// a failure with two lines of context before and three after, a stack
// trace under it is its message, warnings are messages, and counts totals.
func classifyErrors(d *doc) {
	stack := -1
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		if stack >= 0 && isStackLine(l) {
			if stack < stackLines {
				d.raise(i, tierMessage)
			} else {
				d.raise(i, tierContext)
			}
			stack++
			continue
		}
		stack = -1
		f := scanFlags(l)
		switch {
		case f&flagCounts != 0 && len(l) < 200:
			d.raise(i, tierTotals)
		case f&flagError != 0:
			d.raise(i, tierFailure)
			d.context(i, 2, 3)
			stack = 0
		case f&flagWarn != 0:
			d.raise(i, tierMessage)
			d.label[i] = labelWarnings
		}
	}
}
