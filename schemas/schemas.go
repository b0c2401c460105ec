// Package schemas owns the JSON Schema documents of agent-exec's MCP tools
// (schema_version "2"): one input and one output schema per tool, committed
// as *.json files in this directory and embedded in the binary.
//
// The documents are JSON Schema 2020-12. They carry no "$schema" keyword:
// MCP takes an unstamped schema as 2020-12, and clients whose validator only
// knows draft-07 reject a 2020-12 stamp but accept the unstamped document
// (no 2020-12-only keyword is used).
//
// Parts used by several tools are written once, in defs.json, and tool
// files refer to them as {"$ref": "#/$defs/NAME"}. Input and Output return
// self-contained documents, built from the files on first use:
//
//   - an input schema has every such reference replaced by the definition
//     itself, so it contains no "$ref" at all: several MCP clients cannot
//     resolve references in an inputSchema, and models read properties
//     best when they are spelled out;
//   - an output schema is inlined the same way: no model reads it (clients
//     hand the model name, description and input schema only), so it is
//     kept small, and code-generating clients (Codex's code mode) render
//     its plain nested objects as concrete types.
//
// Input schemas keep combinators (oneOf, anyOf, allOf) away from their top
// level, because the Anthropic API rejects tool schemas that have them
// there. Output schemas are oneOf [the tool's success envelope, the error
// envelope], because clients validate structuredContent against the
// outputSchema even on isError results.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:embed *.json
var files embed.FS

// tools is the order of Tools: the order of the tool table in DESIGN.md.
var tools = []string{"run", "create", "start", "restart", "kill", "observe", "input", "list", "update", "delete", "gc"}

// Tools lists the tool names that have schemas, in a stable order.
func Tools() []string {
	return slices.Clone(tools)
}

// Input returns the tool's input schema as clients are sent it: a
// self-contained JSON document without any "$ref", bounds or patterns,
// brief arguments reduced to their type and values, and definitions
// replaced by their "x-published" form. The caller owns the returned bytes. Input panics on
// an unknown tool name, which is a programming error.
func Input(tool string) json.RawMessage {
	return slices.Clone(lookup(tool).published)
}

// Validated returns the input schema arguments are validated against: the
// document Input publishes with the bounds and patterns publish leaves
// out, brief arguments in full and definitions in their full form rather
// than their "x-published" one. The caller owns the returned bytes.
func Validated(tool string) json.RawMessage {
	return slices.Clone(lookup(tool).input)
}

// Output returns the tool's output schema: a self-contained JSON document
// whose references all point into its own "$defs". The caller owns the
// returned bytes. Output panics on an unknown tool name, which is a
// programming error.
func Output(tool string) json.RawMessage {
	return slices.Clone(lookup(tool).output)
}

// toolDocs is one tool's assembled documents and what ValidateInput needs
// to know about them.
type toolDocs struct {
	input []byte // compact JSON, what arguments are validated against
	// published is what clients are sent: input without bounds and
	// patterns (see publish), brief arguments reduced to briefKeep and
	// definitions in their x-published form.
	published []byte
	output    []byte // compact JSON

	// params are the input's property names, sorted, for "unknown argument"
	// messages.
	params []string
	// exclusive are the arguments of the input's top-level
	// "not": {"required": [...]}, which may not be given together.
	exclusive []string
	// brief are the arguments published without a description (the
	// tool file's "x-brief"): the tool's description says they are as in
	// run.
	brief []string
}

// assembled holds every tool's documents. Building them is deferred to
// first use so that processes that never serve MCP (the supervisor) do not
// pay for it. The embedded files are fixed, so a failure is a bug in this
// package and panics; the tests build every document.
var assembled = sync.OnceValue(func() map[string]*toolDocs {
	m, err := assembleAll(files)
	if err != nil {
		panic("schemas: " + err.Error())
	}
	return m
})

func lookup(tool string) *toolDocs {
	d, ok := assembled()[tool]
	if !ok {
		panic(fmt.Sprintf("schemas: no schema for tool %q", tool))
	}
	return d
}

// defsPrefix starts every reference a tool file may use.
const defsPrefix = "#/$defs/"

