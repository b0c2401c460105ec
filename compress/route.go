package compress

import (
	"path"
	"strings"
)

// Kinds of output. A summarizer is picked by kind.
const (
	kindGoTest     = "go-test"
	kindGoTestJSON = "go-test-json"
	kindGoBuild    = "go-build"
	kindGoVet      = "go-vet"
	kindCargoTest  = "cargo-test"
	kindCargoBuild = "cargo-build"
	kindTSC        = "tsc"
	kindESLint     = "eslint"
	kindVitest     = "vitest"
	kindJest       = "jest"
	kindNPM        = "npm"
	kindPytest     = "pytest"
	kindUnittest   = "unittest"
	kindGCC        = "gcc"
	kindMake       = "make"
	kindGitStatus  = "git-status"
	kindGitLog     = "git-log"
	kindGitDiff    = "git-diff"
	kindGitShow    = "git-show"
	kindLogs       = "logs"
	kindProgress   = "progress"
	kindJSON       = "json"
	kindNDJSON     = "ndjson"
	kindTable      = "table"
	kindTests      = "tests"
	kindErrors     = "errors"
	kindSummary    = "summary"
	kindSearch     = "grep"
	kindFiles      = "files"
	kindSource     = "source"
	kindEnv        = "env"
	kindPip        = "pip"
	kindLint       = "lint"
	kindDocker     = "docker-build"
	kindKubectl    = "kubectl"
	kindTerraform  = "terraform"
	kindJVM        = "jvm-build"
	kindDotnet     = "dotnet-build"
	kindDotnetTest = "dotnet-test"
	kindTree       = "tree"

	// kindRunner is a command that runs a project script (npm test, make
	// check, npm run lint): its output's shape decides, and kindNPM or
	// kindMake is the fallback.
	kindRunner = "runner"
)

// summarizer ranks the lines of one kind of output.
type summarizer struct {
	kind     string
	strategy string
	edges    edgeSpec
	classify func(d *doc)
	// distinct keeps only the first few failures and warnings that look
	// alike (once numbers, times and ids are set aside) as such, and ranks
	// the others as ordinary lines: twelve "unused variable" errors should
	// not crowd out the one "undefined" error. Test runners do not set it
	// (every failing test counts), nor logs (their summarizer keeps the
	// first few of each error itself).
	distinct bool
	// errorLines keeps every line that reads as an error (see
	// [isErrorLine]) at least as a message, whatever the summarizer made
	// of it; source files and diffs, whose lines are code, do not set it.
	errorLines bool
}

// Strategies.
const (
	stratTests    = "test-failures"
	stratDiag     = "diagnostics"
	stratPackages = "package-manager"
	stratStatus   = "git-status"
	stratLog      = "git-log"
	stratDiff     = "git-diff"
	stratLogs     = "log-dedupe"
	stratProgress = "progress-last-state"
	stratJSON     = "json-shape"
	stratTable    = "table-abnormal-rows"
	stratErrors   = "error-focus"
	stratHeadTail = "head-tail"
	stratMatches  = "matches-per-file"
	stratFiles    = "top-level-paths"
	stratOutline  = "declarations"
	stratEnv      = "env-masked"
	stratBuild    = "build-failures"
	stratTree     = "tree-top-level"
)

var defaultEdges = edgeSpec{head: 3, tail: 6}

