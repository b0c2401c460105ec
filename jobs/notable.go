package jobs

import (
	"sort"

	"github.com/agent-exec/agent-exec/supervisor"
)

// notableLines returns the lines of the notable-line index of the log at
// logPath (see [supervisor.ExtendNotable]) with an offset in [from, to),
// extending the index at idxPath to the last line that ends at or before
// end first. The supervisor keeps the index as the log grows, so this
// costs reading the index plus, at most, scanning what it had not reached
// yet.
func notableLines(logPath, idxPath string, end, from, to int64) ([]supervisor.NotableLine, error) {
	lines, err := supervisor.ExtendNotable(logPath, idxPath, end, 0)
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(lines), func(k int) bool { return lines[k].Off >= from })
	j := sort.Search(len(lines), func(k int) bool { return lines[k].Off >= to })
	return lines[i:j], nil
}
