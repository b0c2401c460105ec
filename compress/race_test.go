//go:build race

package compress

// raceEnabled: the race detector slows the corpus tests some twentyfold,
// so they try fewer budgets and modes under it.
const raceEnabled = true
