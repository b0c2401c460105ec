package jobs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/agent-exec/agent-exec/supervisor"
)

// tcpListen is the state of a listening socket in /proc/net/tcp.
const tcpListen = "0A"

// portState says who listens on a TCP port.
type portState int

const (
	portClosed  portState = iota // nobody listens
	portOurs                     // a process of the job listens
	portForeign                  // only processes outside the job listen
)

// jobPortState reports who listens on TCP port (any local address, IPv4 or
// IPv6): a process of the job whose supervisor is process supPID (started
// at supStart), someone else, or nobody. A listening socket belongs to the
// job when one of the job's processes holds a descriptor on it.
func jobPortState(port, supPID int, supStart uint64) (portState, error) {
	inodes := make(map[string]bool)
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if err := listeners(table, port, inodes); err != nil {
			return portClosed, err
		}
	}
	if len(inodes) == 0 {
		return portClosed, nil
	}
	for _, pid := range supervisor.Descendants(supPID, supStart) {
		if holdsSocket(pid, inodes) {
			return portOurs, nil
		}
	}
	return portForeign, nil
}

// listeners adds to inodes the inode of every socket of the table (the
// format of /proc/net/tcp) that listens on port. A missing table (no IPv6)
// has none.
func listeners(table string, port int, inodes map[string]bool) error {
	f, err := os.Open(table)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close() // read-only: a close error cannot lose data
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen || !strings.HasSuffix(fields[1], want) {
			continue
		}
		if fields[9] != "0" {
			inodes[fields[9]] = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// holdsSocket reports whether process pid has a descriptor on a socket
// whose inode is one of inodes.
func holdsSocket(pid int, inodes map[string]bool) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false // gone, or not ours to look at
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + fd.Name())
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(ino, "]")] {
			return true
		}
	}
	return false
}
