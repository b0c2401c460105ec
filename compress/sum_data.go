package compress

import (
	"strings"
)

// arrayItems is how many items of a nested JSON array are context; later
// ones are noise.
const arrayItems = 3

var (
	rePsqlRows = lazyRegexp(`^\(\d+ rows?\)$`)
)

// classifyJSON ranks JSON by its shape: the top two levels of a
// pretty-printed document (its keys) are summaries, the first items of
// nested arrays context, deeper levels ordinary lines and noise, a key
// named like an error a failure. A document on one line is a summary: its
// head and tail are kept and its middle, being long, is an ordinary piece.
func classifyJSON(d *doc) {
	var stack []byte  // open containers, '{' or '['
	var items []int   // items seen in each open container
	inString := false // a string spans lines (invalid JSON, but be safe)
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		depth := len(stack)
		closing := strings.HasPrefix(t, "}") || strings.HasPrefix(t, "]")
		if closing && depth > 0 {
			depth--
		}
		item := 0
		if !closing && depth > 0 {
			items[depth-1]++
			item = items[depth-1]
		}
		inArray := depth > 0 && stack[depth-1] == '['
		ident := !inArray && !closing && isIdentityKey(t)
		switch {
		case isErrorKey(t):
			d.set(i, tierFailure, labelNone)
		case d.n == 1 || depth == 0 && (i == 0 || !closing && !strings.HasPrefix(t, "{")):
			d.set(i, tierSummary, labelNone)
		case depth == 0:
			d.set(i, tierContext, labelNone) // the brackets of one object of a stream
		case closing && depth == 1:
			d.set(i, tierContext, labelNone)
		case closing:
			d.set(i, tierNoise, labelNestedJSON)
		case inArray && item > arrayItems:
			d.set(i, tierNoise, labelArrayItems)
		case depth == 1 && (inArray || ident || item <= 2):
			d.set(i, tierSummary, labelNone)
		case depth == 1, depth == 2:
			d.set(i, tierContext, labelNestedJSON)
		case depth == 3 && (ident || inArray):
			d.set(i, tierNormal, labelNestedJSON)
		default:
			d.set(i, tierNoise, labelNestedJSON)
		}
		// Track the containers this line opens and closes.
		for k := 0; k < len(l); k++ {
			c := l[k]
			if inString {
				switch c {
				case '\\':
					k++
				case '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				stack = append(stack, c)
				items = append(items, 0)
			case '}', ']':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
					items = items[:len(items)-1]
				}
			}
		}
		inString = false
	}
}

// isErrorKey reports whether the trimmed line t is a member whose key names
// an error ("error", "Err", "exception", "failure", "failed") and whose
// value is not empty (null, false, 0, "", [], {}).
func isErrorKey(t string) bool {
	if len(t) < 5 || t[0] != '"' {
		return false
	}
	end := strings.IndexByte(t[1:], '"')
	if end < 0 {
		return false
	}
	v, ok := strings.CutPrefix(strings.TrimLeft(t[end+2:], " "), ":")
	if !ok {
		return false
	}
	switch strings.TrimRight(strings.TrimSpace(v), ",") {
	case "null", "false", "0", `""`, "[]", "{}":
		return false
	}
	switch k := t[1 : end+1]; {
	case equalFold(k, "error"), equalFold(k, "errors"), equalFold(k, "err"), equalFold(k, "exception"),
		equalFold(k, "failure"), equalFold(k, "failed"):
		return true
	}
	return false
}

// identityKeys are keys that name the object they are in.
var identityKeys = []string{`"name"`, `"Name"`, `"id"`, `"ID"`, `"Id"`, `"ImportPath"`, `"path"`, `"Path"`,
	`"title"`, `"key"`, `"kind"`, `"type"`, `"status"`, `"state"`, `"level"`, `"msg"`, `"message"`, `"version"`}

// isIdentityKey reports whether the trimmed line t is a member whose key
// names its object.
func isIdentityKey(t string) bool {
	for _, k := range identityKeys {
		if strings.HasPrefix(t, k) && strings.HasPrefix(strings.TrimLeft(t[len(k):], " "), ":") {
			return true
		}
	}
	return false
}

// classifyTable ranks a table (ps, docker ps, kubectl get, psql, df): the
// header and rules are summaries, abnormal rows failures, row counts
// totals, other rows ordinary lines. A row is abnormal when it says so
// (error, CrashLoopBackOff, Exited, Pending, unhealthy, …), when its
// process state (STAT, S) is zombie, stopped or in uninterruptible sleep,
// when its RESTARTS is not 0, or when its READY count is short.
func classifyTable(d *doc) {
	header := -1
	for i := 0; i < d.n; i++ {
		if strings.TrimSpace(d.line(i)) != "" {
			header = i
			break
		}
	}
	if header < 0 {
		return
	}
	d.set(header, tierSummary, labelNone)
	cols := strings.Fields(d.line(header))
	stat, restarts, ready := -1, -1, -1
	for k, c := range cols {
		switch c {
		case "STAT", "S":
			stat = k
		case "RESTARTS":
			restarts = k
		case "READY":
			ready = k
		}
	}
	for i := header + 1; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case rePsqlRule().MatchString(t):
			d.set(i, tierSummary, labelNone)
		case rePsqlRows().MatchString(t):
			d.set(i, tierTotals, labelNone)
		case abnormalRow(l, stat, restarts, ready):
			d.set(i, tierFailure, labelNone)
		default:
			d.set(i, tierNormal, labelRows)
		}
	}
}

// abnormalWords are what a table row says when something is wrong, lower
// case.
var abnormalWords = []string{"error", "fail", "crash", "backoff", "unhealthy", "exited", "dead", "pending",
	"terminating", "evicted", "oomkill", "notready", "not ready", "restarting", "defunct", "zombie", "degraded",
	"unknown", "lost", "refused", "forbidden", "denied", "unauthorized"}

// abnormalRow reports whether a table row shows something wrong.
func abnormalRow(l string, stat, restarts, ready int) bool {
	lower := strings.ToLower(l)
	for _, w := range abnormalWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	if stat < 0 && restarts < 0 && ready < 0 {
		return false
	}
	f := strings.Fields(l)
	if stat >= 0 && stat < len(f) && f[stat] != "" && strings.IndexByte("ZTDtX", f[stat][0]) >= 0 {
		return true
	}
	if restarts >= 0 && restarts < len(f) && f[restarts] != "0" {
		return true
	}
	if ready >= 0 && ready < len(f) {
		if a, b, ok := strings.Cut(f[ready], "/"); ok && a != b {
			return true
		}
	}
	return false
}
