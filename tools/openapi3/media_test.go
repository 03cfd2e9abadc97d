package main

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// A raw-bytes request body (a tus chunk) becomes binary with an example, so
// that it passes the request-body-example rule; a form keeps its own schema.
func TestFixMediaTypesMakesRawBytesBinary(t *testing.T) {
	chunk := openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())
	doc := &openapi3.T{Paths: openapi3.NewPaths(openapi3.WithPath("/v1/uploads/{id}", &openapi3.PathItem{
		Patch: &openapi3.Operation{RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().
			WithContent(openapi3.Content{"application/offset+octet-stream": chunk})}},
	}))}
	fixMediaTypes(doc)
	if !isBinary(chunk.Schema) {
		t.Errorf("schema = %+v, want string/binary", chunk.Schema.Value)
	}
	if chunk.Example != rawBytesExample {
		t.Errorf("example = %v, want %q", chunk.Example, rawBytesExample)
	}
}

// A form's example has its file part as the raw-bytes placeholder and the
// other fields from their examples (or first enum value).
func TestAddRequestExamplesCoversForms(t *testing.T) {
	form := openapi3.NewObjectSchema().
		WithProperty("file", openapi3.NewStringSchema().WithFormat("binary")).
		WithProperty("kind", openapi3.NewStringSchema().WithEnum("fault", "after")).
		WithProperty("note", openapi3.NewStringSchema())
	form.Required = []string{"file", "kind"}
	mt := openapi3.NewMediaType().WithSchema(form)
	doc := &openapi3.T{Paths: openapi3.NewPaths(openapi3.WithPath("/v1/orders/{id}/photos", &openapi3.PathItem{
		Post: &openapi3.Operation{RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().
			WithContent(openapi3.Content{"multipart/form-data": mt})}},
	}))}
	if err := addRequestExamples(doc); err != nil {
		t.Fatal(err)
	}
	ex, _ := mt.Example.(map[string]any)
	if ex["file"] != rawBytesExample || ex["kind"] != "fault" || len(ex) != 2 {
		t.Errorf("example = %#v", mt.Example)
	}
}
