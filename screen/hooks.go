package screen

import (
	"reflect"
	"unsafe"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// The hooks below change two settings of vt.Emulator that its API does not
// reach, through its unexported fields (vt v0.0.0-20260924144451-d676b019604b):
//
//	scrs   [2]vt.Screen  – the main and the alternate screen
//	parser *ansi.Parser  – the escape-sequence parser
//
// Each hook looks the field up by name and checks its type before touching
// it, so a library that renamed or retyped the field gets no hook rather than
// a corrupted emulator; each reports whether it applied, and
// TestHooksApplied fails when one does not.

// detachScrollback removes the scrollback buffers of both of e's screens.
// Emulator.SetScrollbackSize reaches only the main screen's (and cannot go
// below one line); the alternate screen's keeps up to 10 000 lines, which
// less, man or vim fill by scrolling: about 125 MiB at 120 columns. Every
// user of the scrollback in the library accepts nil as "no scrollback".
func detachScrollback(e *vt.Emulator) bool {
	scrs := fieldOf[[2]vt.Screen](e, "scrs")
	if scrs == nil {
		return false
	}
	for i := range scrs {
		scrs[i].SetScrollback(nil)
	}
	return true
}

// shrinkPayload replaces the parser's preallocated 4 MiB buffer for OSC, DCS
// and APC payloads by one of size bytes; longer payloads are cut.
func shrinkPayload(e *vt.Emulator, size int) bool {
	p := fieldOf[*ansi.Parser](e, "parser")
	if p == nil || *p == nil {
		return false
	}
	(*p).SetDataSize(size)
	return true
}

// fieldOf returns a pointer to e's field name if it exists and has type T,
// and nil otherwise.
func fieldOf[T any](e *vt.Emulator, name string) *T {
	f := reflect.ValueOf(e).Elem().FieldByName(name)
	if !f.IsValid() || f.Type() != reflect.TypeFor[T]() {
		return nil
	}
	return (*T)(unsafe.Pointer(f.UnsafeAddr()))
}
