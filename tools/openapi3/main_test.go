package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// swagger2 is a small document in the shape swag emits: an apiKey
// BearerAuth definition, definitions named package.Type, a GET and a POST on
// a path with a path parameter, a body parameter and RFC 9457 problems for
// the error responses.
const swagger2 = `{
  "swagger": "2.0",
  "info": {
    "description": "Test API for <tags> & ampersands.",
    "title": "FieldOps API",
    "contact": {},
    "version": "1.0"
  },
  "host": "localhost:8080",
  "basePath": "/",
  "paths": {
    "/api/v1/work-orders/{id}": {
      "get": {
        "security": [{"BearerAuth": []}],
        "description": "Returns one work order.",
        "produces": ["application/json"],
        "tags": ["work-orders"],
        "summary": "Get a work order",
        "operationId": "getWorkOrder",
        "parameters": [
          {"type": "string", "description": "Work order ID", "name": "id", "in": "path", "required": true}
        ],
        "responses": {
          "200": {"description": "OK", "schema": {"$ref": "#/definitions/api.WorkOrder"}},
          "404": {"description": "Not Found", "schema": {"$ref": "#/definitions/api.Problem"}}
        }
      },
      "post": {
        "security": [{"BearerAuth": []}],
        "description": "Adds a note to a work order.",
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "tags": ["work-orders"],
        "summary": "Add a note",
        "operationId": "addWorkOrderNote",
        "parameters": [
          {"type": "string", "description": "Work order ID", "name": "id", "in": "path", "required": true},
          {"description": "The note", "name": "note", "in": "body", "required": true, "schema": {"$ref": "#/definitions/api.NoteRequest"}}
        ],
        "responses": {
          "201": {"description": "Created", "schema": {"$ref": "#/definitions/api.WorkOrder"}},
          "400": {"description": "Bad Request", "schema": {"$ref": "#/definitions/api.Problem"}},
          "500": {"description": "Internal Server Error", "schema": {"$ref": "#/definitions/api.Problem"}}
        }
      }
    }
  },
  "definitions": {
    "api.NoteRequest": {
      "type": "object",
      "required": ["text"],
      "properties": {"text": {"type": "string", "example": "yes"}}
    },
    "api.Problem": {
      "type": "object",
      "properties": {
        "detail": {"type": "string"},
        "status": {"type": "integer", "example": 404},
        "title": {"type": "string"},
        "type": {"type": "string", "example": "about:blank"}
      }
    },
    "api.WorkOrder": {
      "type": "object",
      "properties": {
        "id": {"type": "string"},
        "cost": {"type": "number", "example": 12.5},
        "status": {"type": "string", "enum": ["open", "done"]}
      }
    }
  },
  "securityDefinitions": {
    "BearerAuth": {"description": "JWT access token.", "type": "apiKey", "name": "Authorization", "in": "header"}
  }
}`

func convertSample(t *testing.T) (jsonOut, yamlOut []byte, doc *openapi3.T) {
	t.Helper()
	jsonOut, yamlOut, err := convert(context.Background(), []byte(swagger2))
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	doc, err = openapi3.NewLoader().LoadFromData(jsonOut)
	if err != nil {
		t.Fatalf("loading converted document: %v", err)
	}
	return jsonOut, yamlOut, doc
}

func TestConvert(t *testing.T) {
	jsonOut, _, doc := convertSample(t)

	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Errorf("converted document does not validate: %v", err)
	}

	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" || doc.Servers[0].Description != "this server" {
		t.Errorf("servers = %+v, want one {url: /, description: this server}", doc.Servers)
	}
	if strings.Contains(string(jsonOut), "localhost") {
		t.Error("output mentions the Swagger 2 host")
	}

	scheme := doc.Components.SecuritySchemes[bearerSchemeName]
	if scheme == nil || scheme.Value == nil {
		t.Fatal("BearerAuth security scheme missing")
	}
	if s := scheme.Value; s.Type != "http" || s.Scheme != "bearer" || s.BearerFormat != "JWT" || s.In != "" || s.Name != "" {
		t.Errorf("BearerAuth = %+v, want http bearer JWT", s)
	}

	item := doc.Paths.Value("/api/v1/work-orders/{id}")
	if item == nil || item.Get == nil || item.Post == nil {
		t.Fatal("GET and POST /api/v1/work-orders/{id} missing")
	}
	for _, tc := range []struct {
		op         *openapi3.Operation
		code, want string
		schema     string
	}{
		{item.Get, "200", "application/json", "#/components/schemas/api.WorkOrder"},
		{item.Get, "404", problemMediaType, "#/components/schemas/api.Problem"},
		{item.Post, "201", "application/json", "#/components/schemas/api.WorkOrder"},
		{item.Post, "400", problemMediaType, "#/components/schemas/api.Problem"},
		{item.Post, "500", problemMediaType, "#/components/schemas/api.Problem"},
	} {
		resp := tc.op.Responses.Value(tc.code)
		if resp == nil || resp.Value == nil {
			t.Errorf("%s %s: response missing", tc.op.OperationID, tc.code)
			continue
		}
		content := resp.Value.Content
		if len(content) != 1 || content[tc.want] == nil {
			t.Errorf("%s %s: content types %v, want only %s", tc.op.OperationID, tc.code, keys(content), tc.want)
			continue
		}
		if got := content[tc.want].Schema.Ref; got != tc.schema {
			t.Errorf("%s %s: schema %q, want %q", tc.op.OperationID, tc.code, got, tc.schema)
		}
	}

	body := item.Post.RequestBody
	if body == nil || body.Value == nil {
		t.Fatal("POST has no requestBody")
	}
	if !body.Value.Required || body.Value.Content["application/json"] == nil ||
		body.Value.Content["application/json"].Schema.Ref != "#/components/schemas/api.NoteRequest" {
		t.Errorf("POST requestBody = %+v, want required application/json api.NoteRequest", body.Value)
	}
	if len(item.Post.Parameters) != 1 || item.Post.Parameters[0].Value.In != "path" {
		t.Errorf("POST parameters = %d, want only the path parameter", len(item.Post.Parameters))
	}
	if strings.Contains(string(jsonOut), "x-originalParamName") {
		t.Error("conversion marker x-originalParamName left in output")
	}
}

