// Package screen renders a terminal's output into the screen a person would
// see: the rows of text, the cursor, the window title and whether a
// full-screen program has switched to the alternate screen.
//
// It owns the terminal emulation for jobs that run on a pseudo-terminal and
// nothing else: it reads the bytes the job wrote and never writes anything
// back to the job (queries such as DA1 or DSR 6 get no answer from here).
//
// # Emulator
//
// The emulation is done by github.com/charmbracelet/x/vt, which reproduced
// tmux row for row on every real program we tried (bash, python3 -i, top,
// htop, less, man, vim, nano, dialog). The library is used only behind
// [Screen], which defends against its hazards:
//
//   - Queries (DA1/DA2, DSR 5/6, DECRQM, OSC 10/11 …) make the library write a
//     reply into an internal pipe and block until somebody reads it. The
//     write end of that pipe is closed as soon as the emulator is built, so
//     every reply fails at once and is dropped: Write never blocks and no
//     goroutine is needed.
//   - Some inputs make the library panic or loop for a long time: a scroll
//     region or left/right margins larger than the screen, or a huge count
//     on REP, ECH, CHT or CBT. Their parameters are capped before the
//     library sees them, sizes are clamped to [1, MaxCols]×[1, MaxRows], and
//     any panic that still happens is recovered: the emulator is rebuilt
//     blank at the same size, earlier output is lost, and
//     [Snapshot.Resets] counts how often that happened.
//   - The library drops window titles that contain ';'; Screen keeps them.
//   - Scrollback is never shown, so it is switched off (see Memory).
//
// Known differences from tmux and xterm, both library bugs reported upstream
// (charmbracelet/x issue 975, pull requests 957 and 977): a wide character
// (CJK, most emoji) that does not fit in the last column of a row is dropped
// instead of wrapping to the next row, and one that ends exactly in the last
// column is overwritten by the next character. Text of wide characters
// longer than a row therefore loses characters where it wraps. A grapheme
// cluster (a letter with a combining accent, a ZWJ emoji) split across two
// Writes is drawn as two cells; Write itself only splits long input in front
// of ASCII bytes, so this happens only where the caller's reads split it.
//
// # Memory
//
// One New(120, 40) keeps about 1.1 MiB live: the cell grids of the main and
// the alternate screen, about 0.5 MiB each, plus a 4 KiB buffer for
// OSC/DCS payloads (BenchmarkNew shows the ~5 MiB allocated transiently
// while building it). Out of the box the library keeps 5 MiB (its payload
// buffer alone is 4 MiB) and grows by up to 10 000 lines of scrollback per
// screen, about 125 MiB at 120 columns, including a hidden scrollback on the
// alternate screen that fills whenever less, man or vim scroll. The public
// API reaches neither the payload buffer nor the alternate screen's
// scrollback, so hooks.go reaches them through reflection, checking the
// field types first. If a future version of the library changes those
// fields the hooks do nothing, TestHooksApplied fails, and the fallbacks
// still hold the main scrollback to one line and keep full redraws of the
// alternate screen (ED 2) from filling its scrollback.
//
// # Speed
//
// The library moves every cell of the screen for each line it scrolls, so
// scrolling text costs about a third of a CPU-second per MiB of input at
// 120×40 (about 3 MB per CPU-second; BenchmarkWrite); full-screen redraws
// are cheaper. Do not feed a Screen on a job's output path: feed it from a
// goroutine that may fall behind, or replay a bounded tail of the output
// with [Render] when somebody asks for the screen (a 256 KiB tail costs
// about 0.1 CPU-second). A Write holds the lock for at most 16 KiB of input
// at a time, a few milliseconds, so Snapshot stays responsive while a large
// write is being processed. Snapshot itself takes about 40 µs at 120×40.
package screen
