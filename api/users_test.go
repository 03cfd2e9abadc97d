package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
)

// identProviderID returns a provider's id by name.
func identProviderID(t *testing.T, env *apitest.Env, name string) string {
	t.Helper()
	p, err := env.Identity.ProviderByName(context.Background(), name)
	if err != nil {
		t.Fatalf("provider %q: %v", name, err)
	}
	return p.ID.String()
}

// identItems returns the items of a list response (apitest.Response.Items).
func identItems(t *testing.T, r apitest.Response) []map[string]any { t.Helper(); return r.Items(t) }

// identEmails returns the sorted e-mails of list items.
func identEmails(items []map[string]any) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		e, _ := it["email"].(string)
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// identStrings reads a JSON array of strings.
func identStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestUserEndpointsRolePolicy(t *testing.T) {
	env := apitest.New(t)
	const tomEmail = "tom@fieldops.test"
	tomID := env.UserID(tomEmail)
	inHouse := identProviderID(t, env, demo.InHouse)
	tokens := map[string]string{
		"anonymous":  "",
		"customer":   env.Token("alice@example.com"),
		"technician": env.Token(tomEmail),
		"dispatcher": env.Token("dispatcher@fieldops.test"),
		"manager":    env.Token("manager@fieldops.test"),
	}
	roles := []string{"anonymous", "customer", "technician", "dispatcher", "manager"}
	capacityOf := map[string]int{"anonymous": 1, "customer": 2, "technician": 3, "dispatcher": 4, "manager": 5}

	tomCapacity := func(t *testing.T) int {
		t.Helper()
		u, err := env.Identity.UserByEmail(context.Background(), tomEmail)
		if err != nil {
			t.Fatal(err)
		}
		return u.DailyCapacity
	}

	type endpoint struct {
		method, path string
		body         func(role string) any
		allowed      map[string]int // role → success status; every other role is 403 (401 anonymous)
		check        func(t *testing.T, role string, r apitest.Response)
	}
	endpoints := []endpoint{
		{http.MethodPost, "/v1/users",
			func(role string) any {
				return map[string]any{"role": "technician", "name": "New " + role, "email": "new." + role + "@fieldops.test", "password": "a-long-password"}
			},
			map[string]int{"manager": http.StatusCreated},
			func(t *testing.T, role string, r apitest.Response) {
				if r.JSON["email"] != "new."+role+"@fieldops.test" || r.JSON["role"] != "technician" || r.Header.Get("Location") != "/v1/users/"+identStr(r.JSON, "id") {
					t.Fatalf("created user = %s (Location %q)", r.Raw, r.Header.Get("Location"))
				}
			}},
		{http.MethodGet, "/v1/users", nil,
			map[string]int{"manager": http.StatusOK, "dispatcher": http.StatusOK},
			func(t *testing.T, _ string, r apitest.Response) {
				if len(identItems(t, r)) == 0 {
					t.Fatalf("empty user list: %s", r.Raw)
				}
			}},
		{http.MethodGet, "/v1/users/" + tomID, nil,
			map[string]int{"manager": http.StatusOK, "dispatcher": http.StatusOK},
			func(t *testing.T, _ string, r apitest.Response) {
				if r.JSON["id"] != tomID || r.JSON["email"] != tomEmail {
					t.Fatalf("GET user = %s, want tom", r.Raw)
				}
			}},
		{http.MethodPatch, "/v1/users/" + tomID,
			func(role string) any { return map[string]any{"daily_capacity": capacityOf[role]} },
			map[string]int{"manager": http.StatusOK},
			func(t *testing.T, role string, r apitest.Response) {
				if r.JSON["daily_capacity"] != float64(capacityOf[role]) || tomCapacity(t) != capacityOf[role] {
					t.Fatalf("PATCH = %s, want daily_capacity %d stored", r.Raw, capacityOf[role])
				}
			}},
		{http.MethodPost, "/v1/providers",
			func(role string) any { return map[string]any{"name": "Partner of " + role, "kind": "partner"} },
			map[string]int{"manager": http.StatusCreated},
			func(t *testing.T, role string, r apitest.Response) {
				if r.JSON["name"] != "Partner of "+role || r.JSON["kind"] != "partner" {
					t.Fatalf("created provider = %s", r.Raw)
				}
			}},
		{http.MethodGet, "/v1/providers", nil,
			map[string]int{"manager": http.StatusOK},
			func(t *testing.T, _ string, r apitest.Response) {
				if len(identItems(t, r)) < 2 {
					t.Fatalf("provider list = %s, want both demo providers", r.Raw)
				}
			}},
		{http.MethodGet, "/v1/providers/" + inHouse, nil,
			map[string]int{"manager": http.StatusOK},
			func(t *testing.T, _ string, r apitest.Response) {
				if r.JSON["id"] != inHouse || r.JSON["kind"] != "in_house" {
					t.Fatalf("GET provider = %s", r.Raw)
				}
			}},
		{http.MethodPut, "/v1/me/duty",
			func(string) any { return map[string]any{"on_duty": false} },
			map[string]int{"technician": http.StatusOK},
			func(t *testing.T, _ string, r apitest.Response) {
				if r.JSON["on_duty"] != false || r.JSON["email"] != tomEmail {
					t.Fatalf("PUT duty = %s", r.Raw)
				}
			}},
		{http.MethodPost, "/v1/me/location",
			func(string) any { return map[string]any{"lat": 31.23, "lng": 121.47} },
			map[string]int{"technician": http.StatusOK},
			func(t *testing.T, _ string, r apitest.Response) {
				if _, ok := r.JSON["last_location"].(map[string]any); !ok {
					t.Fatalf("POST location = %s, want last_location", r.Raw)
				}
			}},
	}

	type tcase struct {
		name       string
		method     string
		path       string
		token      string
		body       any
		wantStatus int
		check      func(t *testing.T, r apitest.Response)
	}
	var tests []tcase
	for _, ep := range endpoints {
		for _, role := range roles {
			label := ep.method + " " + strings.NewReplacer(tomID, "{id}", inHouse, "{id}").Replace(ep.path)
			tc := tcase{method: ep.method, path: ep.path, token: tokens[role]}
			if ep.body != nil {
				tc.body = ep.body(role)
			}
			switch status, ok := ep.allowed[role]; {
			case ok:
				tc.name = role + " can " + label
				tc.wantStatus = status
				tc.check = func(t *testing.T, r apitest.Response) { ep.check(t, role, r) }
			case role == "anonymous":
				tc.name = "anonymous caller gets 401 on " + label
				tc.wantStatus = http.StatusUnauthorized
			default:
				tc.name = role + " cannot " + label
				tc.wantStatus = http.StatusForbidden
			}
			tests = append(tests, tc)
		}
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			users, providers, capacity := env.Count("users"), env.Count("providers"), tomCapacity(t)
			r := env.Do(tc.method, tc.path, tc.token, tc.body)
			if tc.check != nil {
				identWantStatus(t, r, tc.wantStatus)
				tc.check(t, r)
				return
			}
			identWantProblem(t, r, tc.wantStatus)
			if n := env.Count("users"); n != users {
				t.Errorf("users = %d after a refused call, want %d", n, users)
			}
			if n := env.Count("providers"); n != providers {
				t.Errorf("providers = %d after a refused call, want %d", n, providers)
			}
			if c := tomCapacity(t); c != capacity {
				t.Errorf("tom's daily_capacity changed to %d by a refused call (was %d)", c, capacity)
			}
		})
	}
}

