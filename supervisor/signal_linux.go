package supervisor

import (
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Real-time signal bounds as C programs and shells see them: glibc keeps
// 32 and 33 for itself, so SIGRTMIN is 34.
const (
	sigRTMin = 34
	sigRTMax = 64
)

// SignalName names any signal from 1 to 64: SIGTERM for the classic ones,
// and for real-time signals the form kill -l prints (SIGRTMIN+6,
// SIGRTMAX-2); 32 and 33, which only the C library uses, are SIG32 and
// SIG33. It returns "" for a number outside 1-64.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	n := int(sig)
	switch {
	case n == sigRTMin:
		return "SIGRTMIN"
	case n == sigRTMax:
		return "SIGRTMAX"
	case n > sigRTMin && n <= (sigRTMin+sigRTMax)/2:
		return "SIGRTMIN+" + strconv.Itoa(n-sigRTMin)
	case n > (sigRTMin+sigRTMax)/2 && n < sigRTMax:
		return "SIGRTMAX-" + strconv.Itoa(sigRTMax-n)
	case n == 32 || n == 33:
		return "SIG" + strconv.Itoa(n)
	}
	return ""
}

// SignalNum reads a signal name, with or without the SIG prefix and in any
// case: TERM, SIGTERM, RTMIN+6, SIGRTMAX-2, SIG40. It returns 0 for a name
// it does not know or a number outside 1-64.
func SignalNum(name string) syscall.Signal {
	up := strings.ToUpper(strings.TrimSpace(name))
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	if sig := unix.SignalNum(up); sig != 0 {
		return sig
	}
	rest := strings.TrimPrefix(up, "SIG")
	if k, ok := strings.CutPrefix(rest, "RTMIN"); ok {
		return realTime(sigRTMin, k, 1)
	}
	if k, ok := strings.CutPrefix(rest, "RTMAX"); ok {
		return realTime(sigRTMax, k, -1)
	}
	if n, ok := digits(rest); ok && n >= 1 && n <= 64 {
		return syscall.Signal(n)
	}
	return 0
}

// realTime reads the offset part of RTMIN+k (dir 1) or RTMAX-k (dir -1):
// "" or the sign then digits, giving a signal within SIGRTMIN-SIGRTMAX.
func realTime(base int, off string, dir int) syscall.Signal {
	n := base
	if off != "" {
		sign := "+"
		if dir < 0 {
			sign = "-"
		}
		k, ok := digits(strings.TrimPrefix(off, sign))
		if !ok || !strings.HasPrefix(off, sign) {
			return 0
		}
		n = base + dir*k
	}
	if n < sigRTMin || n > sigRTMax {
		return 0
	}
	return syscall.Signal(n)
}

// digits reads a short unsigned decimal number.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 3 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
