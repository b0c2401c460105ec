//go:build unix

package compress

import "syscall"

// cpuTime returns the CPU time (user and system) this process has used, in
// seconds: benchmarks report it beside the wall clock, which other load on
// the machine inflates.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
