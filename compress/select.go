package compress

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Long lines are split so that their first and last bytes can be kept
// without the whole line: a line longer than a quarter of the budget
// (within [minLongLine, maxLongLine]) becomes a head piece of half that
// length, a middle piece, and a tail piece of an eighth.
const (
	minLongLine = 256
	maxLongLine = 2048
)

// reclaimRounds bounds how often selection runs again with the room that
// markers shorter than their bound left.
const reclaimRounds = 5

// reclaimSlack: the search for a larger budget stops when it is known to
// within this many bytes.
const reclaimSlack = 48

// totalsShare is the divisor of the budget that final totals may take
// before anything else is chosen.
const totalsShare = 4

// tailWeight is how many bytes the tail gets for each byte of the head when
// auto fills the rest of the budget with ordinary lines.
const tailWeight = 3

// piece is a part of a line that is kept or omitted whole: a whole line,
// or the head, middle or tail of a long line.
type piece struct {
	start, end int32 // byte range in the text
	line       int32
	// nseg is the number of pieces of the line, on its first piece; 0 on
	// the others.
	nseg  uint8
	tier  tier
	label label
}

// selection chooses the pieces of a doc to keep within a budget.
type selection struct {
	d      *doc
	pieces []piece
	kept   []bool
	limit  int // Input.MaxBytes
	budget int // the budget of this round, limit plus what earlier rounds left
	size   int // bytes of the text rendered from the kept pieces, at most
	// markerCost bounds the bytes one marker line adds, its newline and a
	// newline before it included.
	markerCost int
	start      int64
	lineEnds   []int64 // nil unless valid for d
	// byTier lists the pieces of each tier kept before filling, in
	// document order.
	byTier [tierContext + 1][]int
}

func newSelection(d *doc, in Input) *selection {
	s := &selection{d: d, limit: in.MaxBytes, budget: in.MaxBytes, start: in.Start}
	if len(in.LineEnds) == strings.Count(d.text, "\n")+1 && validEnds(in.LineEnds, in.Start) {
		s.lineEnds = in.LineEnds
	}
	long := min(maxLongLine, max(minLongLine, in.MaxBytes/4))
	s.pieces = make([]piece, 0, d.n+d.n/16)
	for i := 0; i < d.n; i++ {
		a, b := d.start[i], d.start[i+1]
		t, l := d.tier[i], d.label[i]
		if b-a <= long {
			s.pieces = append(s.pieces, piece{start: int32(a), end: int32(b), line: int32(i), nseg: 1, tier: t, label: l})
			continue
		}
		h := runeStart(d.text, a+long/2)
		m := runeStart(d.text, b-long/8)
		if h <= a || m <= h {
			s.pieces = append(s.pieces, piece{start: int32(a), end: int32(b), line: int32(i), nseg: 1, tier: t, label: l})
			continue
		}
		mid := max(t, tierNormal)
		s.pieces = append(s.pieces,
			piece{start: int32(a), end: int32(h), line: int32(i), nseg: 3, tier: t, label: l},
			piece{start: int32(h), end: int32(m), line: int32(i), tier: mid, label: l},
			piece{start: int32(m), end: int32(b), line: int32(i), tier: t, label: l})
	}
	s.kept = make([]bool, len(s.pieces))
	maxOff := in.Start + int64(len(d.text))
	if s.lineEnds != nil {
		maxOff = max(maxOff, s.lineEnds[len(s.lineEnds)-1])
	}
	// Bound a marker by the longest label in use and the largest numbers;
	// sort the pieces that allocation takes in document order by tier.
	longest, split := "", 0
	var used [numLabels]bool
	for i, p := range s.pieces {
		used[p.label] = true
		if p.nseg > 1 {
			split = 1
		}
		if p.tier <= tierContext {
			s.byTier[p.tier] = append(s.byTier[p.tier], i)
		}
	}
	for l, u := range used {
		if u && len(labelText[l]) > len(longest) {
			longest = labelText[l]
		}
	}
	s.markerCost = max(len(formatMarker(d.n, split, longest, longest != "", maxOff, maxOff)),
		len(formatBytesMarker(maxOff, maxOff, maxOff))) + 1
	return s
}

// run selects and renders. Markers are costed at their longest, so a
// selection within the limit renders shorter than the limit; run then
// searches for the largest budget whose selection still renders within the
// limit: first adding the room left, then halving the distance to a budget
// that rendered too long. It returns the longest text that fitted and its
// number of kept lines, or ok false when none did.
func (s *selection) run(fill filling) (text string, keptLines int, ok bool) {
	good, bad := 0, -1 // budgets known to render within and beyond the limit
	s.budget = s.limit
	for round := 0; round < reclaimRounds; round++ {
		s.reset()
		s.allocate(fill)
		out, kept := s.render()
		if len(out) <= s.limit {
			if !ok || len(out) > len(text) {
				text, keptLines, ok = out, kept, true
			}
			good = s.budget
		} else {
			bad = s.budget
		}
		switch {
		case bad < 0 && len(out) == s.limit:
			return text, keptLines, ok
		case bad < 0:
			s.budget += s.limit - len(out)
		default:
			s.budget = good + (bad-good)/2
		}
		if bad >= 0 && bad-good <= reclaimSlack {
			break
		}
	}
	return text, keptLines, ok
}

