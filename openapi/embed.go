// Package openapi holds the generated API description (make openapi): swag's
// Swagger 2 output and its OpenAPI 3 conversion, which the server publishes.
package openapi

import _ "embed"

// JSON is openapi.json (OpenAPI 3).
//
//go:embed openapi.json
var JSON []byte

// YAML is openapi.yaml (OpenAPI 3).
//
//go:embed openapi.yaml
var YAML []byte
