package compress

import (
	"strings"
)

// Limits of the tool summaries.
const (
	// fileMatches is how many matches of one file a search keeps as its
	// summary (the first) and context (the next ones); later matches are
	// ordinary lines.
	fileMatches = 3
	// errorBlock is how many lines after a terraform or gradle error
	// headline explain it.
	errorBlock = 8
)

var (
	reLsRow        = lazyRegexp(`^[-dlcbps][-rwxsStT]{9}[.+@]?\s`)
	reTreeTotals   = lazyRegexp(`^\d+ director(y|ies)(, \d+ files?)?$`)
	reRuffDiag     = lazyRegexp(`^\S+:\d+:\d+: [A-Z]+\d+ `)
	reDockerStep   = lazyRegexp(`^#\d+ \[[^\]]+\] `)
	reDockerNoise  = lazyRegexp(`^#\d+ (DONE |CACHED$|resolve |transferring |sha256:|extracting |exporting |writing |naming |unpacking |preparing )`)
	reDockerSource = lazyRegexp(`^(>>>)?\s*\d+ \| `)
	reTFResource   = lazyRegexp(`^\s*# \S+ (will be|must be|has been|is tainted)`)
	reTFProgress   = lazyRegexp(`: (Creating|Modifying|Destroying|Refreshing state|Reading|Still \w+|Creation complete|Modifications complete|Destruction complete|Read complete|Provisioning with)`)
	reTFTotals     = lazyRegexp(`^(Plan: \d+ to add|Apply complete!|Destroy complete!|No changes\.|Changes to Outputs:)`)
	reMvnRow       = lazyRegexp(` (SUCCESS|FAILURE|SKIPPED) ?(\[|$)`)
	reMvnTests     = lazyRegexp(`^Tests run: \d+, Failures: (\d+), Errors: (\d+)`)
	reGradleTest   = lazyRegexp(`^\S.* > .+ (PASSED|FAILED|SKIPPED)$`)
	reDotnetDiag   = lazyRegexp(`^\S.*\(\d+,\d+\): (error|warning) [A-Z]+\d+: `)
	reDotnetTotals = lazyRegexp(`^\s*(\d+ (Warning|Error)\(s\)|Build (FAILED|succeeded)\.|(Passed|Failed)!\s+- |Total tests: )`)
	reKlogError    = lazyRegexp(`^[EF]\d{4} \d\d:\d\d:\d\d`)
)

// classifySearch ranks grep and ripgrep output: error messages are
// failures; of each file's matches the first is a summary, the next two
// context, and the rest ordinary lines; context separators are noise.
func classifySearch(d *doc) {
	counts := map[string]int{}
	file := "" // the file of a ripgrep heading
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		switch {
		case l == "":
			file = ""
			continue
		case strings.HasPrefix(l, "grep: ") || strings.HasPrefix(l, "rg: ") || strings.HasPrefix(l, "ag: "):
			d.set(i, tierFailure, labelNone)
			continue
		case l == "--":
			d.set(i, tierNoise, labelNone)
			continue
		case strings.HasPrefix(l, "Binary file ") && strings.HasSuffix(l, " matches"):
			d.set(i, tierNoise, labelMatches)
			continue
		}
		name, _, ok := strings.Cut(l, ":")
		if isDigits(name) && file != "" {
			name = file // a match under a ripgrep heading
		} else if !ok || strings.Contains(name, " ") {
			if i+1 < d.n && matchNumber(d.line(i+1)) {
				file = l // a ripgrep heading
				d.set(i, tierSummary, labelNone)
			}
			continue
		}
		counts[name]++
		switch n := counts[name]; {
		case n == 1:
			d.set(i, tierSummary, labelNone)
		case n <= fileMatches:
			d.set(i, tierContext, labelMatches)
		default:
			d.set(i, tierNormal, labelMatches)
		}
	}
}

