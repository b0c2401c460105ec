// Package jobstore owns agent-exec's on-disk job store: the root directory,
// job ids and names, the meta.json and state.json documents, atomic writes,
// the per-job locks, the event log and listing.
//
// Layout (every directory 0700, every file 0600):
//
//	<root>/<job_id>/meta.json       the definition, written at create (only its tags change later)
//	<root>/<job_id>/state.json      the current status, replaced atomically
//	<root>/<job_id>/output.log      merged stdout+stderr (stdout.log and stderr.log when separate)
//	<root>/<job_id>/stdin.bin       the job's standard input, when one was given
//	<root>/<job_id>/secrets.json    values of masked variables the runs inherited (see [SecretsFile])
//	<root>/<job_id>/events.ndjson   lifecycle events, one JSON object a line
//	<root>/<job_id>/notable.<stream>.idx  offsets of a log's error lines, built by readers (package jobs)
//	<root>/<job_id>/job.lock        held (flock) by whoever starts, restarts, kills or deletes the job
//	<root>/<job_id>/supervisor.lock held (flock) by the job's supervisor for as long as it lives
//	<root>/<job_id>/supervisor.log  the supervisor's own diagnostics
//	<root>/<job_id>/ctl.sock        the supervisor's control socket while it runs
//
// Only the supervisor of a job moves its state to running and from running to
// a terminal state, and only while it holds supervisor.lock; a reader that finds
// state "running" while it can take supervisor.lock itself knows the supervisor
// is gone (see [Store.ProbeSupervisor]).
//
// Job ids are 26-character lowercase ULIDs (Crockford base32): sorting ids
// sorts jobs by creation time. Anything that is not a well-formed id, a
// prefix of one (4+ characters) or a job name is rejected before the
// filesystem is touched.
//
// # Where things happen
//
// store.go (the root, creating, reading and writing a job's documents),
// atomic.go (atomic replacement), meta.go and state.go (the documents),
// lock_linux.go (job.lock, supervisor.lock and the probe that tells a lost
// supervisor, which package jobs repairs), events.go (events.ndjson),
// secrets.go (the masked values a job inherited, which redaction hides),
// envfile.go, id.go, names.go (the name index), list.go, gc.go,
// seconds.go and time.go (the units on disk).
package jobstore

import _ "github.com/agent-exec/agent-exec/internal/platform" // Linux only: stops other builds with one message
