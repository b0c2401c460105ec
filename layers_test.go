package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/agent-exec/agent-exec"

// layers ranks the project's packages: a package may import only packages
// of a lower rank. Leaves (rank 0) import nothing of the project. A new
// package must be given a rank here, which is the point: where it sits is a
// decision, not an accident.
var layers = map[string]int{
	"internal/platform": -1, // no API: stops the build on other systems
	"jobstore":          0, "output": 0, "compress": 0, "screen": 0, "schemas": 0, "version": 0,
	"supervisor":        1,
	"jobs":              2,
	"internal/testutil": 2,              // imported by tests only
	"tools":             3, "config": 3, // config reads jobs' defaults and parsers
	"mcphttp": 4,
	"cli":     5,
	".":       6, // the main package
	"bench":   7, // the benchmark suite: tests only

	"cmd/agent-exec-supervisor": 2, // the optional supervisor program: supervisor.Main only
}

// TestLayers fails when a package imports one of the same or a higher rank
// (dependencies point one way: cli → tools → jobs → supervisor → leaves),
// or when a package has no rank.
func TestLayers(t *testing.T) {
	imports := projectImports(t)
	if len(imports) == 0 {
		t.Fatal("found no packages: is the test running at the module root?")
	}
	var pkgs []string
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		rank, ok := layers[p]
		if !ok {
			t.Errorf("package %s has no rank: add it to layers in layers_test.go", p)
			continue
		}
		for _, imp := range imports[p] {
			r, ok := layers[imp]
			switch {
			case !ok:
				t.Errorf("%s imports %s, which has no rank in layers_test.go", p, imp)
			case r >= rank:
				t.Errorf("%s (rank %d) imports %s (rank %d): dependencies must point to lower ranks", p, rank, imp, r)
			}
		}
	}
}

// projectImports maps each package directory of the module (relative, "."
// for the root) to the project packages its non-test files import, whatever
// their build tags. integration_test is a black box and testdata holds no
// packages, so both are skipped.
func projectImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "integration_test") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		seen := out[dir]
		if seen == nil {
			seen = []string{}
		}
		for _, spec := range f.Imports {
			imp, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			rel, ok := strings.CutPrefix(imp, modulePath+"/")
			if !ok || slices.Contains(seen, rel) {
				continue
			}
			seen = append(seen, rel)
		}
		out[dir] = seen
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}