// matchNumber reports whether l starts with a line number and a colon or
// dash, as ripgrep's lines under a heading do.
func matchNumber(l string) bool {
	j := strings.IndexAny(l, ":-")
	return j > 0 && isDigits(l[:j])
}

// classifyFiles ranks ls and find output: error messages are failures,
// directory headings and the paths of the top two levels summaries, the
// level below context, deeper paths and long-listing rows ordinary lines.
func classifyFiles(d *doc) {
	minDepth := -1
	for i := 0; i < d.n; i++ {
		if p, ok := pathLine(d.line(i)); ok {
			if k := strings.Count(p, "/"); minDepth < 0 || k < minDepth {
				minDepth = k
			}
		}
	}
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case strings.HasPrefix(l, "ls: ") || strings.HasPrefix(l, "find: ") || strings.HasPrefix(l, "du: ") ||
			strings.HasPrefix(l, "fd: ") || strings.HasPrefix(l, "[fd error]"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(l, "total ") && isDigits(strings.TrimSpace(l[6:])):
			d.set(i, tierContext, labelNone)
		case strings.HasSuffix(l, ":") && !strings.Contains(l, " "):
			d.set(i, tierSummary, labelNone) // ls -R, ls of several directories
		case reLsRow().MatchString(l):
			d.set(i, tierNormal, labelFiles)
		default:
			p, ok := pathLine(l)
			if !ok {
				d.set(i, tierNormal, labelFiles)
				continue
			}
			switch k := strings.Count(p, "/"); {
			case k <= minDepth+1:
				d.set(i, tierSummary, labelNone)
			case k == minDepth+2:
				d.set(i, tierContext, labelFiles)
			default:
				d.set(i, tierNormal, labelFiles)
			}
		}
	}
}

// pathLine returns the path of a line of find (or du) output, without a
// trailing slash and with du's size column dropped.
func pathLine(l string) (string, bool) {
	if k := strings.IndexByte(l, '\t'); k > 0 {
		l = l[k+1:] // du: size, tab, path
	}
	if l == "" || strings.HasPrefix(l, "ls: ") || strings.HasPrefix(l, "find: ") || !strings.Contains(l, "/") && l != "." {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(l, "./"), "/"), true
}

// declWords start the lines that declare something at the top level of a
// source file (or a heading of a Markdown one).
var declWords = []string{"package ", "import ", "func ", "type ", "var ", "const ", "class ", "def ", "async def ",
	"interface ", "struct ", "enum ", "union ", "trait ", "impl ", "impl<", "fn ", "pub ", "mod ", "use ", "export ",
	"module ", "namespace ", "public ", "private ", "protected ", "internal ", "abstract ", "final ", "static ",
	"typedef ", "#include", "#define", "template", "object ", "data class ", "sealed ", "function ", "let ",
	"# ", "## ", "### ", "CREATE ", "message ", "service ", "syntax ", "from ", "@"}

// classifySource ranks a source file printed whole: its top-level
// declarations (and a class's methods) are summaries, everything else
// ordinary lines: an outline, with the bodies a read away.
func classifySource(d *doc) {
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimLeft(l, " \t")
		indent := len(l) - len(t)
		switch {
		case t == "":
			d.set(i, tierNormal, labelNone)
		case indent == 0 && hasAnyPrefix(t, declWords):
			d.set(i, tierSummary, labelNone)
		case indent <= 4 && (strings.HasPrefix(t, "def ") || strings.HasPrefix(t, "async def ") ||
			strings.HasPrefix(t, "fn ") || strings.HasPrefix(t, "pub fn ")):
			d.set(i, tierContext, labelNone)
		default:
			d.set(i, tierNormal, labelSource)
		}
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// secretKeyWords mark the environment variables whose values are masked
// in env output: a key that contains one of them (any case).
var secretKeyWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "COOKIE", "SESSION",
	"PRIVATE", "AUTH"}