// summarizerFor returns the summarizer of kind k.
func summarizerFor(k string) summarizer {
	s := summarizer{kind: k, edges: defaultEdges, distinct: !isTestKind(k) && k != kindLogs && k != kindNDJSON,
		errorLines: true}
	switch k {
	case kindGoTest:
		s.strategy, s.classify = stratTests, classifyGoTest
	case kindGoTestJSON:
		s.strategy, s.classify = stratTests, classifyGoTestJSON
	case kindCargoTest:
		s.strategy, s.classify = stratTests, classifyCargoTest
	case kindPytest:
		s.strategy, s.classify = stratTests, classifyPytest
	case kindUnittest:
		s.strategy, s.classify = stratTests, classifyUnittest
	case kindJest, kindVitest:
		s.strategy, s.classify = stratTests, classifyJSTest
	case kindTests:
		s.strategy, s.classify = stratTests, classifyGenericTests
	case kindGoBuild, kindGoVet, kindCargoBuild, kindTSC, kindESLint, kindGCC, kindMake, kindLint:
		s.strategy, s.classify = stratDiag, classifyDiagnostics
	case kindDotnet:
		s.strategy, s.classify = stratDiag, classifyDotnet
	case kindDotnetTest:
		s.strategy, s.classify = stratTests, classifyDotnet
	case kindPip:
		s.strategy, s.classify = stratPackages, classifyPip
	case kindSearch:
		s.strategy, s.classify = stratMatches, classifySearch
	case kindFiles:
		s.strategy, s.classify = stratFiles, classifyFiles
	case kindSource:
		s.strategy, s.classify = stratOutline, classifySource
		s.edges, s.errorLines = edgeSpec{head: 2, tail: 2}, false
	case kindEnv:
		s.strategy, s.classify = stratEnv, classifyEnv
	case kindDocker:
		s.strategy, s.classify = stratBuild, classifyDockerBuild
	case kindKubectl:
		s.strategy, s.classify = stratBuild, classifyKubectl
	case kindTerraform:
		s.strategy, s.classify = stratBuild, classifyTerraform
	case kindJVM:
		s.strategy, s.classify = stratBuild, classifyJVM
	case kindTree:
		s.strategy, s.classify = stratTree, classifyTree
		s.edges = edgeSpec{head: 1, tail: 2}
	case kindNPM:
		s.strategy, s.classify = stratPackages, classifyNPM
	case kindGitStatus:
		s.strategy, s.classify = stratStatus, classifyGitStatus
	case kindGitLog:
		s.strategy, s.classify = stratLog, classifyGitLog
		s.edges = edgeSpec{head: 6, tail: 2}
	case kindGitDiff, kindGitShow:
		s.strategy, s.classify = stratDiff, classifyGitDiff
		s.errorLines = false
	case kindLogs, kindNDJSON:
		s.strategy, s.classify = stratLogs, classifyLogs
	case kindProgress:
		s.strategy, s.classify = stratProgress, classifyProgress
	case kindJSON:
		s.strategy, s.classify = stratJSON, classifyJSON
	case kindTable:
		s.strategy, s.classify = stratTable, classifyTable
		s.edges = edgeSpec{head: 1, tail: 2}
	case kindErrors:
		s.strategy, s.classify = stratErrors, classifyErrors
	default:
		s.kind, s.strategy, s.classify = kindSummary, stratHeadTail, func(*doc) {}
		s.edges = edgeSpec{head: 10, tail: 20}
	}
	return s
}

// pick returns the summarizer for a mode, a command and an output.
func pick(m Mode, cmd []string, d *doc) summarizer {
	switch m {
	case Errors:
		return summarizerFor(kindErrors)
	case Tests:
		k := shapeKind(d)
		if !isTestKind(k) {
			k = kindTests
		}
		return summarizerFor(k)
	case Logs:
		return summarizerFor(kindLogs)
	case Diff:
		return summarizerFor(kindGitDiff)
	case JSON:
		return summarizerFor(kindJSON)
	case Table:
		return summarizerFor(kindTable)
	case Summary:
		return summarizerFor(kindSummary)
	}
	k := commandKind(cmd)
	switch k {
	case "":
		k = shapeKind(d)
	case kindTable:
		if isKubectl(cmd) && !isTable(shapeLines(d, 2)) {
			k = kindKubectl // an error, not the table asked for
		}
	case kindRunner:
		k = shapeKind(d)
		switch {
		case isTestKind(k), k == kindTSC, k == kindESLint, k == kindGCC, k == kindGoBuild, k == kindCargoBuild:
		case isNPMCommand(cmd) && k != kindLogs && k != kindTree:
			k = kindNPM
		case k == kindSummary || k == kindErrors:
			k = kindMake
		}
	}
	return summarizerFor(k)
}

