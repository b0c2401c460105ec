// Command vulngate reads `govulncheck -json` on standard input and decides
// whether CI fails: it fails when the code calls a vulnerable function of a
// module the project requires (fixable here, by upgrading that module), and
// it reports, without failing, vulnerabilities of the Go standard library,
// which are fixed by a newer Go toolchain rather than by a change to the
// project.
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

func main() {
	dec := json.NewDecoder(os.Stdin)
	modules := map[string]string{} // osv id → what to upgrade
	stdlib := map[string]string{}
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "vulngate: reading govulncheck -json:", err)
			os.Exit(2)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // not called by our code
		}
		top := f.Trace[0]
		what := fmt.Sprintf("%s@%s (fixed in %s), called as %s.%s", top.Module, top.Version, f.FixedVersion, top.Package, top.Function)
		if top.Module == "stdlib" || top.Module == "toolchain" {
			stdlib[f.OSV] = what
		} else {
			modules[f.OSV] = what
		}
	}
	report("warning: standard library (needs a newer Go toolchain)", stdlib)
	report("FAIL: a required module", modules)
	if len(modules) > 0 {
		os.Exit(1)
	}
	fmt.Printf("vulngate: no called vulnerability in a required module (%d in the standard library)\n", len(stdlib))
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
