package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/agent-exec/agent-exec/jobs"
)

// decodeStrict decodes a call's arguments (a JSON object) into a T the way
// package jobs reads them: unknown arguments refused, and no argument given
// explicitly with a value that jobs could not tell from leaving it out. A
// JSON null is refused, and so is the zero value ("" or 0) of a field that
// is not a pointer, unless the field's tag says zero:"value" (timeout: 0 =
// no limit). This way what a client sends means what it says, and the
// schema, which refuses the same values, agrees with jobs on every value.
func decodeStrict[T any](raw []byte) (*T, error) {
	args := new(T)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(args); err != nil {
		return nil, err
	}
	var given map[string]json.RawMessage
	if err := json.Unmarshal(raw, &given); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(args).Elem()
	for name, val := range given {
		if string(bytes.TrimSpace(val)) == "null" {
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
				return nil, &jobs.Error{Code: jobs.CodeInvalidInput, Field: name,
					Message: fmt.Sprintf("%s: %s is not a value; leave %s out for its default", name, val, name)}
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
