package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// fixMediaTypes makes each media type describe what is really sent. swag
// gives every @Produce type the same schema, and a form the JSON schema of
// its body parameter; so, by rule:
//   - a response that sends binary content (a file) has no JSON media type,
//     and a non-JSON media type of a response always is binary;
//   - in a multipart/form-data request body, a base64 ("byte") property of
//     the JSON form is a file part (binary);
//   - a request body of raw bytes (an *octet-stream media type, e.g. a tus
//     chunk) is binary, and as it has no JSON value to show, its example
//     says what it is.
func fixMediaTypes(doc *openapi3.T) {
	if doc.Paths == nil {
		return
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			if op.Responses != nil {
				for _, ref := range op.Responses.Map() {
					if ref.Value != nil {
						fixResponseContent(ref.Value.Content)
					}
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content["multipart/form-data"]; mt != nil && mt.Schema != nil {
					mt.Schema = formSchema(mt.Schema)
				}
				for name, mt := range op.RequestBody.Value.Content {
					if isRawBytes(name) && mt != nil {
						mt.Schema = binary()
						if mt.Example == nil && len(mt.Examples) == 0 {
							mt.Example = rawBytesExample
						}
					}
				}
			}
		}
	}
}

func isJSON(name string) bool { return strings.HasSuffix(name, "json") }

// isRawBytes reports whether a request media type is a body of bytes as they are.
func isRawBytes(name string) bool { return strings.HasSuffix(name, "octet-stream") }

// rawBytesExample stands for a raw-bytes body in the document.
const rawBytesExample = "<the file's bytes, as they are>"

func isBinary(s *openapi3.SchemaRef) bool {
	return s != nil && s.Value != nil && s.Ref == "" && s.Value.Type.Is("string") && s.Value.Format == "binary"
}

func binary() *openapi3.SchemaRef {
	return openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"})
}

func fixResponseContent(content openapi3.Content) {
	for _, name := range slices.Sorted(maps.Keys(content)) {
		mt := content[name]
		switch {
		case isJSON(name) && mt != nil && isBinary(mt.Schema):
			delete(content, name)
		case !isJSON(name) && mt != nil && mt.Schema != nil:
			mt.Schema = binary()
		}
	}
}

// formSchema copies a JSON body schema for a form, its base64 properties as files.
func formSchema(ref *openapi3.SchemaRef) *openapi3.SchemaRef {
	if ref.Value == nil {
		return ref
	}
	s := *ref.Value
	props := openapi3.Schemas{}
	changed := false
	for name, p := range s.Properties {
		if p.Value != nil && p.Value.Format == "byte" {
			f := binary()
			f.Value.Description = "a file part (the JSON body sends it base64-encoded)"
			props[name] = f
			changed = true
			continue
		}
		props[name] = p
	}
	if !changed {
		return ref
	}
	s.Properties = props
	s.Example = nil
	return openapi3.NewSchemaRef("", &s)
}