func TestUserVisibilityScope(t *testing.T) {
	env := apitest.New(t)
	inHouseDisp := env.Token("dispatcher@fieldops.test")
	partnerDisp := env.Token("dispatcher@coolfix.test")
	manager := env.Token("manager@fieldops.test")
	partner := identProviderID(t, env, demo.Partner)
	inHouse := identProviderID(t, env, demo.InHouse)
	allTechs := []string{"carl@coolfix.test", "nina@fieldops.test", "sam@fieldops.test", "tom@fieldops.test"}

	tests := []struct {
		name       string
		token      string
		path       string
		wantStatus int
		check      func(t *testing.T, r apitest.Response)
	}{
		{"customer cannot list users", env.Token("alice@example.com"), "/v1/users", http.StatusForbidden, nil},
		{"in-house dispatcher lists every technician and nobody else", inHouseDisp, "/v1/users?limit=200", http.StatusOK,
			func(t *testing.T, r apitest.Response) {
				items := identItems(t, r)
				if got := identEmails(items); !slices.Equal(got, allTechs) {
					t.Fatalf("in-house dispatcher sees %v, want %v", got, allTechs)
				}
				for _, it := range items {
					if it["role"] != "technician" {
						t.Fatalf("dispatcher sees a %v", it["role"])
					}
				}
			}},
		{"partner dispatcher lists only its provider's technician", partnerDisp, "/v1/users?limit=200", http.StatusOK,
			func(t *testing.T, r apitest.Response) {
				items := identItems(t, r)
				if got := identEmails(items); !slices.Equal(got, []string{"carl@coolfix.test"}) {
					t.Fatalf("partner dispatcher sees %v, want only carl", got)
				}
				if items[0]["provider_id"] != partner {
					t.Fatalf("carl's provider = %v, want %s", items[0]["provider_id"], partner)
				}
			}},
		{"partner dispatcher asking for the in-house provider's technicians gets none", partnerDisp, "/v1/users?provider_id=" + inHouse, http.StatusOK,
			func(t *testing.T, r apitest.Response) {
				if items := identItems(t, r); len(items) != 0 {
					t.Fatalf("partner dispatcher sees %v of the in-house team", identEmails(items))
				}
			}},
		{"partner dispatcher cannot see an in-house technician", partnerDisp, "/v1/users/" + env.UserID("tom@fieldops.test"), http.StatusNotFound, nil},
		{"partner dispatcher sees its own technician", partnerDisp, "/v1/users/" + env.UserID("carl@coolfix.test"), http.StatusOK,
			func(t *testing.T, r apitest.Response) {
				if r.JSON["email"] != "carl@coolfix.test" {
					t.Fatalf("got %s", r.Raw)
				}
			}},
		{"in-house dispatcher cannot see the manager", inHouseDisp, "/v1/users/" + env.UserID("manager@fieldops.test"), http.StatusNotFound, nil},
		{"in-house dispatcher cannot see a customer", inHouseDisp, "/v1/users/" + env.UserID("alice@example.com"), http.StatusNotFound, nil},
		{"in-house dispatcher sees a partner technician", inHouseDisp, "/v1/users/" + env.UserID("carl@coolfix.test"), http.StatusOK,
			func(t *testing.T, r apitest.Response) {
				if r.JSON["email"] != "carl@coolfix.test" {
					t.Fatalf("got %s", r.Raw)
				}
			}},
		{"dispatcher cannot list managers", inHouseDisp, "/v1/users?role=manager", http.StatusUnprocessableEntity, nil},
		{"manager lists every user", manager, "/v1/users?limit=200", http.StatusOK,
			func(t *testing.T, r apitest.Response) {
				if n := len(identItems(t, r)); int64(n) != env.Count("users") {
					t.Fatalf("manager sees %d users, want %d", n, env.Count("users"))
				}
			}},
		{"manager filters by role and skill", manager, "/v1/users?role=technician&skill=aircon", http.StatusOK,
			func(t *testing.T, r apitest.Response) {
				if got := identEmails(identItems(t, r)); !slices.Equal(got, []string{"carl@coolfix.test", "tom@fieldops.test"}) {
					t.Fatalf("aircon technicians = %v", got)
				}
			}},
		{"a malformed user id is 404", manager, "/v1/users/not-a-uuid", http.StatusNotFound, nil},
		{"an unknown user id is 404", manager, "/v1/users/00000000-0000-7000-8000-000000000000", http.StatusNotFound, nil},
		{"a malformed provider_id filter is 422", manager, "/v1/users?provider_id=nope", http.StatusUnprocessableEntity, nil},
	}
	wantFields := map[string][]string{
		"dispatcher cannot list managers":       {"role"},
		"a malformed provider_id filter is 422": {"provider_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(http.MethodGet, tc.path, tc.token, nil)
			if tc.check != nil {
				identWantStatus(t, r, tc.wantStatus)
				tc.check(t, r)
				return
			}
			identWantProblem(t, r, tc.wantStatus, wantFields[tc.name]...)
			if r.JSON["email"] != nil || r.JSON["items"] != nil {
				t.Fatalf("refused call leaked data: %s", r.Raw)
			}
		})
	}
}

