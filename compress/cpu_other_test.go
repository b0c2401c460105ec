//go:build !unix

package compress

func cpuTime() float64 { return 0 }
