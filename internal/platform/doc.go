// Package platform stops the build, with one clear message, on a system
// agent-exec does not support. It has no API: jobstore, the lowest package
// with platform code, imports it for that effect alone, so the message
// comes before any undefined-symbol error of the packages above it.
// docs/macos-port.md is the plan for a port.
package platform