func isTestKind(k string) bool {
	switch k {
	case kindGoTest, kindGoTestJSON, kindCargoTest, kindPytest, kindUnittest, kindJest, kindVitest, kindTests,
		kindDotnetTest:
		return true
	}
	return false
}

// commandKind returns the kind of output cmd produces, or "" when its
// command says nothing (the output's shape decides).
func commandKind(cmd []string) string {
	var best string
	for _, argv := range commandLines(cmd) {
		if k := argvKind(argv, 0); rank(k) > rank(best) {
			best = k
		}
	}
	return best
}

// rank orders kinds when a shell line runs several commands: the one most
// likely to explain the output wins (cd x && go test ./... is a go test).
func rank(k string) int {
	switch {
	case k == "":
		return 0
	case isTestKind(k):
		return 5
	case k == kindRunner:
		return 4
	case k == kindGoBuild || k == kindGoVet || k == kindCargoBuild || k == kindTSC || k == kindESLint ||
		k == kindGCC || k == kindMake || k == kindLint || k == kindDocker || k == kindTerraform || k == kindJVM ||
		k == kindDotnet || k == kindPip:
		return 3
	case strings.HasPrefix(k, "git-") || k == kindNPM:
		return 2
	}
	return 1
}

// isKubectl reports whether cmd runs kubectl.
func isKubectl(cmd []string) bool {
	for _, argv := range commandLines(cmd) {
		if argv = unwrapArgv(argv); len(argv) > 0 && (path.Base(argv[0]) == "kubectl" || path.Base(argv[0]) == "oc") {
			return true
		}
	}
	return false
}

// isNPMCommand reports whether cmd runs a JavaScript package manager.
func isNPMCommand(cmd []string) bool {
	for _, argv := range commandLines(cmd) {
		argv = unwrapArgv(argv)
		if len(argv) > 0 {
			switch path.Base(argv[0]) {
			case "npm", "pnpm", "yarn", "bun":
				return true
			}
		}
	}
	return false
}

// commandLines returns the simple commands of cmd: for one element, the
// commands of that shell line; for more, the argv itself, unwrapped when
// it runs a shell with -c.
func commandLines(cmd []string) [][]string {
	switch len(cmd) {
	case 0:
		return nil
	case 1:
		return splitShell(cmd[0])
	}
	return [][]string{cmd}
}

// maxDepth bounds nested shell unwrapping (sh -c "bash -c '…'").
const maxDepth = 4

// argvKind returns the kind of one simple command.
func argvKind(argv []string, depth int) string {
	if isEnvListing(argv) {
		return kindEnv
	}
	argv = unwrapArgv(argv)
	if len(argv) == 0 {
		return ""
	}
	name := path.Base(argv[0])
	args := argv[1:]
	switch name {
	case "sh", "bash", "zsh", "dash", "ash", "ksh":
		if script, ok := shellScript(args); ok && depth < maxDepth {
			best := ""
			for _, a := range splitShell(script) {
				if k := argvKind(a, depth+1); rank(k) > rank(best) {
					best = k
				}
			}
			return best
		}
		return ""
	case "go":
		return goKind(args)
	case "gotestsum":
		return kindGoTest
	case "cargo":
		return cargoKind(args)
	case "rustc":
		return kindCargoBuild
	case "tsc", "vue-tsc":
		return kindTSC
	case "eslint":
		return kindESLint
	case "vitest":
		return kindVitest
	case "jest":
		return kindJest
	case "npm", "pnpm", "yarn", "bun":
		return npmKind(args)
	case "pytest", "py.test":
		return kindPytest
	case "python", "python3", "python2", "py":
		return pythonKind(args)
	case "helm":
		return kindKubectl
	case "gcc", "g++", "cc", "c++", "clang", "clang++", "ld", "as":
		return kindGCC
	case "make", "gmake", "ninja", "just", "task":
		return kindRunner
	case "cmake":
		return kindMake
	case "grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep":
		return kindSearch
	case "ls", "find", "fd", "fdfind", "locate", "du":
		return kindFiles
	case "cat", "bat", "batcat":
		return catKind(args)
	case "printenv", "export", "set":
		if len(args) == 0 || name == "export" && len(args) == 1 && args[0] == "-p" {
			return kindEnv
		}
		return ""
	case "pip", "pip3", "pipx":
		return kindPip
	case "uv":
		if sub, _ := subcommand(args); sub == "pip" || sub == "sync" || sub == "add" || sub == "lock" {
			return kindPip
		}
	case "ruff", "mypy", "flake8", "pylint", "pyright", "black", "isort", "pycodestyle", "bandit", "shellcheck",
		"golangci-lint", "staticcheck", "hadolint", "yamllint":
		return kindLint
	case "terraform", "tofu", "terragrunt":
		return kindTerraform
	case "mvn", "mvnw", "gradle", "gradlew", "sbt", "ant":
		return kindJVM
	case "dotnet":
		return dotnetKind(args)
	case "tree", "pstree":
		return kindTree
	case "git":
		return gitKind(args)
	case "kubectl", "oc":
		return kubeKind(args)
	case "docker", "podman", "nerdctl":
		return dockerKind(args)
	case "ps", "df", "lsof", "netstat", "ss", "free", "psql", "mysql", "top":
		return kindTable
	case "journalctl", "tail":
		return kindLogs
	case "jq":
		return kindJSON
	case "wget":
		return kindProgress
	}
	return ""
}

