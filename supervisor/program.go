package supervisor

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
)

// SiblingName is the file name of the optional supervisor program
// installed beside agent-exec (package cmd/agent-exec-supervisor).
const SiblingName = "agent-exec-supervisor"

// siblingPackage is the main package a sibling must have been built from.
const siblingPackage = "github.com/agent-exec/agent-exec/cmd/" + SiblingName

// ProgramEnvVar, set to "self", makes [Launch] re-execute the running
// binary even when a sibling of the same build is installed (for tests
// and debugging). Other values are ignored.
const ProgramEnvVar = "AGENT_EXEC_SUPERVISOR"

// selfExe is what [Launch] executes when no sibling is used.
const selfExe = "/proc/self/exe"

// Program says which program [Launch] executes as a job's supervisor: the
// sibling [SiblingName] in the directory of the running executable
// (os.Executable, symbolic links resolved; never looked up in PATH) when it
// is the same build as the running binary (see [sameBuild]), otherwise
// the running binary itself (/proc/self/exe). why says why, in a few words.
// The verdict on a sibling file is kept per process, keyed by its path,
// size, modification time and inode, so a replaced sibling is judged
// anew.
func Program() (path, why string) {
	if os.Getenv(ProgramEnvVar) == "self" {
		return selfExe, ProgramEnvVar + "=self"
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return selfExe, fmt.Sprintf("running executable not found: %v", err)
	}
	own, ok := debug.ReadBuildInfo()
	if !ok {
		return selfExe, "the running binary has no build information"
	}
	return pickProgram(filepath.Join(filepath.Dir(exe), SiblingName), own)
}

// pickProgram is [Program]'s choice between the sibling file at sibling
// and the running binary, whose build information is own.
func pickProgram(sibling string, own *debug.BuildInfo) (path, why string) {
	fi, err := os.Stat(sibling)
	if err != nil {
		return selfExe, "no " + SiblingName + " beside the executable"
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return selfExe, sibling + " is not an executable file"
	}
	key := siblingKey{path: sibling, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key.ino = st.Ino
	}
	verdicts.Lock()
	err, seen := verdicts.m[key]
	verdicts.Unlock()
	if !seen {
		err = judgeSibling(sibling, own)
		verdicts.Lock()
		verdicts.m[key] = err
		verdicts.Unlock()
	}
	if err != nil {
		return selfExe, fmt.Sprintf("%s not used: %v", sibling, err)
	}
	return sibling, "same build"
}

// siblingKey identifies a version of a sibling file.
type siblingKey struct {
	path  string
	size  int64
	mtime int64
	ino   uint64
}

// verdicts caches [judgeSibling]'s answers (nil: use it).
var verdicts = struct {
	sync.Mutex
	m map[siblingKey]error
}{m: map[siblingKey]error{}}

// judgeSibling reads the build information of the file at path, without
// running it, and says (nil) whether it is the same build as own.
func judgeSibling(path string, own *debug.BuildInfo) error {
	sib, err := readBuildInfo(path)
	if err != nil {
		return fmt.Errorf("build information: %w", err)
	}
	return sameBuild(own, sib)
}

// readBuildInfo reads a file's build information without running it; a
// variable for tests.
var readBuildInfo = buildinfo.ReadFile

// errNotSameBuild is wrapped by every "not the same build" verdict.
var errNotSameBuild = errors.New("not the same build")

// sameBuild says (nil) whether sib, the build information of a would-be
// sibling, describes a supervisor built from exactly the source of own,
// the running binary's: a stale sibling from another commit or version
// must never be used, because the supervisor protocol and the on-disk
// formats may differ between them. The rule:
//   - sib's main package is cmd/agent-exec-supervisor of own's main module
//     (same module path), and both were built by the same Go version for
//     the same GOOS/GOARCH;
//   - the source is the same: when either was stamped from version
//     control, both were, with the same system and revision and neither
//     with local modifications (a modified tree cannot be told apart from
//     another modified tree, so such a build never uses a sibling);
//     otherwise both carry the same module version, a real one (a release
//     or pseudo-version as `go install ...@version` stamps; "(devel)" and
//     "+dirty" versions are refused), and the same module sum;
//   - every module sib links is linked by own at the same version, sum and
//     replacement (this catches a different go.work or replace).
func sameBuild(own, sib *debug.BuildInfo) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{errNotSameBuild}, a...)...)
	}
	switch {
	case sib.Path != siblingPackage:
		return bad("its main package is %q, not %q", sib.Path, siblingPackage)
	case sib.Main.Path != own.Main.Path:
		return bad("module %q, running %q", sib.Main.Path, own.Main.Path)
	case sib.GoVersion != own.GoVersion:
		return bad("built by %s, running %s", sib.GoVersion, own.GoVersion)
	}
	for _, k := range []string{"GOOS", "GOARCH"} {
		if a, b := setting(sib, k), setting(own, k); a != b {
			return bad("%s %q, running %q", k, a, b)
		}
	}
	if err := sameSource(own, sib); err != nil {
		return bad("%v", err)
	}
	ownDeps := map[string]*debug.Module{}
	for _, d := range own.Deps {
		ownDeps[d.Path] = d
	}
	for _, d := range sib.Deps {
		o := ownDeps[d.Path]
		if o == nil || !sameModule(o, d) {
			return bad("dependency %s differs", d.Path)
		}
	}
	return nil
}

// sameSource is the source part of [sameBuild]'s rule.
func sameSource(own, sib *debug.BuildInfo) error {
	ownRev, sibRev := setting(own, "vcs.revision"), setting(sib, "vcs.revision")
	if ownRev != "" || sibRev != "" {
		switch {
		case ownRev == "" || sibRev == "":
			return errors.New("only one of them was built from version control")
		case setting(own, "vcs") != setting(sib, "vcs") || ownRev != sibRev:
			return fmt.Errorf("revision %s, running %s", sibRev, ownRev)
		case setting(own, "vcs.modified") != "false" || setting(sib, "vcs.modified") != "false":
			return errors.New("built from a modified source tree")
		}
		return nil
	}
	v := own.Main.Version
	switch {
	case v == "" || v == "(devel)" || strings.Contains(v, "+dirty"):
		return fmt.Errorf("running version %q does not identify its source", v)
	case sib.Main.Version != v || sib.Main.Sum != own.Main.Sum:
		return fmt.Errorf("version %s, running %s", sib.Main.Version, v)
	}
	return nil
}

// sameModule says whether a and b are the same module at the same version,
// sum and replacement.
func sameModule(a, b *debug.Module) bool {
	if a.Path != b.Path || a.Version != b.Version || a.Sum != b.Sum {
		return false
	}
	if a.Replace == nil || b.Replace == nil {
		return a.Replace == nil && b.Replace == nil
	}
	return sameModule(a.Replace, b.Replace)
}

// setting is the value of build setting key in bi, or "".
func setting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
