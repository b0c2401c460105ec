package compress

import (
	"strings"
)

var (
	reOneline    = lazyRegexp(`^(\* )?[0-9a-f]{7,40} `)
	rePorcelain  = lazyRegexp(`^[ MADRCUT?!]{2} \S`)
	reStatLine   = lazyRegexp(`^ \S.* \| +(\d+|Bin)`)
	reStatTotals = lazyRegexp(`^ \d+ files? changed`)
)

// Limits of the git summaries.
const (
	// logCommits is how many commits of a log keep their subject among
	// the summaries; older ones are ordinary lines.
	logCommits = 40
	// hunkChanges is how many changed lines of each diff hunk are kept,
	// the first half as messages and the second as context; the others
	// are ordinary lines.
	hunkChanges = 4
	// showMessage is how many lines of a shown commit's message are
	// summaries.
	showMessage = 20
)

// classifyGitStatus ranks git status (long or short): unmerged paths are
// failures, the branch state and section headers summaries, tracked
// changes messages, untracked files ordinary lines, hints noise.
func classifyGitStatus(d *doc) {
	untracked := false
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case strings.HasPrefix(t, "(use ") || strings.HasPrefix(t, "(fix ") || strings.HasPrefix(t, "(all conflicts") ||
			strings.HasPrefix(t, "(commit or discard") || strings.HasPrefix(t, "(create/copy files"):
			d.set(i, tierNoise, labelHints)
		case strings.HasPrefix(l, "\t"):
			switch {
			case strings.HasPrefix(t, "both ") || strings.Contains(t, " by us:") || strings.Contains(t, " by them:"):
				d.set(i, tierFailure, labelNone)
			case untracked:
				d.set(i, tierNormal, labelFiles)
			default:
				d.set(i, tierMessage, labelFiles)
			}
		case strings.HasPrefix(l, "## "):
			d.set(i, tierSummary, labelNone)
		case rePorcelain().MatchString(l):
			switch l[:2] {
			case "UU", "AA", "DD", "AU", "UA", "DU", "UD":
				d.set(i, tierFailure, labelNone)
			case "??", "!!":
				d.set(i, tierNormal, labelFiles)
			default:
				d.set(i, tierMessage, labelFiles)
			}
		case strings.HasSuffix(l, ":") && !strings.HasPrefix(l, " "):
			untracked = strings.HasPrefix(l, "Untracked") || strings.HasPrefix(l, "Ignored")
			d.set(i, tierSummary, labelNone)
		default:
			d.set(i, tierSummary, labelNone) // On branch, Your branch is…, nothing to commit
		}
	}
}

// classifyGitLog ranks git log output (medium, --stat, --oneline, -p):
// the hash and subject of the newest commits are summaries, their author
// and date context, older commits ordinary lines, message bodies noise;
// patches are ranked as by git diff.
func classifyGitLog(d *doc) {
	commits := 0
	subject := false // the next non-blank message line is the subject
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		recent := commits <= logCommits
		switch {
		case strings.HasPrefix(l, "commit ") && reCommit().MatchString(l):
			commits++
			if commits <= logCommits {
				d.set(i, tierSummary, labelNone)
			} else {
				d.set(i, tierNormal, labelCommits)
			}
			subject = true
		case strings.HasPrefix(l, "diff --git "):
			j := i + 1
			for j < d.n && !strings.HasPrefix(d.line(j), "commit ") {
				j++
			}
			classifyGitDiffRange(d, i, j)
			i = j - 1
		case reOneline().MatchString(l):
			commits++
			if commits <= logCommits {
				d.set(i, tierSummary, labelNone)
			} else {
				d.set(i, tierNormal, labelCommits)
			}
		case strings.HasPrefix(l, "Author:") || strings.HasPrefix(l, "Date:") || strings.HasPrefix(l, "Merge:"):
			if recent {
				d.set(i, tierContext, labelNone)
			} else {
				d.set(i, tierNoise, labelCommits)
			}
		case reStatTotals().MatchString(l):
			if recent {
				d.set(i, tierContext, labelNone)
			} else {
				d.set(i, tierNoise, labelCommits)
			}
		case reStatLine().MatchString(l):
			d.set(i, tierNoise, labelFiles)
		case strings.TrimSpace(l) == "":
			d.set(i, tierNoise, labelNone)
		case subject && strings.HasPrefix(l, "    "):
			subject = false
			if recent {
				d.set(i, tierSummary, labelNone)
			} else {
				d.set(i, tierNormal, labelCommits)
			}
		case strings.HasPrefix(l, "    "):
			d.set(i, tierNoise, labelCommitBodies)
		}
	}
}

// classifyGitDiff ranks a diff or git show: a shown commit's header and
// message are summaries, file headers summaries, hunk headers messages,
// the first changed lines of each hunk context, later ones ordinary lines,
// unchanged lines noise, conflict markers failures.
func classifyGitDiff(d *doc) {
	first := d.n
	for i := 0; i < d.n; i++ {
		if strings.HasPrefix(d.line(i), "diff ") {
			first = i
			break
		}
	}
	msg := 0
	for i := 0; i < first; i++ {
		l := d.line(i)
		switch {
		case strings.HasPrefix(l, "commit ") || strings.HasPrefix(l, "tag ") || strings.HasPrefix(l, "Merge:"):
			d.set(i, tierSummary, labelNone)
		case strings.HasPrefix(l, "Author:") || strings.HasPrefix(l, "Date:") || strings.HasPrefix(l, "Tagger:"):
			d.set(i, tierContext, labelNone)
		case reStatLine().MatchString(l):
			d.set(i, tierContext, labelFiles)
		case reStatTotals().MatchString(l):
			d.set(i, tierSummary, labelNone)
		case strings.HasPrefix(l, "    "):
			msg++
			if msg <= showMessage {
				d.set(i, tierSummary, labelNone)
			} else {
				d.set(i, tierNoise, labelCommitBodies)
			}
		}
	}
	classifyGitDiffRange(d, first, d.n)
}

// classifyGitDiffRange ranks the patch lines [from, to).
func classifyGitDiffRange(d *doc, from, to int) {
	inHunk := false
	changes := 0
	for i := from; i < to; i++ {
		l := d.line(i)
		switch {
		case strings.HasPrefix(l, "diff "):
			d.set(i, tierSummary, labelNone)
			inHunk = false
		case strings.HasPrefix(l, "@@"):
			d.set(i, tierMessage, labelNone)
			inHunk, changes = true, 0
		case !inHunk:
			d.set(i, tierContext, labelNone) // index, ---, +++, mode, rename, Binary files
		case strings.HasPrefix(l, "+<<<<<<<") || strings.HasPrefix(l, "+>>>>>>>") || strings.HasPrefix(l, "<<<<<<< ") ||
			strings.HasPrefix(l, ">>>>>>> ") || strings.HasPrefix(l, "++<<<<<<<") || strings.HasPrefix(l, "++>>>>>>>"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-"):
			changes++
			switch {
			case changes <= hunkChanges/2:
				d.set(i, tierMessage, labelChangedDiff)
			case changes <= hunkChanges:
				d.set(i, tierContext, labelChangedDiff)
			default:
				d.set(i, tierNormal, labelChangedDiff)
			}
		default:
			d.set(i, tierNoise, labelUnchangedDiff)
		}
	}
}
