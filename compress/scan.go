package compress

// One pass over a line's bytes gives both a normalised key (for collapsing
// similar lines) and keyword flags (for finding errors). It is hand-written
// rather than a set of regular expressions because it runs on every line of
// a log of up to several MiB: it costs a table lookup and a multiply per
// byte, and a keyword check per word.

// Line flags found by scanLine.
const (
	// flagError: a word such as error, failed, fatal, panic, exception,
	// traceback, denied, crash (not "0 errors" or "no errors").
	flagError uint8 = 1 << iota
	// flagWarn: warn, warning, deprecated.
	flagWarn
	// flagCounts: a count followed by a result word, as in "3 passed" or
	// "12 failed": a totals line.
	flagCounts
	// flagNumber: the line has a digit.
	flagNumber
)

// Character classes for scanning, as bits so that a word's classes can be
// or-ed together in one pass.
const (
	charSep    = 0      // separators: space, punctuation
	charDigit  = 1 << 0 // 0-9
	charHex    = 1 << 1 // a-f, A-F
	charLetter = 1 << 2 // other letters, _, and bytes of multi-byte characters
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= '0' && c <= '9':
			t[c] = charDigit
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			t[c] = charHex
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z', c == '_', c >= 0x80:
			t[c] = charLetter
		}
	}
	return t
}()

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// scanLine returns line's key, in which every word that holds a digit (a
// number, a time, an id such as "p12" or "3fa9c0") and every all-hex word of
// 8 or more characters is replaced by one placeholder, and its flags.
func scanLine(line string) (key uint64, flags uint8) {
	return scan(line, true)
}

// scanFlags returns only the flags of line.
func scanFlags(line string) uint8 {
	_, f := scan(line, false)
	return f
}

// scan does scanLine's work; it computes no key unless keyed.
func scan(line string, keyed bool) (key uint64, flags uint8) {
	h := uint64(fnvOffset)
	prevNum, prevZero := false, false // the previous word was a number, "0" or "no"
	for i := 0; i < len(line); {
		c := line[i]
		if charClass[c] == charSep {
			if keyed && c != ' ' && c != '\t' {
				h = (h ^ uint64(c)) * fnvPrime
			}
			i++
			continue
		}
		j := i + 1
		cls := charClass[c]
		for ; j < len(line); j++ {
			k := charClass[line[j]]
			if k == charSep {
				break
			}
			cls |= k
		}
		w := line[i:j]
		i = j
		digit := cls&charDigit != 0
		if digit || cls == charHex|charDigit || cls == charHex && len(w) >= 8 {
			if keyed {
				h = (h ^ '#') * fnvPrime
			}
			prevZero = w == "0"
			prevNum = digit && cls == charDigit
			if digit {
				flags |= flagNumber
			}
			continue
		}
		if keyed {
			h = hashWord(h, w)
		}
		if len(w) >= 4 {
			f := wordFlags(w)
			if f&flagError != 0 && prevZero {
				f &^= flagError
			}
			if f&flagCounts != 0 && !prevNum {
				f &^= flagCounts
			}
			flags |= f
		}
		prevZero = len(w) == 2 && (w[0]|0x20) == 'n' && (w[1]|0x20) == 'o'
		prevNum = false
	}
	return h, flags
}

// hashWord mixes the word w into h. It reads eight bytes at a time, and
// the last bytes with loads that overlap, so that every byte counts without
// a loop over single bytes.
func hashWord(h uint64, w string) uint64 {
	n := len(w)
	var v uint64
	switch {
	case n >= 8:
		for k := 0; k+8 <= n; k += 8 {
			h = (h ^ load64(w[k:])) * fnvPrime
		}
		v = load64(w[n-8:])
	case n >= 4:
		v = uint64(load32(w)) | uint64(load32(w[n-4:]))<<32
	default:
		v = uint64(w[0]) | uint64(w[n/2])<<8 | uint64(w[n-1])<<16
	}
	return (h ^ v ^ uint64(n)<<56) * fnvPrime
}

// load64 and load32 read the first bytes of s, little-endian.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// isDigits reports whether w is all ASCII digits.
func isDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// wordFlags returns the flags a word raises. Words are matched without
// regard to ASCII case; a CamelCase word that ends in Error or Exception
// (KeyError, IOException) counts as an error.
func wordFlags(w string) uint8 {
	n := len(w)
	if n < 4 || n > 40 {
		return 0
	}
	switch w[0] | 0x20 {
	case 'e':
		if hasFoldPrefix(w, "error") || hasFoldPrefix(w, "exception") {
			return flagError
		}
	case 'f':
		if hasFoldPrefix(w, "fail") || hasFoldPrefix(w, "fatal") {
			if equalFold(w, "failed") || equalFold(w, "failures") || equalFold(w, "failing") || equalFold(w, "fail") {
				return flagError | flagCounts
			}
			return flagError
		}
	case 'p':
		if hasFoldPrefix(w, "panic") {
			return flagError
		}
		if equalFold(w, "passed") || equalFold(w, "passing") || equalFold(w, "pending") {
			return flagCounts
		}
	case 't':
		if equalFold(w, "traceback") {
			return flagError
		}
		if equalFold(w, "tests") || equalFold(w, "total") || equalFold(w, "todo") {
			return flagCounts
		}
	case 'c':
		if hasFoldPrefix(w, "crash") || equalFold(w, "critical") {
			return flagError
		}
	case 'd':
		if equalFold(w, "denied") {
			return flagError
		}
		if hasFoldPrefix(w, "deprecat") {
			return flagWarn
		}
	case 'a':
		if hasFoldPrefix(w, "abort") {
			return flagError
		}
	case 's':
		if hasFoldPrefix(w, "segfault") {
			return flagError
		}
		if equalFold(w, "skipped") {
			return flagCounts
		}
	case 'u':
		if equalFold(w, "unhandled") {
			return flagError
		}
	case 'w':
		if hasFoldPrefix(w, "warn") {
			if equalFold(w, "warnings") {
				return flagWarn | flagCounts
			}
			return flagWarn
		}
	}
	if n > 5 && (hasFoldSuffix(w, "error") || hasFoldSuffix(w, "errors")) {
		return flagError
	}
	if n > 9 && hasFoldSuffix(w, "exception") {
		return flagError
	}
	return 0
}

// equalFold reports whether s equals lower, an ASCII lower-case word,
// ignoring ASCII case.
func equalFold(s, lower string) bool {
	return len(s) == len(lower) && hasFoldPrefix(s, lower)
}

// hasFoldPrefix reports whether s starts with lower, ignoring ASCII case.
func hasFoldPrefix(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if s[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// hasFoldSuffix reports whether s ends with lower, ignoring ASCII case.
func hasFoldSuffix(s, lower string) bool {
	return len(s) >= len(lower) && hasFoldPrefix(s[len(s)-len(lower):], lower)
}
