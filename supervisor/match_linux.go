package supervisor

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
)

// matchInterval is how often the matcher looks for new output when it has
// caught up: the kernel writes the logs, and a supervisor takes no inotify
// instance (they are few per user).
const matchInterval = 100 * time.Millisecond

// matchEvery is the least time between two deliveries for one pattern;
// matches in between are folded into the next delivery's count.
var matchEvery = time.Second

// Reading bounds of the matcher.
const (
	matchChunk   = 1 << 20  // bytes read at a time
	matchLineMax = 64 << 10 // a longer line is matched in pieces
)

// matcher scans a run's logs for the lines its definition's notify
// patterns match, off the output path: it reads the log files as they
// grow, never the job's pipes, so a slow scan or a slow sink cannot slow
// the job. Deliveries run on goroutines of their own, at most one at a
// time and one per matchEvery per pattern.
type matcher struct {
	store    *jobstore.Store
	meta     *jobstore.Meta
	runNo    int
	red      *output.Redactor
	procs    *sinkProcs
	log      *slog.Logger
	pats     []*pattern
	logs     []*followedLog
	stop     chan map[string]int64 // the logs' sizes at the end of the run
	done     chan struct{}
	inflight sync.WaitGroup
}

type pattern struct {
	spec    jobstore.NotifyMatch
	re      *regexp.Regexp // regex patterns
	needle  []byte         // contains patterns
	last    time.Time      // last delivery started
	busy    atomic.Bool    // a delivery runs
	pending *hit           // first match not delivered yet
	count   int            // matches since the last delivery
}

type hit struct {
	stream string
	line   string
	offset int64
}

type followedLog struct {
	stream string // output, stdout or stderr
	path   string
	pos    int64  // next byte to read
	carry  []byte // the start of a line not ended yet
	carry0 int64  // its offset
}

// newMatcher returns a matcher of the run of sv, or nil when its
// definition has no patterns. A definition with patterns and no sink has
// its matches recorded in events.ndjson only.
func (sv *super) newMatcher(offsets map[string]int64) *matcher {
	n := sv.meta.Notify
	if n == nil || len(n.Match) == 0 {
		return nil
	}
	mt := &matcher{store: sv.store, meta: sv.meta, runNo: sv.run, procs: sv.sinks, log: sv.log,
		red:  output.NewRedactor(sv.meta.MaskedValues()...),
		stop: make(chan map[string]int64, 1), done: make(chan struct{})}
	for _, spec := range n.Match {
		p := &pattern{spec: spec}
		if spec.Match == jobstore.MatchRegex {
			re, err := regexp.Compile(spec.Pattern)
			if err != nil {
				continue // checked when the definition was made
			}
			p.re = re
		} else {
			p.needle = []byte(spec.Pattern)
		}
		mt.pats = append(mt.pats, p)
	}
	for stream, from := range offsets {
		mt.logs = append(mt.logs, &followedLog{stream: stream, path: sv.store.Path(sv.id, stream+".log"), pos: from})
	}
	return mt
}

// run scans until stop gives the logs' final sizes, then scans up to them,
// waits for the deliveries under way and delivers what was folded.
func (mt *matcher) run() {
	defer close(mt.done)
	t := time.NewTicker(matchInterval)
	defer t.Stop()
	for {
		select {
		case end := <-mt.stop:
			for _, l := range mt.logs {
				mt.scan(l, end[l.stream])
				mt.flushCarry(l)
			}
			mt.inflight.Wait()
			for _, p := range mt.pats {
				if p.pending != nil {
					// The rate holds to the end: the last count waits
					// out its pattern's second.
					time.Sleep(time.Until(p.last.Add(matchEvery)))
					mt.send(p)
				}
			}
			mt.inflight.Wait()
			return
		case <-t.C:
			for _, l := range mt.logs {
				mt.scan(l, -1)
			}
			now := time.Now()
			for _, p := range mt.pats {
				if p.pending != nil && !p.busy.Load() && now.Sub(p.last) >= matchEvery {
					mt.send(p)
				}
			}
		}
	}
}

// finish stops the matcher at the logs' sizes now and waits for it.
func (mt *matcher) finish(sizes map[string]int64) {
	mt.stop <- sizes
	<-mt.done
}

