package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// problemSchemaName is the component every error response refers to.
const problemSchemaName = "Problem"

// idempotencyHeader is the request header of creating and transition POSTs.
const idempotencyHeader = "Idempotency-Key"

// standardResponse is an error response the server can send for a reason
// that follows from the shape of an operation rather than from its handler.
type standardResponse struct {
	status      int
	description string
	applies     func(path string, op *openapi3.Operation) bool
	headers     []string // header names (see responseHeaders) this response carries
}

// standardResponses are the error responses added to every operation they
// apply to, when the swag annotations did not declare them already. Each rule
// mirrors server behaviour that every handler shares:
//   - authenticate (api/middleware.go) answers 401 on every secured route,
//     allowScope 403 to an API client without the route's scope, and the
//     rate limit 429 (api/ratelimit.go);
//   - bindJSON (api/bind.go) answers 400 for unreadable JSON, 415 for a
//     Content-Type that is not JSON and 422 for invalid fields on every route
//     that reads a body; the global body limit answers 413 on any route;
//   - pathID answers 404 for an id that is malformed or not visible;
//   - the Idempotency-Key middleware (api/idempotency.go) answers 409 while
//     the same key is in flight and 422 when the key is reused with another
//     body;
//   - queryText (api/middleware.go) answers 422 on every /v1 route for a
//     query parameter that is not text (NUL, invalid UTF-8);
//   - any route may fail with 500, and any route that reaches PostgreSQL or
//     runs past its deadline with 503.
var standardResponses = []standardResponse{
	{http.StatusBadRequest, "The body cannot be read: not JSON, an unknown field or trailing data.", hasBody, nil},
	{http.StatusUnauthorized, "No valid access token (missing, expired, revoked or for a deactivated account).", isSecured, []string{"WWW-Authenticate"}},
	{http.StatusForbidden, "The caller's role may not do this, or the API client's token lacks the operation's scope (API clients pass only operations that name a scope).", isSecured, nil},
	{http.StatusTooManyRequests, "Over the caller's rate limit (per user or API client, a token bucket shared by all replicas); retry after Retry-After seconds.", isSecured, rateLimitHeaders},
	{http.StatusNotFound, "No such object, or not visible to the caller (ids leak nothing).", hasPathParam, nil},
	{http.StatusConflict, "The same Idempotency-Key is still being processed; retry later.", hasIdempotencyKey, nil},
	{http.StatusRequestEntityTooLarge, "The body is larger than the configured limit (the limit applies to every request, with or without a documented body).", always, nil},
	{http.StatusUnsupportedMediaType, "The body's Content-Type is not accepted.", hasBody, nil},
	{http.StatusUnprocessableEntity, "Invalid fields or query parameters (errors names each), or an Idempotency-Key reused with another body.", mayBeInvalid, nil},
	{http.StatusInternalServerError, "An unexpected error; it is logged with the request id.", always, nil},
	{http.StatusServiceUnavailable, "The database is unreachable, the request ran out of time, or every request slot of the server stayed taken until its deadline (FIELDOPS_HTTP_MAX_IN_FLIGHT); retry after Retry-After seconds.", isAPI, []string{"Retry-After"}},
}

