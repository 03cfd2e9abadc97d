// Package clienttest holds a Go client generated with oapi-codegen from the
// committed OpenAPI document (openapi/openapi.json) and the contract tests
// that drive the SPEC §3 customer, dispatcher and technician flows through it.
//
// client.gen.go is generated: `make openapi` (and `make test`) rebuild it
// from the document with the settings in oapi-codegen.yaml, and
// `make openapi-check` fails when the committed copy is stale. Never edit it
// by hand; change the swag annotations or tools/openapi3 instead.
//
// The package is for tests only: nothing in the server imports it.
package clienttest
