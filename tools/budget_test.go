package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/schemas"
)

// Budgets of what a model is sent. A tool's definition, as clients hand it
// to the model, is its name, description and input schema; outputSchema
// and annotations never reach the model but are sent on the wire (and
// Codex's code mode renders them as types).
//
// The goals were 12 KB of definitions, 3 KB a tool and 16 KB of output
// schemas for the nine tools of the time (met: 11.5 KB, run 3.0 KB, 15.7
// KB); update, gc, delete by filters, env_files, log_rotate and tail_lines
// came after, and the budgets for the eleven tools are the sizes then
// reached plus a small margin (run, with 28 arguments, is 3.1 KB), so that
// any growth is a decision. notify (about 280 B, in run, create and
// update) came after that: the decision was to pay for it rather than
// leave notifications off MCP, and the budgets grew by its size. Then the
// published input schemas dropped what only refuses nonsense or overflow
// or is said in words (schemas.Validated keeps it) and output schemas were
// inlined: 13.3 KB, run 3.2 KB, outputs 16.1 KB, and the budgets came down
// again.
const (
	budgetAllTools     = 13824    // every tool's definition together (13.5 KB)
	budgetOneTool      = 3456     // any one tool's definition (3.375 KB)
	budgetInputSchema  = 4500     // any one input schema: Codex drops every description past 5,000 B
	budgetInstructions = 1536     // the server's instructions, paid on every turn
	budgetOutputs      = 16 << 10 // every output schema together
)

// definitionSizes returns, per tool in order, the bytes a model is sent
// for it and the size of its input schema alone, plus the output schemas'
// total.
func definitionSizes() (names []string, defs, inputs []int, outputs int) {
	for _, d := range definitions(nil) {
		in := schemas.Input(d.tool.Name)
		names = append(names, d.tool.Name)
		defs = append(defs, len(d.tool.Name)+len(d.tool.Description)+len(in))
		inputs = append(inputs, len(in))
		outputs += len(schemas.Output(d.tool.Name))
	}
	return names, defs, inputs, outputs
}

// TestDefinitionBudget fails when what a model pays for agent-exec's tools
// grows past its budget, and prints the sizes either way.
func TestDefinitionBudget(t *testing.T) {
	names, defs, inputs, outputs := definitionSizes()
	var b strings.Builder
	total := 0
	for i, name := range names {
		total += defs[i]
		fmt.Fprintf(&b, "  %-8s %5d B (input schema %5d B)\n", name, defs[i], inputs[i])
		if defs[i] > budgetOneTool {
			t.Errorf("%s: %d B sent to the model, budget %d B", name, defs[i], budgetOneTool)
		}
		if inputs[i] >= budgetInputSchema {
			t.Errorf("%s: input schema %d B, budget < %d B", name, inputs[i], budgetInputSchema)
		}
	}
	fmt.Fprintf(&b, "  all      %5d B; instructions %d B; output schemas %d B", total, len(Instructions), outputs)
	t.Logf("tool definitions (name + description + input schema):\n%s", b.String())
	if total > budgetAllTools {
		t.Errorf("all tools: %d B, budget %d B", total, budgetAllTools)
	}
	if len(Instructions) > budgetInstructions {
		t.Errorf("instructions: %d B, budget %d B", len(Instructions), budgetInstructions)
	}
	if outputs > budgetOutputs {
		t.Errorf("output schemas: %d B, budget %d B", outputs, budgetOutputs)
	}
}