// assembleAll builds the documents of every tool in tools from fsys, which
// holds defs.json and the tool files.
func assembleAll(fsys embed.FS) (map[string]*toolDocs, error) {
	raw, err := fsys.ReadFile("defs.json")
	if err != nil {
		return nil, fmt.Errorf("read defs: %w", err)
	}
	var file struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("decode defs.json: %w", err)
	}
	defs := make(map[string][]byte, len(file.Defs))
	pubDefs := make(map[string][]byte, len(file.Defs))
	for name, def := range file.Defs {
		var buf bytes.Buffer
		if err := json.Compact(&buf, def); err != nil {
			return nil, fmt.Errorf("compact def %s: %w", name, err)
		}
		defs[name], pubDefs[name] = splitPublished(buf.Bytes())
	}

	m := make(map[string]*toolDocs, len(tools))
	for _, tool := range tools {
		d := &toolDocs{}
		in, err := fsys.ReadFile(tool + ".input.json")
		if err != nil {
			return nil, fmt.Errorf("read %s input: %w", tool, err)
		}
		in, short, brief, err := briefen(in, defs)
		if err != nil {
			return nil, fmt.Errorf("%s.input.json: %w", tool, err)
		}
		d.brief = brief
		if d.input, err = inline(in, defs); err != nil {
			return nil, fmt.Errorf("%s.input.json: %w", tool, err)
		}
		if short, err = inline(short, pubDefs); err != nil {
			return nil, fmt.Errorf("%s.input.json: %w", tool, err)
		}
		if d.published, err = publish(short); err != nil {
			return nil, fmt.Errorf("%s.input.json: %w", tool, err)
		}
		out, err := fsys.ReadFile(tool + ".output.json")
		if err != nil {
			return nil, fmt.Errorf("read %s output: %w", tool, err)
		}
		if d.output, err = inline(out, defs); err != nil {
			return nil, fmt.Errorf("%s.output.json: %w", tool, err)
		}

		var shape struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Not        struct {
				Required []string `json:"required"`
			} `json:"not"`
		}
		if err := json.Unmarshal(d.input, &shape); err != nil {
			return nil, fmt.Errorf("decode %s input: %w", tool, err)
		}
		for name := range shape.Properties {
			d.params = append(d.params, name)
		}
		slices.Sort(d.params)
		d.exclusive = shape.Not.Required
		m[tool] = d
	}
	return m, nil
}

// publishedKey, as a definition's last key, holds the shorter form of the
// definition that published input schemas carry instead (a nested object
// said in words, say); arguments are validated against the definition
// without it.
const publishedKey = `,"x-published":`

// splitPublished returns def, a compacted definition, without its
// publishedKey, and the form to publish: that key's value, or def itself
// when it has none.
func splitPublished(def []byte) (validated, published []byte) {
	i := bytes.LastIndex(def, []byte(publishedKey))
	if i < 0 || !json.Valid(def[i+len(publishedKey):len(def)-1]) {
		return def, def
	}
	return append(slices.Clone(def[:i]), '}'), def[i+len(publishedKey) : len(def)-1]
}

// Brief returns the arguments of tool that its input schema publishes
// without a description, to keep what a model is sent small: the tool's
// description must say they are as in run.
func Brief(tool string) []string {
	return slices.Clone(lookup(tool).brief)
}

// briefKeep are the keywords a brief argument is published with: its
// type and its values, what a model needs to write one; the rest (the
// description, a default, bounds, a nested object's fields) is said in
// run's schema, which the tool's description points to.
var briefKeep = []string{"type", "enum", "items", "oneOf"}