func TestCreateStaff(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	inHouse := identProviderID(t, env, demo.InHouse)

	t.Run("manager creates a technician with defaults and the technician can log in", func(t *testing.T) {
		before := env.Count("users")
		r := env.Do(http.MethodPost, "/v1/users", manager, map[string]any{
			"role": "technician", "name": "Ted New", "email": "Ted.New@fieldops.test", "password": "a-long-password",
			"skills": []string{"repair", "install"}, "regions": []string{"north"}})
		identWantStatus(t, r, http.StatusCreated)
		if r.JSON["role"] != "technician" || r.JSON["email"] != "ted.new@fieldops.test" || r.JSON["active"] != true {
			t.Fatalf("created = %s", r.Raw)
		}
		if r.JSON["provider_id"] != inHouse {
			t.Fatalf("provider_id = %v, want the in-house provider %s", r.JSON["provider_id"], inHouse)
		}
		if r.JSON["daily_capacity"] != float64(6) {
			t.Fatalf("daily_capacity = %v, want the default 6", r.JSON["daily_capacity"])
		}
		if got := identStrings(r.JSON["skills"]); !slices.Equal(got, []string{"repair", "install"}) {
			t.Fatalf("skills = %v", got)
		}
		if got := identStrings(r.JSON["regions"]); !slices.Equal(got, []string{"north"}) {
			t.Fatalf("regions = %v", got)
		}
		if _, ok := r.JSON["password"]; ok {
			t.Fatal("response echoes the password")
		}
		if _, ok := r.JSON["password_hash"]; ok {
			t.Fatal("response shows the password hash")
		}
		if n := env.Count("users"); n != before+1 {
			t.Fatalf("users = %d, want %d", n, before+1)
		}
		login := identLogin(env, "ted.new@fieldops.test", "a-long-password")
		identWantStatus(t, login, http.StatusOK)
		if identStr(login.JSON, "user.role") != "technician" || identStr(login.JSON, "user.id") != identStr(r.JSON, "id") {
			t.Fatalf("login of the new technician = %s", login.Raw)
		}
	})
	t.Run("a dispatcher without provider joins the in-house team", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/users", manager, map[string]any{
			"role": "dispatcher", "name": "Dora", "email": "dora@fieldops.test", "password": "a-long-password"})
		identWantStatus(t, r, http.StatusCreated)
		if r.JSON["provider_id"] != inHouse || r.JSON["daily_capacity"] != float64(0) {
			t.Fatalf("created dispatcher = %s", r.Raw)
		}
	})

	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantField  string
	}{
		{"duplicate e-mail is 409 naming email",
			map[string]any{"role": "technician", "name": "Tom Again", "email": "TOM@fieldops.test", "password": "a-long-password"},
			http.StatusConflict, "email"},
		{"role customer is 422 naming role",
			map[string]any{"role": "customer", "name": "Cust", "email": "cust@fieldops.test", "password": "a-long-password"},
			http.StatusUnprocessableEntity, "role"},
		{"skills for a dispatcher are 422 naming skills",
			map[string]any{"role": "dispatcher", "name": "Skilled Disp", "email": "sd@fieldops.test", "password": "a-long-password", "skills": []string{"repair"}},
			http.StatusUnprocessableEntity, "skills"},
		{"daily_capacity over 100 is 422 naming daily_capacity",
			map[string]any{"role": "technician", "name": "Busy", "email": "busy@fieldops.test", "password": "a-long-password", "daily_capacity": 101},
			http.StatusUnprocessableEntity, "daily_capacity"},
		{"a badly formed skill is 422 naming skills",
			map[string]any{"role": "technician", "name": "Odd", "email": "odd@fieldops.test", "password": "a-long-password", "skills": []string{"Air Con"}},
			http.StatusUnprocessableEntity, "skills"},
		{"an unknown provider is 422 naming provider_id",
			map[string]any{"role": "technician", "name": "Lost", "email": "lost@fieldops.test", "password": "a-long-password", "provider_id": "00000000-0000-7000-8000-000000000000"},
			http.StatusUnprocessableEntity, "provider_id"},
		{"a short password is 422 naming password",
			map[string]any{"role": "technician", "name": "Weak", "email": "weak@fieldops.test", "password": "short"},
			http.StatusUnprocessableEntity, "password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := env.Count("users")
			r := env.Do(http.MethodPost, "/v1/users", manager, tc.body)
			identWantProblem(t, r, tc.wantStatus, tc.wantField)
			if n := env.Count("users"); n != before {
				t.Fatalf("users = %d after a failed create, want %d", n, before)
			}
		})
	}
}

