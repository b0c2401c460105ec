// Package tools is agent-exec's MCP server: the tool definitions (schemas
// from package schemas), the handlers that adapt MCP calls to the jobs
// operations, progress notifications and the stdio transport.
//
// # Where things happen
//
//   - server.go: the server, its instructions and the stdio transport.
//   - definitions.go: the tools as published; handler.go: each call adapted
//     to a jobs operation (arguments checked against the tool's schema, the
//     result or error as an envelope, a wait's progress as notifications);
//     decode.go: strict argument decoding.
//   - Waits are package jobs'; waitcap.go bounds them by what the calling
//     client is known to sit through.
//   - cancel.go: a call its client cancelled gets no response.
//   - resources.go: the job list and a job's output as MCP resources.
//   - tasks.go, taskstdio.go: MCP tasks (task-augmented calls, tasks/*).
//
// Nothing here waits on a job, talks to a supervisor, repairs a state or
// redacts output by itself: package jobs does, for the CLI and the server
// alike.
package tools
