package cli

import (
	"log/slog"
	"slices"
	"strings"
)

// bareEnvMax is the most variables an environment may have and still be
// bare. Codex starts MCP servers with HOME, LANG, PATH and TERM only (plus
// its config's env table); a login shell has dozens.
const bareEnvMax = 6

// bareEnv returns the sorted names of env's variables, agent-exec's own
// settings (AGENT_EXEC_*) left out, and whether there are at most
// bareEnvMax of them.
func bareEnv(env []string) ([]string, bool) {
	var names []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k != "" && !strings.HasPrefix(k, "AGENT_EXEC_") {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names, len(names) <= bareEnvMax
}

// warnBareEnv logs one line when the server's environment is bare: every
// job it starts inherits that environment, so tools the jobs need (GOPATH,
// NODE_OPTIONS, proxies, tokens) would be missing. Only names are logged,
// never values.
func warnBareEnv(log *slog.Logger, env []string) {
	names, bare := bareEnv(env)
	if !bare {
		return
	}
	log.Warn("bare environment: jobs started by this server inherit only these variables; forward what they need in the MCP client's configuration (Codex: env_vars; see the README)",
		"variables", strings.Join(names, ","))
}