// secretKey reports whether an environment variable named key holds a
// secret by its name.
func secretKey(key string) bool {
	u := strings.ToUpper(key)
	if strings.HasSuffix(u, "_SOCK") || strings.HasSuffix(u, "_PATH") || strings.HasSuffix(u, "_FILE") {
		return false // a path to a secret is not one
	}
	for _, w := range secretKeyWords {
		if strings.Contains(u, w) {
			return true
		}
	}
	return false
}

// mask replaces a secret value.
const mask = "***"

// maskEnv returns text with the value of every NAME=value line whose name
// looks secret replaced by "***", and the line ends of the original text
// (from start), so that markers still name log offsets; n is how many
// values it masked. ends, when valid, are the caller's line ends and are
// returned as they are.
func maskEnv(text string, ends []int64, start int64) (string, []int64, int) {
	var b strings.Builder
	n := 0
	for pos := 0; pos < len(text); {
		e := strings.IndexByte(text[pos:], '\n')
		if e < 0 {
			e = len(text)
		} else {
			e += pos
		}
		l := text[pos:e]
		if key, val, ok := strings.Cut(l, "="); ok && len(val) > len(mask) && isAssignment(l) && secretKey(key) {
			if n == 0 {
				b.Grow(len(text))
				b.WriteString(text[:pos])
			}
			b.WriteString(key)
			b.WriteString("=")
			b.WriteString(mask)
			n++
		} else if n > 0 {
			b.WriteString(l)
		}
		if e < len(text) && n > 0 {
			b.WriteByte('\n')
		}
		pos = e + 1
	}
	if n == 0 {
		return text, ends, 0
	}
	if len(ends) != strings.Count(text, "\n")+1 {
		ends = LineEnds([]byte(text), start)
	}
	return b.String(), ends, n
}

// classifyEnv ranks env output: every variable is context, except the
// long ones (LS_COLORS) that are ordinary lines.
func classifyEnv(d *doc) {
	for i := 0; i < d.n; i++ {
		if len(d.line(i)) > 200 {
			d.set(i, tierNormal, labelNone)
		} else {
			d.set(i, tierContext, labelNone)
		}
	}
}

// classifyPip ranks pip output: errors are failures, what a failed build
// says messages, warnings context, the resolution and download lines
// noise, and the install and build results totals.
func classifyPip(d *doc) {
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "ERROR:") || strings.HasPrefix(t, "error:"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(t, "× ") || strings.HasPrefix(t, "│ exit code") || strings.HasPrefix(t, "╰─>"):
			d.set(i, tierMessage, labelNone)
		case strings.HasPrefix(t, "WARNING:") && strings.Contains(t, "as the 'root' user"):
			d.set(i, tierNoise, labelWarnings)
		case strings.HasPrefix(t, "WARNING:"):
			d.set(i, tierContext, labelWarnings)
		case strings.HasPrefix(t, "Successfully installed") || strings.HasPrefix(t, "Successfully built") ||
			strings.HasPrefix(t, "Failed to build") || strings.HasPrefix(t, "Successfully uninstalled"):
			d.set(i, tierTotals, labelNone)
		case strings.HasPrefix(t, "Installing collected packages") || strings.HasPrefix(t, "Building wheels for"):
			d.set(i, tierSummary, labelNone)
		case strings.HasPrefix(t, "Collecting ") || strings.HasPrefix(t, "Downloading ") ||
			strings.HasPrefix(t, "Requirement already satisfied") || strings.HasPrefix(t, "Using cached ") ||
			strings.HasPrefix(t, "Obtaining ") || strings.HasPrefix(t, "Processing ") || strings.HasPrefix(t, "━") ||
			strings.HasPrefix(t, "Preparing metadata") || strings.HasPrefix(t, "Looking in ") ||
			strings.HasPrefix(t, "Attempting uninstall") || strings.HasPrefix(t, "Found existing installation") ||
			strings.HasPrefix(t, "Uninstalling "):
			d.set(i, tierNoise, labelRequests)
		}
	}
}

