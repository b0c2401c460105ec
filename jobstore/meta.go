package jobstore

// Streams values of [Meta.Streams].
const (
	StreamsMerged   = "merged"
	StreamsSeparate = "separate"
)

// Meta is a job's definition, meta.json. It is written when the job is
// created and, but for its tags ([Store.SetTags]) and notifications
// ([Store.SetNotify]), never changes afterwards:
// every run of the job (start and each restart) runs this definition.
//
// Env holds the real values of the variables the job was given, masked ones
// included, because a restart must reproduce them; the file is 0600. Mask
// names the keys whose values no response may show.
type Meta struct {
	ID      string   `json:"job_id"`
	Name    string   `json:"name,omitempty"`
	Command []string `json:"command"`
	// Shell is true when Command is one shell command line, run as
	// `sh -c Command[0]`; false when Command is an argv exec'd directly.
	Shell bool `json:"shell"`
	// Wrapper, when set, runs a shell command line in place of
	// /bin/sh -c: the command line is appended as its last argument.
	Wrapper []string          `json:"wrapper,omitempty"`
	Cwd     string            `json:"cwd"`
	Env     map[string]string `json:"env,omitempty"`
	// EnvFiles are absolute paths of env files (see [ParseEnvFile]) read
	// by the supervisor at the start of each run, between the inherited
	// environment and Env; their values are never stored here.
	EnvFiles []string `json:"env_files,omitempty"`
	// DefaultEnvKeys are the keys of Env that came from the configured
	// defaults (config.toml's [env]) rather than the job's own env: they
	// apply before the env files, which may override them.
	DefaultEnvKeys []string `json:"default_env_keys,omitempty"`
	InheritEnv     bool     `json:"inherit_env"`
	Mask           []string `json:"mask,omitempty"`
	Stdin          bool     `json:"stdin,omitempty"` // stdin.bin holds the job's standard input
	TTY            bool     `json:"tty,omitempty"`
	Interactive    bool     `json:"interactive,omitempty"`
	Cols           int      `json:"cols,omitempty"`
	Rows           int      `json:"rows,omitempty"`
	// TimeoutS is the hard runtime limit in seconds; 0 means none.
	TimeoutS float64 `json:"timeout_s,omitempty"`
	// KillAfterS is the grace between SIGTERM and SIGKILL at the timeout.
	KillAfterS float64 `json:"kill_after_s"`
	// LogLimit is the most bytes one run may write to each log; 0 = none.
	LogLimit int64 `json:"log_limit,omitempty"`
	// LogRotate, when not 0, keeps each log of a long run near its last
	// LogRotate bytes: the supervisor punches the older bytes out of the
	// file (offsets do not move; readers start where the data starts).
	LogRotate int64    `json:"log_rotate,omitempty"`
	Streams   string   `json:"streams"`
	Tags      []string `json:"tags"`
	CreatedAt Time     `json:"created_at"`
	// Notify, when set, says where the job's notifications go; like the
	// tags it may change after create ([Store.SetNotify]).
	Notify *Notify `json:"notify,omitempty"`

	// Inherited holds the values of masked variables the job's runs
	// inherited from their launchers' environments or read from their env
	// files, read from
	// [SecretsFile] by [Store.ReadMeta]; never written to meta.json.
	Inherited []string `json:"-"`
}

// Separate reports whether the job writes stdout and stderr to two files.
func (m *Meta) Separate() bool { return m.Streams == StreamsSeparate }

// MaskedValues returns the values of the masked variables, the strings no
// response may contain: those given in Env and those the runs inherited
// (Inherited). Empty values are left out.
func (m *Meta) MaskedValues() []string {
	var vals []string
	for _, k := range m.Mask {
		if v := m.Env[k]; v != "" {
			vals = append(vals, v)
		}
	}
	for _, v := range m.Inherited {
		if v != "" {
			vals = append(vals, v)
		}
	}
	return vals
}

// SetTags replaces job id's tags in its meta.json (atomically). Tags are
// the one part of a definition that changes after create: they label the
// job and no run reads them. The caller holds the job's operation lock and
// has validated tags.
func (s *Store) SetTags(id string, tags []string) error {
	var m Meta
	if err := s.readJSON(id, MetaFile, &m); err != nil {
		return err
	}
	m.Tags = tags
	return s.writeJSON(id, MetaFile, &m)
}

// Notify says where a job's notifications go (see the README): the
// job.finished event at the end of each run, and a job.output.matched
// event for lines of output that match one of Match. Each event goes to
// every sink given: Command, a shell command line run with the event on
// its standard input, and File, a file the event is appended to as one
// NDJSON line.
type Notify struct {
	Command string        `json:"command,omitempty"`
	File    string        `json:"file,omitempty"`
	Match   []NotifyMatch `json:"match,omitempty"`
}

// NotifyMatch is an output pattern of [Notify].
type NotifyMatch struct {
	Pattern string `json:"pattern"`
	// Match is "contains" (the default: Pattern is a substring of the
	// line) or "regex" (Pattern is a Go regular expression).
	Match string `json:"match,omitempty"`
	// Stream is "stdout" or "stderr" for a job with separate streams;
	// empty means every log of the job.
	Stream string `json:"stream,omitempty"`
}

// Match types of [NotifyMatch].
const (
	MatchContains = "contains"
	MatchRegex    = "regex"
)

// SetNotify replaces job id's notifications in its meta.json
// (atomically); nil removes them. The caller holds the job's operation
// lock and has validated n. A running job's supervisor reads them again
// when the run ends, so its job.finished goes where they say.
func (s *Store) SetNotify(id string, n *Notify) error {
	var m Meta
	if err := s.readJSON(id, MetaFile, &m); err != nil {
		return err
	}
	m.Notify = n
	return s.writeJSON(id, MetaFile, &m)
}