// unwrapArgv strips what runs a command without changing its output:
// assignments (X=1), env, time, nice, nohup, timeout, stdbuf, sudo, exec,
// command, npx and the exec forms of the package managers.
func unwrapArgv(argv []string) []string {
	for len(argv) > 0 {
		switch name := path.Base(argv[0]); {
		case isAssignment(argv[0]):
			argv = argv[1:]
		case name == "env":
			argv = skipOptions(argv[1:], "-u", "--unset", "-C", "--chdir", "-S")
			for len(argv) > 0 && isAssignment(argv[0]) {
				argv = argv[1:]
			}
		case name == "time" || name == "nohup" || name == "exec" || name == "command" || name == "builtin" ||
			name == "unbuffer" || name == "npx" || name == "bunx" || name == "pnpx":
			argv = skipOptions(argv[1:], "-p", "--package")
		case name == "nice":
			argv = skipOptions(argv[1:], "-n", "--adjustment")
		case name == "stdbuf" || name == "sudo" || name == "doas":
			argv = skipOptions(argv[1:], "-u", "-g", "-i", "-o", "-e")
		case name == "timeout":
			argv = skipOptions(argv[1:], "-s", "--signal", "-k", "--kill-after")
			if len(argv) > 0 {
				argv = argv[1:] // the duration
			}
		case (name == "npm" || name == "pnpm") && len(argv) > 1 && (argv[1] == "exec" || argv[1] == "dlx" || argv[1] == "x"),
			name == "yarn" && len(argv) > 1 && (argv[1] == "exec" || argv[1] == "dlx"),
			(name == "uv" || name == "poetry" || name == "pipenv" || name == "pdm" || name == "hatch") && len(argv) > 1 && argv[1] == "run":
			argv = skipOptions(argv[2:])
		default:
			return argv
		}
	}
	return argv
}

// skipOptions drops leading options (and "--"); the options named in
// withValue take the next argument as their value.
func skipOptions(args []string, withValue ...string) []string {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		a := args[0]
		args = args[1:]
		if a == "--" {
			break
		}
		for _, o := range withValue {
			if a == o && len(args) > 0 {
				args = args[1:]
				break
			}
		}
	}
	return args
}

// isAssignment reports whether w is a shell variable assignment, NAME=value.
func isAssignment(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 {
		return false
	}
	for i := 0; i < eq; i++ {
		c := w[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// shellScript returns the script of a shell's arguments when they hold a
// -c option (also combined, as in -lc, -ec, -euxc): the first argument
// after the options. An -o option (also -euxo) takes the next argument.
func shellScript(args []string) (string, bool) {
	c := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if c && i+1 < len(args) {
				return args[i+1], true
			}
			return "", false
		case strings.HasPrefix(a, "--"):
			// --login, --norc
		case len(a) > 1 && (a[0] == '-' || a[0] == '+'):
			c = c || strings.Contains(a[1:], "c")
			if strings.HasSuffix(a, "o") || strings.HasSuffix(a, "O") {
				i++ // -o pipefail
			}
		default:
			return a, c
		}
	}
	return "", false
}

// subcommand returns the first argument that is not an option, and what
// follows it.
func subcommand(args []string) (string, []string) {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "+") {
			return a, args[i+1:]
		}
	}
	return "", nil
}