// classifyDockerBuild ranks docker build output (BuildKit's plain
// progress and the legacy builder): errors are failures, the failing
// step's excerpt and Dockerfile lines messages, step headers summaries,
// bookkeeping (DONE, CACHED, transfers) noise, and what a step printed
// ordinary lines.
func classifyDockerBuild(d *doc) {
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "ERROR: ") || strings.HasPrefix(l, "ERROR [") ||
			strings.HasPrefix(l, "#") && strings.Contains(l, " ERROR: ") && reDockerStep().MatchString(l+" ") ||
			strings.HasPrefix(l, "The command '") && strings.Contains(l, "non-zero code"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(l, "#") && strings.Contains(l[:min(len(l), 8)], " ERROR"):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(l, ">>> ") || strings.HasPrefix(l, "Dockerfile:") || strings.HasPrefix(l, " > ["):
			d.set(i, tierMessage, labelNone)
		case reDockerSource().MatchString(l):
			d.set(i, tierContext, labelSource)
		case reDockerStep().MatchString(l) || strings.HasPrefix(l, "Step ") && strings.Contains(l, " : "):
			d.set(i, tierSummary, labelNone)
		case reDockerNoise().MatchString(l) || strings.HasPrefix(t, "---> ") || strings.HasPrefix(l, "Removing intermediate"):
			d.set(i, tierNoise, labelBuildSteps)
		case strings.HasPrefix(l, "Successfully built") || strings.HasPrefix(l, "Successfully tagged") ||
			strings.HasPrefix(l, "#") && strings.Contains(l, " naming to "):
			d.set(i, tierTotals, labelNone)
		case t == "------" || t == "--------------------":
			d.set(i, tierContext, labelNone)
		}
	}
}

// classifyKubectl ranks kubectl and helm output other than tables and
// logs (describe, apply, rollout): errors and abnormal states (a warning
// event, a waiting or failed container, restarts) are failures, the
// top-level fields summaries, the rest ordinary lines.
func classifyKubectl(d *doc) {
	var seen *keyTable
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case strings.HasPrefix(l, "The connection to the server") || strings.HasPrefix(l, "Unable to connect to the server"):
			d.set(i, tierTotals, labelNone)
		case reKlogError().MatchString(l):
			if seen == nil {
				seen = newKeyTable(16)
			}
			if k, _ := scanLine(l); seen.inc(k) <= 2 {
				d.set(i, tierFailure, labelNone)
			} else {
				d.set(i, tierNoise, labelRepeatedErrors)
			}
		case strings.HasPrefix(l, "Error from server") || strings.HasPrefix(l, "error: ") ||
			strings.HasPrefix(l, "Error: "):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(t, "Warning ") || strings.HasPrefix(t, "Restart Count:") && !strings.HasSuffix(t, " 0") ||
			abnormalRow(t, -1, -1, -1) && (strings.HasPrefix(t, "Reason:") || strings.HasPrefix(t, "State:") ||
				strings.HasPrefix(t, "Status:") || strings.HasPrefix(t, "Ready:")):
			d.set(i, tierFailure, labelNone)
		case strings.HasPrefix(t, "Normal "):
			d.set(i, tierNormal, labelNone)
		case l == t && strings.Contains(l, ":"), strings.Contains(l, "/") && !strings.Contains(t, " ") ||
			l == t && (strings.HasSuffix(l, " created") || strings.HasSuffix(l, " configured") ||
				strings.HasSuffix(l, " unchanged") || strings.HasSuffix(l, " deleted")):
			d.set(i, tierSummary, labelNone)
		case strings.HasPrefix(t, "Type ") && strings.Contains(t, "Reason"):
			d.set(i, tierSummary, labelNone)
		}
	}
}

