package tools

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agent-exec/agent-exec/schemas"
)

// Budgets of what a model is sent (issue 10). A tool's definition, as
// clients hand it to the model, is its name, description and input schema;
// outputSchema and annotations never reach the model but are sent on the
// wire (and Codex's code mode renders them as types).
//
// The budgets are the goals: 12 KiB of definitions, 3 KiB a tool, 1.5 KiB
// of instructions, 16 KiB of output schemas. They were reached by saying
// shared things once: an argument that is as in run is published with its
// type and values only (schemas.Brief) and the tool's description says so
// once; bounds are said in words (schemas.publish); notify's fields are
// one sentence. 13,324 B before (run 3,271 B), 11,611 B after (run 3,009 B);
// observe's detail (schema_version 2) then added 105 B.
const (
	budgetAllTools     = 12 << 10 // every tool's definition together
	budgetOneTool      = 3 << 10  // any one tool's definition
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

// TestBriefToolsSayAsInRun: a tool whose input schema publishes arguments
// without a description says once that they are as in run.
func TestBriefToolsSayAsInRun(t *testing.T) {
	for _, d := range definitions(nil) {
		brief := len(schemas.Brief(d.tool.Name)) > 0
		if says := strings.HasSuffix(d.tool.Description, briefNote); says != brief {
			t.Errorf("%s: %d brief arguments, description %q", d.tool.Name, len(schemas.Brief(d.tool.Name)), d.tool.Description)
		}
	}
}
