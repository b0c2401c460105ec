// Command vulngate reads `govulncheck -json` on standard input and decides
// whether CI fails: it fails when the code calls a vulnerable function, of a
// module the project requires (fixed by upgrading that module) or of the Go
// standard library (fixed by raising go.mod's toolchain line and the GOTOOLCHAIN that
// .ci/run exports). Findings the code does not call are ignored.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

type message struct {
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

// findings holds the called vulnerabilities, by OSV id, with what to upgrade.
type findings struct {
	stdlib  map[string]string // fixed by a newer Go toolchain
	modules map[string]string // fixed by upgrading a required module
}

func main() {
	found, err := read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	report("FAIL: the standard library (raise go.mod's toolchain line and GOTOOLCHAIN in .ci/run)", found.stdlib)
	report("FAIL: a required module", found.modules)
	if len(found.stdlib)+len(found.modules) > 0 {
		os.Exit(1)
	}
	fmt.Println("vulngate: no called vulnerability, in the standard library or a required module")
}

// read decodes a govulncheck -json stream and keeps the findings whose trace
// reaches a function (the ones the code calls).
func read(r io.Reader) (findings, error) {
	found := findings{stdlib: map[string]string{}, modules: map[string]string{}}
	dec := json.NewDecoder(r)
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return found, nil
		}
		if err != nil {
			return found, fmt.Errorf("read govulncheck -json: %w", err)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // not called by our code
		}
		top := f.Trace[0]
		what := fmt.Sprintf("%s@%s (fixed in %s), called as %s.%s", top.Module, top.Version, f.FixedVersion, top.Package, top.Function)
		if top.Module == "stdlib" || top.Module == "toolchain" {
			found.stdlib[f.OSV] = what
		} else {
			found.modules[f.OSV] = what
		}
	}
}

func report(title string, found map[string]string) {
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Printf("%s: %s %s\n", title, id, found[id])
	}
}
