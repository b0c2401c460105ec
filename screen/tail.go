package screen

import "bytes"

// Tail returns the end of data that can still show on a screen of rows
// rows: its last rows lines (each takes at least one row) and the
// unfinished line after them, or all of data when it has fewer. Scrolling costs a redraw of
// every cell per line, so replaying only this suffix bounds the work of
// drawing a screen whatever the output was; a full-screen program, which
// positions its cursor instead of scrolling, keeps its last redraws.
func Tail(data []byte, rows int) []byte {
	_, rows = clampSize(1, rows)
	keep := rows + 1
	end := len(data)
	for range keep {
		i := bytes.LastIndexByte(data[:end], '\n')
		if i < 0 {
			return data
		}
		end = i
	}
	return data[end+1:]
}
