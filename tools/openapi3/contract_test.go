package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// contractDoc is an OpenAPI 3 document in the shape the conversion produces:
// a secured POST with a path parameter, a body and an Idempotency-Key, and a
// public GET.
const contractDoc = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/v1/orders/{id}/notes": {
      "post": {
        "security": [{"BearerAuth": []}],
        "parameters": [
          {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
          {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
        ],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}},
        "responses": {
          "201": {"description": "created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}},
          "404": {"description": "our own text", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        }
      }
    },
    "/healthz": {
      "get": {"responses": {"200": {"description": "ok"}}}
    }
  },
  "components": {
    "securitySchemes": {"BearerAuth": {"type": "http", "scheme": "bearer"}},
    "schemas": {
      "Problem": {"type": "object", "required": ["status"], "properties": {"status": {"type": "integer"}}},
      "Note": {"type": "object", "required": ["text", "kind"], "properties": {
        "text": {"type": "string", "example": "call first"},
        "kind": {"type": "string", "enum": ["internal", "customer"]},
        "tags": {"type": "array", "items": {"type": "string", "example": "urgent"}},
        "window": {"allOf": [{"$ref": "#/components/schemas/Window"}]},
        "extra": {"type": "string"}
      }},
      "Window": {"type": "object", "required": ["start"], "properties": {"start": {"type": "string", "format": "date-time", "example": "2026-06-03T08:00:00Z"}}}
    }
  }
}`

func loadContractDoc(t *testing.T, src string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return doc
}

func TestCompleteResponsesAddsWhatTheShapeImplies(t *testing.T) {
	doc := loadContractDoc(t, contractDoc)
	if err := completeResponses(doc); err != nil {
		t.Fatal(err)
	}
	post := doc.Paths.Value("/v1/orders/{id}/notes").Post
	var codes []string
	for c := range post.Responses.Map() {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	want := []string{"201", "400", "401", "403", "404", "409", "413", "415", "422", "429", "500", "503"}
	if !slices.Equal(codes, want) {
		t.Errorf("POST responses = %v, want %v", codes, want)
	}
	if d := *post.Responses.Value("404").Value.Description; d != "our own text" {
		t.Errorf("a declared response was replaced: 404 description %q", d)
	}
	if s := post.Responses.Value("401").Value.Content.Get(problemMediaType).Schema; s == nil || s.Ref != "#/components/schemas/Problem" {
		t.Errorf("401 is not a problem+json Problem: %+v", s)
	}
	if h := post.Responses.Value("401").Value.Headers["WWW-Authenticate"]; h == nil || !h.Value.Required {
		t.Errorf("401 lacks a required WWW-Authenticate header")
	}
	created := post.Responses.Value("201").Value
	for _, h := range []string{"X-Request-Id", "Idempotent-Replayed"} {
		if created.Headers[h] == nil {
			t.Errorf("201 lacks header %s", h)
		}
	}
	if post.Responses.Value("422").Value.Headers["Idempotent-Replayed"] == nil {
		t.Errorf("a stored 422 can be replayed, but it does not declare Idempotent-Replayed")
	}
	if post.Responses.Value("503").Value.Headers["Idempotent-Replayed"] != nil {
		t.Errorf("a 5xx is never stored, yet declares Idempotent-Replayed")
	}
	if post.Responses.Value("503").Value.Headers["Retry-After"] == nil {
		t.Errorf("503 lacks Retry-After")
	}
	key := post.Parameters.GetByInAndName("header", "Idempotency-Key")
	if key == nil || key.Schema.Value.MaxLength == nil || *key.Schema.Value.MaxLength != 255 {
		t.Errorf("Idempotency-Key is not bounded to 255 characters: %+v", key)
	}

	get := doc.Paths.Value("/healthz").Get
	codes = codes[:0]
	for c := range get.Responses.Map() {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	if want := []string{"200", "413", "500"}; !slices.Equal(codes, want) {
		t.Errorf("public GET outside /v1 responses = %v, want %v", codes, want)
	}
}

func TestAddRequestExamplesBuildsAValidExample(t *testing.T) {
	doc := loadContractDoc(t, contractDoc)
	if err := addRequestExamples(doc); err != nil {
		t.Fatal(err)
	}
	mt := doc.Paths.Value("/v1/orders/{id}/notes").Post.RequestBody.Value.Content.Get("application/json")
	ex, ok := mt.Example.(map[string]any)
	if !ok {
		t.Fatalf("example = %#v, want an object", mt.Example)
	}
	if ex["text"] != "call first" || ex["kind"] != "internal" {
		t.Errorf("example = %v: want the property example and the first enum value", ex)
	}
	if w, _ := ex["window"].(map[string]any); w["start"] != "2026-06-03T08:00:00Z" {
		t.Errorf("example window = %v: want the referenced schema's example", ex["window"])
	}
	if tags, _ := ex["tags"].([]any); len(tags) != 1 || tags[0] != "urgent" {
		t.Errorf("example tags = %v", ex["tags"])
	}
	if _, has := ex["extra"]; has {
		t.Errorf("an optional property without example was invented: %v", ex)
	}
	if err := mt.Schema.Value.VisitJSON(mt.Example); err != nil {
		t.Errorf("example does not validate: %v", err)
	}
}

func TestAddRequestExamplesNamesARequiredFieldWithoutExample(t *testing.T) {
	src := strings.Replace(contractDoc, `"text": {"type": "string", "example": "call first"}`, `"text": {"type": "string"}`, 1)
	doc := loadContractDoc(t, src)
	err := addRequestExamples(doc)
	if err == nil || !strings.Contains(err.Error(), "text has no example") || !strings.Contains(err.Error(), "POST /v1/orders/{id}/notes") {
		t.Fatalf("err = %v, want it to name the operation and the property", err)
	}
}

func TestAddRequestExamplesRejectsAnInvalidExample(t *testing.T) {
	src := strings.Replace(contractDoc, `"example": "call first"`, `"example": "call first", "maxLength": 3`, 1)
	doc := loadContractDoc(t, src)
	if err := addRequestExamples(doc); err == nil || !strings.Contains(err.Error(), "does not match the schema") {
		t.Fatalf("err = %v, want the example to be refused", err)
	}
}

func TestCompleteResponsesAdds422ToEveryV1Operation(t *testing.T) {
	src := strings.Replace(contractDoc, `"/healthz": {`, `"/v1/me": {
      "get": {"security": [{"BearerAuth": []}], "responses": {"200": {"description": "ok"}}}
    },
    "/healthz": {`, 1)
	doc := loadContractDoc(t, src)
	if err := completeResponses(doc); err != nil {
		t.Fatal(err)
	}
	// api/middleware.go queryText: any /v1 query value may be refused
	if doc.Paths.Value("/v1/me").Get.Responses.Value("422") == nil {
		t.Errorf("GET /v1/me lacks 422 (a query parameter that is not text)")
	}
	if doc.Paths.Value("/healthz").Get.Responses.Value("422") != nil {
		t.Errorf("GET /healthz declares 422, but no query is checked outside /v1")
	}
}