// classifyTerraform ranks terraform and tofu output: errors (and the lines
// that explain them) are failures and messages, warnings context, the
// resources a plan changes summaries, the plan and apply totals totals,
// attribute lines ordinary, and progress (refreshing, creating, still
// creating) noise.
func classifyTerraform(d *doc) {
	block := 0 // lines left of an error's explanation
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimLeft(l, " │╷╵")
		switch {
		case strings.HasPrefix(t, "Error: "):
			d.set(i, tierFailure, labelNone)
			block = errorBlock
			continue
		case block > 0 && strings.TrimSpace(t) != "":
			d.set(i, tierMessage, labelNone)
			block--
			continue
		case strings.HasPrefix(t, "Warning: "):
			d.set(i, tierContext, labelWarnings)
		case reTFTotals().MatchString(t):
			d.set(i, tierTotals, labelNone)
		case reTFResource().MatchString(l) || strings.HasPrefix(l, "Terraform will perform") ||
			strings.HasPrefix(l, "Terraform used the selected providers"):
			d.set(i, tierSummary, labelNone)
		case reTFProgress().MatchString(l):
			d.set(i, tierNoise, labelBuildSteps)
		case strings.HasPrefix(strings.TrimSpace(l), "+ ") || strings.HasPrefix(strings.TrimSpace(l), "- ") ||
			strings.HasPrefix(strings.TrimSpace(l), "~ "):
			d.set(i, tierNormal, labelChangedDiff)
		}
		if strings.TrimSpace(t) == "" {
			block = 0
		}
	}
}

// mvnHints are the lines maven prints after every failure.
var mvnHints = []string{"To see the full stack trace", "Re-run Maven using", "For more information about the errors",
	"[Help 1] http", "After correcting the problems"}

// classifyJVM ranks maven and gradle output: [ERROR] lines, failing
// tests, failed tasks and what went wrong are failures, their details
// messages, warnings context, BUILD results and test counts totals, module
// headers summaries, and downloads, task and plugin lines and passing
// tests noise. Compiler diagnostics (javac, kotlinc) are ranked as by
// other compilers.
func classifyJVM(d *doc) {
	block := 0 // lines left of a failure's explanation
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		level, t := mvnLevel(l)
		trimmed := strings.TrimSpace(t)
		switch {
		case level == "ERROR" && (trimmed == "" || trimmed == "-> [Help 1]" || hasAnyContains(t, mvnHints)):
			d.set(i, tierNoise, labelHints)
		case level == "ERROR":
			d.set(i, tierFailure, labelNone)
		case level == "WARNING" || level == "WARN":
			d.set(i, tierContext, labelWarnings)
		case strings.HasPrefix(trimmed, "BUILD ") || strings.HasPrefix(t, "Tests run:") && i > 0 && strings.Contains(d.line(i-2), "Results"):
			d.set(i, tierTotals, labelNone)
		case reMvnTests().MatchString(t):
			if m := reMvnTests().FindStringSubmatch(t); m[1] != "0" || m[2] != "0" {
				d.set(i, tierFailure, labelNone)
			} else {
				d.set(i, tierNoise, labelPassing)
			}
		case reMvnRow().MatchString(t) && strings.Contains(t, "..."):
			if strings.Contains(t, " FAILURE") {
				d.set(i, tierFailure, labelNone)
			} else {
				d.set(i, tierContext, labelNone)
			}
		case strings.HasPrefix(t, "Downloading from ") || strings.HasPrefix(t, "Downloaded from ") ||
			strings.HasPrefix(t, "Progress (") || strings.HasPrefix(t, "--- ") || strings.HasPrefix(t, "Running ") ||
			strings.HasPrefix(l, "> Task ") && !strings.HasSuffix(l, " FAILED") || strings.HasPrefix(l, "> Configure"):
			d.set(i, tierNoise, labelBuildSteps)
		case strings.HasPrefix(l, "> Task ") || strings.HasPrefix(l, "FAILURE: ") || strings.HasPrefix(l, "* What went wrong"):
			d.set(i, tierFailure, labelNone)
			block = errorBlock
			continue
		case reGradleTest().MatchString(l):
			switch {
			case strings.HasSuffix(l, " FAILED"):
				d.set(i, tierFailure, labelNone)
				block = errorBlock
				continue
			case strings.HasSuffix(l, " PASSED"):
				d.set(i, tierNoise, labelPassing)
			default:
				d.set(i, tierNoise, labelSkipped)
			}
		case strings.HasPrefix(t, "Building ") || strings.HasPrefix(t, "Reactor Summary") || strings.HasPrefix(trimmed, "T E S T S"):
			d.set(i, tierSummary, labelNone)
		case strings.HasSuffix(l, "tests completed") || strings.Contains(l, " tests completed, "):
			d.set(i, tierTotals, labelNone)
		case strings.HasPrefix(l, "* Try:"):
			block = 0
			d.set(i, tierNoise, labelHints)
			for i+1 < d.n && strings.TrimSpace(d.line(i+1)) != "" {
				i++
				d.set(i, tierNoise, labelHints)
			}
			continue
		case block > 0 && trimmed != "":
			if strings.HasPrefix(trimmed, "at ") {
				d.set(i, tierContext, labelStack)
			} else {
				d.set(i, tierMessage, labelNone)
			}
			block--
			continue
		case level == "INFO" && trimmed != "" && !strings.HasPrefix(trimmed, "---"):
			d.set(i, tierNormal, labelNone)
		}
		if trimmed == "" {
			block = 0
		}
	}
	classifyDiagnostics(d)
}

