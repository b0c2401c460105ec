package cli

import (
	"fmt"

	"github.com/agent-exec/agent-exec/version"
)

// versionVerb prints "agent-exec VERSION (revision, time, go)" from the
// build information; the MCP server reports the same version.
func versionVerb(s stdio, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(s.err, "agent-exec version: unexpected arguments %q\n", args)
		return exitUsage
	}
	fmt.Fprintln(s.out, "agent-exec", version.Get())
	return exitOK
}
