//go:build !linux

package platform

// agent-exec is built on Linux facilities (a child subreaper,
// pidfds, inotify, /proc). On any other system the build stops here, with
// the reason in the compiler's message; docs/macos-port.md is the plan for
// a port.
var _ int = "agent-exec is Linux-only; see docs/macos-port.md"
