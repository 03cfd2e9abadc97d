package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/fieldops/fieldops/openapi"
)

// ContractHeaders are the response headers clients are told to read. When the
// server sends one, the document must declare it on that response.
var ContractHeaders = []string{"ETag", "Location", "Retry-After", "Idempotent-Replayed", "X-Request-Id", "WWW-Authenticate"}

// checkedFormats are the formats the document may use: uuid and email are
// checked here, date, date-time, int32, int64 and byte by kin-openapi,
// float/double are plain numbers, and binary is a file (any bytes).
var checkedFormats = []string{"uuid", "email", "date", "date-time", "int32", "int64", "byte", "float", "double", "binary"}

// contract is the committed document, loaded once per process and made strict.
type contract struct {
	doc     *openapi3.T
	router  routers.Router
	opts    *openapi3filter.Options
	problem *openapi3.Schema
}

var (
	contractOnce sync.Once
	contractDoc  *contract
	contractErr  error
)

// theContract loads openapi.JSON (once) and makes it strict in memory.
func theContract() (*contract, error) {
	contractOnce.Do(func() { contractDoc, contractErr = loadContract(openapi.JSON) })
	return contractDoc, contractErr
}

func loadContract(data []byte) (*contract, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("apitest: loading openapi.json: %w", err)
	}
	// tus PATCH bodies (and creation-with-upload) are raw bytes, checked
	// against their binary schema like application/octet-stream.
	openapi3filter.RegisterBodyDecoder("application/offset+octet-stream", openapi3filter.FileBodyDecoder)
	// The document's server is relative ("/"); match request paths as they are.
	doc.Servers = nil
	for _, f := range strictify(doc) {
		if !slices.Contains(checkedFormats, f) {
			return nil, fmt.Errorf("apitest: openapi.json uses format %q, which the check does not know", f)
		}
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("apitest: openapi.json: %w", err)
	}
	c := &contract{doc: doc, router: router, opts: &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		SkipSettingDefaults:   true,
		AuthenticationFunc:    bearerPresent,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.EnableFormatValidation(),
			openapi3.DisableSchemaErrorDetails(),
			openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
				"uuid":  openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
				"email": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail),
			}),
		},
	}}
	if ref := doc.Components.Schemas["Problem"]; ref != nil {
		c.problem = ref.Value
	}
	if c.problem == nil {
		return nil, errors.New("apitest: openapi.json has no Problem schema")
	}
	return c, nil
}

// bearerPresent is the document's view of BearerAuth and of the OAuth2
// client-credentials scheme (whose access token is sent the same way): an
// Authorization header with a Bearer token. Whether the token is good, and
// has the operation's scope, is the server's call.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || !(s.Type == "http" && strings.EqualFold(s.Scheme, "bearer") || s.Type == "oauth2" && s.Flows != nil && s.Flows.ClientCredentials != nil) {
		return in.NewError(fmt.Errorf("security scheme %q is not a bearer scheme", in.SecuritySchemeName))
	}
	scheme, tok, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return in.NewError(errors.New("no Authorization: Bearer header"))
	}
	return nil
}

// strictify closes every object schema that declares properties
// (additionalProperties: false), so an undeclared field fails. Free-form maps
// (no properties) stay open. An allOf that composes several property sets is
// closed on the composite instead of on its members. It returns the formats
// the document uses.
func strictify(doc *openapi3.T) (formats []string) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(*openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if s.Format != "" && !slices.Contains(formats, s.Format) {
			formats = append(formats, s.Format)
		}
		for _, p := range s.Properties {
			visit(p)
		}
		visit(s.Items)
		visit(s.Not)
		visit(s.AdditionalProperties.Schema)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, m := range group {
				visit(m)
			}
		}
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
		closeComposition(s)
	}
	for _, ref := range doc.Components.Schemas {
		visit(ref)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					visit(p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					visit(mt.Schema)
				}
			}
			for _, res := range op.Responses.Map() {
				if res.Value == nil {
					continue
				}
				for _, mt := range res.Value.Content {
					visit(mt.Schema)
				}
				for _, h := range res.Value.Headers {
					if h.Value != nil {
						visit(h.Value.Schema)
					}
				}
			}
		}
	}
	return formats
}

// closeComposition handles allOf with more than one property set: each
// member is replaced by an open copy, and the composite lists every member's
// property names (values are checked by the members) and closes itself.
func closeComposition(s *openapi3.Schema) {
	sets := 0
	if len(s.Properties) > 0 {
		sets++
	}
	for _, m := range s.AllOf {
		if m.Value != nil && len(m.Value.Properties) > 0 {
			sets++
		}
	}
	if sets < 2 {
		return
	}
	if s.Properties == nil {
		s.Properties = openapi3.Schemas{}
	}
	for i, m := range s.AllOf {
		if m.Value == nil || len(m.Value.Properties) == 0 {
			continue
		}
		open := *m.Value
		open.AdditionalProperties = openapi3.AdditionalProperties{}
		s.AllOf[i] = &openapi3.SchemaRef{Value: &open}
		for name := range m.Value.Properties {
			if _, ok := s.Properties[name]; !ok {
				s.Properties[name] = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
			}
		}
	}
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
}

