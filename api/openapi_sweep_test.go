package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/orders"
)

// TestOpenAPISweepEveryOperationAsEveryRole calls every documented operation
// without a token and as each role, on an id nobody can see and with an empty
// object as body. apitest validates each exchange against the document, so an
// undeclared status (a 403 the operation does not list, a 404 or 422 the
// document forgot) fails here even where no feature test reaches it.
func TestOpenAPISweepEveryOperationAsEveryRole(t *testing.T) {
	env := apitest.New(t)
	doc := oasLoad(t, env)
	tokens := map[string]string{
		"anonymous":  "",
		"customer":   env.Token("alice@example.com"),
		"technician": env.Token("tom@fieldops.test"),
		"dispatcher": env.Token("dispatcher@coolfix.test"),
		"manager":    env.Token("manager@fieldops.test"),
	}
	const nobody = "0190f1f4-0000-7000-8000-000000000000"
	ops := oasOperations(doc)
	for _, key := range oasSorted(ops) {
		method, path, _ := strings.Cut(key, " ")
		if !strings.HasPrefix(path, "/v1/") || slices.Contains([]string{"POST /v1/auth/logout", "POST /v1/auth/refresh"}, key) {
			continue // logout/refresh with {} are covered by the session tests
		}
		var body any
		if ops[key].RequestBody != nil {
			body = map[string]any{}
		}
		for _, role := range []string{"anonymous", "customer", "technician", "dispatcher", "manager"} {
			r := env.Do(method, strings.ReplaceAll(path, "{id}", nobody), tokens[role], body)
			if r.Status >= 500 {
				t.Errorf("%s as %s: %d %s", key, role, r.Status, r.Raw)
			}
		}
	}
}

// TestOpenAPIEnumsAreTheDomainsClosedSets: the enums clients generate types
// from are exactly the sets the server uses.
func TestOpenAPIEnumsAreTheDomainsClosedSets(t *testing.T) {
	env := apitest.New(t)
	doc := oasLoad(t, env)
	actions := []string{}
	for _, a := range orders.Actions() {
		actions = append(actions, string(a))
	}
	cases := []struct {
		schema, property string
		items            bool
		want             []string
	}{
		{"Order", "status", false, orders.Statuses},
		{"Order", "type", false, orders.Types},
		{"Order", "channel", false, orders.Channels},
		{"Order", "priority", false, orders.Priorities},
		{"Order", "allowed_actions", true, actions},
		{"Problem", "current_status", false, orders.Statuses},
		{"Problem", "allowed_actions", true, actions},
		{"OrderEvent", "action", false, orders.EventActions()},
		{"OrderEvent", "from", false, orders.Statuses},
		{"OrderEvent", "to", false, orders.Statuses},
		{"OrderEvent", "audience", false, orders.Audiences},
		{"OrderCreateRequest", "type", false, orders.Types},
		{"OrderCreateRequest", "channel", false, orders.Channels},
		{"Charges", "currency", false, []string{orders.Currency}},
		{"AssetClaim", "status", false, catalog.ClaimStatuses},
	}
	for _, c := range cases {
		t.Run(c.schema+"."+c.property, func(t *testing.T) {
			s := doc.Components.Schemas[c.schema]
			if s == nil || s.Value.Properties[c.property] == nil {
				t.Fatalf("no %s.%s in the document", c.schema, c.property)
			}
			p := s.Value.Properties[c.property].Value
			if c.items {
				p = p.Items.Value
			}
			if got := enumStrings(p); !sameSet(got, c.want) {
				t.Errorf("enum = %v, want %v", got, c.want)
			}
		})
	}

	t.Run("every action is a route", func(t *testing.T) {
		routes := oasRoutes(oasRouter(t, env))
		for _, a := range actions {
			if key := "POST /v1/orders/{id}/" + a; !routes[key] {
				t.Errorf("allowed_actions value %q has no route %s", a, key)
			}
		}
	})

	t.Run("the status filter takes only statuses", func(t *testing.T) {
		var status *openapi3.Parameter
		for _, p := range doc.Paths.Value("/v1/orders").Get.Parameters {
			if p.Value.Name == "status" {
				status = p.Value
			}
		}
		if status == nil || !sameSet(enumStrings(status.Schema.Value.Items.Value), orders.Statuses) {
			t.Fatalf("status filter = %+v", status)
		}
		tok := env.Token("dispatcher@fieldops.test")
		r := env.Do(http.MethodGet, "/v1/orders?status=assigned,bogus", tok, nil)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Raw), `"field":"status"`) {
			t.Errorf("status=bogus: %d %s, want 422 naming status", r.Status, r.Raw)
		}
	})
}

func enumStrings(s *openapi3.Schema) []string {
	if len(s.AllOf) == 1 { // a $ref wrapped for its nullable/example siblings
		s = s.AllOf[0].Value
	}
	out := make([]string, 0, len(s.Enum))
	for _, v := range s.Enum {
		if str, ok := v.(string); ok {
			out = append(out, str)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
