package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strings"

	"github.com/agent-exec/agent-exec/jobs"
)

// decodeStrict decodes a call's arguments (raw, a JSON object, and given,
// the same decoded with json.Number for numbers) into a T the way package
// jobs reads them: unknown arguments refused, and no argument given
// explicitly with a value that jobs could not tell from leaving it out. A
// JSON null is refused, and so is the zero value ("" or 0) of a field that
// is not a pointer, unless the field's tag says zero:"value" (timeout: 0 =
// no limit). This way what a client sends means what it says, and the
// schema, which refuses the same values, agrees with jobs on every value.
//
// A whole number written with a fraction or an exponent (1.0, 1e3) is a
// whole number to JSON Schema; it is rewritten in digits first, so that an
// integer argument takes it as the schema does.
func decodeStrict[T any](raw []byte, given map[string]any) (*T, error) {
	raw = wholeNumbers(raw, given)
	args := new(T)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(args); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(args).Elem()
	for name, val := range given {
		if val == nil {
			return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Field: name,
				Message: fmt.Sprintf("%s: null is not a value; leave %s out for its default", name, name)}
		}
		f, ok := fieldByJSONName(v, name)
		if !ok {
			continue
		}
		switch f.value.Kind() {
		case reflect.String, reflect.Int, reflect.Int64, reflect.Float64:
			if f.value.IsZero() && f.zero != "value" {
				shown, _ := json.Marshal(val)
				return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Field: name,
					Message: fmt.Sprintf("%s: %s is not a value; leave %s out for its default", name, shown, name)}
			}
		}
	}
	return args, nil
}

type jsonField struct {
	value reflect.Value
	zero  string // the field's zero:"..." tag
}

// fieldByJSONName finds the field of struct v, embedded structs included,
// that encoding/json fills from the key name.
func fieldByJSONName(v reflect.Value, name string) (jsonField, bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			if f, ok := fieldByJSONName(v.Field(i), name); ok {
				return f, true
			}
			continue
		}
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == name {
			return jsonField{value: v.Field(i), zero: sf.Tag.Get("zero")}, true
		}
	}
	return jsonField{}, false
}

// wholeNumbers returns raw with every top-level argument of given that is
// a whole number written with a fraction or an exponent (1.0, 1e3, 2.5e1)
// rewritten in plain digits, when it fits in 64 bits; raw itself when
// there is none, which is the usual case and costs no decoding.
func wholeNumbers(raw []byte, given map[string]any) []byte {
	digits := map[string]string{}
	for k, v := range given {
		n, ok := v.(json.Number)
		if !ok || !strings.ContainsAny(string(n), ".eE") {
			continue
		}
		r, ok := new(big.Rat).SetString(string(n))
		if ok && r.IsInt() && r.Num().IsInt64() {
			digits[k] = r.Num().String()
		}
	}
	if len(digits) == 0 {
		return raw
	}
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return raw
	}
	for k, d := range digits {
		args[k] = json.RawMessage(d)
	}
	out, err := json.Marshal(args)
	if err != nil {
		return raw
	}
	return out
}
