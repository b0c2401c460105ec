// Package compress chooses what a model reads of a job's output when the
// output is larger than the window it asked for, or when it asked for a
// summary. It is pure: text and the job's command in, text and a [Report]
// out, with no I/O and no state between calls (its package variables are
// regular expressions compiled once and read-only tables). On inputs of
// tens of thousands of lines it scans lines on two goroutines.
//
// # What it does
//
// [Compress] classifies the output by the job's command (unwrapping shell
// wrappers such as sh -c '…', bash -lc '…', env X=1 …, cd dir && …, npx,
// timeout) and, failing that, by the output's shape. The detected kind's
// summarizer ranks every line, from most to least important: final totals
// ("FAIL", "Tests: 3 failed", kept first within a quarter of the budget),
// the failures of that kind (a failing test, a compiler error, an ERROR log
// line, a panic; past the third failure that looks like an earlier one
// once numbers and ids are set aside, failures rank as ordinary lines,
// except that test runners keep every failing test and logs the first five
// of each error), summaries
// (package results, file headers, commit subjects), failure messages, the
// head and the tail, context (source excerpts, stack frames), ordinary
// lines, and noise (passing tests, repeated log lines, progress updates,
// git hints).
//
// [Auto] returns a text that fits unchanged; one that does not keeps lines
// by rank while they fit, then fills what room is left with ordinary lines
// from both ends (three bytes at the tail for one at the head), then with
// noise — except for test runs, where passing tests tell a model nothing and
// every run of them stays one marker.
// [Always] and the forced kinds ([Errors], [Tests], …) keep only what ranks
// above ordinary lines, within [Input.MaxBytes]: a summary.
//
// Compress only ever selects: the returned text is the input's kept lines
// (or, for a very long line, its first and last bytes), in their original
// order, with every omitted run replaced by ONE marker line such as
//
//	[... 312 lines omitted (passing tests; offsets 1024-18431); read with offset=1024 ...]
//
// So a masked value stays masked (nothing is synthesised but markers), and
// a reader can always fetch what was left out.
//
// # Offsets
//
// A marker's offsets are byte offsets into the log: the omitted run is
// [A, B). They are computed from [Input.Start] plus the byte position in
// [Input.Text], which is exact when Text holds the log's bytes unchanged.
// When Text is cleaned (escape sequences removed, carriage-return overwrites
// collapsed), byte positions drift; the caller then passes
// [Input.LineEnds] (see [LineEnds]), the raw offset where each line ends,
// and the offsets become exact at line granularity. A cut inside a single
// long line whose cleaning changed its length is widened to the whole line,
// so reading from A never skips a byte.
//
// # Guarantees
//
// The returned text is valid UTF-8 when the input is, is never longer than
// Input.MaxBytes, and is shorter than Input.Text whenever applied is true
// (unless Input.Holes says Text is only parts of the span);
// when Compress cannot do that (or when mode says not to), applied is false
// and the text is Input.Text unchanged, for the caller to show as it would
// have without this package.
package compress
