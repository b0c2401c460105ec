package integration_test

import "testing"

// TestClientWaitCaps (issue 12, item 3): without a configured cap, a
// call's until is lowered to the cap of the client that announced itself
// (Claude Code 110 s, Codex 280 s, anything else 50 s); a configured
// AGENT_EXEC_MCP_MAX_UNTIL_SECONDS holds for every client. A job that
// ends at once shows the cap in wait.until_s without waiting for it.
func TestClientWaitCaps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		client string
		env    []string
		want   float64
	}{
		{"", nil, 50},
		{"claude-code", nil, 110},
		{"codex-mcp-client", nil, 280},
		{"claude-code", []string{"AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=20"}, 20},
		{"codex-mcp-client", []string{"AGENT_EXEC_MCP_MAX_UNTIL_SECONDS=400"}, 400},
	}
	for _, c := range cases {
		s := startServer(t, withClientName(c.client), withEnv(c.env...))
		env := s.runJob("true", obj{"until": 100000})
		if env.Wait == nil || env.Wait.UntilS != c.want {
			t.Errorf("client %q, env %v: run's wait %+v, want until_s %v", c.client, c.env, env.Wait, c.want)
		}
		obs := s.ok("observe", obj{"job_id": env.Job.JobID, "until": 100000})
		if obs.Wait == nil || obs.Wait.UntilS != c.want {
			t.Errorf("client %q, env %v: observe's wait %+v, want until_s %v", c.client, c.env, obs.Wait, c.want)
		}
		// Within the cap, until is what was asked.
		if obs := s.ok("observe", obj{"job_id": env.Job.JobID, "until": 7}); obs.Wait == nil || obs.Wait.UntilS != 7 {
			t.Errorf("client %q: observe until 7: %+v", c.client, obs.Wait)
		}
		s.stop()
	}
}
