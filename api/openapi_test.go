package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/api/apitest"
)

// oasPublic are the /v1 operations callable without an access token.
var oasPublic = []string{"POST /v1/auth/register", "POST /v1/auth/login", "POST /v1/auth/refresh", "POST /v1/auth/token"}

// oauthErrors are the responses that RFC 6749 §5.2 makes application/json
// with its own error object, the one exception to problem+json: the OAuth2
// token endpoint's refusals (OAuth2 client libraries parse that shape).
var oauthErrors = []string{"POST /v1/auth/token 400", "POST /v1/auth/token 401"}

// oasLoad fetches the served OpenAPI document and loads it as a client would.
func oasLoad(t *testing.T, env *apitest.Env) *openapi3.T {
	t.Helper()
	r := env.Do(http.MethodGet, "/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /openapi.json = %d", r.Status)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(r.Raw)
	if err != nil {
		t.Fatalf("loading the served document: %v", err)
	}
	return doc
}

// oasRouter builds the router the server runs, with the env's services: every
// field of api.Deps is taken from the apitest.Env field of the same name.
func oasRouter(t *testing.T, env *apitest.Env) *echo.Echo {
	t.Helper()
	var d api.Deps
	dv, ev := reflect.ValueOf(&d).Elem(), reflect.ValueOf(env).Elem()
	for i := range dv.NumField() {
		f := dv.Type().Field(i)
		if src := ev.FieldByName(f.Name); src.IsValid() && src.Type().AssignableTo(f.Type) {
			dv.Field(i).Set(src)
		}
	}
	d.Log = slog.New(slog.DiscardHandler)
	d.Metrics = nil // the env's server already registered its metrics there
	return api.NewServer(d)
}

var oasParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// oasRoutes returns "METHOD /path/{param}" for every real route of e.
func oasRoutes(e *echo.Echo) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound || strings.Contains(r.Path, "*") {
			continue // catch-all 404 routes are not operations
		}
		out[r.Method+" "+oasParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	return out
}

// oasOperations returns "METHOD /path" → operation for every operation of doc.
func oasOperations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[strings.ToUpper(method)+" "+path] = op
		}
	}
	return out
}

func oasSorted(m map[string]*openapi3.Operation) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestOpenAPIDocumentIsValidOpenAPI3(t *testing.T) {
	env := apitest.New(t)
	doc := oasLoad(t, env)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Errorf("the served document does not validate: %v", err)
	}
	if doc.Info == nil || doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("info = %+v", doc.Info)
	}

	t.Run("bearer security scheme", func(t *testing.T) {
		ref := doc.Components.SecuritySchemes["BearerAuth"]
		if ref == nil || ref.Value == nil {
			t.Fatalf("no BearerAuth security scheme: %v", doc.Components.SecuritySchemes)
		}
		if s := ref.Value; s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
			t.Errorf("BearerAuth = type %q scheme %q, want http bearer", s.Type, s.Scheme)
		}
	})

	t.Run("operation ids are unique", func(t *testing.T) {
		seen := map[string]string{}
		for key, op := range oasOperations(doc) {
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", key)
			} else if other, dup := seen[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s", op.OperationID, other, key)
			}
			seen[op.OperationID] = key
		}
	})
}

