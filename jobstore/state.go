package jobstore

// Job states.
const (
	StateCreated = "created"
	StateRunning = "running"
	StateExited  = "exited"
	StateKilled  = "killed"
	StateFailed  = "failed"
)

// Reasons a run ended.
const (
	ReasonExit           = "exit"            // the main process exited by itself
	ReasonSignal         = "signal"          // a signal from outside the job's control ended it
	ReasonTimeout        = "timeout"         // the job's own timeout ended it
	ReasonKill           = "kill"            // kill, restart or delete --force ended it
	ReasonLogLimit       = "log_limit"       // the output passed the job's log size limit
	ReasonLaunchError    = "launch_error"    // the workload could not be started
	ReasonSupervisorLost = "supervisor_lost" // the supervisor died while the job ran
)

// State is a job's current status, state.json. It is replaced atomically as
// a whole; see [Store.WriteState].
type State struct {
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"` // e.g. "SIGTERM"
	Error    string `json:"error,omitempty"`  // launch or supervisor error text
	// Run counts the runs: 0 until the first start, then 1, +1 per restart.
	Run int `json:"run"`
	// PID and PIDStart identify the workload's main process (PIDStart is
	// the start time from /proc/PID/stat, in clock ticks since boot), so a
	// reused pid is never mistaken for it. The main process leads its own
	// process group.
	PID      int    `json:"pid,omitempty"`
	PIDStart uint64 `json:"pid_start,omitempty"`
	// SupervisorPID and SupervisorStart identify the run's supervisor.
	SupervisorPID   int    `json:"supervisor_pid,omitempty"`
	SupervisorStart uint64 `json:"supervisor_start,omitempty"`
	// LogOffset is the size of each log when this run started: the output
	// of earlier runs comes before it (logs are never truncated).
	LogOffset  map[string]int64 `json:"log_offset,omitempty"`
	StartedAt  *Time            `json:"started_at,omitempty"`
	FinishedAt *Time            `json:"finished_at,omitempty"`
	DurationMS *int64           `json:"duration_ms,omitempty"`
	UpdatedAt  Time             `json:"updated_at"`
}

// Terminal reports whether s is a final state of a run.
func Terminal(s string) bool {
	return s == StateExited || s == StateKilled || s == StateFailed
}
