// Package output reads bounded windows of a job's log files and turns the raw
// bytes into text a model can read. It owns the window arithmetic (forward
// pages, head-and-tail windows with an omitted middle, tail views) and the
// cleaning of terminal output (escape sequences removed, carriage-return
// overwrites collapsed, invalid UTF-8 replaced by U+FFFD, secret values
// redacted). Its contract: every offset it reports is an exact raw byte offset
// into the log file, so a caller can page on with [Window.NextOffset] and never
// skip or repeat a byte; the text is always valid UTF-8 and never contains a
// secret given in [Options.Redact]; and reading is bounded, costing
// O(MaxBytes) whatever the size of the file.
package output