// mvnLevel splits a "[LEVEL] text" line into its level and text; a line
// without one has level "".
func mvnLevel(l string) (string, string) {
	if !strings.HasPrefix(l, "[") {
		return "", l
	}
	j := strings.IndexByte(l, ']')
	if j < 2 || j > 9 {
		return "", l
	}
	lvl := l[1:j]
	for k := 0; k < len(lvl); k++ {
		if lvl[k] < 'A' || lvl[k] > 'Z' {
			return "", l
		}
	}
	return lvl, strings.TrimPrefix(l[j+1:], " ")
}

func hasAnyContains(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// classifyDotnet ranks dotnet build and test output: errors and failing
// tests are failures, what a failing test says messages, its stack frames
// context, warnings messages, passing tests and build steps noise, and the
// build and test totals totals.
func classifyDotnet(d *doc) {
	inReport := false
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		switch {
		case reDotnetTotals().MatchString(l):
			d.set(i, tierTotals, labelNone)
			inReport = false
		case reDotnetDiag().MatchString(l):
			if strings.Contains(l, "): warning ") {
				d.set(i, tierMessage, labelWarnings)
			} else {
				d.set(i, tierFailure, labelNone)
			}
		case strings.HasPrefix(t, "Passed ") && strings.HasSuffix(t, "]"):
			d.set(i, tierNoise, labelPassing)
			inReport = false
		case strings.HasPrefix(t, "Skipped ") && strings.HasSuffix(t, "]"):
			d.set(i, tierNoise, labelSkipped)
			inReport = false
		case strings.HasPrefix(t, "Failed ") && strings.HasSuffix(t, "]"):
			d.set(i, tierFailure, labelNone)
			inReport = true
		case inReport && strings.HasPrefix(t, "at "):
			d.set(i, tierContext, labelStack)
		case inReport && t != "":
			d.set(i, tierMessage, labelNone)
		case strings.Contains(l, " -> /") || strings.HasPrefix(t, "Determining projects") ||
			strings.HasPrefix(t, "All projects are up-to-date") || strings.HasPrefix(t, "Restored "):
			d.set(i, tierNoise, labelBuildSteps)
		case strings.HasPrefix(t, "Time Elapsed") || strings.HasPrefix(t, "Test run for ") || strings.HasPrefix(t, "Starting test execution"):
			d.set(i, tierSummary, labelNone)
		}
	}
}

// treeGlyphs are the characters that draw a tree (tree, npm ls, pstree,
// cargo tree).
const treeGlyphs = " │├└─┬┼┴|`+-\\"

