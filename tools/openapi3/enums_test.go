package main

import (
	"strings"
	"testing"
)

const enumsDoc = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/v1/orders": {
      "get": {
        "parameters": [
          {"name": "status", "in": "query", "style": "form", "explode": false,
           "schema": {"type": "array", "items": {"type": "string", "enum": ["open", "done"]}}},
          {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["done", "open"]}}
        ],
        "responses": {"200": {"description": "ok"}}
      }
    }
  },
  "components": {"schemas": {
    "Status": {"type": "string", "enum": ["open", "done"], "x-enum-varnames": ["StatusOpen", "StatusDone"]}
  }}
}`

func TestTidyEnumsSharesOneTypePerSet(t *testing.T) {
	doc := loadContractDoc(t, enumsDoc)
	if err := tidyEnums(doc); err != nil {
		t.Fatal(err)
	}
	names := doc.Components.Schemas["Status"].Value.Extensions[enumVarNames].([]any)
	if names[0] != "Open" || names[1] != "Done" {
		t.Errorf("x-enum-varnames = %v, want the prefix dropped", names)
	}
	params := doc.Paths.Value("/v1/orders").Get.Parameters
	if ref := params[0].Value.Schema.Value.Items.Ref; ref != "#/components/schemas/Status" {
		t.Errorf("status items = %q, want a reference to Status", ref)
	}
	if ref := params[1].Value.Schema.Ref; ref != "" {
		t.Errorf("an enum with other values (order matters) was replaced by %q", ref)
	}
}

func TestTidyEnumsRefusesTwoComponentsForOneSet(t *testing.T) {
	src := strings.Replace(enumsDoc, `"Status": {`, `"State": {"type": "string", "enum": ["open", "done"]}, "Status": {`, 1)
	doc := loadContractDoc(t, src)
	if err := tidyEnums(doc); err == nil || !strings.Contains(err.Error(), "same enum") {
		t.Fatalf("err = %v, want the duplicate set refused", err)
	}
}