// rateLimitHeaders are the rate limit's headers
// (draft-ietf-httpapi-ratelimit-headers-07), sent on every response of a
// secured operation and with Retry-After on its 429.
var rateLimitHeaders = []string{"Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}

// responseHeaders are the headers the server sends, by name.
var responseHeaders = map[string]*openapi3.Header{
	"X-Request-Id": {Parameter: openapi3.Parameter{
		Description: "The request's id, also in logs and in problem documents (request_id).",
		Schema:      openapi3.NewStringSchema().NewRef(),
	}},
	"Idempotent-Replayed": {Parameter: openapi3.Parameter{
		Description: "\"true\" when this response is the stored response of an earlier request with the same Idempotency-Key.",
		Schema:      &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Enum: []any{"true"}}},
	}},
	"Retry-After": {Parameter: openapi3.Parameter{
		Description: "Seconds to wait before retrying (sent when the server knows).",
		Schema:      openapi3.NewIntegerSchema().WithMin(0).NewRef(),
	}},
	"RateLimit-Limit": {Parameter: openapi3.Parameter{
		Description: "The caller's burst: requests it may make at once (draft-ietf-httpapi-ratelimit-headers-07).",
		Schema:      openapi3.NewIntegerSchema().WithMin(0).NewRef(),
	}},
	"RateLimit-Remaining": {Parameter: openapi3.Parameter{
		Description: "Requests left in the caller's bucket now (this replica's view; draft-07).",
		Schema:      openapi3.NewIntegerSchema().WithMin(0).NewRef(),
	}},
	"RateLimit-Reset": {Parameter: openapi3.Parameter{
		Description: "Seconds until the caller's bucket is full again (draft-07).",
		Schema:      openapi3.NewIntegerSchema().WithMin(0).NewRef(),
	}},
	"WWW-Authenticate": {Parameter: openapi3.Parameter{
		Description: "The authentication scheme: Bearer.",
		Required:    true,
		Schema:      openapi3.NewStringSchema().NewRef(),
	}},
}

func always(string, *openapi3.Operation) bool { return true }

func isAPI(path string, _ *openapi3.Operation) bool {
	return strings.HasPrefix(path, "/v1/") || path == "/readyz"
}

func isSecured(_ string, op *openapi3.Operation) bool {
	return op.Security != nil && len(*op.Security) > 0
}

func hasBody(_ string, op *openapi3.Operation) bool { return op.RequestBody != nil }

func hasPathParam(_ string, op *openapi3.Operation) bool {
	return hasParam(op, openapi3.ParameterInPath, "")
}

func hasIdempotencyKey(_ string, op *openapi3.Operation) bool {
	return hasParam(op, openapi3.ParameterInHeader, idempotencyHeader)
}

// mayBeInvalid: a body, an Idempotency-Key or a query string (any /v1 route) can be invalid.
func mayBeInvalid(path string, op *openapi3.Operation) bool {
	return hasBody(path, op) || hasIdempotencyKey(path, op) || strings.HasPrefix(path, "/v1/")
}

// hasParam reports whether op takes a parameter in the given location (and
// of the given name, unless name is empty).
func hasParam(op *openapi3.Operation, in, name string) bool {
	for _, p := range op.Parameters {
		if p.Value != nil && p.Value.In == in && (name == "" || strings.EqualFold(p.Value.Name, name)) {
			return true
		}
	}
	return false
}

// completeResponses adds the standard error responses and response headers
// to every operation. It needs the Problem component; a document without one
// is left alone.
func completeResponses(doc *openapi3.T) error {
	if doc.Paths == nil || doc.Components == nil || doc.Components.Schemas[problemSchemaName] == nil {
		return nil
	}
	problemRef := "#/components/schemas/" + problemSchemaName
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if op == nil {
				continue
			}
			if op.Responses == nil {
				return fmt.Errorf("%s %s has no responses", method, path)
			}
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && strings.EqualFold(p.Value.Name, idempotencyHeader) {
					p.Value.Description = "Makes the request safe to retry: the same key with the same body replays the first response (24 h, per caller); with another body it is 422; while the first is in flight, 409."
					p.Value.Schema = openapi3.NewStringSchema().WithMinLength(1).WithMaxLength(255).NewRef()
				}
			}
			for _, std := range standardResponses {
				if !std.applies(path, op) {
					continue
				}
				code := strconv.Itoa(std.status)
				var resp *openapi3.Response
				if ref := op.Responses.Value(code); ref != nil && ref.Value != nil {
					resp = ref.Value
				} else {
					desc := std.description
					resp = &openapi3.Response{Description: &desc,
						Content: openapi3.Content{problemMediaType: openapi3.NewMediaType().WithSchemaRef(
							openapi3.NewSchemaRef(problemRef, doc.Components.Schemas[problemSchemaName].Value))}}
					op.Responses.Set(code, &openapi3.ResponseRef{Value: resp})
				}
				for _, h := range std.headers {
					addHeader(resp, h)
				}
			}
			for code, ref := range op.Responses.Map() {
				if ref == nil || ref.Value == nil {
					continue
				}
				addHeader(ref.Value, "X-Request-Id")
				if strings.HasPrefix(code, "2") && isSecured(path, op) && isAPI(path, op) {
					for _, h := range rateLimitHeaders[1:] {
						addHeader(ref.Value, h)
					}
				}
				// a stored response (any status under 500) can be replayed
				if n, err := strconv.Atoi(code); err == nil && n < 500 && hasIdempotencyKey(path, op) {
					addHeader(ref.Value, "Idempotent-Replayed")
				}
				switch code {
				case "429":
					addHeader(ref.Value, "Retry-After")
				case "401": // the error handler names the scheme on every 401
					addHeader(ref.Value, "WWW-Authenticate")
				}
			}
		}
	}
	return nil
}