func TestUpdateUser(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	const tom = "tom@fieldops.test"
	tomID := env.UserID(tom)

	t.Run("PATCH skills on tom is stored and visible in GET", func(t *testing.T) {
		r := env.Do(http.MethodPatch, "/v1/users/"+tomID, manager, map[string]any{"skills": []string{"install", "furniture"}})
		identWantStatus(t, r, http.StatusOK)
		if got := identStrings(r.JSON["skills"]); !slices.Equal(got, []string{"install", "furniture"}) {
			t.Fatalf("PATCH skills = %v", got)
		}
		g := env.Do(http.MethodGet, "/v1/users/"+tomID, manager, nil)
		identWantStatus(t, g, http.StatusOK)
		if got := identStrings(g.JSON["skills"]); !slices.Equal(got, []string{"install", "furniture"}) {
			t.Fatalf("GET skills = %v", got)
		}
		if got := identStrings(g.JSON["regions"]); !slices.Equal(got, []string{"north"}) {
			t.Fatalf("regions changed to %v by a skills-only patch", got)
		}
		if g.JSON["name"] != "Tom North" || g.JSON["active"] != true {
			t.Fatalf("other fields changed: %s", g.Raw)
		}
	})
	t.Run("skills on a dispatcher are 422 naming skills", func(t *testing.T) {
		r := env.Do(http.MethodPatch, "/v1/users/"+env.UserID("dispatcher@fieldops.test"), manager, map[string]any{"skills": []string{"repair"}})
		identWantProblem(t, r, http.StatusUnprocessableEntity, "skills")
	})
	t.Run("an empty name is 422 naming name", func(t *testing.T) {
		r := env.Do(http.MethodPatch, "/v1/users/"+tomID, manager, map[string]any{"name": "  "})
		identWantProblem(t, r, http.StatusUnprocessableEntity, "name")
		g := env.Do(http.MethodGet, "/v1/users/"+tomID, manager, nil)
		if g.JSON["name"] != "Tom North" {
			t.Fatalf("name after refused patch = %v", g.JSON["name"])
		}
	})
	t.Run("PATCH of an unknown user is 404", func(t *testing.T) {
		r := env.Do(http.MethodPatch, "/v1/users/00000000-0000-7000-8000-000000000000", manager, map[string]any{"name": "Ghost"})
		identWantProblem(t, r, http.StatusNotFound)
	})
	var oldRT string // a refresh token from before the deactivation
	t.Run("deactivating tom revokes his refresh tokens and blocks his login", func(t *testing.T) {
		rt := identStr(env.Login(tom, demo.Password).JSON, "refresh_token")
		oldRT = rt
		r := env.Do(http.MethodPatch, "/v1/users/"+tomID, manager, map[string]any{"active": false})
		identWantStatus(t, r, http.StatusOK)
		if r.JSON["active"] != false {
			t.Fatalf("PATCH active=false = %s", r.Raw)
		}
		identWantProblem(t, env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": rt}), http.StatusUnauthorized)
		login := identLogin(env, tom, demo.Password)
		identWantProblem(t, login, http.StatusUnauthorized)
		if login.JSON["access_token"] != nil {
			t.Fatalf("deactivated user got tokens: %s", login.Raw)
		}
	})
	t.Run("reactivating tom lets him log in again", func(t *testing.T) {
		r := env.Do(http.MethodPatch, "/v1/users/"+tomID, manager, map[string]any{"active": true})
		identWantStatus(t, r, http.StatusOK)
		login := identLogin(env, tom, demo.Password)
		identWantStatus(t, login, http.StatusOK)
		if identStr(login.JSON, "user.id") != tomID {
			t.Fatalf("login = %s", login.Raw)
		}
		identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": identStr(login.JSON, "refresh_token")}), http.StatusOK)
	})
	t.Run("refresh tokens revoked by the deactivation stay dead after reactivation", func(t *testing.T) {
		if oldRT == "" {
			t.Fatal("no refresh token from before the deactivation")
		}
		identWantProblem(t, env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": oldRT}), http.StatusUnauthorized)
	})
}

func TestTechnicianDutyAndLocation(t *testing.T) {
	env := apitest.New(t)
	tom := env.Token("tom@fieldops.test")

	t.Run("technician goes off duty", func(t *testing.T) {
		r := env.Do(http.MethodPut, "/v1/me/duty", tom, map[string]any{"on_duty": false})
		identWantStatus(t, r, http.StatusOK)
		if r.JSON["on_duty"] != false {
			t.Fatalf("PUT duty = %s", r.Raw)
		}
		me := env.Do(http.MethodGet, "/v1/me", tom, nil)
		if me.JSON["on_duty"] != false {
			t.Fatalf("GET /v1/me after going off duty = %s", me.Raw)
		}
	})
	t.Run("duty without on_duty is 422 naming on_duty", func(t *testing.T) {
		identWantProblem(t, env.Do(http.MethodPut, "/v1/me/duty", tom, map[string]any{}), http.StatusUnprocessableEntity, "on_duty")
	})
	t.Run("latitude out of range is 422 naming lat and stores nothing", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/me/location", tom, map[string]any{"lat": 100, "lng": 0})
		identWantProblem(t, r, http.StatusUnprocessableEntity, "lat")
		if slices.Contains(identFields(r), "lng") {
			t.Fatalf("lng 0 reported invalid: %s", r.Raw)
		}
		if me := env.Do(http.MethodGet, "/v1/me", tom, nil); me.JSON["last_location"] != nil {
			t.Fatalf("a refused location was stored: %s", me.Raw)
		}
	})
	t.Run("longitude out of range is 422 naming lng", func(t *testing.T) {
		identWantProblem(t, env.Do(http.MethodPost, "/v1/me/location", tom, map[string]any{"lat": 0, "lng": -181}), http.StatusUnprocessableEntity, "lng")
	})
	t.Run("missing coordinates are 422 naming lat and lng", func(t *testing.T) {
		identWantProblem(t, env.Do(http.MethodPost, "/v1/me/location", tom, map[string]any{}), http.StatusUnprocessableEntity, "lat", "lng")
	})
	t.Run("a valid location is stored with the clock's time", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/me/location", tom, map[string]any{"lat": 31.2304, "lng": 121.4737})
		identWantStatus(t, r, http.StatusOK)
		loc, ok := r.JSON["last_location"].(map[string]any)
		if !ok || loc["lat"] != 31.2304 || loc["lng"] != 121.4737 {
			t.Fatalf("last_location = %v", r.JSON["last_location"])
		}
		if loc["at"] != "2026-06-01T10:00:00Z" {
			t.Fatalf("last_location.at = %v, want the fixed clock 2026-06-01T10:00:00Z", loc["at"])
		}
		me := env.Do(http.MethodGet, "/v1/me", tom, nil)
		if l, _ := me.JSON["last_location"].(map[string]any); l == nil || l["lat"] != 31.2304 {
			t.Fatalf("GET /v1/me last_location = %v", me.JSON["last_location"])
		}
	})
}

