package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := func(rev, tm, mod string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: tm}, {Key: "vcs.modified", Value: mod}}
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name        string
		bi          *debug.BuildInfo
		over        string
		wantVersion string
		wantString  string
	}{
		{"no build info", nil, "", "devel", "devel"},
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}}, "",
			"v1.2.0", "v1.2.0 (go1.26.8)"},
		{"stamped checkout", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main:     debug.Module{Version: "v0.0.0-20261201150400-0123456789ab+dirty"},
			Settings: vcs(rev, "2026-12-01T15:04:00Z", "true")}, "",
			"v0.0.0-20261201150400-0123456789ab+dirty",
			"v0.0.0-20261201150400-0123456789ab+dirty (revision 0123456789ab modified, 2026-12-01T15:04:00Z, go1.26.8)"},
		{"devel with revision", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: vcs(rev, "2026-12-01T15:04:00Z", "false")}, "",
			"devel+0123456789ab", "devel+0123456789ab (revision 0123456789ab, 2026-12-01T15:04:00Z, go1.26.8)"},
		{"devel dirty", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "", "true")}, "",
			"devel+0123456789ab.dirty", "devel+0123456789ab.dirty (revision 0123456789ab modified)"},
		{"link-time override", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v9.9.9", "v9.9.9", "v9.9.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fromBuildInfo(tt.bi, tt.over)
			if in.Version != tt.wantVersion || in.String() != tt.wantString {
				t.Errorf("fromBuildInfo = %q / %q, want %q / %q", in.Version, in.String(), tt.wantVersion, tt.wantString)
			}
		})
	}
}

// The test binary has build information: Get reads it.
func TestGet(t *testing.T) {
	in := Get()
	if in.Version == "" || !strings.HasPrefix(in.Go, "go") {
		t.Errorf("Get() = %+v, want a version and the Go version", in)
	}
}