func addHeader(resp *openapi3.Response, name string) {
	if resp.Headers == nil {
		resp.Headers = openapi3.Headers{}
	}
	if _, ok := resp.Headers[name]; ok {
		return
	}
	h := *responseHeaders[name]
	resp.Headers[name] = &openapi3.HeaderRef{Value: &h}
}

// addRequestExamples gives every JSON and form request body an example
// assembled from the examples of its schema's properties (swag writes them
// from the example tags; a form's file part is rawBytesExample), and checks
// that the example is valid against the schema. A required property without
// an example is an error: the annotations must carry one.
func addRequestExamples(doc *openapi3.T) error {
	if doc.Paths == nil {
		return nil
	}
	var problems []error
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for _, name := range slices.Sorted(maps.Keys(op.RequestBody.Value.Content)) {
				mt := op.RequestBody.Value.Content[name]
				if !strings.HasSuffix(name, "json") && name != "multipart/form-data" && name != formMediaType { // raw bytes: fixMediaTypes
					continue
				}
				if mt == nil || mt.Schema == nil || mt.Example != nil || len(mt.Examples) > 0 {
					continue
				}
				ex, ok, err := exampleOf(mt.Schema, name, 0)
				if err == nil && !ok {
					err = errors.New("no example can be built; add example tags")
				}
				if err != nil {
					problems = append(problems, fmt.Errorf("%s %s request body: %w", method, path, err))
					continue
				}
				// round-trip through JSON so the value has JSON types (float64, map[string]any)
				raw, err := json.Marshal(ex)
				if err != nil {
					return err
				}
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					return err
				}
				if err := mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
					problems = append(problems, fmt.Errorf("%s %s request body: the assembled example does not match the schema: %w", method, path, err))
					continue
				}
				mt.Example = v
			}
		}
	}
	return errors.Join(problems...)
}

// exampleOf builds an example value for a schema: its own example, else one
// made of its parts. ok is false when none can be made.
func exampleOf(ref *openapi3.SchemaRef, where string, depth int) (any, bool, error) {
	if ref == nil || ref.Value == nil || depth > 8 {
		return nil, false, nil
	}
	s := ref.Value
	if s.Example != nil {
		return s.Example, true, nil
	}
	if len(s.AllOf) == 1 {
		return exampleOf(s.AllOf[0], where, depth+1)
	}
	switch {
	case s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0:
		out := map[string]any{}
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			v, ok, err := exampleOf(s.Properties[name], where+"."+name, depth+1)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out[name] = v
			} else if slices.Contains(s.Required, name) {
				return nil, false, fmt.Errorf("required property %s has no example", strings.TrimPrefix(where+"."+name, "application/json."))
			}
		}
		return out, true, nil
	case s.Type.Is(openapi3.TypeArray):
		v, ok, err := exampleOf(s.Items, where+"[]", depth+1)
		if err != nil || !ok {
			return nil, ok, err
		}
		return []any{v}, true, nil
	case len(s.Enum) > 0:
		return s.Enum[0], true, nil
	case isBinary(ref): // a form's file part
		return rawBytesExample, true, nil
	case s.Type.Is(openapi3.TypeBoolean):
		return false, true, nil
	}
	return nil, false, nil
}
