// Command agent-exec runs commands as durable background jobs, for AI agents
// over MCP (agent-exec mcp) and for people and scripts from the shell.
package main

import (
	"os"

	"github.com/agent-exec/agent-exec/cli"
	"github.com/agent-exec/agent-exec/supervisor"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == supervisor.ModeArg {
		os.Exit(supervisor.Main(os.Args[2:]))
	}
	os.Exit(cli.Main(os.Args[1:]))
}
