// Command openapi3 turns the Swagger 2.0 document that swag generates into
// the OpenAPI 3.0 document that FieldOps publishes.
//
// It reads the Swagger 2.0 JSON named by -in, converts it with kin-openapi's
// openapi2conv.ToV3 and then post-processes the result so that it is a clean,
// Spectral-valid OpenAPI 3 document:
//
//   - servers is a single relative entry, {url: "/", description: "this
//     server"}, or the swag basePath in place of "/" when one was given. A
//     host (@host) never makes it into the document, so the same file works
//     wherever the API is served.
//   - a security scheme named BearerAuth (swag can only express it as an
//     apiKey "Authorization" header) becomes {type: http, scheme: bearer,
//     bearerFormat: JWT}, so that Swagger UI's Authorize dialog takes a raw
//     token and sends "Authorization: Bearer <token>".
//   - every response whose status code is 400 or more (also 4XX, 5XX) is
//     served as application/problem+json (RFC 9457) instead of
//     application/json, with the same schema.
//   - every operation gets the error responses that follow from its shape
//     (401 when secured, 400/413/415/422 with a body, 404 with a path
//     parameter, 409/422 with an Idempotency-Key, 500, and 503 under /v1),
//     and every response the headers the server sends (X-Request-Id,
//     Idempotent-Replayed, Retry-After, WWW-Authenticate): see contract.go.
//   - each closed set is one component: enum constant names lose the schema
//     name swag prefixes them with, and inline parameter enums equal to a
//     component's refer to it (enums.go).
//   - every JSON or form request body gets an example assembled from its
//     properties' examples and checked against its schema; a raw-bytes body
//     (a tus chunk) is binary with a placeholder example (media.go).
//   - the markers openapi2conv leaves for a conversion back to Swagger 2
//     (x-originalParamName, x-formData-name) are removed.
//
// The result is written as openapi.json and openapi.yaml into the -out
// directory. Both are rendered from one ordered tree: the top-level keys
// follow the usual OpenAPI order (openapi, info, servers, tags, security,
// paths, components), every other object has its keys sorted, JSON is
// indented with two spaces and both files end in a newline. The same input
// therefore always gives byte-identical files, which keeps a freshness check
// such as `git diff --exit-code openapi/` reliable.
//
// Before anything is written, the JSON and the YAML output are each loaded
// back with kin-openapi's loader and validated with (*openapi3.T).Validate;
// an invalid document is reported and no file is touched. Files are replaced
// atomically (written to a temporary file, then renamed).
//
// Usage:
//
//	go run ./tools/openapi3 -in openapi/swagger.json -out openapi
//
// Exit status: 0 on success, 1 when the input cannot be read or converted,
// the result does not validate or the output cannot be written, 2 on a
// command-line usage error. Errors go to standard error.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// bearerSchemeName is the security definition swag emits for
// `@securityDefinitions.apikey BearerAuth`.
const bearerSchemeName = "BearerAuth"

// problemMediaType is the RFC 9457 media type for error responses.
const problemMediaType = "application/problem+json"

// topLevelOrder is the order of the document's top-level keys; keys not
// listed (x- extensions) follow in sorted order.
var topLevelOrder = []string{
	"openapi", "info", "externalDocs", "servers", "tags", "security",
	"paths", "webhooks", "components",
}

// conversionMarkers are extensions openapi2conv adds only so that it could
// convert the document back to Swagger 2; they mean nothing to readers.
var conversionMarkers = []string{"x-originalParamName", "x-formData-name"}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("openapi3", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "openapi/swagger.json", "Swagger 2.0 JSON document to convert")
	out := fs.String("out", "openapi", "directory to write openapi.json and openapi.yaml into")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: openapi3 [-in swagger.json] [-out dir]\n\n")
		fmt.Fprintf(stderr, "Converts a Swagger 2.0 document to OpenAPI 3.0 (openapi.json, openapi.yaml).\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "openapi3: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		fs.Usage()
		return exitUsage
	}
	if *in == "" || *out == "" {
		fmt.Fprintln(stderr, "openapi3: -in and -out must not be empty")
		return exitUsage
	}

	if err := convertFile(ctx, *in, *out); err != nil {
		fmt.Fprintf(stderr, "openapi3: %v\n", err)
		return exitFail
	}
	return exitOK
}

func convertFile(ctx context.Context, in, outDir string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	jsonOut, yamlOut, err := convert(ctx, src)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(outDir, "openapi.json"), jsonOut); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(outDir, "openapi.yaml"), yamlOut)
}