func TestOpenAPIDocumentMatchesTheRouter(t *testing.T) {
	env := apitest.New(t, apitest.DevMode) // every documented route, the dev ones too
	doc := oasLoad(t, env)
	routes := oasRoutes(oasRouter(t, env))
	ops := oasOperations(doc)
	if len(routes) < 10 {
		t.Fatalf("only %d routes found: %v", len(routes), routes)
	}

	var undocumented, unrouted, headless []string
	for r := range routes {
		method, path, _ := strings.Cut(r, " ")
		// HEAD is implied by GET (RFC 9110), documented only where it differs
		if ops[r] == nil && (method != http.MethodHead || ops["GET "+path] == nil) {
			undocumented = append(undocumented, r)
		}
		if method == http.MethodGet && !routes["HEAD "+path] {
			headless = append(headless, r)
		}
	}
	slices.Sort(headless)
	if len(headless) > 0 {
		t.Errorf("GET routes without HEAD (register them with routes.GET):\n  %s", strings.Join(headless, "\n  "))
	}
	for key := range ops {
		if !routes[key] {
			unrouted = append(unrouted, key)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unrouted)
	if len(undocumented) > 0 {
		t.Errorf("routes missing from the OpenAPI document (annotate them and run `make openapi`):\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(unrouted) > 0 {
		t.Errorf("documented operations the router does not serve:\n  %s", strings.Join(unrouted, "\n  "))
	}
}

func TestOpenAPIErrorResponsesAreProblems(t *testing.T) {
	env := apitest.New(t)
	doc := oasLoad(t, env)
	ops := oasOperations(doc)
	var bad []string
	checked := 0
	for _, key := range oasSorted(ops) {
		for code, resp := range ops[key].Responses.Map() {
			if code[0] != '4' && code[0] != '5' {
				continue
			}
			checked++
			if slices.Contains(oauthErrors, key+" "+code) {
				if mt := resp.Value.Content.Get("application/json"); len(resp.Value.Content) != 1 || mt == nil || mt.Schema == nil || !strings.HasSuffix(mt.Schema.Ref, "/OAuthError") {
					bad = append(bad, fmt.Sprintf("%s %s: want only application/json with the OAuthError schema", key, code))
				}
				continue
			}
			var types []string
			for name := range resp.Value.Content {
				mt, _, _ := mime.ParseMediaType(name)
				types = append(types, mt)
			}
			slices.Sort(types)
			mt := resp.Value.Content.Get("application/problem+json")
			switch {
			case !slices.Equal(types, []string{"application/problem+json"}):
				bad = append(bad, fmt.Sprintf("%s %s: content %v, want only application/problem+json", key, code, types))
			case mt.Schema == nil || !strings.HasSuffix(mt.Schema.Ref, "/Problem"):
				bad = append(bad, fmt.Sprintf("%s %s: schema is not the Problem component", key, code))
			}
		}
	}
	if checked == 0 {
		t.Fatal("no error responses documented at all")
	}
	if len(bad) > 0 {
		t.Errorf("error responses that are not RFC 9457 problems:\n  %s", strings.Join(bad, "\n  "))
	}
}

func TestOpenAPISecurityMatchesAuthentication(t *testing.T) {
	env := apitest.New(t, apitest.DevMode) // every documented route, the dev ones too
	doc := oasLoad(t, env)
	ops := oasOperations(doc)
	if len(doc.Security) > 0 {
		t.Fatalf("document-wide security %v would make ops and sign-up require a token", doc.Security)
	}
	bearer := func(op *openapi3.Operation) bool {
		if op.Security == nil {
			return false
		}
		for _, req := range *op.Security {
			if _, ok := req["BearerAuth"]; ok {
				return true
			}
		}
		return false
	}
	var bad []string
	for _, key := range oasSorted(ops) {
		method, path, _ := strings.Cut(key, " ")
		protected := strings.HasPrefix(path, "/v1/") && !slices.Contains(oasPublic, key)
		if got := bearer(ops[key]); got != protected {
			bad = append(bad, fmt.Sprintf("%s: declares BearerAuth %t, want %t", key, got, protected))
		}
		if protected && ops[key].Responses.Value("401") == nil {
			bad = append(bad, key+": protected but documents no 401")
		}
		// What the server does without a token must agree with the document.
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		var body any
		if method != http.MethodGet {
			body = map[string]any{}
		}
		// The authentication middleware's 401 names the header it wants (in
		// its body, which a HEAD answer has not).
		r := env.Do(method, strings.ReplaceAll(path, "{id}", "00000000-0000-0000-0000-000000000000"), "", body)
		asksForToken := r.Status == http.StatusUnauthorized && strings.Contains(r.Header.Get("WWW-Authenticate"), "Bearer") &&
			(method == http.MethodHead || strings.Contains(fmt.Sprint(r.JSON["detail"]), "Authorization: Bearer"))
		if protected && !asksForToken {
			bad = append(bad, fmt.Sprintf("%s: without a token answered %d %s, want the authentication 401", key, r.Status, bytes.TrimSpace(r.Raw)))
		}
		if !protected && asksForToken {
			bad = append(bad, fmt.Sprintf("%s: public but asks for an access token: %s", key, bytes.TrimSpace(r.Raw)))
		}
	}
	for _, key := range oasPublic {
		if ops[key] == nil {
			bad = append(bad, key+": public operation missing from the document")
		}
	}
	if len(bad) > 0 {
		t.Errorf("security declarations that do not match the router:\n  %s", strings.Join(bad, "\n  "))
	}
}
