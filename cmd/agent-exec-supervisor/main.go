// Command agent-exec-supervisor is the optional, small supervisor program
// installed beside agent-exec. agent-exec starts it for each job instead of
// re-executing itself when it is the same build (see supervisor.Program);
// it links only the supervisor and what that needs, so each job's
// supervisor starts faster and costs less memory than a copy of the whole
// binary. It takes the same arguments as agent-exec's hidden supervise
// mode and is not meant to be run by hand.
package main

import (
	"fmt"
	"os"

	"github.com/agent-exec/agent-exec/supervisor"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != supervisor.ModeArg {
		fmt.Fprintln(os.Stderr, "agent-exec-supervisor: started by agent-exec for each job; not meant to be run by hand")
		os.Exit(2)
	}
	os.Exit(supervisor.Main(os.Args[2:]))
}
