package cli

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/agent-exec/agent-exec/jobs"
	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/schemas"
)

// schemaVerb prints the JSON Schemas of the MCP tools: the tool names
// without an argument, else one tool's input schema (--output: its output
// schema), indented.
func schemaVerb(_ context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("schema", "schema [--output] [TOOL]")
	output := fs.Bool("output", false, "print the tool's output schema instead of its input schema")
	pos, err := fs.parseInterleaved(args)
	if err == nil && len(pos) > 1 {
		err = fmt.Errorf("unexpected arguments after TOOL: %q", pos[1:])
	}
	if err == nil && len(pos) == 1 && !slices.Contains(schemas.Tools(), pos[0]) {
		err = fmt.Errorf("unknown tool %q (one of %s)", pos[0], strings.Join(schemas.Tools(), ", "))
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	if len(pos) == 0 {
		fmt.Fprintln(inv.out, strings.Join(schemas.Tools(), "\n"))
		return exitOK
	}
	doc := schemas.Input(pos[0])
	if *output {
		doc = schemas.Output(pos[0])
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, doc, "", "  "); err != nil {
		fmt.Fprintln(inv.err, "agent-exec: schema:", err)
		return exitFailed
	}
	buf.WriteByte('\n')
	inv.out.Write(buf.Bytes())
	return exitOK
}

// completionScripts are the shell registrations printed by completions.
// Each completes verbs and flags statically and asks the binary for job
// ids and names (agent-exec __complete VERB), so the candidates are the
// jobs of the root in use.
var completionScripts = map[string]string{
	"bash": `# agent-exec completion for bash: eval "$(agent-exec completions bash)"
_agent_exec() {
  local cur verb root=() i
  cur=${COMP_WORDS[COMP_CWORD]}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --root) root=(--root "${COMP_WORDS[i+1]}"); ((i++)) ;;
      -*) ;;
      *) [[ -z $verb ]] && verb=${COMP_WORDS[i]} ;;
    esac
  done
  if [[ -z $verb ]]; then
    COMPREPLY=($(compgen -W "%VERBS%" -- "$cur"))
  elif [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$(agent-exec "${root[@]}" __complete "$verb" 2>/dev/null)" -- "$cur"))
  fi
}
complete -F _agent_exec agent-exec
`,
	"zsh": `#compdef agent-exec
# agent-exec completion for zsh: agent-exec completions zsh > "${fpath[1]}/_agent-exec"
_agent_exec() {
  local -a verbs root
  verbs=(%VERBS%)
  local i=${words[(i)--root]}
  (( i < CURRENT )) && root=(--root "${words[i+1]}")
  if (( CURRENT == 2 )) || [[ ${words[2]} == --root && CURRENT == 4 ]]; then
    compadd -a verbs
  else
    local verb=${words[2]}
    [[ $verb == --root ]] && verb=${words[4]}
    compadd -- ${(f)"$(agent-exec $root __complete $verb 2>/dev/null)"}
  fi
}
compdef _agent_exec agent-exec
`,
	"fish": `# agent-exec completion for fish: agent-exec completions fish > ~/.config/fish/completions/agent-exec.fish
complete -c agent-exec -f
complete -c agent-exec -n '__fish_use_subcommand' -a '%VERBS%'
complete -c agent-exec -n 'not __fish_use_subcommand' -a '(agent-exec __complete (commandline -opc)[2] 2>/dev/null)'
`,
}

// completionVerbs are the verbs offered by the completion scripts.
var completionVerbs = []string{
	"run", "create", "start", "restart", "observe", "kill", "delete", "list", "ps", "logs", "input",
	"attach", "tag", "gc", "config", "schema", "completions", "install-skill", "version", "mcp", "help",
}

// completionsVerb prints the completion script of a shell.
func completionsVerb(_ context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("completions", "completions bash|zsh|fish")
	pos, err := fs.parseInterleaved(args)
	if err == nil && len(pos) != 1 {
		err = errors.New("name one shell: bash, zsh or fish")
	}
	script := ""
	if err == nil {
		var ok bool
		if script, ok = completionScripts[pos[0]]; !ok {
			err = fmt.Errorf("no completion for shell %q (bash, zsh or fish)", pos[0])
		}
	}
	if err != nil {
		return fs.usageError(inv.stdio, err)
	}
	fmt.Fprint(inv.out, strings.ReplaceAll(script, "%VERBS%", strings.Join(completionVerbs, " ")))
	return exitOK
}

// completeStates says which jobs a verb's JOB argument can usefully name;
// verbs not listed take any job.
var completeStates = map[string][]string{
	"start":  {jobstore.StateCreated},
	"kill":   {jobstore.StateRunning},
	"input":  {jobstore.StateRunning},
	"attach": {jobstore.StateRunning},
	"delete": {jobstore.StateExited, jobstore.StateKilled, jobstore.StateFailed},
}

// completeVerb (hidden: __complete VERB) prints the job names and ids a
// completion script offers for VERB's JOB argument, one a line: the jobs
// of this directory, as list shows them, filtered by what the verb takes.
// It prints nothing for a verb that takes no job, and never fails loudly:
// a completion must not write errors into a person's prompt.
func completeVerb(ctx context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("__complete", "__complete VERB")
	pos, err := fs.parseInterleaved(args)
	if err != nil || len(pos) != 1 {
		return exitUsage
	}
	switch pos[0] {
	case "start", "restart", "observe", "kill", "delete", "logs", "input", "attach":
	default:
		return exitOK
	}
	svc, err := inv.service(fs)
	if err != nil {
		return exitFailed
	}
	env, err := svc.List(ctx, &jobs.ListRequest{Limit: 200})
	if err != nil {
		return exitFailed
	}
	want := completeStates[pos[0]]
	seen := map[string]bool{}
	for _, j := range env.Jobs {
		if len(want) > 0 && !slices.Contains(want, j.State) {
			continue
		}
		for _, c := range []string{j.Name, j.JobID} {
			if c != "" && !seen[c] {
				seen[c] = true
				fmt.Fprintln(inv.out, c)
			}
		}
	}
	return exitOK
}

//go:embed skill/SKILL.md
var skillText []byte

// installSkillVerb writes SKILL.md, which teaches an agent to use the
// command line, into BASE/skills/agent-exec/: BASE is ./.agents, ./.claude
// with --claude, the same under $HOME with --global, or --dir.
func installSkillVerb(_ context.Context, inv *invocation, args []string) int {
	fs := newFlagSet("install-skill", "install-skill [--claude] [--global] [--dir BASE]")
	claude := fs.Bool("claude", false, "install under .claude instead of .agents")
	global := fs.Bool("global", false, "install under your home directory instead of the current one")
	dir := fs.String("dir", "", "install under `BASE`/skills/agent-exec")
	if code, ok := fs.parseNone(inv, args); !ok {
		return code
	}
	base := *dir
	if base == "" {
		base = ".agents"
		if *claude {
			base = ".claude"
		}
		if *global {
			home, err := os.UserHomeDir()
			if err != nil {
				fmt.Fprintln(inv.err, "agent-exec: install-skill:", err)
				return exitFailed
			}
			base = filepath.Join(home, base)
		}
	}
	path, err := writeSkill(base)
	if err != nil {
		fmt.Fprintln(inv.err, "agent-exec: install-skill:", err)
		return exitFailed
	}
	out, _ := json.Marshal(struct {
		OK   bool   `json:"ok"`
		Type string `json:"type"`
		Path string `json:"path"`
	}{true, "install_skill", path})
	fmt.Fprintf(inv.out, "%s\n", out)
	return exitOK
}

// writeSkill writes SKILL.md under base/skills/agent-exec and returns its
// absolute path. Writing it again replaces it.
func writeSkill(base string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(base, "skills", "agent-exec"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "SKILL.md")
	if err := os.WriteFile(path, skillText, 0o644); err != nil {
		return "", err
	}
	return path, nil
}
