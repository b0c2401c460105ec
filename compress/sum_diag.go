package compress

import (
	"strings"
)

var (
	reSnippet      = lazyRegexp(`^\s*(\d+\s*)?\|`)
	reTSCFound     = lazyRegexp(`^Found \d+ errors?`)
	reESLintTotals = lazyRegexp(`^✖ \d+ problems?`)
	reCargoTotals  = lazyRegexp("^(error: could not compile|warning: `[^`]+` \\(.*\\) generated \\d+ warnings?)")
	reCompileCmd   = lazyRegexp(`^\s*(\S*/)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|ld|ar|CC|CXX|LD|AR)\s`)
)

// classifyDiagnostics ranks compiler and linter output (go build and vet,
// cargo and rustc, tsc, eslint, gcc and clang, make): each error is a
// failure, a warning or an error's location and explanation a message,
// notes and source excerpts context, build steps noise, and the final
// counts totals. It leaves lines an earlier summarizer ranked alone.
func classifyDiagnostics(d *doc) {
	header := -1 // the last eslint file header
	after := 0   // lines since the last error headline, for its explanation
	for i := 0; i < d.n; i++ {
		if d.tier[i] != tierUnset {
			after = 0
			continue
		}
		l := d.line(i)
		t := strings.TrimSpace(l)
		indented := l != t && l != "" && (l[0] == ' ' || l[0] == '\t')
		switch {
		case t == "":
			after = 0
			continue
		case reCargoTotals().MatchString(l) || reTSCFound().MatchString(l) || reESLintTotals().MatchString(l) ||
			strings.HasPrefix(l, "make: Target ") || strings.HasPrefix(l, "make: *** No "):
			d.set(i, tierTotals, labelNone)
		case strings.HasPrefix(l, "make: ***") || strings.HasPrefix(l, "make[") && strings.Contains(l, "] *** ") ||
			strings.HasPrefix(l, "collect2: ") || strings.Contains(l, "undefined reference to"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(l, "make[") || strings.HasPrefix(l, "make: "):
			d.set(i, tierNoise, labelBuildSteps)
		case reRustDiag().MatchString(l) || reCDiag().MatchString(l) || reTSCError().MatchString(l) ||
			reGoDiag().MatchString(l) || strings.HasPrefix(l, "vet: ") || reRuffDiag().MatchString(l):
			switch severity(l) {
			case "warning":
				d.set(i, tierMessage, labelWarnings)
			case "note":
				d.set(i, tierContext, labelNone)
			default:
				d.set(i, tierFailure, labelNone)
			}
			after = 1
			continue
		case reESLintRow().MatchString(l):
			tr, lb := tierMessage, labelWarnings
			if strings.Contains(l, " error ") {
				tr, lb = tierFailure, labelNone
			}
			d.set(i, tr, lb)
			if header >= 0 {
				d.raise(header, tr)
			}
		case !indented && (strings.HasPrefix(l, "/") || strings.HasPrefix(l, "./") || strings.HasPrefix(l, "src/")) &&
			i+1 < d.n && reESLintRow().MatchString(d.line(i+1)):
			d.set(i, tierContext, labelFiles)
			header = i
		case strings.HasPrefix(t, "--> ") || strings.HasPrefix(l, "\thave ") || strings.HasPrefix(l, "\twant "):
			d.set(i, tierMessage, labelNone)
		case strings.HasPrefix(t, "= note:") || strings.HasPrefix(t, "= help:") || strings.HasPrefix(l, "help: ") ||
			strings.HasPrefix(l, "note: ") || strings.HasPrefix(t, "Some errors have") || strings.HasPrefix(t, "For more information"):
			d.set(i, tierContext, labelNone)
		case reSnippet().MatchString(l) || t == "..." || strings.HasPrefix(t, "^") || strings.HasPrefix(t, "~"):
			d.set(i, tierContext, labelSource)
		case strings.HasSuffix(l, ": In function") || strings.Contains(l, ": In function ") ||
			strings.Contains(l, ": In member function ") || strings.HasPrefix(l, "In file included from ") ||
			strings.Contains(l, ": At top level:"):
			d.set(i, tierContext, labelNone)
		case strings.HasPrefix(l, "# "):
			d.set(i, tierSummary, labelNone)
		case strings.HasPrefix(t, "Compiling ") || strings.HasPrefix(t, "Checking ") || reCompileCmd().MatchString(l):
			d.set(i, tierNoise, labelBuildSteps)
		case strings.HasPrefix(t, "Finished "):
			d.set(i, tierSummary, labelNone)
		case strings.HasPrefix(l, "npm warn deprecated") || strings.HasPrefix(l, "npm WARN deprecated"):
			d.set(i, tierNoise, labelWarnings)
		case strings.HasPrefix(l, "npm warn ") || strings.HasPrefix(l, "npm WARN "):
			d.set(i, tierContext, labelWarnings)
		case strings.HasPrefix(l, "npm error ") || strings.HasPrefix(l, "npm ERR! "):
			d.set(i, tierFailure, labelNone)
		case indented && after > 0 && after <= 4:
			d.set(i, tierMessage, labelNone) // an error's explanation
			after++
			continue
		}
		after = 0
	}
}

// classifyNPM ranks npm, pnpm and yarn output: errors are failures,
// install counts and audit results totals, script headers summaries,
// warnings and http requests noise. The output of a script it runs is
// left to the generic ranking.
func classifyNPM(d *doc) {
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "npm error") || strings.HasPrefix(l, "npm ERR!") || strings.HasPrefix(l, "ERR_PNPM") ||
			strings.HasPrefix(l, "error ") || strings.HasPrefix(l, " ERR_"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(l, "npm http ") || strings.HasPrefix(l, "npm timing ") || strings.HasPrefix(l, "npm verb ") ||
			strings.HasPrefix(l, "npm sill ") || strings.HasPrefix(l, "Progress: "):
			d.set(i, tierNoise, labelRequests)
		case strings.HasPrefix(l, "npm warn deprecated") || strings.HasPrefix(l, "npm WARN deprecated") ||
			strings.HasPrefix(l, "warning ") && strings.Contains(l, "deprecated"):
			d.set(i, tierNoise, labelWarnings)
		case strings.HasPrefix(l, "npm warn") || strings.HasPrefix(l, "npm WARN") || strings.HasPrefix(l, "warning "):
			d.set(i, tierContext, labelWarnings)
		case strings.HasPrefix(t, "added ") || strings.HasPrefix(t, "removed ") || strings.HasPrefix(t, "changed ") ||
			strings.HasPrefix(t, "up to date") || strings.HasPrefix(t, "audited ") || strings.Contains(t, "vulnerabilit") ||
			strings.HasPrefix(t, "Done in ") || strings.HasPrefix(t, "Packages: "):
			d.set(i, tierTotals, labelNone)
		case strings.HasPrefix(l, "> "):
			d.set(i, tierSummary, labelNone)
		}
	}
	classifyDiagnostics(d)
}

// severity returns the severity of a diagnostic headline: "error",
// "warning" or "note".
func severity(l string) string {
	if strings.HasPrefix(l, "warning") {
		return "warning"
	}
	if m := reCDiag().FindStringSubmatch(l); m != nil {
		switch m[2] {
		case "warning", "note":
			return m[2]
		}
	}
	return "error"
}