// treeColumn returns where the name of a tree line starts, in bytes.
func treeColumn(l string) int {
	return len(l) - len(strings.TrimLeft(l, treeGlyphs))
}

// classifyTree ranks tree-shaped output: the root and its children (the
// top level) are summaries, the level below context, deeper entries
// ordinary lines, problems (UNMET DEPENDENCY, missing, invalid, errors)
// failures, and the count line a total.
func classifyTree(d *doc) {
	first, second := -1, -1 // the two smallest name columns after the root's
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		if strings.TrimSpace(l) == "" {
			continue
		}
		c := treeColumn(l)
		switch {
		case c == 0:
		case first < 0 || c < first:
			first, second = c, first
		case c != first && (second < 0 || c < second):
			second = c
		}
	}
	for i := 0; i < d.n; i++ {
		l := d.line(i)
		t := strings.TrimSpace(l)
		c := treeColumn(l)
		lower := strings.ToLower(l)
		switch {
		case t == "":
		case reTreeTotals().MatchString(t):
			d.set(i, tierTotals, labelNone)
		case strings.HasPrefix(l, "npm error") || strings.HasPrefix(l, "npm ERR!") || strings.Contains(l, "UNMET ") ||
			strings.Contains(l, "[error opening dir]") ||
			strings.Contains(lower, " invalid") || strings.Contains(lower, " extraneous") || strings.Contains(lower, "missing"):
			d.set(i, tierFailure, labelNone)
		case c == 0 || c == first:
			d.set(i, tierSummary, labelNone)
		case c == second:
			d.set(i, tierContext, labelNested)
		default:
			d.set(i, tierNormal, labelNested)
		}
	}
}

// isErrorLine reports whether l reads as an error whatever the output:
// after its indentation, a time stamp and bracketed fields, it starts with
// an error level or word (error, ERROR, Error:, fatal, FATAL, panic:,
// CRITICAL, Traceback, Exception in thread, npm ERR!), or it is a klog
// error line, or a structured log line at level error.
func isErrorLine(l string) bool {
	if len(l) < 5 {
		return false
	}
	if strings.Contains(l, "level=error") || strings.Contains(l, "level=fatal") || strings.Contains(l, `"level":"error"`) ||
		reKlogError().MatchString(l) {
		return true
	}
	t := strings.TrimLeft(l, " \t│|>")
	for k := 0; k < 3; k++ {
		switch {
		case strings.HasPrefix(t, "["):
			j := strings.IndexByte(t, ']')
			if j < 0 {
				return false
			}
			if w := t[1:j]; errorWord(w) {
				return true
			}
			t = strings.TrimLeft(t[j+1:], " :")
		case len(t) > 0 && t[0] >= '0' && t[0] <= '9':
			j := strings.IndexByte(t, ' ')
			if j < 0 {
				return false
			}
			t = strings.TrimLeft(t[j+1:], " ")
		}
	}
	w := t
	if j := strings.IndexAny(t, " :!]"); j >= 0 {
		w = t[:j]
	}
	if !errorWord(w) {
		return strings.HasPrefix(t, "Traceback (most recent") || strings.HasPrefix(t, "Exception in thread ") ||
			strings.HasPrefix(t, "npm ERR!") || strings.HasPrefix(t, "panic: ")
	}
	return len(t) > len(w) && (t[len(w)] == ':' || t[len(w)] == ' ' && w == strings.ToUpper(w) || t[len(w)] == ']')
}

// errorWord reports whether w is an error level: error, fatal, critical,
// panic, emerg or alert, in any case, or a short form (ERR, FTL, CRIT).
func errorWord(w string) bool {
	switch strings.ToUpper(w) {
	case "ERROR", "ERR", "FATAL", "FTL", "CRITICAL", "CRIT", "PANIC", "EMERG", "ALERT", "SEVERE":
		return true
	}
	return false
}