func TestConvertDeterministic(t *testing.T) {
	json1, yaml1, _ := convertSample(t)
	for range 5 {
		json2, yaml2, _ := convertSample(t)
		if !bytes.Equal(json1, json2) {
			t.Fatal("openapi.json differs between runs")
		}
		if !bytes.Equal(yaml1, yaml2) {
			t.Fatal("openapi.yaml differs between runs")
		}
	}
}

func TestOutputFormat(t *testing.T) {
	jsonOut, yamlOut, _ := convertSample(t)

	if !strings.HasPrefix(string(jsonOut), "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {\n") {
		t.Errorf("openapi.json does not start with openapi then info, 2-space indented:\n%.80s", jsonOut)
	}
	if !bytes.HasSuffix(jsonOut, []byte("}\n")) || bytes.HasSuffix(jsonOut, []byte("\n\n")) {
		t.Error("openapi.json must end in exactly one newline")
	}
	if !strings.Contains(string(jsonOut), "<tags> & ampersands") {
		t.Error("openapi.json escapes HTML characters")
	}
	if !strings.HasPrefix(string(yamlOut), "openapi: 3.0.3\ninfo:\n") {
		t.Errorf("openapi.yaml does not start with openapi then info:\n%.80s", yamlOut)
	}
	if !strings.Contains(string(yamlOut), `example: "yes"`) {
		t.Error(`openapi.yaml leaves the YAML 1.1 boolean "yes" unquoted`)
	}

	// Both files hold the same document.
	var fromJSON, fromYAML any
	if err := json.Unmarshal(jsonOut, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(yamlOut, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, normalize(t, fromYAML)) {
		t.Error("openapi.yaml and openapi.json hold different documents")
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "swagger.json")
	if err := os.WriteFile(in, []byte(swagger2), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"-in", in, "-out", out}, &stderr); code != exitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	wantJSON, wantYAML, _ := convertSample(t)
	for name, want := range map[string][]byte{"openapi.json": wantJSON, "openapi.yaml": wantYAML} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from convert's output", name)
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Errorf("out has %d entries, want openapi.json and openapi.yaml only", len(entries))
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	notSwagger := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(notSwagger, []byte(`{"openapi": "3.0.3"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"swagger": `), 0o644); err != nil {
		t.Fatal(err)
	}
	invalid := filepath.Join(dir, "invalid.json")
	// A path parameter that is not declared makes the document invalid.
	if err := os.WriteFile(invalid, []byte(`{"swagger": "2.0", "info": {"title": "t", "version": "1"},
		"paths": {"/x/{id}": {"get": {"responses": {"200": {"description": "OK"}}}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"missing input", []string{"-in", filepath.Join(dir, "nope.json"), "-out", out}, exitFail},
		{"not swagger 2", []string{"-in", notSwagger, "-out", out}, exitFail},
		{"broken json", []string{"-in", broken, "-out", out}, exitFail},
		{"invalid result", []string{"-in", invalid, "-out", out}, exitFail},
		{"unknown flag", []string{"-bogus"}, exitUsage},
		{"extra argument", []string{"-in", notSwagger, "extra"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stderr); code != tc.want {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.want, stderr.String())
			}
			if stderr.Len() == 0 {
				t.Error("nothing written to stderr")
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run created %s", out)
	}
	if code := run(context.Background(), []string{"-h"}, io.Discard); code != exitOK {
		t.Errorf("-h: exit %d, want 0", code)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// normalize round-trips a value decoded from YAML through JSON so that it
// can be compared with one decoded from JSON (float64 numbers and so on).
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
