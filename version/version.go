// Package version says which agent-exec this is, from the build information
// the Go toolchain embeds in the binary (runtime/debug.ReadBuildInfo): the
// module version, and the VCS revision, commit time and dirty flag when the
// binary was built from a checkout. The command line (agent-exec version)
// and the MCP server's serverInfo both report it, so they cannot disagree.
package version

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// override, when set at link time
// (-ldflags "-X github.com/agent-exec/agent-exec/version.override=v1.2.3"),
// replaces the module version, for builds that carry no VCS information.
var override string

// Info is what the build says about this binary.
type Info struct {
	// Version is the module version: a release tag (v1.2.0), a
	// pseudo-version stamped from the checkout
	// (v0.0.0-20261201150400-bfb8ef4a1b2c+dirty), or "devel" when the build
	// knows none.
	Version  string
	Revision string // the VCS commit, when known
	Time     string // the commit's time (RFC 3339), when known
	Modified bool   // the checkout had uncommitted changes
	Go       string // the Go toolchain that built it
}

// Get returns this binary's build information.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return fromBuildInfo(bi, override)
}

// fromBuildInfo reads bi (nil when the binary has none); over, when not
// empty, is the version to report.
func fromBuildInfo(bi *debug.BuildInfo, over string) Info {
	var in Info
	if bi != nil {
		in.Version, in.Go = bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Revision = s.Value
			case "vcs.time":
				in.Time = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case over != "":
		in.Version = over
	case in.Version == "" || in.Version == "(devel)":
		in.Version = "devel"
		if in.Revision != "" {
			in.Version += "+" + short(in.Revision)
			if in.Modified {
				in.Version += ".dirty"
			}
		}
	}
	return in
}

// short is the first 12 characters of a revision.
func short(rev string) string { return rev[:min(len(rev), 12)] }

// String is one line for people: the version, then what else is known,
// e.g. "v1.2.0 (revision 0123456789ab, 2026-12-01T15:04:00Z, go1.26.8)".
func (in Info) String() string {
	var extra []string
	if in.Revision != "" {
		rev := "revision " + short(in.Revision)
		if in.Modified {
			rev += " modified"
		}
		extra = append(extra, rev)
	}
	if in.Time != "" {
		extra = append(extra, in.Time)
	}
	if in.Go != "" {
		extra = append(extra, in.Go)
	}
	if len(extra) == 0 {
		return in.Version
	}
	return fmt.Sprintf("%s (%s)", in.Version, strings.Join(extra, ", "))
}

// Version returns the version alone, as the MCP server reports it.
func Version() string { return Get().Version }
