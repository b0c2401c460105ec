package compress

import (
	"regexp"
	"sync"
)

// lazyRegexp returns a function that compiles expr on its first call and
// returns the same *regexp.Regexp on every call. The package's expressions
// are compiled when output is first compressed, not at start-up: every
// process of the binary (a job's supervisor included) would otherwise pay
// for them in time and memory.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