// CheckExchange checks one request and its response against the committed
// OpenAPI document (made strict, see the package doc). reqBody and resBody
// are the bodies as sent and received; req and res are only read.
func CheckExchange(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	c, err := theContract()
	if err != nil {
		return err
	}
	return c.check(req, reqBody, res, resBody)
}

func (c *contract) check(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.ContentLength = int64(len(reqBody))
	vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }

	route, params, err := c.router.FindRoute(vreq)
	head := false
	if err != nil && req.Method == http.MethodHead {
		// HEAD is implied wherever GET is (RFC 9110 §9.3.2; api/router.go
		// registers both): it is checked as that GET, without the body
		get := vreq.Clone(context.Background())
		get.Method = http.MethodGet
		if r, p, gerr := c.router.FindRoute(get); gerr == nil {
			vreq, route, params, err, head = get, r, p, nil, true
		}
	}
	if err != nil {
		return c.checkUnknownRoute(req.Method, res, resBody)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: c.opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)

	var problems []error
	doc := documentedResponse(route.Operation, res.StatusCode)
	opts := c.opts
	if head {
		o := *c.opts
		o.ExcludeResponseBody = true
		opts = &o
		if len(resBody) > 0 {
			problems = append(problems, errors.New("response: a HEAD answer has a body"))
		}
	} else if ct := res.Header.Get("Content-Type"); len(resBody) > 0 && !isJSON(ct) {
		// HTML, scripts, images, YAML, metrics: the schema says only
		// "string", so check that the media type is declared and skip the body.
		o := *c.opts
		o.ExcludeResponseBody = true
		opts = &o
		if doc != nil && len(doc.Content) > 0 && doc.Content.Get(ct) == nil {
			problems = append(problems, fmt.Errorf("response: Content-Type %q is not declared for status %d", ct, res.StatusCode))
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode,
		Header: res.Header, Options: opts}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		problems = append(problems, fmt.Errorf("response: %w", err))
	}
	if doc != nil {
		if len(doc.Content) == 0 && len(bytes.TrimSpace(resBody)) > 0 {
			problems = append(problems, fmt.Errorf("response: status %d is documented without a body, but one was sent", res.StatusCode))
		}
		for _, h := range ContractHeaders {
			if res.Header.Get(h) != "" && !declaresHeader(doc, h) {
				problems = append(problems, fmt.Errorf("response: header %s is sent but not declared for status %d", h, res.StatusCode))
			}
		}
	}
	if reqErr != nil && (res.StatusCode < 400 || res.StatusCode >= 500) {
		problems = append(problems, fmt.Errorf("the document forbids this request, yet the server answered %d "+
			"(the document is stricter than the server, or a deliberately bad request was not refused): %w",
			res.StatusCode, reqErr))
	}
	return errors.Join(problems...)
}

// checkUnknownRoute: a path or method the document does not have may only be
// refused with 404 or 405 as problem+json (without the body for HEAD).
func (c *contract) checkUnknownRoute(method string, res *http.Response, body []byte) error {
	if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
		return fmt.Errorf("the route is not in the document, yet the server answered %d (want 404 or 405)", res.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/problem+json" {
		return fmt.Errorf("the route is not in the document; its %d has Content-Type %q, want application/problem+json",
			res.StatusCode, res.Header.Get("Content-Type"))
	}
	if method == http.MethodHead {
		if len(body) > 0 {
			return fmt.Errorf("the route is not in the document; its HEAD %d has a body", res.StatusCode)
		}
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("the route is not in the document; its %d body is not JSON: %w", res.StatusCode, err)
	}
	if err := c.problem.VisitJSON(v, append(slices.Clone(c.opts.SchemaValidationOptions), openapi3.MultiErrors(),
		openapi3.VisitAsResponse())...); err != nil {
		return fmt.Errorf("the route is not in the document; its %d body is not a Problem: %w", res.StatusCode, err)
	}
	return nil
}

// isJSON reports whether a Content-Type is application/json or a +json type.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// documentedResponse is the response the document gives for status (or its default).
func documentedResponse(op *openapi3.Operation, status int) *openapi3.Response {
	if op == nil || op.Responses == nil {
		return nil
	}
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil {
		return nil
	}
	return ref.Value
}

func declaresHeader(r *openapi3.Response, name string) bool {
	for k := range r.Headers {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// Verify runs CheckExchange and reports a failure on t.
func Verify(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	t.Helper()
	if err := CheckExchange(req, reqBody, res, resBody); err != nil {
		t.Errorf("contract: %s %s → %d: %v\nbody: %s", req.Method, req.URL.RequestURI(), res.StatusCode, err, truncate(resBody, 1500))
	}
}

func truncate(b []byte, n int) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf("(%d bytes, not UTF-8)", len(b))
	}
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + fmt.Sprintf("… (%d bytes)", len(b))
}
