// Package supervisor launches and runs the detached per-job supervisor.
//
// [Launch] re-executes the running binary (/proc/self/exe), or the small
// agent-exec-supervisor installed beside it when it is the same build
// ([Program]), in supervise mode in a new session, with standard input and output on /dev/null, and waits
// for a one-line handshake on an inherited pipe: the supervisor answers once
// the workload has been exec'd, or with the reason it could not be. The
// supervisor ([Main]) then:
//
//   - holds the job's supervisor.lock for as long as it lives (its liveness
//     signal to readers);
//   - makes itself child subreaper, so every descendant of the workload,
//     double-forked and setsid'd ones included, stays in its tree;
//   - starts the workload in its own process group, with stdout and stderr
//     on the log files themselves (the kernel writes the bytes; nothing is
//     lost if the supervisor dies);
//   - reaps every process of the tree in one loop, and when the main process
//     exits, is killed or times out, terminates what is left (SIGTERM, grace,
//     SIGKILL);
//   - writes the terminal state only once no process of the tree is left,
//     that is after the last output byte is on disk;
//   - serves a control socket (ctl.sock in the job directory, 0600) that
//     takes kill requests from any agent-exec process;
//   - keeps the notable-line index of each log longer than 4 MiB as it
//     grows (notable.<stream>.idx; see [ExtendNotable]), reading the log
//     files behind the kernel, paced, on a goroutine of its own.
//
// The workload's environment carries AGENT_EXEC_JOB_ID, which lets a reader
// find and stop the leftovers of a job whose supervisor died.
//
// # Where things happen
//
//   - Launch (the caller's side): launch.go.
//   - The supervisor's life: supervise_linux.go (start-up, the workload's
//     command and environment), stdio_linux.go and input_linux.go (logs,
//     terminal and input plumbing), loop_linux.go (the one loop: reaping,
//     timeout, kill escalation, leftovers, the recorded end), rotate_linux.go
//     (log_rotate), endrecord_linux.go, screen_linux.go (a tty job's screen,
//     drawn when asked), index_linux.go and notable_linux.go (each log's
//     notable-line index, kept as it grows), match_linux.go and
//     notify_linux.go (notifications).
//   - Control requests: control.go (the wire protocol, private),
//     client.go (the typed client other packages use), serve_linux.go (how
//     the supervisor answers them), control_linux.go (the socket's path).
//   - Waits on processes: exitwatch_linux.go (a pidfd per watched exit),
//     proc_linux.go (/proc: start times, descendants, a job's processes).
//   - Repair, for a reader that found a supervisor gone:
//     leftovers_linux.go (stop what is left of its job), [ReadEndRecord].
//   - signal_linux.go: signal names.
package supervisor