// scan reads l up to end (-1: its size now) and matches its lines.
func (mt *matcher) scan(l *followedLog, end int64) {
	f, err := os.Open(l.path)
	if err != nil {
		return
	}
	defer f.Close()
	if end < 0 {
		fi, err := f.Stat()
		if err != nil {
			return
		}
		end = fi.Size()
	}
	buf := make([]byte, matchChunk)
	for l.pos < end {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), end-l.pos)], l.pos)
		if n == 0 {
			if err != nil && err != io.EOF {
				return
			}
			break
		}
		mt.lines(l, buf[:n])
		l.pos += int64(n)
	}
}

// lines matches the complete lines of chunk (which continues l's carry)
// and keeps the unfinished end as the new carry.
func (mt *matcher) lines(l *followedLog, chunk []byte) {
	off := l.pos
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			if len(l.carry) == 0 {
				l.carry0 = off
			}
			l.carry = append(l.carry, chunk...)
			if len(l.carry) >= matchLineMax {
				mt.flushCarry(l)
			}
			return
		}
		line := chunk[:i]
		start := off
		if len(l.carry) > 0 {
			line = append(l.carry, line...)
			start = l.carry0
			l.carry = l.carry[:0]
		}
		mt.match(l.stream, line, start)
		chunk = chunk[i+1:]
		off += int64(i + 1)
	}
}

func (mt *matcher) flushCarry(l *followedLog) {
	if len(l.carry) > 0 {
		mt.match(l.stream, l.carry, l.carry0)
		l.carry = l.carry[:0]
	}
}

// match checks one line against every pattern.
func (mt *matcher) match(stream string, line []byte, offset int64) {
	for _, p := range mt.pats {
		if p.spec.Stream != "" && p.spec.Stream != stream {
			continue
		}
		var ok bool
		if p.re != nil {
			ok = p.re.Match(line)
		} else {
			ok = bytes.Contains(line, p.needle)
		}
		if !ok {
			continue
		}
		p.count++
		if p.pending == nil {
			p.pending = &hit{stream: stream, line: cutLine(line), offset: offset}
		}
		if !p.busy.Load() && time.Since(p.last) >= matchEvery {
			mt.send(p)
		}
	}
}

func cutLine(line []byte) string {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > maxEventLine {
		line = line[:maxEventLine]
	}
	return strings.ToValidUTF8(string(line), "\uFFFD")
}

// send records p's pending match, with the count of matches since the
// last one, as a matched event in the job's events.ndjson (so the events
// stream has it, sinks or not), then delivers it to the sinks on a
// goroutine. Recording follows the delivery rate: one event per pattern
// per matchEvery at most, whatever the output.
func (mt *matcher) send(p *pattern) {
	h, count := p.pending, p.count
	p.pending, p.count, p.last = nil, 0, time.Now()
	off := h.offset
	line := mt.red.String(h.line)
	match := orContains(p.spec.Match)
	if err := mt.store.AppendEvent(mt.meta.ID, jobstore.Event{Event: jobstore.EventMatched, Run: mt.runNo,
		Detail: map[string]any{"pattern": p.spec.Pattern, "match": match, "stream": h.stream,
			"line": line, "offset": off, "count": count}}); err != nil {
		mt.log.Warn("append event", "event", jobstore.EventMatched, "err", err)
	}
	if n := mt.meta.Notify; n.Command == "" && n.File == "" {
		return
	}
	ev := &NotifyEvent{
		Type: EventMatched, JobID: mt.meta.ID, Name: mt.meta.Name, Run: mt.runNo, Time: jobstore.Now().String(),
		Pattern: p.spec.Pattern, Match: match, Stream: h.stream,
		Line: line, Offset: &off, Count: count,
		Log: mt.store.Path(mt.meta.ID, h.stream+".log"),
	}
	p.busy.Store(true)
	mt.inflight.Add(1)
	go func() {
		defer mt.inflight.Done()
		defer p.busy.Store(false)
		deliver(mt.store, mt.meta, ev, mt.procs, map[string]any{"pattern": p.spec.Pattern, "offset": off, "count": count})
	}()
}

func orContains(m string) string {
	if m == "" {
		return jobstore.MatchContains
	}
	return m
}
