package apitest

import (
	"net/http"
	"strings"
	"testing"
)

// A small document: Thing composes Base and Extra with allOf; Base is also
// returned on its own; meta is a free-form map.
const contractFixture = `{
  "openapi": "3.0.3",
  "info": {"title": "fixture", "version": "1"},
  "servers": [{"url": "/"}],
  "paths": {
    "/things/{id}": {"get": {
      "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
      "responses": {
        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "404": {"description": "no", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
      }}},
    "/bases": {"get": {"responses": {
      "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Base"}}}}}}}
  },
  "components": {"schemas": {
    "Problem": {"type": "object", "required": ["status"], "properties": {"status": {"type": "integer"}}},
    "Base": {"type": "object", "required": ["id"], "properties": {
      "id": {"type": "string", "format": "uuid"},
      "email": {"type": "string", "format": "email", "nullable": true},
      "day": {"type": "string", "format": "date"}}},
    "Extra": {"type": "object", "properties": {
      "name": {"type": "string"},
      "meta": {"type": "object", "additionalProperties": {}},
      "inner": {"type": "object", "properties": {"a": {"type": "integer"}}}}},
    "Thing": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"$ref": "#/components/schemas/Extra"}]}
  }}
}`

func TestContractStrictness(t *testing.T) {
	c, err := loadContract([]byte(contractFixture))
	if err != nil {
		t.Fatal(err)
	}
	const id = "0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"
	exchange := func(path, body string) error {
		req, err := http.NewRequest(http.MethodGet, "http://api.test"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}}
		return c.check(req, nil, res, []byte(body))
	}
	cases := []struct {
		name, path, body string
		want             string // "" passes, else a substring of the error
	}{
		{"composition passes", "/things/" + id, `{"id":"` + id + `","name":"n","meta":{"any":1,"thing":[2]},"inner":{"a":1}}`, ""},
		{"composition is closed", "/things/" + id, `{"id":"` + id + `","colour":"red"}`, `property "colour" is unsupported`},
		{"a nested object is closed", "/things/" + id, `{"id":"` + id + `","inner":{"a":1,"b":2}}`, `property "b" is unsupported`},
		{"a member used alone is closed", "/bases", `{"id":"` + id + `","name":"n"}`, `property "name" is unsupported`},
		{"uuid format", "/bases", `{"id":"not-a-uuid"}`, `"/id"`},
		{"email format", "/bases", `{"id":"` + id + `","email":"nobody"}`, `"/email"`},
		{"nullable email", "/bases", `{"id":"` + id + `","email":null}`, ""},
		{"date format", "/bases", `{"id":"` + id + `","day":"01/02/2026"}`, `"/day"`},
		{"a forbidden path parameter answered 200", "/things/42", `{"id":"` + id + `"}`, "stricter than the server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := exchange(tc.path, tc.body)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("want no error, got %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("want an error mentioning %q, got none", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error does not mention %q: %v", tc.want, err)
			}
		})
	}
}

func TestContractRejectsUnknownFormats(t *testing.T) {
	doc := strings.Replace(contractFixture, `"format": "date"`, `"format": "date_time"`, 1)
	if _, err := loadContract([]byte(doc)); err == nil || !strings.Contains(err.Error(), "date_time") {
		t.Errorf("loading a document with an unknown format: err = %v, want it named", err)
	}
}

func TestCommittedDocumentLoads(t *testing.T) {
	if _, err := theContract(); err != nil {
		t.Fatal(err)
	}
}