// convert turns a Swagger 2.0 JSON document into validated OpenAPI 3 JSON and
// YAML renderings of the same document.
func convert(ctx context.Context, swagger []byte) (jsonOut, yamlOut []byte, err error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(swagger, &doc2); err != nil {
		return nil, nil, fmt.Errorf("reading Swagger 2.0 document: %w", err)
	}
	if doc2.Swagger != "2.0" {
		return nil, nil, fmt.Errorf("not a Swagger 2.0 document (swagger: %q)", doc2.Swagger)
	}
	basePath := doc2.BasePath

	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, nil, fmt.Errorf("converting to OpenAPI 3: %w", err)
	}
	setServers(doc3, basePath)
	setBearerAuth(doc3)
	if err := useProblemJSON(doc3); err != nil {
		return nil, nil, err
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc3, nil); err != nil {
		return nil, nil, fmt.Errorf("resolving references: %w", err)
	}
	if err := tidyEnums(doc3); err != nil {
		return nil, nil, err
	}
	fixMediaTypes(doc3)
	if err := completeResponses(doc3); err != nil {
		return nil, nil, err
	}
	if err := addRequestExamples(doc3); err != nil {
		return nil, nil, err
	}

	raw, err := json.Marshal(doc3)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding OpenAPI 3 document: %w", err)
	}
	tree, err := decodeOrdered(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("re-reading OpenAPI 3 document: %w", err)
	}
	removeKeys(tree, conversionMarkers)
	orderKeys(tree, topLevelOrder)

	if jsonOut, err = encodeJSON(tree); err != nil {
		return nil, nil, err
	}
	if yamlOut, err = encodeYAML(tree); err != nil {
		return nil, nil, err
	}
	if err := validate(ctx, jsonOut); err != nil {
		return nil, nil, fmt.Errorf("generated openapi.json is not a valid OpenAPI 3 document: %w", err)
	}
	if err := validate(ctx, yamlOut); err != nil {
		return nil, nil, fmt.Errorf("generated openapi.yaml is not a valid OpenAPI 3 document: %w", err)
	}
	return jsonOut, yamlOut, nil
}

// setServers replaces whatever ToV3 derived from host and schemes with one
// relative server: the base path when there is one, otherwise "/".
func setServers(doc *openapi3.T, basePath string) {
	u := "/"
	if p := strings.TrimRight(basePath, "/"); p != "" {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		u = p
	}
	doc.Servers = openapi3.Servers{{URL: u, Description: "this server"}}
}

// setBearerAuth turns the BearerAuth security scheme into an HTTP bearer
// scheme; the description swag carried over is kept.
func setBearerAuth(doc *openapi3.T) {
	if doc.Components == nil {
		return
	}
	ref, ok := doc.Components.SecuritySchemes[bearerSchemeName]
	if !ok || ref == nil {
		return
	}
	var description string
	if ref.Value != nil {
		description = ref.Value.Description
	}
	doc.Components.SecuritySchemes[bearerSchemeName] = &openapi3.SecuritySchemeRef{
		Value: &openapi3.SecurityScheme{
			Type:         "http",
			Scheme:       "bearer",
			BearerFormat: "JWT",
			Description:  description,
		},
	}
}

// useProblemJSON serves every error response (status 400 and up) as
// application/problem+json instead of application/json.
func useProblemJSON(doc *openapi3.T) error {
	if doc.Paths == nil {
		return nil
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if op == nil || op.Responses == nil {
				continue
			}
			for code, resp := range op.Responses.Map() {
				if !isErrorStatus(code) || resp == nil || resp.Value == nil || isOAuthError(resp.Value) {
					continue
				}
				if err := problemContent(resp.Value.Content); err != nil {
					return fmt.Errorf("%s %s response %s: %w", method, path, code, err)
				}
			}
		}
	}
	return nil
}

// formMediaType is the body of the OAuth2 token endpoint (RFC 6749 §4.4.2).
const formMediaType = "application/x-www-form-urlencoded"

// oauthErrorRef is the schema of the token endpoint's errors, which RFC 6749
// §5.2 defines as application/json (OAuth2 client libraries parse that
// shape), the one exception to problem+json.
const oauthErrorRef = "#/components/schemas/OAuthError"

// isOAuthError reports whether an error response is an RFC 6749 §5.2 error.
func isOAuthError(resp *openapi3.Response) bool {
	mt := resp.Content.Get("application/json")
	return mt != nil && mt.Schema != nil && mt.Schema.Ref == oauthErrorRef
}

// isErrorStatus reports whether a response key is a status code of 400 or
// more, or a 4XX/5XX range.
func isErrorStatus(code string) bool {
	if len(code) == 3 && (code[0] == '4' || code[0] == '5') && strings.EqualFold(code[1:], "XX") {
		return true
	}
	n, err := strconv.Atoi(code)
	return err == nil && n >= 400
}