// reset drops every piece: the text is one marker.
func (s *selection) reset() {
	clear(s.kept)
	s.size = 0
	if len(s.pieces) > 0 {
		s.size = s.markerCost
	}
}

// validEnds reports whether ends never decrease and start at or after
// start.
func validEnds(ends []int64, start int64) bool {
	prev := start
	for _, e := range ends {
		if e < prev {
			return false
		}
		prev = e
	}
	return true
}

// runeStart moves i back to the start of the character it is in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// add keeps piece i if the result still fits, and reports whether it did.
func (s *selection) add(i int) bool {
	if s.kept[i] {
		return true
	}
	if s.pieces[i].tier == tierHole {
		return false
	}
	leftGap := i > 0 && !s.kept[i-1]
	rightGap := i < len(s.pieces)-1 && !s.kept[i+1]
	delta := int(s.pieces[i].end - s.pieces[i].start)
	switch {
	case leftGap && rightGap:
		delta += s.markerCost // the gap splits in two
	case !leftGap && !rightGap:
		delta -= s.markerCost // the gap closes
	}
	if s.size+delta > s.budget {
		return false
	}
	s.kept[i] = true
	s.size += delta
	return true
}

// filling says what auto may use to fill the room the ranked lines leave.
type filling int

const (
	fillNone   filling = iota // always and forced kinds: only ranked lines
	fillNormal                // ordinary lines, not noise (test runs: passing tests tell nothing)
	fillAll                   // ordinary lines, then noise
)

// allocate keeps pieces by tier. Totals come first, from the last, within a
// share of the budget; then each tier in document order, a piece that does
// not fit being skipped for smaller ones. Then, as fill allows, ordinary
// lines and noise fill what is left, growing the head and the tail.
func (s *selection) allocate(fill filling) {
	totals := s.byTier[tierTotals]
	limit := s.budget / totalsShare
	spent := 0
	for k := len(totals) - 1; k >= 0; k-- {
		i := totals[k]
		n := int(s.pieces[i].end - s.pieces[i].start)
		if spent+n > limit {
			break
		}
		if s.add(i) {
			spent += n
		}
	}
	for t := tierTotals; t <= tierContext; t++ {
		for _, i := range s.byTier[t] {
			s.add(i)
		}
	}
	if fill >= fillNormal {
		s.fill(tierNormal)
	}
	if fill == fillAll {
		s.fill(tierNoise)
	}
	s.closeCheapGaps()
}

// closeCheapGaps keeps every omitted run whose bytes are no more than its
// marker's: a marker for a blank line or a short one saves nothing.
func (s *selection) closeCheapGaps() {
	for i := 0; i < len(s.pieces); {
		if s.kept[i] {
			i++
			continue
		}
		j, n := i, 0
		for j < len(s.pieces) && !s.kept[j] {
			n += int(s.pieces[j].end - s.pieces[j].start)
			j++
		}
		if (i > 0 || j < len(s.pieces)) && n < s.markerCost && n <= len(s.marker(i, j)) && !s.hasHole(i, j) {
			for k := i; k < j; k++ {
				s.kept[k] = true
			}
			s.size += n - s.markerCost
		}
		i = j
	}
}

// fill keeps pieces of tier t from both ends inwards, tailWeight bytes at
// the tail for each at the head, until neither end can grow.
func (s *selection) fill(t tier) {
	h, k := 0, len(s.pieces)-1
	headBytes, tailBytes := 0, 0
	headDone, tailDone := false, false
	for h <= k && !(headDone && tailDone) {
		fromTail := !tailDone && (headDone || tailBytes <= tailWeight*headBytes)
		i := h
		if fromTail {
			i = k
			k--
		} else {
			h++
		}
		p := s.pieces[i]
		if s.kept[i] || p.tier != t {
			continue
		}
		added := s.add(i)
		switch {
		case !added && fromTail:
			tailDone = true
		case !added:
			headDone = true
		case fromTail:
			tailBytes += int(p.end - p.start)
		default:
			headBytes += int(p.end - p.start)
		}
	}
}

