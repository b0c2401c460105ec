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
// Waiting is driven by events: one inotify instance per process reports
// log growth and state replacement in job directories, and a pidfd reports
// the death of a supervisor. Nothing sleeps in a loop.
//
// # Where things happen
//
//   - Operations: lifecycle.go (create, run, start, restart, delete),
//     kill.go (kill, and stopping a run for restart and delete), observe.go,
//     multiwait.go (observe of several jobs), input.go, list.go, update.go,
//     bulk.go (delete by filter), gc.go, events.go (the events stream),
//     follow.go (logs -f).
//   - Waits: engine_linux.go (the process's one event engine: typed,
//     coalesced job changes), watch_linux.go (its inotify instance),
//     wait.go (the waiter every operation's wait runs), scan.go (wait_for's
//     line scanner), echo.go (where a terminal's echo of an input ends),
//     port_linux.go (wait_for_port).
//   - Control requests to a job's supervisor (through [supervisor.Client]):
//     kill.go (kill), input.go (input, resize), screen.go (screen).
//   - Repair: reconcile.go (a state that says running while its supervisor
//     is gone is recorded as lost, and the leftovers stopped; read is the
//     read that repairs nothing), unreadable.go (jobs whose files cannot be
//     read).
//   - Redaction: every text a job's caller sees goes through
//     [output.Redactor], built from the values secrets.go gathers.
//   - service.go: [New], options, [Service.Close].
//   - Checks and shapes: define.go (a definition's checks), limits.go,
//     keys.go (key names to bytes), types.go (requests and results),
//     errors.go, compress.go and notable.go (output windows and their
//     summaries).
package jobs