func has(args []string, opts ...string) bool {
	for _, a := range args {
		for _, o := range opts {
			if a == o || strings.HasPrefix(a, o+"=") {
				return true
			}
		}
	}
	return false
}

func goKind(args []string) string {
	sub, rest := subcommand(skipOptions(args, "-C"))
	switch sub {
	case "test":
		if has(rest, "-json") {
			return kindGoTestJSON
		}
		return kindGoTest
	case "build", "install":
		return kindGoBuild
	case "vet":
		return kindGoVet
	case "list":
		if has(rest, "-json") {
			return kindJSON
		}
	}
	return ""
}

func cargoKind(args []string) string {
	sub, rest := subcommand(args)
	if has(rest, "--message-format") {
		return kindNDJSON
	}
	switch sub {
	case "test", "t", "nextest":
		return kindCargoTest
	case "build", "b", "check", "c", "clippy", "run", "r", "rustc", "doc":
		return kindCargoBuild
	case "metadata":
		return kindJSON
	}
	return ""
}

func npmKind(args []string) string {
	sub, rest := subcommand(args)
	switch sub {
	case "test", "t", "tst", "run", "run-script", "start":
		return kindRunner
	case "install", "i", "ci", "add", "update", "up", "upgrade", "remove", "rm", "uninstall", "audit", "outdated", "dedupe", "prune":
		return kindNPM
	case "ls", "list", "ll", "la", "why":
		if has(rest, "--json") {
			return kindJSON
		}
		return kindTree
	case "":
		return kindNPM // yarn alone installs
	}
	switch sub {
	case "tsc":
		return kindTSC
	case "eslint":
		return kindESLint
	case "vitest":
		return kindVitest
	case "jest":
		return kindJest
	}
	return kindRunner // yarn <script>, pnpm <script>
}

func pythonKind(args []string) string {
	for i, a := range args {
		if a == "-m" && i+1 < len(args) {
			switch args[i+1] {
			case "pytest":
				return kindPytest
			case "unittest":
				return kindUnittest
			case "http.server":
				return kindLogs
			case "json.tool":
				return kindJSON
			case "pip":
				return kindPip
			case "mypy", "ruff", "flake8", "pylint", "black":
				return kindLint
			}
			return ""
		}
		if !strings.HasPrefix(a, "-") {
			return ""
		}
	}
	return ""
}

// gitOptionsWithValue are git's global options that take a value.
var gitOptionsWithValue = []string{"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"}

func gitKind(args []string) string {
	args = skipOptions(args, gitOptionsWithValue...)
	if len(args) == 0 {
		return ""
	}
	switch args[0] {
	case "status":
		return kindGitStatus
	case "log", "reflog", "shortlog", "whatchanged":
		return kindGitLog
	case "diff", "format-patch":
		return kindGitDiff
	case "show":
		return kindGitShow
	case "branch", "tag", "remote", "stash", "worktree":
		return kindTable
	case "grep":
		return kindSearch
	case "ls-files", "ls-tree":
		return kindFiles
	}
	return ""
}

func kubeKind(args []string) string {
	sub, _ := subcommand(args)
	switch sub {
	case "get", "top":
		return kindTable
	case "logs":
		return kindLogs
	case "":
		return ""
	}
	return kindKubectl
}

func dockerKind(args []string) string {
	sub, rest := subcommand(args)
	if sub == "compose" || sub == "container" || sub == "image" {
		sub, _ = subcommand(rest)
	}
	switch sub {
	case "ps", "images", "ls", "stats", "top", "volume", "network":
		return kindTable
	case "logs":
		return kindLogs
	case "build", "buildx":
		return kindDocker
	}
	return ""
}

