package supervisor

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// socketPath names the control socket of the directory open as dirFD. The
// /proc/self/fd form keeps the path far below the 108-byte limit of
// sun_path whatever the length of the root.
func socketPath(dirFD int) string {
	return "/proc/self/fd/" + strconv.Itoa(dirFD) + "/" + "ctl.sock"
}

func openDir(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	return os.NewFile(uintptr(fd), dir), nil
}
