package jobs

import (
	"io"
	"os"

	"github.com/agent-exec/agent-exec/jobstore"
	"github.com/agent-exec/agent-exec/output"
	"github.com/agent-exec/agent-exec/screen"
	"github.com/agent-exec/agent-exec/supervisor"
)

// replayTail is how much of a finished run's output is replayed to draw
// its last screen: enough for any full-screen program's last redraw.
const replayTail = 256 << 10

// screenOf returns the screen of tty job m: the supervisor's live one while
// the job runs, else the last screen of its latest run, drawn by replaying
// the end of its output. Masked values are redacted on the screen too.
func (s *Service) screenOf(m *jobstore.Meta, st *jobstore.State, log string) (*Screen, error) {
	if !m.TTY {
		return nil, invalid("view", "job %s has no terminal: view screen is for jobs started with tty", m.ID)
	}
	var scr *Screen
	if st.State == jobstore.StateRunning {
		if live, err := supervisor.Dial(s.store.Dir(m.ID)).Screen(); err == nil {
			scr = screenFrom(live)
		}
	}
	if scr == nil {
		data, err := readTail(log, st.LogOffset["output"], replayTail)
		if err != nil {
			return nil, err
		}
		// Only the lines that can still show are drawn: scrolling costs a
		// redraw of the whole screen per line.
		scr = screenFrom(supervisor.ScreenOf(screen.Render(screen.Tail(data, m.Rows), m.Cols, m.Rows)))
	}
	red := output.NewRedactor(secrets(m)...)
	for i, line := range scr.Lines {
		scr.Lines[i] = red.String(line)
	}
	scr.Title = red.String(scr.Title)
	return scr, nil
}

// Screen is what a person would see on a tty job's terminal: the screen
// view of observe and what attach draws first.
type Screen struct {
	Cols   int      `json:"cols"`
	Rows   int      `json:"rows"`
	Lines  []string `json:"lines"` // Rows lines of text, trailing spaces trimmed
	Cursor struct {
		Row int `json:"row"` // 0-based
		Col int `json:"col"`
	} `json:"cursor"`
	Title string `json:"title,omitempty"`
	// AltScreen is true while a full-screen program uses the alternate screen.
	AltScreen bool `json:"alt_screen,omitempty"`
}

// screenFrom converts a supervisor's screen to the tool's.
func screenFrom(s *supervisor.Screen) *Screen {
	out := &Screen{Cols: s.Cols, Rows: s.Rows, Lines: s.Lines, Title: s.Title, AltScreen: s.AltScreen}
	out.Cursor.Row, out.Cursor.Col = s.Cursor.Row, s.Cursor.Col
	return out
}

// readTail reads the last limit bytes of the log from offset from on.
func readTail(path string, from, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	start := max(from, fi.Size()-limit)
	if start >= fi.Size() {
		return nil, nil
	}
	buf := make([]byte, fi.Size()-start)
	if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
		return nil, err
	}
	return buf, nil
}