// problemContent renames application/json (with any parameters, such as
// charset) to application/problem+json, keeping the media type object, and
// replaces any other media type by application/problem+json.
func problemContent(content openapi3.Content) error {
	for _, name := range slices.Sorted(maps.Keys(content)) {
		mt, params, err := mime.ParseMediaType(name)
		if err != nil || mt != "application/json" {
			continue
		}
		target := mime.FormatMediaType(problemMediaType, params)
		if target == "" {
			return fmt.Errorf("cannot rewrite media type %q", name)
		}
		if _, exists := content[target]; !exists {
			content[target] = content[name]
		}
		delete(content, name)
	}
	// The server writes every error as problem+json whatever the operation
	// produces on success (swag puts e.g. text/plain on all responses of an
	// operation with @Produce plain), so other media types go too.
	hasProblem := false
	for name := range content {
		if mt, _, err := mime.ParseMediaType(name); err == nil && mt == problemMediaType {
			hasProblem = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(content)) {
		if mt, _, err := mime.ParseMediaType(name); err == nil && mt == problemMediaType {
			continue
		}
		if !hasProblem {
			content[problemMediaType] = content[name]
			hasProblem = true
		}
		delete(content, name)
	}
	return nil
}

// validate loads a rendered document the way a consumer would and checks it
// against the OpenAPI 3 specification.
func validate(ctx context.Context, data []byte) error {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		return fmt.Errorf("openapi version is %q, want 3.x", doc.OpenAPI)
	}
	return doc.Validate(ctx)
}

// decodeOrdered reads JSON into a yaml.Node tree that keeps the key order of
// the input; numbers keep their JSON spelling.
func decodeOrdered(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	node, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return node, nil
}

func decodeValue(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := keyTok.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %T, want string", keyTok)
				}
				val, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, strNode(key), val)
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				val, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, val)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %q", v)
	case string:
		return strNode(v), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(v.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %T", tok)
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if isYAML11Bool(s) {
		// yaml.v3 writes these plain, as YAML 1.2 allows, but YAML 1.1
		// readers would take them for booleans.
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// isYAML11Bool reports whether s is a boolean in YAML 1.1 (y, yes, on, ...).
func isYAML11Bool(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF":
		return true
	}
	return false
}

// removeKeys deletes the named keys from every mapping in the tree.
func removeKeys(n *yaml.Node, keys []string) {
	if n.Kind == yaml.MappingNode {
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if slices.Contains(keys, n.Content[i].Value) {
				continue
			}
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		removeKeys(c, keys)
	}
}

// orderKeys puts the listed keys of a mapping first, in the given order; the
// other keys keep their relative order after them.
func orderKeys(n *yaml.Node, order []string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	rank := func(key string) int {
		if i := slices.Index(order, key); i >= 0 {
			return i
		}
		return len(order)
	}
	type pair struct{ k, v *yaml.Node }
	pairs := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, pair{n.Content[i], n.Content[i+1]})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return rank(a.k.Value) - rank(b.k.Value) })
	n.Content = n.Content[:0]
	for _, p := range pairs {
		n.Content = append(n.Content, p.k, p.v)
	}
}

// encodeJSON renders the tree as JSON indented by two spaces, with a
// trailing newline. Unlike json.Marshal it leaves <, > and & unescaped.
func encodeJSON(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, n, 0); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	indent := func(d int) {
		buf.WriteByte('\n')
		buf.WriteString(strings.Repeat("  ", d))
	}
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			buf.WriteString("{}")
			return nil
		}
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			indent(depth + 1)
			if err := writeJSONString(buf, n.Content[i].Value); err != nil {
				return err
			}
			buf.WriteString(": ")
			if err := writeJSON(buf, n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		indent(depth)
		buf.WriteByte('}')
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			buf.WriteString("[]")
			return nil
		}
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			indent(depth + 1)
			if err := writeJSON(buf, c, depth+1); err != nil {
				return err
			}
		}
		indent(depth)
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return writeJSONString(buf, n.Value)
		case "!!int", "!!float", "!!bool", "!!null":
			buf.WriteString(n.Value)
		default:
			return fmt.Errorf("unexpected scalar tag %q", n.Tag)
		}
	default:
		return fmt.Errorf("unexpected node kind %v", n.Kind)
	}
	return nil
}

func writeJSONString(buf *bytes.Buffer, s string) error {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	buf.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
	return nil
}

// encodeYAML renders the tree as block-style YAML indented by two spaces.
// Strings that would read back as another type (such as "200" or "true")
// are quoted by the encoder because their nodes are tagged !!str.
func encodeYAML(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// writeFileAtomic replaces name with data so that readers never see a
// partly written file.
func writeFileAtomic(name string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
