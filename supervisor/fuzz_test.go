package supervisor

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary bytes to the control socket's message
// decoder: it never panics, accepts only a line of at most maxControlLine
// bytes (plus its newline) that is a JSON request, and then decodes exactly
// what encoding/json makes of that first line.
func FuzzDecodeRequest(f *testing.F) {
	// An oversized line is refused however it ends; the fuzzer's inputs
	// are far smaller, so check the limit once here.
	big := append([]byte(`{"op":"input","data":"`), bytes.Repeat([]byte("A"), maxControlLine)...)
	big = append(big, "\"}\n"...)
	if _, err := decodeRequest(bytes.NewReader(big)); err == nil || !strings.Contains(err.Error(), "longer than") {
		f.Fatalf("decodeRequest(%d-byte line) error = %v, want a too-long error", len(big), err)
	}
	if _, err := decodeRequest(bytes.NewReader(big[:len(big)-1])); err == nil {
		f.Fatalf("decodeRequest(%d bytes without a newline) succeeded", len(big)-1)
	}

	for _, seed := range []string{
		`{"op":"ping"}` + "\n",
		`{"op":"kill","signal":15,"grace_ms":5000,"reason":"kill"}` + "\n",
		`{"op":"input","data":"aGVsbG8K","eof":true,"cols":80,"rows":24}` + "\n",
		`{"op":"screen"}` + "\n",
		`{"op":"ping"}`, // no newline
		"\n",
		"",
		"null\n",
		"[]\n",
		`{"op":1}` + "\n",
		`{"op":"kill","signal":-9,"grace_ms":-1}` + "\n",
		`{"op":"kill","signal":1e400}` + "\n",
		`{"op":"input","data":"not base64!"}` + "\n",
		`{"op":"ping"}` + "\n" + `{"op":"kill"}` + "\n",
		`{"op":"ping","extra":{"deep":[[[[[[[[[[]]]]]]]]]]}}` + "\n",
		"{\"op\":\"\\u0000\\ud800\"}\n",
		"\xff\xfe{\"op\":\"ping\"}\n",
		`{"op":"ping"` + "\n" + `}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeRequest(bytes.NewReader(data))
		i := bytes.IndexByte(data, '\n')
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("decodeRequest(%q): empty error", data)
			}
			return
		}
		if i < 0 {
			t.Fatalf("decodeRequest(%q) = %+v without a newline, want an error", data, req)
		}
		if i > maxControlLine {
			t.Fatalf("decodeRequest accepted a %d-byte line", i)
		}
		var want request
		if jerr := json.Unmarshal(data[:i+1], &want); jerr != nil {
			t.Fatalf("decodeRequest(%q) = %+v, but the line is not a request: %v", data, req, jerr)
		}
		if !reflect.DeepEqual(req, want) {
			t.Fatalf("decodeRequest(%q) = %+v, want %+v", data, req, want)
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("re-encode %+v: %v", req, err)
		}
	})
}
