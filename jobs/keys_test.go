package jobs

import "testing"

func TestKeyBytes(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want string
		ok   bool
	}{
		{[]string{"enter"}, "\r", true},
		{[]string{"ctrl-c"}, "\x03", true},
		{[]string{"CTRL-A", "ctrl+z", "c-d"}, "\x01\x1a\x04", true},
		{[]string{"up", "down", "right", "left"}, "\x1b[A\x1b[B\x1b[C\x1b[D", true},
		{[]string{"f1", "f5", "f12"}, "\x1bOP\x1b[15~\x1b[24~", true},
		{[]string{"tab", "esc", "backspace", "delete"}, "\t\x1b\x7f\x1b[3~", true},
		{[]string{"home", "end", "pageup", "pagedown"}, "\x1b[H\x1b[F\x1b[5~\x1b[6~", true},
		{[]string{"ctrl-]"}, "\x1d", true},
		{[]string{"q", "Y", "é"}, "qYé", true},
		{[]string{"ctrl-1"}, "", false},
		{[]string{"f13"}, "", false},
		{[]string{""}, "", false},
	} {
		got, err := KeyBytes(tc.keys)
		if (err == nil) != tc.ok || string(got) != tc.want {
			t.Errorf("KeyBytes(%q) = %q, %v; want %q ok=%v", tc.keys, got, err, tc.want, tc.ok)
		}
		if err != nil && codeOf(err) != CodeInvalidInput {
			t.Errorf("KeyBytes(%q) error code = %s, want invalid_input", tc.keys, codeOf(err))
		}
	}
}
