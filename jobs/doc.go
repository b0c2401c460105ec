// Package jobs holds the operations agent-exec offers — Run, Create, Start,
// Restart, Kill, Observe, List and Delete — typed, and shared by the MCP
// server (package tools) and the command line, so the two can never disagree
// about a job.
//
// Every operation returns an [Envelope] (schema_version "2") or an *[Error]
// carrying one of the stable [Code]s. A failed operation creates nothing and
// changes nothing. No operation ties a job to the caller: a cancelled
// context, an expired wait or a failed call leave every job running; only
// Kill, Restart, Delete with Force and the job's own timeout signal one.
//
// Waiting is driven by events: one inotify instance per [Service] reports
// log growth and state replacement in job directories, and a pidfd reports
// the death of a supervisor. Nothing sleeps in a loop.
package jobs
