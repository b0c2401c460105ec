// Package bench is agent-exec's benchmark suite. It has no code of its
// own: its benchmark measures, in one run, the raw floors of this machine
// (fork+exec+wait of true, a plain write to the disk) and agent-exec's
// costs against them, and prints a table of figures and ratios:
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/
//
// With -short it measures less (fewer samples, smaller files) and fails
// only on gross regressions, ratios against the floors of the same run
// with generous bounds, so a busy machine does not fail it; .ci/run runs
// that form.
package bench
