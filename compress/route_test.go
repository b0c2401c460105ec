package compress

import (
	"slices"
	"testing"
)

func TestCommandKind(t *testing.T) {
	tests := []struct {
		cmd  []string
		want string
	}{
		{[]string{"go test ./..."}, kindGoTest},
		{[]string{"go", "test", "-v", "./..."}, kindGoTest},
		{[]string{"go test -json ./..."}, kindGoTestJSON},
		{[]string{"go", "-C", "x", "test", "-run", "X", "-json"}, kindGoTestJSON},
		{[]string{"go build ./... && ./app"}, kindGoBuild},
		{[]string{"go vet ./..."}, kindGoVet},
		{[]string{"cd /src/proj && go test ./..."}, kindGoTest},
		{[]string{"sh", "-c", "cd x && go test ./..."}, kindGoTest},
		{[]string{"bash", "-lc", "cargo test --release"}, kindCargoTest},
		{[]string{"bash", "-euxo", "pipefail", "-c", "make -j4"}, kindRunner},
		{[]string{"/bin/sh", "-c", "bash -c 'pytest -q'"}, kindPytest},
		{[]string{"env X=1 Y=2 go test ./..."}, kindGoTest},
		{[]string{"env", "-u", "HOME", "GOFLAGS=-mod=mod", "go", "vet", "./..."}, kindGoVet},
		{[]string{"CGO_ENABLED=0 go build -o app ."}, kindGoBuild},
		{[]string{"time nice -n 5 timeout 60 cargo build"}, kindCargoBuild},
		{[]string{"stdbuf -oL go test ./... 2>&1 | tee test.log"}, kindGoTest},
		{[]string{"go test ./... > out.txt 2>&1; echo done"}, kindGoTest},
		{[]string{"npx tsc -p ."}, kindTSC},
		{[]string{"npx --yes eslint src"}, kindESLint},
		{[]string{"pnpm exec vitest run"}, kindVitest},
		{[]string{"yarn jest --ci"}, kindJest},
		{[]string{"./node_modules/.bin/jest"}, kindJest},
		{[]string{"npm test"}, kindRunner},
		{[]string{"npm run lint"}, kindRunner},
		{[]string{"npm ci"}, kindNPM},
		{[]string{"pnpm install --frozen-lockfile"}, kindNPM},
		{[]string{"python3 -m pytest -x tests/"}, kindPytest},
		{[]string{"python -m unittest discover -v"}, kindUnittest},
		{[]string{"uv run pytest"}, kindPytest},
		{[]string{"poetry run python -m pytest"}, kindPytest},
		{[]string{"gcc -Wall -c a.c"}, kindGCC},
		{[]string{"make -k"}, kindRunner},
		{[]string{"git status"}, kindGitStatus},
		{[]string{"git", "-C", "repo", "--no-pager", "log", "--stat"}, kindGitLog},
		{[]string{"git -c color.ui=never diff HEAD~1"}, kindGitDiff},
		{[]string{"git show HEAD"}, kindGitShow},
		{[]string{"kubectl get pods -A"}, kindTable},
		{[]string{"kubectl logs deploy/api"}, kindLogs},
		{[]string{"docker ps -a"}, kindTable},
		{[]string{"docker compose ps"}, kindTable},
		{[]string{"docker compose logs -f web"}, kindLogs},
		{[]string{"ps aux"}, kindTable},
		{[]string{"psql -c 'select * from t'"}, kindTable},
		{[]string{"journalctl -u nginx"}, kindLogs},
		{[]string{"curl -s localhost:8080/api | jq ."}, kindJSON},
		{[]string{"python3 -m http.server 8000"}, kindLogs},
		{[]string{"./server --port 8080"}, ""},
		{[]string{"echo 'go test ./...'"}, ""},
		{[]string{"sh", "script.sh"}, ""},
		{nil, ""},
		{[]string{"grep -rn TODO ."}, kindSearch},
		{[]string{"rg -n foo"}, kindSearch},
		{[]string{"git grep -n foo"}, kindSearch},
		{[]string{"find . -name '*.go'"}, kindFiles},
		{[]string{"ls -la"}, kindFiles},
		{[]string{"cat main.go"}, kindSource},
		{[]string{"cat notes.txt"}, ""},
		{[]string{"env"}, kindEnv},
		{[]string{"env -u X"}, kindEnv},
		{[]string{"printenv"}, kindEnv},
		{[]string{"env FOO=1 go test ./..."}, kindGoTest},
		{[]string{"pip install -r requirements.txt"}, kindPip},
		{[]string{"python -m pip install flask"}, kindPip},
		{[]string{"ruff check ."}, kindLint},
		{[]string{"mypy src"}, kindLint},
		{[]string{"docker build -t x ."}, kindDocker},
		{[]string{"kubectl describe pod x"}, kindKubectl},
		{[]string{"kubectl apply -f x.yaml"}, kindKubectl},
		{[]string{"terraform plan"}, kindTerraform},
		{[]string{"./gradlew build"}, kindJVM},
		{[]string{"mvn -B verify"}, kindJVM},
		{[]string{"dotnet build"}, kindDotnet},
		{[]string{"dotnet test"}, kindDotnetTest},
		{[]string{"tree -L 2"}, kindTree},
		{[]string{"pstree -p"}, kindTree},
		{[]string{"npm ls --all"}, kindTree},
	}
	for _, tt := range tests {
		if got := commandKind(tt.cmd); got != tt.want {
			t.Errorf("commandKind(%q) = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}

func TestSplitShell(t *testing.T) {
	tests := []struct {
		line string
		want [][]string
	}{
		{"go test ./...", [][]string{{"go", "test", "./..."}}},
		{`cd "my dir" && make 'all'`, [][]string{{"cd", "my dir"}, {"make", "all"}}},
		{"a | b; c || d & e", [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}},
		{"go test ./... 2>&1 >log.txt", [][]string{{"go", "test", "./..."}}},
		{"go test ./... > log.txt", [][]string{{"go", "test", "./..."}}},
		{`echo "a \"b\" c"`, [][]string{{"echo", `a "b" c`}}},
		{"(cd x; make)", [][]string{{"cd", "x"}, {"make"}}},
		{"echo ${HOME}", [][]string{{"echo", "${HOME}"}}},
		{"a\\\nb", [][]string{{"ab"}}},
		{"x=''", [][]string{{"x="}}},
	}
	for _, tt := range tests {
		if got := splitShell(tt.line); !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("splitShell(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestPickByMode(t *testing.T) {
	d := newDoc("=== RUN   TestX\n--- FAIL: TestX (0.00s)\nFAIL\n")
	tests := []struct {
		mode Mode
		cmd  []string
		want string
	}{
		{Auto, []string{"./run-tests.sh"}, kindGoTest}, // by shape
		{Auto, []string{"git status"}, kindGitStatus},  // the command wins
		{Tests, []string{"git status"}, kindGoTest},    // a forced kind wins, shape picks the runner
		{Errors, nil, kindErrors},
		{Logs, nil, kindLogs},
		{Diff, nil, kindGitDiff},
		{JSON, nil, kindJSON},
		{Table, nil, kindTable},
		{Summary, nil, kindSummary},
	}
	for _, tt := range tests {
		if got := pick(tt.mode, tt.cmd, d).kind; got != tt.want {
			t.Errorf("pick(%s, %q) = %q, want %q", tt.mode, tt.cmd, got, tt.want)
		}
	}
	if got := pick(Tests, nil, newDoc("all good\n")).kind; got != kindTests {
		t.Errorf("pick(tests) of unknown output = %q, want %q", got, kindTests)
	}
	if got := pick(Auto, []string{"npm test"}, newDoc("> p@1.0.0 test\n> mocha\n\nnpm error Test failed.\n")).kind; got != kindNPM {
		t.Errorf("npm test of unknown runner = %q, want %q", got, kindNPM)
	}
}

func TestShapeKind(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"", kindSummary},
		{"hello\nworld\n", kindSummary},
		{"doing things\nerror: disk full\n", kindErrors},
		{`{"a":1}` + "\n" + `{"a":2}` + "\n" + `{"a":3}` + "\n", kindNDJSON},
		{"{\n  \"a\": [1, 2]\n}\n", kindJSON},
		{"[1, 2, 3]", kindJSON},
		{"running 2 tests\ntest a ... ok\ntest result: ok. 2 passed\n", kindCargoTest},
		{"NAME      READY   STATUS    RESTARTS   AGE\napi-1     1/1     Running   0          2d\n", kindTable},
		{" id | name\n----+------\n  1 | a\n(1 row)\n", kindTable},
		{"a.c:1:2: error: x\n", kindGCC},
		{"main.go:3:1: undefined: x\n", kindGoBuild},
		{"diff --git a/x b/x\n", kindGitDiff},
	}
	for _, tt := range tests {
		if got := shapeKind(newDoc(tt.text)); got != tt.want {
			t.Errorf("shapeKind(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