func TestProviders(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")

	t.Run("manager creates a partner", func(t *testing.T) {
		before := env.Count("providers")
		r := env.Do(http.MethodPost, "/v1/providers", manager, map[string]any{"name": "QuickFix Ltd", "kind": "partner", "email": "OPS@quickfix.example"})
		identWantStatus(t, r, http.StatusCreated)
		id := identStr(r.JSON, "id")
		if r.JSON["name"] != "QuickFix Ltd" || r.JSON["kind"] != "partner" || r.JSON["active"] != true || r.JSON["email"] != "ops@quickfix.example" {
			t.Fatalf("created provider = %s", r.Raw)
		}
		if r.Header.Get("Location") != "/v1/providers/"+id {
			t.Fatalf("Location = %q", r.Header.Get("Location"))
		}
		if n := env.Count("providers"); n != before+1 {
			t.Fatalf("providers = %d, want %d", n, before+1)
		}
		g := env.Do(http.MethodGet, "/v1/providers/"+id, manager, nil)
		identWantStatus(t, g, http.StatusOK)
		if g.JSON["name"] != "QuickFix Ltd" {
			t.Fatalf("GET provider = %s", g.Raw)
		}
	})
	t.Run("kind defaults to partner", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/providers", manager, map[string]any{"name": "FixAll"})
		identWantStatus(t, r, http.StatusCreated)
		if r.JSON["kind"] != "partner" {
			t.Fatalf("kind = %v, want partner", r.JSON["kind"])
		}
	})

	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantField  string
	}{
		{"a second in-house provider is 409 naming kind", map[string]any{"name": "Another In-House", "kind": "in_house"}, http.StatusConflict, "kind"},
		{"a duplicate name is 409 naming name", map[string]any{"name": demo.Partner, "kind": "partner"}, http.StatusConflict, "name"},
		{"an unknown kind is 422 naming kind", map[string]any{"name": "Weird", "kind": "franchise"}, http.StatusUnprocessableEntity, "kind"},
		{"a missing name is 422 naming name", map[string]any{"kind": "partner"}, http.StatusUnprocessableEntity, "name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := env.Count("providers")
			identWantProblem(t, env.Do(http.MethodPost, "/v1/providers", manager, tc.body), tc.wantStatus, tc.wantField)
			if n := env.Count("providers"); n != before {
				t.Fatalf("providers = %d after a failed create, want %d", n, before)
			}
		})
	}
	t.Run("an unknown provider id is 404", func(t *testing.T) {
		identWantProblem(t, env.Do(http.MethodGet, "/v1/providers/00000000-0000-7000-8000-000000000000", manager, nil), http.StatusNotFound)
	})
}

