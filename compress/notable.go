package compress

import (
	"bytes"
	"sync"
)

// Notable calls emit, in order, for each line of buf that reads as an
// error or a failure (error, failed, fatal, panic, exception, traceback,
// crash, critical, denied, abort, segfault, in any case; not "0 errors"),
// with the line's log offset (base plus its position in buf) and its key:
// lines that differ only in numbers, times and ids share a key. A caller
// indexes a long log with it so that a later selection can look at those
// lines without reading the log again.
//
// It looks at every byte once with a cheap test for the letters those
// words share, and scans only the lines that pass it; a large buf is
// split in two at a newline and scanned on two goroutines.
func Notable(buf []byte, base int64, emit func(off int64, key uint64)) {
	if len(buf) < 1<<20 {
		notableRange(buf, 0, base, emit)
		return
	}
	mid := len(buf) / 2
	if j := bytes.IndexByte(buf[mid:], '\n'); j >= 0 {
		mid += j + 1
	} else {
		mid = len(buf)
	}
	type hit struct {
		off int64
		key uint64
	}
	var first []hit
	var wg sync.WaitGroup
	wg.Go(func() {
		notableRange(buf[:mid], 0, base, func(off int64, key uint64) { first = append(first, hit{off, key}) })
	})
	var second []hit
	notableRange(buf[mid:], 0, base+int64(mid), func(off int64, key uint64) { second = append(second, hit{off, key}) })
	wg.Wait()
	for _, h := range first {
		emit(h.off, h.key)
	}
	for _, h := range second {
		emit(h.off, h.key)
	}
}

// lowerByte folds ASCII upper case to lower case.
var lowerByte = func() (t [256]byte) {
	for i := range t {
		c := byte(i)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		t[i] = c
	}
	return t
}()

// notableRange scans buf[from:] (whose byte 0 is at log offset base).
func notableRange(buf []byte, from int, base int64, emit func(off int64, key uint64)) {
	pairs := bigrams()
	for i := from + 1; i < len(buf); i++ {
		pair := uint16(buf[i-1])<<8 | uint16(buf[i])
		if pairs[pair>>6]&(1<<(pair&63)) == 0 || !candidate(buf, i) {
			continue
		}
		a := bytes.LastIndexByte(buf[:i], '\n') + 1
		b := bytes.IndexByte(buf[i:], '\n')
		if b < 0 {
			b = len(buf)
		} else {
			b += i
		}
		if key, f := scanLine(string(buf[a:b])); f&flagError != 0 {
			emit(base+int64(a), key)
		}
		i = b
	}
}

// bigrams is the set (a bit per pair, 8 KiB, so it stays in the first-level
// cache) of every pair of bytes (previous, current) that appears in a
// candidate word's pattern, in any case: one lookup a byte finds the places
// where candidate has to look. It is made on first use.
var bigrams = sync.OnceValue(func() *[1 << 10]uint64 {
	t := new([1 << 10]uint64)
	for _, p := range []string{"rr", "fa", "pa", "xc", "eb", "cr", "en", "bo", "eg", "nh"} {
		for _, a := range []byte{p[0], p[0] - 'a' + 'A'} {
			for _, b := range []byte{p[1], p[1] - 'a' + 'A'} {
				pair := uint16(a)<<8 | uint16(b)
				t[pair>>6] |= 1 << (pair & 63)
			}
		}
	}
	return t
})

// candidate reports whether the letters around buf[i] (whose pair with
// buf[i-1] is marked in bigrams) may be part of an error word: rr
// (error), fai and fat (fail, fatal), pan (panic), xc (exception), ceb
// (traceback), cra and cri (crash, critical), den (denied), abo (abort),
// seg (segfault), unh (unhandled), in any case.
func candidate(buf []byte, i int) bool {
	p, c := lowerByte[buf[i-1]], lowerByte[buf[i]]
	next := byte(0)
	if i+1 < len(buf) {
		next = lowerByte[buf[i+1]]
	}
	prev := byte(0)
	if i >= 2 {
		prev = lowerByte[buf[i-2]]
	}
	switch {
	case p == 'r' && c == 'r', p == 'x' && c == 'c':
		return true
	case p == 'f' && c == 'a':
		return next == 'i' || next == 't'
	case p == 'p' && c == 'a':
		return next == 'n'
	case p == 'e' && c == 'b':
		return prev == 'c'
	case p == 'c' && c == 'r':
		return next == 'a' || next == 'i'
	case p == 'e' && c == 'n':
		return prev == 'd'
	case p == 'b' && c == 'o':
		return prev == 'a'
	case p == 'e' && c == 'g':
		return prev == 's'
	case p == 'n' && c == 'h':
		return prev == 'u'
	}
	return false
}
