package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

const testModule = "github.com/agent-exec/agent-exec"

// buildOf is the build information of a clean build of revision rev of the
// program at pkg, with deps.
func buildOf(pkg, rev string, deps ...*debug.Module) *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.27.3", Path: pkg,
		Main: debug.Module{Path: testModule, Version: "v0.0.0-20261201000000-" + rev},
		Deps: deps,
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"},
		},
	}
}

// released is the build information of `go install pkg@version`: no
// version control stamp.
func released(pkg, version string, deps ...*debug.Module) *debug.BuildInfo {
	bi := buildOf(pkg, "", deps...)
	bi.Main.Version = version
	bi.Settings = bi.Settings[:2]
	return bi
}

func withSetting(bi *debug.BuildInfo, key, value string) *debug.BuildInfo {
	out := *bi
	out.Settings = nil
	for _, s := range bi.Settings {
		if s.Key != key {
			out.Settings = append(out.Settings, s)
		}
	}
	if value != "" {
		out.Settings = append(out.Settings, debug.BuildSetting{Key: key, Value: value})
	}
	return &out
}

// TestSameBuild is the rule that decides whether a sibling supervisor may
// be used: only a build of exactly the running binary's source.
func TestSameBuild(t *testing.T) {
	sys := &debug.Module{Path: "golang.org/x/sys", Version: "v0.40.0", Sum: "h1:a="}
	mcp := &debug.Module{Path: "github.com/mark3labs/mcp-go", Version: "v1.2.1", Sum: "h1:b="}
	own := buildOf(testModule, "abc123", sys, mcp)
	ownRel := released(testModule, "v1.4.0", sys, mcp)
	goVer := buildOf(siblingPackage, "abc123", sys)
	goVer.GoVersion = "go1.27.2"
	otherModule := buildOf(siblingPackage, "abc123", sys)
	otherModule.Main.Path = "example.com/fork"
	otherSys := *sys
	otherSys.Version = "v0.41.0"
	replaced := *sys
	replaced.Replace = &debug.Module{Path: "../sys"}
	cases := []struct {
		name     string
		own, sib *debug.BuildInfo
		same     bool
	}{
		{"same clean revision", own, buildOf(siblingPackage, "abc123", sys), true},
		{"same release", ownRel, released(siblingPackage, "v1.4.0", sys), true},
		{"another revision (stale sibling)", own, buildOf(siblingPackage, "def456", sys), false},
		{"another release", ownRel, released(siblingPackage, "v1.3.9", sys), false},
		{"not the supervisor program", own, buildOf(testModule, "abc123", sys), false},
		{"another module", own, otherModule, false},
		{"another Go version", own, goVer, false},
		{"another GOARCH", own, withSetting(buildOf(siblingPackage, "abc123", sys), "GOARCH", "arm64"), false},
		{"sibling from a modified tree", own, withSetting(buildOf(siblingPackage, "abc123", sys), "vcs.modified", "true"), false},
		{"running from a modified tree", withSetting(own, "vcs.modified", "true"),
			withSetting(buildOf(siblingPackage, "abc123", sys), "vcs.modified", "true"), false},
		{"modified unknown", withSetting(own, "vcs.modified", ""), withSetting(buildOf(siblingPackage, "abc123", sys), "vcs.modified", ""), false},
		{"only the sibling from version control", ownRel, buildOf(siblingPackage, "abc123", sys), false},
		{"only the running binary from version control", own, released(siblingPackage, own.Main.Version, sys), false},
		{"devel, no version control", released(testModule, "(devel)", sys), released(siblingPackage, "(devel)", sys), false},
		{"dirty version, no version control", released(testModule, "v1.4.0+dirty", sys), released(siblingPackage, "v1.4.0+dirty", sys), false},
		{"a dependency at another version", own, buildOf(siblingPackage, "abc123", &otherSys), false},
		{"a dependency replaced", own, buildOf(siblingPackage, "abc123", &replaced), false},
		{"a dependency the running binary lacks", own, buildOf(siblingPackage, "abc123", sys, &debug.Module{Path: "example.com/x", Version: "v1.0.0"}), false},
	}
	for _, c := range cases {
		err := sameBuild(c.own, c.sib)
		if (err == nil) != c.same {
			t.Errorf("%s: sameBuild = %v, want same=%v", c.name, err, c.same)
		}
		if err != nil && !errors.Is(err, errNotSameBuild) {
			t.Errorf("%s: %v does not wrap errNotSameBuild", c.name, err)
		}
	}
}

// TestPickProgram is Launch's choice of program: the sibling only when it
// is there, executable and the same build; a verdict is reused until the
// file changes.
func TestPickProgram(t *testing.T) {
	own := buildOf(testModule, "abc123")
	infos := map[string]*debug.BuildInfo{}
	reads := 0
	old := readBuildInfo
	readBuildInfo = func(path string) (*debug.BuildInfo, error) {
		reads++
		if bi := infos[path]; bi != nil {
			return bi, nil
		}
		return nil, errors.New("not a Go binary")
	}
	t.Cleanup(func() { readBuildInfo = old })
	dir := t.TempDir()
	sib := filepath.Join(dir, SiblingName)
	write := func(content string, mode os.FileMode) {
		t.Helper()
		os.Remove(sib)
		if err := os.WriteFile(sib, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	pick := func(want string) {
		t.Helper()
		if got, why := pickProgram(sib, own); got != want {
			t.Fatalf("pickProgram = %s (%s), want %s", got, why, want)
		}
	}

	pick(selfExe) // absent
	write("x", 0o644)
	pick(selfExe) // not executable
	if reads != 0 {
		t.Fatalf("read the build information of a file that cannot be the sibling (%d reads)", reads)
	}
	write("xx", 0o755)
	pick(selfExe) // not a Go binary
	infos[sib] = buildOf(siblingPackage, "def456")
	write("xxx", 0o755)
	pick(selfExe) // another revision
	infos[sib] = buildOf(siblingPackage, "abc123")
	write("xxxx", 0o755)
	pick(sib) // the same build
	n := reads
	pick(sib)
	if reads != n {
		t.Errorf("the verdict on an unchanged sibling was not reused (%d reads, want %d)", reads, n)
	}
	infos[sib] = buildOf(siblingPackage, "fff000")
	write("xxxxx", 0o755)
	pick(selfExe) // replaced by a stale one: judged anew
	t.Setenv(ProgramEnvVar, "self")
	if got, _ := Program(); got != selfExe {
		t.Errorf("Program with %s=self = %s", ProgramEnvVar, got)
	}
}
