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
	for i := from + 2; i < len(buf); i++ {
		if !candidate(buf, i) {
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

// candidate reports whether the letters ending at buf[i] (i >= 2) may be
// part of an error word: rr (error), fai, fat, pan, xc (exception), ceb
// (traceback), cra, cri, den, abo, seg, unh — any case.
func candidate(buf []byte, i int) bool {
	c := lowerByte[buf[i]]
	p := lowerByte[buf[i-1]]
	switch c {
	case 'r':
		return p == 'r'
	case 'a':
		return p == 'r' && lowerByte[buf[i-2]] == 'c'
	case 'i':
		return p == 'a' && lowerByte[buf[i-2]] == 'f' || p == 'r' && lowerByte[buf[i-2]] == 'c'
	case 't':
		return p == 'a' && lowerByte[buf[i-2]] == 'f'
	case 'n':
		return p == 'a' && lowerByte[buf[i-2]] == 'p' || p == 'e' && lowerByte[buf[i-2]] == 'd'
	case 'c':
		return p == 'x'
	case 'b':
		return p == 'e' && lowerByte[buf[i-2]] == 'c'
	case 'o':
		return p == 'b' && lowerByte[buf[i-2]] == 'a'
	case 'g':
		return p == 'e' && lowerByte[buf[i-2]] == 's'
	case 'h':
		return p == 'n' && lowerByte[buf[i-2]] == 'u'
	}
	return false
}