// render returns the text of the kept pieces with one marker line for each
// omitted run, and the number of lines shown at least in part.
func (s *selection) render() (string, int) {
	var b strings.Builder
	b.Grow(s.size)
	keptLines := 0
	lastLine := -1
	for i := 0; i < len(s.pieces); {
		p := s.pieces[i]
		if s.kept[i] {
			b.WriteString(s.d.text[p.start:p.end])
			if int(p.line) != lastLine {
				keptLines++
				lastLine = int(p.line)
			}
			i++
			continue
		}
		j := i
		for j < len(s.pieces) && !s.kept[j] {
			j++
		}
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
		b.WriteString(s.marker(i, j))
		i = j
	}
	return b.String(), keptLines
}

// hasHole reports whether the pieces [i, j) hold a hole.
func (s *selection) hasHole(i, j int) bool {
	for k := i; k < j; k++ {
		if s.pieces[k].tier == tierHole {
			return true
		}
	}
	return false
}

// formatBytesMarker formats the marker of an omitted run of a log that
// holds bytes that were not examined: it counts bytes, not lines.
func formatBytesMarker(n, a, b int64) string {
	return fmt.Sprintf("[... %d bytes omitted (offsets %d-%d); read with offset=%d ...]\n", n, a, b, a)
}

// marker returns the marker line for the omitted pieces [i, j).
func (s *selection) marker(i, j int) string {
	if s.hasHole(i, j) {
		a, b := s.rawStart(i), s.rawEnd(j-1)
		return formatBytesMarker(b-a, a, b)
	}
	full, partial := 0, 0
	if s.pieces[i].nseg == 0 {
		partial++ // the omission starts inside a line
	}
	var byLabel [numLabels]int
	for k := i; k < j; k++ {
		p := s.pieces[k]
		if p.nseg == 0 {
			continue // a later piece of a line: counted with its first
		}
		if k+int(p.nseg) <= j {
			full++
			byLabel[p.label]++
		} else {
			partial++
		}
	}
	lbl, mostly := "", false
	if full > 0 {
		best := labelNone
		for l := range byLabel {
			if byLabel[l] > byLabel[best] {
				best = label(l)
			}
		}
		if best != labelNone && 2*byLabel[best] > full {
			lbl, mostly = labelText[best], byLabel[best] < full
		}
	}
	return formatMarker(full, partial, lbl, mostly, s.rawStart(i), s.rawEnd(j-1))
}

// formatMarker formats a marker for full whole lines and partial lines
// omitted, that are mostly (or all, when !mostly) of kind lbl, at log
// offsets [a, b).
func formatMarker(full, partial int, lbl string, mostly bool, a, b int64) string {
	var what string
	switch {
	case full == 0:
		what = "part of a line"
	case full == 1:
		what = "1 line"
	default:
		what = strconv.Itoa(full) + " lines"
	}
	if full > 0 && partial > 0 {
		what += " and part of a line"
	}
	switch {
	case lbl == "":
	case mostly:
		lbl = "mostly " + lbl + "; "
	default:
		lbl += "; "
	}
	return fmt.Sprintf("[... %s omitted (%soffsets %d-%d); read with offset=%d ...]\n", what, lbl, a, b, a)
}

// rawLineStart and rawLineEnd return the log offsets of line l's start and
// of the end of its newline.
func (s *selection) rawLineStart(l int) int64 {
	if s.lineEnds == nil {
		return s.start + int64(s.d.start[l])
	}
	if l == 0 {
		return s.start
	}
	return s.lineEnds[l-1]
}

func (s *selection) rawLineEnd(l int) int64 {
	if s.lineEnds == nil {
		return s.start + int64(s.d.start[l+1])
	}
	return s.lineEnds[l]
}

// exact reports whether byte positions inside line l map to log offsets:
// always without lineEnds, and with them when cleaning kept the line's
// length.
func (s *selection) exact(l int) bool {
	return s.lineEnds == nil ||
		s.rawLineEnd(l)-s.rawLineStart(l) == int64(s.d.start[l+1]-s.d.start[l])
}

// rawStart returns the log offset where piece k starts; inside a line
// whose length cleaning changed, the line's start.
func (s *selection) rawStart(k int) int64 {
	p := s.pieces[k]
	l := int(p.line)
	ls := s.d.start[l]
	if int(p.start) == ls || !s.exact(l) {
		return s.rawLineStart(l)
	}
	return s.rawLineStart(l) + int64(int(p.start)-ls)
}

// rawEnd returns the log offset where piece k ends; inside a line whose
// length cleaning changed, the line's end.
func (s *selection) rawEnd(k int) int64 {
	p := s.pieces[k]
	l := int(p.line)
	ls := s.d.start[l]
	if int(p.end) == s.d.start[l+1] || !s.exact(l) {
		return s.rawLineEnd(l)
	}
	return s.rawLineStart(l) + int64(int(p.end)-ls)
}