func TestUserListPagination(t *testing.T) {
	env := apitest.New(t)
	manager := env.Token("manager@fieldops.test")
	for _, name := range []string{"p1", "p2", "p3"} { // more rows than the demo: an odd total, several pages
		r := env.Do(http.MethodPost, "/v1/users", manager, map[string]any{"role": "dispatcher", "name": name, "email": name + "@fieldops.test", "password": "a-long-password"})
		identWantStatus(t, r, http.StatusCreated)
	}
	total := env.Count("users")

	t.Run("limit=2 returns two users and a cursor", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/users?limit=2", manager, nil)
		identWantStatus(t, r, http.StatusOK)
		if n := len(identItems(t, r)); n != 2 {
			t.Fatalf("items = %d, want 2", n)
		}
		if identStr(r.JSON, "next_cursor") == "" {
			t.Fatalf("no next_cursor: %s", r.Raw)
		}
	})
	t.Run("walking the pages returns every user exactly once", func(t *testing.T) {
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > int(total) {
				t.Fatalf("more than %d pages: the cursor does not advance", total)
			}
			path := "/v1/users?limit=2"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			r := env.Do(http.MethodGet, path, manager, nil)
			identWantStatus(t, r, http.StatusOK)
			items := identItems(t, r)
			if len(items) > 2 {
				t.Fatalf("page of %d items with limit=2", len(items))
			}
			for _, it := range items {
				id := identStr(it, "id")
				if seen[id] {
					t.Fatalf("user %s (%v) appears twice", id, it["email"])
				}
				seen[id] = true
			}
			cursor = identStr(r.JSON, "next_cursor")
			if cursor == "" {
				break
			}
		}
		if int64(len(seen)) != total {
			t.Fatalf("walked %d users, table has %d", len(seen), total)
		}
	})

	tests := []struct {
		name, query, wantField string
	}{
		{"limit=0 is 422 naming limit", "limit=0", "limit"},
		{"limit=201 is 422 naming limit", "limit=201", "limit"},
		{"a non-numeric limit is 422 naming limit", "limit=ten", "limit"},
		{"a garbage cursor is 422 naming cursor", "cursor=" + url.QueryEscape("%%%not-a-cursor%%%"), "cursor"},
		{"a base64 cursor of the wrong shape is 422 naming cursor", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("hello|world")), "cursor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			identWantProblem(t, env.Do(http.MethodGet, "/v1/users?"+tc.query, manager, nil), http.StatusUnprocessableEntity, tc.wantField)
		})
	}
	t.Run("limit=200 is accepted", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/users?limit=200", manager, nil)
		identWantStatus(t, r, http.StatusOK)
		if int64(len(identItems(t, r))) != total || identStr(r.JSON, "next_cursor") != "" {
			t.Fatalf("limit=200 page = %d items, next_cursor %q", len(identItems(t, r)), identStr(r.JSON, "next_cursor"))
		}
	})
}