// briefen applies a tool input file's top-level "x-brief" (a list of
// argument names, each written as a bare {"$ref": ...}): it removes the
// key and replaces each such reference by the definition without its
// description (in full, the document arguments are validated against) or
// reduced to briefKeep (short, the document publish starts from). It
// returns both compacted, and the names.
func briefen(src []byte, defs map[string][]byte) (full, short []byte, names []string, err error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, src); err != nil {
		return nil, nil, nil, err
	}
	doc := buf.Bytes()
	var top struct {
		Brief      []string                   `json:"x-brief"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, nil, nil, err
	}
	if top.Brief == nil {
		return doc, doc, nil, nil
	}
	key, _ := json.Marshal(top.Brief)
	needle := append([]byte(`,"x-brief":`), key...)
	if !bytes.Contains(doc, needle) {
		return nil, nil, nil, errors.New(`"x-brief" must be a top-level key after "properties"`)
	}
	full = bytes.Replace(doc, needle, nil, 1)
	short = slices.Clone(full)
	for _, name := range top.Brief {
		var ref struct {
			Ref string `json:"$ref"`
		}
		if err := json.Unmarshal(top.Properties[name], &ref); err != nil || ref.Ref == "" {
			return nil, nil, nil, fmt.Errorf("x-brief: %s is not a property written as a bare $ref", name)
		}
		def, ok := defs[strings.TrimPrefix(ref.Ref, defsPrefix)]
		if !ok {
			return nil, nil, nil, fmt.Errorf("x-brief: %s: unknown reference %q", name, ref.Ref)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(def, &m); err != nil {
			return nil, nil, nil, err
		}
		delete(m, "description")
		bare, err := json.Marshal(m)
		if err != nil {
			return nil, nil, nil, err
		}
		for k := range m {
			if !slices.Contains(briefKeep, k) {
				delete(m, k)
			}
		}
		kept, err := json.Marshal(m)
		if err != nil {
			return nil, nil, nil, err
		}
		old := []byte(`"` + name + `":{"$ref":"` + ref.Ref + `"}`)
		full = bytes.Replace(full, old, append([]byte(`"`+name+`":`), bare...), 1)
		short = bytes.Replace(short, old, append([]byte(`"`+name+`":`), kept...), 1)
	}
	return full, short, top.Brief, nil
}

// publishDrop matches, with the comma or brace before it, the keywords
// publish leaves out of an input schema: every bound ("maximum",
// "minimum", "maxItems", "minItems", "maxLength", "minLength") and every
// "pattern". Codex strips them anyway, so each description states in
// words the limits a model must know (TestInputDocuments holds it to
// that); the others (a port's 65535, 2^53, a name's pattern) only refuse
// nonsense or overflow. Only a string value matches "pattern", so a
// property named pattern is kept.
var publishDrop = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([,{])"(maximum|minimum|maxItems|minItems|maxLength|minLength)":-?[0-9]+|([,{])"pattern":"(?:[^"\\]|\\.)*"`)
})

// publish returns doc, an assembled input schema, without the keywords
// publishDrop matches, so that what a model reads is short. Arguments are
// still validated against the full document (Validated), so every bound
// holds.
func publish(doc []byte) ([]byte, error) {
	doc = publishDrop().ReplaceAllFunc(doc, func(m []byte) []byte {
		if m[0] == '{' {
			return []byte("{") // its comma, if any, is cut below
		}
		return nil
	})
	doc = bytes.ReplaceAll(doc, []byte("{,"), []byte("{"))
	if !json.Valid(doc) {
		return nil, errors.New("publish: result is not JSON")
	}
	return doc, nil
}

// inline returns src, compacted, with every {"$ref": "#/$defs/NAME"} object
// replaced by the definition NAME, until no reference is left. A reference
// with sibling keywords cannot be inlined this way and is an error.
// Compacting keeps the order of keys, so properties stay in the order the
// file gives them.
func inline(src []byte, defs map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, src); err != nil {
		return nil, err
	}
	doc := buf.Bytes()
	// Each round replaces one level of nesting; definitions nest a few
	// levels at most, so running out of rounds means a cycle.
	for range 8 {
		refs, err := refNames(doc, defs)
		if err != nil {
			return nil, err
		}
		if len(refs) == 0 {
			return doc, nil
		}
		for _, name := range refs {
			needle := []byte(`{"$ref":"` + defsPrefix + name + `"}`)
			if !bytes.Contains(doc, needle) {
				return nil, fmt.Errorf("reference to %s has sibling keywords; input schemas are inlined and need a bare {\"$ref\": ...}", name)
			}
			doc = bytes.ReplaceAll(doc, needle, defs[name])
		}
	}
	return nil, errors.New("references nest too deep (a cycle in defs.json?)")
}

// refNames returns the definition names that doc refers to, sorted and
// without duplicates. Every "$ref" must be "#/$defs/NAME" with NAME in defs.
func refNames(doc []byte, defs map[string][]byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	var names []string
	var walkErr error
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if k == "$ref" {
					ref, _ := child.(string)
					name, ok := strings.CutPrefix(ref, defsPrefix)
					if _, known := defs[name]; !ok || !known {
						walkErr = errors.Join(walkErr, fmt.Errorf("unknown reference %q", ref))
						continue
					}
					names = append(names, name)
					continue
				}
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	walk(v)
	if walkErr != nil {
		return nil, walkErr
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
