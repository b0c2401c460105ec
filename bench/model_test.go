package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agent-exec/agent-exec/compress"
)

// modelBytes adds what a model is sent by the server cs: each tool's
// definition as clients hand it to the model (name, description and
// compact input schema), their total, the instructions, and the
// structuredContent of a trivial run, which clients hand to the model as
// it is. The budgets are issue 10's (tools/budget_test.go and
// integration_test/result_budget_test.go enforce them).
func modelBytes(b testingB, t *table, cs *mcp.ClientSession) {
	ctx := context.Background()
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		b.Fatalf("tools/list: %v", err)
	}
	total := 0
	for _, tool := range list.Tools {
		in := compact(b, tool.InputSchema)
		n := len(tool.Name) + len(tool.Description) + len(in)
		total += n
		t.add("tool definition: "+tool.Name, fmt.Sprintf("%d B", n), "", "≤3 KiB")
	}
	t.add(fmt.Sprintf("tool definitions, all %d", len(list.Tools)), fmt.Sprintf("%d B", total), "", "≤12 KiB (stretch 8)")
	t.add("server instructions", fmt.Sprintf("%d B", len(cs.InitializeResult().Instructions)), "", "≤1.5 KiB")

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run", Arguments: map[string]any{"command": "echo hi"}})
	if err != nil || res.IsError {
		b.Fatalf("run echo hi: %v %+v", err, res)
	}
	raw := compact(b, res.StructuredContent)
	t.add("result of a trivial run (echo hi)", fmt.Sprintf("%d B", len(raw)), "", "≤300 B")
}

// compact is v as compact JSON without HTML escaping (a model reads ">=",
// not "\u003e=").
func compact(b testingB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// testingB is what modelBytes and corpusReduction need of a benchmark.
type testingB interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// corpusReduction adds the reduction compress's corpus gets with
// compress: always at the default 16 KiB window, over all kinds, and
// prints it per kind (the same figures as compress's BenchmarkCorpus).
func corpusReduction(b testingB, t *table) {
	paths, err := filepath.Glob(filepath.Join("..", "compress", "testdata", "*", "*.txt"))
	if err != nil || len(paths) == 0 {
		b.Fatalf("no corpus: %v", err)
	}
	in, out := map[string]int{}, map[string]int{}
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		cmd, err := os.ReadFile(strings.TrimSuffix(p, ".txt") + ".cmd")
		if err != nil {
			b.Fatal(err)
		}
		o, _, _ := compress.Compress(compress.Input{Text: string(text), Command: []string{strings.TrimSpace(string(cmd))},
			MaxBytes: 16 << 10, Mode: compress.Always})
		kind := filepath.Base(filepath.Dir(p))
		in[kind] += len(text)
		out[kind] += len(o)
		in[""] += len(text)
		out[""] += len(o)
	}
	reduction := func(kind string) string {
		return fmt.Sprintf("%.0f %%", 100*(1-float64(out[kind])/float64(in[kind])))
	}
	var kinds []string
	for kind := range in {
		if kind != "" {
			kinds = append(kinds, kind+" "+reduction(kind))
		}
	}
	slices.Sort(kinds)
	fmt.Printf("corpus reduction per kind (compress always, 16 KiB): %s\n", strings.Join(kinds, ", "))
	t.add(fmt.Sprintf("corpus reduction, all %d kinds", len(kinds)), reduction(""), "", "≥60 %, every must-keep line kept")
}