// catKind returns the kind of cat's output: a source file's outline when
// every file it prints has a source extension.
func catKind(args []string) string {
	files := 0
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if !sourceExt[path.Ext(a)] {
			return ""
		}
		files++
	}
	if files == 0 {
		return ""
	}
	return kindSource
}

// sourceExt are the extensions of source files whose declarations outline
// them.
var sourceExt = map[string]bool{
	".go": true, ".py": true, ".rs": true, ".js": true, ".jsx": true, ".ts": true, ".tsx": true, ".mjs": true,
	".java": true, ".kt": true, ".scala": true, ".c": true, ".h": true, ".cc": true, ".cpp": true, ".hpp": true,
	".cs": true, ".rb": true, ".php": true, ".swift": true, ".sh": true, ".md": true, ".lua": true, ".ex": true,
	".exs": true, ".proto": true, ".sql": true, ".vue": true, ".svelte": true, ".zig": true,
}

func dotnetKind(args []string) string {
	switch sub, _ := subcommand(args); sub {
	case "test", "vstest":
		return kindDotnetTest
	case "build", "publish", "pack", "restore", "msbuild", "run", "watch":
		return kindDotnet
	}
	return ""
}

// isEnvListing reports whether argv prints the environment: env or
// printenv with no command to run (options and assignments only).
func isEnvListing(argv []string) bool {
	if len(argv) == 0 {
		return false
	}
	switch path.Base(argv[0]) {
	case "printenv":
		return len(skipOptions(argv[1:])) == 0
	case "env":
		rest := skipOptions(argv[1:], "-u", "--unset", "-C", "--chdir")
		for len(rest) > 0 && isAssignment(rest[0]) {
			rest = rest[1:]
		}
		return len(rest) == 0
	}
	return false
}

// splitShell splits a shell command line into its simple commands: it
// honours quotes and backslashes, splits at ;, &, &&, ||, | and newlines,
// drops redirections, and opens subshells and groups. It is no shell
// parser: it is enough to find the commands a line runs.
func splitShell(line string) [][]string {
	var (
		cmds [][]string
		argv []string
		word strings.Builder
		in   bool // a word is being built (it may be empty: '')
	)
	flushWord := func() {
		if in {
			argv = append(argv, word.String())
		}
		word.Reset()
		in = false
	}
	flushCmd := func() {
		flushWord()
		argv = dropRedirections(argv)
		if len(argv) > 0 {
			cmds = append(cmds, argv)
		}
		argv = nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch c {
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				j = len(line) - i - 1
			}
			word.WriteString(line[i+1 : i+1+j])
			in = true
			i += j + 1
		case '"':
			in = true
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				word.WriteByte(line[i])
			}
		case '\\':
			if i+1 < len(line) {
				i++
				if line[i] != '\n' {
					word.WriteByte(line[i])
					in = true
				}
			}
		case ' ', '\t':
			flushWord()
		case ';', '&', '|', '\n', '(', ')', '{', '}':
			if c == '&' && i > 0 && (line[i-1] == '>' || line[i-1] == '<') {
				word.WriteByte(c) // 2>&1
				in = true
				continue
			}
			if (c == '{' || c == '}') && (in || i+1 < len(line) && line[i+1] != ' ') {
				word.WriteByte(c) // ${x}, {a,b}
				in = true
				continue
			}
			flushCmd()
		default:
			word.WriteByte(c)
			in = true
		}
	}
	flushCmd()
	return cmds
}

// dropRedirections removes redirections (>f, 2>&1, < f, >> f) from argv.
func dropRedirections(argv []string) []string {
	out := argv[:0]
	for i := 0; i < len(argv); i++ {
		a := strings.TrimLeft(argv[i], "0123456789")
		if strings.HasPrefix(a, ">") || strings.HasPrefix(a, "<") {
			if strings.Trim(a, "<>&") == "" && i+1 < len(argv) {
				i++ // the target is the next word
			}
			continue
		}
		out = append(out, argv[i])
	}
	return out
}
