package jobs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/agent-exec/agent-exec/output"
)

const (
	// scanChunk bounds the bytes one scan step reads: a wait that catches up
	// with a backlog looks at its deadline and its other events between
	// steps, so no amount of output can hold it past its deadline.
	scanChunk = 256 << 10
	// maxLine bounds the unfinished line kept for wait_for; a longer line
	// is matched in pieces.
	maxLine = 64 << 10
)

// lineScanner matches a wait_for pattern against each line of a log, in
// order, reading each byte once: it keeps its position and the unfinished
// last line between steps.
type lineScanner struct {
	re      *regexp.Regexp
	pattern string
	// lits are literals one of which every match contains (nil: none is
	// known): a run of plain lines that contains none of them cannot
	// match. With fold they are lower case, to be looked for in lowered
	// text.
	lits    [][]byte
	fold    bool
	lowered []byte // scratch for the lowered text
	secrets []string
	path    string

	f       *os.File // opened at the first step that finds the log
	buf     []byte
	pos     int64  // next byte of the log to read
	partial []byte // the unfinished line before pos
	partAt  int64  // its offset
}

func newLineScanner(re *regexp.Regexp, pattern, path string, from int64, secrets []string) *lineScanner {
	l := &lineScanner{re: re, pattern: pattern, path: path, pos: from, partAt: from, secrets: secrets}
	l.lits, l.fold = requiredLiterals(pattern)
	return l
}

// restart makes the scan begin at offset at, forgetting what it holds: it
// must not have scanned past at.
func (l *lineScanner) restart(at int64) {
	l.pos, l.partAt, l.partial = at, at, l.partial[:0]
}

func (l *lineScanner) close() {
	if l.f != nil {
		_ = l.f.Close() // read-only: a close error cannot lose data
	}
}

// step reads at most scanChunk new bytes and matches the lines they finish;
// once it has reached the end of the log it matches the unfinished last
// line too, so prompts match. It returns the first match, and more = true
// when it stopped before the end of the log as it was when the step began.
func (l *lineScanner) step() (m *Match, more bool, err error) {
	if l.f == nil {
		f, err := os.Open(l.path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		l.f, l.buf = f, make([]byte, scanChunk)
	}
	n, err := l.f.ReadAt(l.buf, l.pos)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	chunk := l.buf[:n]
	l.pos += int64(n)
	more = n == len(l.buf)
	if m := l.feed(chunk); m != nil {
		return m, false, nil
	}
	if !more && len(l.partial) > 0 {
		return l.match(l.partial, l.partAt), false, nil
	}
	return nil, more, nil
}

// feed matches the lines chunk finishes and keeps its unfinished end.
func (l *lineScanner) feed(chunk []byte) *Match {
	if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
		// The line begun in an earlier step ends here.
		line := chunk[:i]
		if len(l.partial) > 0 {
			line = append(l.partial, line...)
		}
		if m := l.match(line, l.partAt); m != nil {
			return m
		}
		l.partAt += int64(len(line)) + 1
		l.partial = l.partial[:0]
		chunk = chunk[i+1:]
		last := bytes.LastIndexByte(chunk, '\n')
		if m := l.lines(chunk[:last+1], l.partAt); m != nil {
			return m
		}
		l.partAt += int64(last + 1)
		chunk = chunk[last+1:]
	}
	l.partial = append(l.partial, chunk...)
	if len(l.partial) > maxLine {
		if m := l.match(l.partial, l.partAt); m != nil {
			return m
		}
		l.partAt += int64(len(l.partial))
		l.partial = l.partial[:0]
	}
	return nil
}

// lines matches each line of b, a run of whole lines that starts at offset
// at of the log.
func (l *lineScanner) lines(b []byte, at int64) *Match {
	if l.lits != nil && plain(b) && !l.anyLiteral(b) {
		return nil // no line here can match: skip them all at once
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if m := l.match(b[:i], at); m != nil {
			return m
		}
		at += int64(i) + 1
		b = b[i+1:]
	}
	return nil
}

// anyLiteral reports whether plain text b contains one of l.lits.
func (l *lineScanner) anyLiteral(b []byte) bool {
	if l.fold {
		l.lowered = append(l.lowered[:0], b...)
		for i, c := range l.lowered {
			if 'A' <= c && c <= 'Z' {
				l.lowered[i] = c + 'a' - 'A'
			}
		}
		b = l.lowered
	}
	for _, lit := range l.lits {
		if bytes.Contains(b, lit) {
			return true
		}
	}
	return false
}

// maxLiterals bounds the literals requiredLiterals returns: an alternation
// of more is looked at line by line.
const maxLiterals = 8

// requiredLiterals returns literals one of which every match of pattern
// contains, or nil when it finds none, and whether they are to be looked
// for case-insensitively (then they are lower case). They are ASCII: they
// serve to skip plain (ASCII) text.
func requiredLiterals(pattern string) (lits [][]byte, fold bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false
	}
	set := required(re.Simplify(), &fold)
	for _, s := range set {
		if s == "" {
			return nil, false
		}
		for i := range len(s) {
			if s[i] >= 0x80 {
				return nil, false
			}
		}
	}
	for _, s := range set {
		if fold {
			s = strings.ToLower(s)
		}
		lits = append(lits, []byte(s))
	}
	return lits, fold
}

// required returns literals one of which every match of re contains (nil:
// none known); a case-folded literal sets *fold.
func required(re *syntax.Regexp, fold *bool) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			*fold = true
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0], fold)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0], fold)
		}
	case syntax.OpConcat:
		// Any part's literals will do: take the part whose shortest
		// literal is the longest.
		var best []string
		for _, sub := range re.Sub {
			if set := required(sub, fold); set != nil && shortest(set) > shortest(best) {
				best = set
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			set := required(sub, fold)
			if set == nil || len(all)+len(set) > maxLiterals {
				return nil
			}
			all = append(all, set...)
		}
		return all
	}
	return nil
}

// shortest returns the length of the shortest string of set, 0 for none.
func shortest(set []string) int {
	if len(set) == 0 {
		return 0
	}
	n := len(set[0])
	for _, s := range set[1:] {
		n = min(n, len(s))
	}
	return n
}

// match matches one line (without its newline), as Clean shows it.
func (l *lineScanner) match(line []byte, at int64) *Match {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	var text string
	if plain(line) {
		// Clean would return it unchanged: match it without a copy.
		if !l.re.Match(line) {
			return nil
		}
		text = string(line)
	} else if text = output.Clean(line); !l.re.MatchString(text) {
		return nil
	}
	return &Match{Pattern: l.pattern, Line: output.Redact(text, l.secrets), Offset: at}
}

// plain reports whether b is printable ASCII, tabs and newlines only: text
// that output.Clean leaves as it is.
func plain(b []byte) bool {
	for len(b) >= 8 {
		if !plainByte[b[0]] || !plainByte[b[1]] || !plainByte[b[2]] || !plainByte[b[3]] ||
			!plainByte[b[4]] || !plainByte[b[5]] || !plainByte[b[6]] || !plainByte[b[7]] {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if !plainByte[c] {
			return false
		}
	}
	return true
}

// plainByte tells the bytes plain allows.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	t['\t'], t['\n'] = true, true
	return t
}()
