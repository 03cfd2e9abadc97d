package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
)

// Helpers shared by auth_test.go and users_test.go carry the "ident" prefix so
// they cannot clash with helpers of other test files in package api_test.

const (
	identIssuer   = "fieldops"
	identAudience = "fieldops-api"
)

// identWantStatus fails the test unless r has the given status.
func identWantStatus(t *testing.T, r apitest.Response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, want, r.Raw)
	}
}

// identFields returns the field names of a problem's errors member.
func identFields(r apitest.Response) []string {
	var out []string
	list, _ := r.JSON["errors"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if f, ok := m["field"].(string); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// identWantProblem checks that r is an RFC 9457 problem with the given status
// whose errors name (at least) every one of fields. 401s must also carry
// a WWW-Authenticate challenge.
func identWantProblem(t *testing.T, r apitest.Response, status int, fields ...string) {
	t.Helper()
	identWantStatus(t, r, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	if got, _ := r.JSON["status"].(float64); int(got) != status {
		t.Errorf("problem status member = %v, want %d; body: %s", r.JSON["status"], status, r.Raw)
	}
	if typ, _ := r.JSON["type"].(string); !strings.HasPrefix(typ, "/problems/") {
		t.Errorf("problem type = %q, want /problems/…; body: %s", typ, r.Raw)
	}
	got := identFields(r)
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Errorf("problem errors name %v, want %q among them; body: %s", got, f, r.Raw)
		}
	}
	if status == http.StatusUnauthorized {
		if h := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
			t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", h)
		}
	}
}

// identLogin posts credentials and returns the response whatever its status.
func identLogin(env *apitest.Env, login, pw string) apitest.Response {
	env.T.Helper()
	return env.Do(http.MethodPost, "/v1/auth/login", "", map[string]string{"login": login, "password": pw})
}

// identStr reads a string member of a JSON object (nested with dotted keys).
func identStr(m map[string]any, path string) string {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = obj[k]
	}
	s, _ := cur.(string)
	return s
}

// identClaims returns valid access-token claims, in the API's shape, for a demo account.
func identClaims(t *testing.T, env *apitest.Env, email string) jwt.MapClaims {
	t.Helper()
	u, err := env.Identity.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	now := env.Clock.Now()
	c := jwt.MapClaims{
		"iss":  identIssuer,
		"sub":  u.ID.String(),
		"aud":  []string{identAudience},
		"exp":  now.Add(15 * time.Minute).Unix(),
		"iat":  now.Unix(),
		"nbf":  now.Unix(),
		"role": u.Role,
	}
	if u.ProviderID != nil {
		c["provider_id"] = u.ProviderID.String()
	}
	return c
}

func identSign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func identB64(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// identUnsigned builds header.payload. with an empty signature by hand.
func identUnsigned(t *testing.T, alg string, c jwt.MapClaims) string {
	t.Helper()
	return identB64(t, map[string]string{"alg": alg, "typ": "JWT"}) + "." + identB64(t, c) + "."
}

func TestAccessTokenValidation(t *testing.T) {
	env := apitest.New(t)
	key := []byte(apitest.Secret)
	const tech = "tom@fieldops.test"
	techID := env.UserID(tech)
	now := env.Clock.Now()

	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := identClaims(t, env, tech)
		change(c)
		return c
	}
	real := env.Token(tech)
	parts := strings.Split(real, ".")
	if len(parts) != 3 {
		t.Fatalf("login token is not a JWS compact serialisation: %q", real)
	}

	flipped := func() string {
		p := []byte(parts[1])
		i := len(p) / 2
		if p[i] == 'A' {
			p[i] = 'B'
		} else {
			p[i] = 'A'
		}
		return parts[0] + "." + string(p) + "." + parts[2]
	}()
	escalated := func() string {
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatalf("decode payload: %v", err)
		}
		var c map[string]any
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("payload: %v", err)
		}
		if c["role"] != "technician" {
			t.Fatalf("real token role = %v, want technician", c["role"])
		}
		c["role"] = "manager"
		delete(c, "provider_id")
		return parts[0] + "." + identB64(t, c) + "." + parts[2]
	}()
	noneViaLib := func() string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodNone, identClaims(t, env, tech)).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatalf("sign none: %v", err)
		}
		return s
	}()

	tests := []struct {
		name       string
		token      string
		wantStatus int
	}{
		{"crafted token with the API's claims is accepted", identSign(t, jwt.SigningMethodHS256, key, identClaims(t, env, tech)), http.StatusOK},
		{"real token from login is accepted", real, http.StatusOK},
		{"token expired within the 30 s leeway is still accepted", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-15*time.Minute).Unix(), now.Add(-15*time.Minute).Unix(), now.Add(-10*time.Second).Unix()
		})), http.StatusOK},
		{"tampered payload (one character flipped) is rejected", flipped, http.StatusUnauthorized},
		{"payload re-encoded with role manager keeps the old signature and is rejected", escalated, http.StatusUnauthorized},
		{"expired token beyond the leeway is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-20*time.Minute).Unix(), now.Add(-20*time.Minute).Unix(), now.Add(-time.Minute).Unix()
		})), http.StatusUnauthorized},
		{"alg none built by hand with an empty signature is rejected", identUnsigned(t, "none", identClaims(t, env, tech)), http.StatusUnauthorized},
		{"alg NONE in upper case is rejected", identUnsigned(t, "NONE", identClaims(t, env, tech)), http.StatusUnauthorized},
		{"alg none via jwt.SigningMethodNone is rejected", noneViaLib, http.StatusUnauthorized},
		{"token signed with another key is rejected", identSign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef0123456789"), identClaims(t, env, tech)), http.StatusUnauthorized},
		{"token for another audience is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) { c["aud"] = []string{"some-other-api"} })), http.StatusUnauthorized},
		{"token without audience is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) { delete(c, "aud") })), http.StatusUnauthorized},
		{"token from another issuer is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) { c["iss"] = "evil" })), http.StatusUnauthorized},
		{"token without exp is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) { delete(c, "exp") })), http.StatusUnauthorized},
		{"token issued in the future is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(time.Hour).Unix(), now.Add(time.Hour).Unix(), now.Add(2*time.Hour).Unix()
		})), http.StatusUnauthorized},
		{"HS512 with the right key is rejected by the algorithm allow-list", identSign(t, jwt.SigningMethodHS512, key, identClaims(t, env, tech)), http.StatusUnauthorized},
		{"token whose subject is not a UUID is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) { c["sub"] = "tom" })), http.StatusUnauthorized},
		{"token without role is rejected", identSign(t, jwt.SigningMethodHS256, key, with(func(c jwt.MapClaims) { delete(c, "role") })), http.StatusUnauthorized},
		{"garbage bearer value is rejected", "not-a-jwt", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Do(http.MethodGet, "/v1/me", tc.token, nil)
			if tc.wantStatus == http.StatusOK {
				identWantStatus(t, r, http.StatusOK)
				if r.JSON["id"] != techID || r.JSON["role"] != "technician" {
					t.Fatalf("GET /v1/me = %s, want tom (%s) as technician", r.Raw, techID)
				}
				return
			}
			identWantProblem(t, r, tc.wantStatus)
			if r.JSON["id"] != nil || r.JSON["email"] != nil {
				t.Fatalf("a rejected token leaked user data: %s", r.Raw)
			}
		})
	}

	t.Run("missing Authorization header is 401 with a WWW-Authenticate challenge", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/me", "", nil)
		identWantProblem(t, r, http.StatusUnauthorized)
		if h := r.Header.Get("WWW-Authenticate"); h == "" {
			t.Fatal("no WWW-Authenticate header on 401")
		}
	})
	t.Run("non-Bearer scheme is 401", func(t *testing.T) {
		r := env.Do(http.MethodGet, "/v1/me", "", nil, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(tech+":"+demo.Password)))
		identWantProblem(t, r, http.StatusUnauthorized)
	})
}

func TestAccessTokenExpiresWithTheClock(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("manager@fieldops.test")
	identWantStatus(t, env.Do(http.MethodGet, "/v1/me", tok, nil), http.StatusOK)

	env.Clock.Advance(14 * time.Minute)
	identWantStatus(t, env.Do(http.MethodGet, "/v1/me", tok, nil), http.StatusOK)

	env.Clock.Advance(2 * time.Minute) // 16 minutes after issue: past 15 min + 30 s leeway
	identWantProblem(t, env.Do(http.MethodGet, "/v1/me", tok, nil), http.StatusUnauthorized)
}

func TestLoginReturnsTokenPair(t *testing.T) {
	env := apitest.New(t)
	r := identLogin(env, "  Manager@FieldOps.TEST ", demo.Password) // trimmed and case-insensitive
	identWantStatus(t, r, http.StatusOK)
	if identStr(r.JSON, "access_token") == "" || identStr(r.JSON, "refresh_token") == "" {
		t.Fatalf("login response lacks tokens: %s", r.Raw)
	}
	if r.JSON["token_type"] != "Bearer" || r.JSON["expires_in"] != float64(900) {
		t.Fatalf("token_type/expires_in = %v/%v, want Bearer/900", r.JSON["token_type"], r.JSON["expires_in"])
	}
	if identStr(r.JSON, "user.email") != "manager@fieldops.test" || identStr(r.JSON, "user.role") != "manager" {
		t.Fatalf("login user = %v", r.JSON["user"])
	}
	if strings.Contains(string(r.Raw), "password") {
		t.Fatalf("login response mentions a password: %s", r.Raw)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q, want no-store on a token response", cc)
	}
}

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	env := apitest.New(t)
	const who = "dispatcher@fieldops.test"
	refresh := func(tok string) apitest.Response {
		t.Helper()
		return env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": tok})
	}

	first := env.Login(who, demo.Password)
	rt1 := identStr(first.JSON, "refresh_token")
	other := env.Login(who, demo.Password) // another device: another family
	otherRT := identStr(other.JSON, "refresh_token")

	var rt2 string
	t.Run("refresh returns a new pair", func(t *testing.T) {
		r := refresh(rt1)
		identWantStatus(t, r, http.StatusOK)
		rt2 = identStr(r.JSON, "refresh_token")
		if rt2 == "" || rt2 == rt1 {
			t.Fatalf("new refresh token = %q, want a fresh one (old %q)", rt2, rt1)
		}
		at := identStr(r.JSON, "access_token")
		if at == "" || at == identStr(first.JSON, "access_token") {
			t.Fatalf("new access token = %q, want a fresh one", at)
		}
		if identStr(r.JSON, "user.email") != who || r.JSON["token_type"] != "Bearer" {
			t.Fatalf("refresh response = %s", r.Raw)
		}
		me := env.Do(http.MethodGet, "/v1/me", at, nil)
		identWantStatus(t, me, http.StatusOK)
		if me.JSON["email"] != who {
			t.Fatalf("GET /v1/me with the new access token = %s", me.Raw)
		}
	})
	if rt2 == "" {
		t.FailNow()
	}

	t.Run("presenting the spent refresh token again is 401", func(t *testing.T) {
		identWantProblem(t, refresh(rt1), http.StatusUnauthorized)
	})
	t.Run("after reuse the unused successor of the same family is revoked too", func(t *testing.T) {
		identWantProblem(t, refresh(rt2), http.StatusUnauthorized)
	})
	t.Run("another login of the same user still refreshes", func(t *testing.T) {
		r := refresh(otherRT)
		identWantStatus(t, r, http.StatusOK)
		if identStr(r.JSON, "refresh_token") == "" || identStr(r.JSON, "user.email") != who {
			t.Fatalf("refresh of the other family = %s", r.Raw)
		}
	})
	t.Run("unknown refresh token is 401", func(t *testing.T) {
		identWantProblem(t, refresh("bm90LWEtcmVhbC1yZWZyZXNoLXRva2VuLWF0LWFsbC0x"), http.StatusUnauthorized)
	})
	t.Run("empty refresh token is 422 naming refresh_token", func(t *testing.T) {
		identWantProblem(t, refresh(""), http.StatusUnprocessableEntity, "refresh_token")
	})
}

func TestRefreshTokenExpires(t *testing.T) {
	env := apitest.New(t)
	rt := identStr(env.Login("alice@example.com", demo.Password).JSON, "refresh_token")
	env.Clock.Advance(env.Config.Auth.RefreshTTL + time.Minute)
	identWantProblem(t, env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": rt}), http.StatusUnauthorized)
}

func TestLogout(t *testing.T) {
	env := apitest.New(t)
	const who = "alice@example.com"
	s := env.Login(who, demo.Password)
	access, rt := identStr(s.JSON, "access_token"), identStr(s.JSON, "refresh_token")

	t.Run("logout without a bearer token is 401 and revokes nothing", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/auth/logout", "", map[string]string{"refresh_token": rt})
		identWantProblem(t, r, http.StatusUnauthorized)
		// the token is still good: rotate it and keep the successor for the next step
		rr := env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": rt})
		identWantStatus(t, rr, http.StatusOK)
		access, rt = identStr(rr.JSON, "access_token"), identStr(rr.JSON, "refresh_token")
	})
	t.Run("logout with the refresh token is 204 and the token is dead", func(t *testing.T) {
		r := env.Do(http.MethodPost, "/v1/auth/logout", access, map[string]string{"refresh_token": rt})
		identWantStatus(t, r, http.StatusNoContent)
		if len(r.Raw) != 0 {
			t.Fatalf("204 with a body: %s", r.Raw)
		}
		identWantProblem(t, env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": rt}), http.StatusUnauthorized)
	})
	t.Run("logout is safe to retry", func(t *testing.T) {
		identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/logout", access, map[string]string{"refresh_token": rt}), http.StatusNoContent)
	})
	t.Run("logout cannot revoke another user's refresh token", func(t *testing.T) {
		bobRT := identStr(env.Login("bob@example.com", demo.Password).JSON, "refresh_token")
		identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/logout", access, map[string]string{"refresh_token": bobRT}), http.StatusNoContent)
		r := env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": bobRT})
		identWantStatus(t, r, http.StatusOK)
		if identStr(r.JSON, "user.email") != "bob@example.com" {
			t.Fatalf("bob's refresh = %s", r.Raw)
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	env := apitest.New(t)
	const who = "manager@fieldops.test"
	max := env.Config.Auth.LoginMaxFailures
	if max != 10 {
		t.Fatalf("login_max_failures = %d, this test assumes the default 10", max)
	}

	t.Run("wrong passwords up to the limit are 401", func(t *testing.T) {
		for i := 1; i <= max; i++ {
			r := identLogin(env, who, "wrong-password-"+strconv.Itoa(i))
			identWantProblem(t, r, http.StatusUnauthorized)
			if r.JSON["detail"] != "wrong login or password" {
				t.Fatalf("attempt %d: detail = %v", i, r.JSON["detail"])
			}
		}
	})
	t.Run("the next attempt is 429 with Retry-After", func(t *testing.T) {
		r := identLogin(env, who, "wrong-password-again")
		identWantProblem(t, r, http.StatusTooManyRequests)
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || ra <= 0 || ra > 900 {
			t.Fatalf("Retry-After = %q, want an integer in 1..900", r.Header.Get("Retry-After"))
		}
	})
	t.Run("the right password while locked is still 429", func(t *testing.T) {
		r := identLogin(env, who, demo.Password)
		identWantProblem(t, r, http.StatusTooManyRequests)
		if r.JSON["access_token"] != nil {
			t.Fatalf("locked login returned tokens: %s", r.Raw)
		}
	})
	t.Run("the lock is per account: another account from the same address logs in", func(t *testing.T) {
		r := identLogin(env, "dispatcher@fieldops.test", demo.Password)
		identWantStatus(t, r, http.StatusOK)
		if identStr(r.JSON, "user.email") != "dispatcher@fieldops.test" {
			t.Fatalf("login = %s", r.Raw)
		}
	})
	t.Run("after the lockout the right password works", func(t *testing.T) {
		env.Clock.Advance(16 * time.Minute)
		r := identLogin(env, who, demo.Password)
		identWantStatus(t, r, http.StatusOK)
		if identStr(r.JSON, "access_token") == "" || identStr(r.JSON, "user.email") != who {
			t.Fatalf("login after lockout = %s", r.Raw)
		}
	})
	t.Run("a success resets the account's failure count", func(t *testing.T) {
		for i := 1; i < max; i++ {
			identWantProblem(t, identLogin(env, who, "wrong"), http.StatusUnauthorized)
		}
		identWantStatus(t, identLogin(env, who, demo.Password), http.StatusOK)
		identWantProblem(t, identLogin(env, who, "wrong"), http.StatusUnauthorized) // not 429: count restarted
	})
}

func TestLoginThrottleCountsPhoneSpellingsAsOneAccount(t *testing.T) {
	env := apitest.New(t)
	reg := env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{
		"name": "Phone Only", "phone": "+8613800000000", "password": "a-long-password"})
	identWantStatus(t, reg, http.StatusCreated)

	spellings := []string{"+8613800000000", "+86 13800000000", "+86-138-0000-0000", "+86 (138) 0000 0000", "+86.138.0000.0000"}
	identWantStatus(t, identLogin(env, spellings[1], "a-long-password"), http.StatusOK) // the same account
	for i := 0; i < env.Config.Auth.LoginMaxFailures; i++ {
		identWantProblem(t, identLogin(env, spellings[i%len(spellings)], "wrong-password"), http.StatusUnauthorized)
	}
	for _, s := range spellings {
		identWantProblem(t, identLogin(env, s, "a-long-password"), http.StatusTooManyRequests)
	}
}

func TestLoginUnknownAccountLooksLikeWrongPassword(t *testing.T) {
	env := apitest.New(t)
	wrongPW := identLogin(env, "manager@fieldops.test", "not-the-password")
	unknown := identLogin(env, "nobody@fieldops.test", demo.Password)
	identWantProblem(t, wrongPW, http.StatusUnauthorized)
	identWantProblem(t, unknown, http.StatusUnauthorized)
	for _, k := range []string{"type", "title", "detail"} {
		if wrongPW.JSON[k] != unknown.JSON[k] {
			t.Errorf("%s differs: unknown account %v, wrong password %v", k, unknown.JSON[k], wrongPW.JSON[k])
		}
	}
	if wrongPW.JSON["detail"] == nil || wrongPW.JSON["errors"] != nil || unknown.JSON["errors"] != nil {
		t.Errorf("login failures must not name a field: %s / %s", wrongPW.Raw, unknown.Raw)
	}
}

func TestLoginValidation(t *testing.T) {
	env := apitest.New(t)
	r := env.Do(http.MethodPost, "/v1/auth/login", "", map[string]string{})
	identWantProblem(t, r, http.StatusUnprocessableEntity, "login", "password")
}

func TestRegister(t *testing.T) {
	env := apitest.New(t)

	t.Run("customer sign-up returns 201 with tokens and role customer", func(t *testing.T) {
		before := env.Count("users")
		r := env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{
			"name": "Carol Customer", "email": "Carol@Example.com", "phone": "+86 139 0000 0001", "password": "a-long-password"})
		identWantStatus(t, r, http.StatusCreated)
		at := identStr(r.JSON, "access_token")
		if at == "" || identStr(r.JSON, "refresh_token") == "" || r.JSON["token_type"] != "Bearer" {
			t.Fatalf("register response lacks tokens: %s", r.Raw)
		}
		if identStr(r.JSON, "user.role") != "customer" || identStr(r.JSON, "user.email") != "carol@example.com" ||
			identStr(r.JSON, "user.phone") != "+8613900000001" {
			t.Fatalf("registered user = %v (want customer, e-mail lower-cased, phone normalised)", r.JSON["user"])
		}
		if u, _ := r.JSON["user"].(map[string]any); u["provider_id"] != nil {
			t.Fatalf("customer has a provider: %v", u["provider_id"])
		}
		if n := env.Count("users"); n != before+1 {
			t.Fatalf("users = %d, want %d", n, before+1)
		}
		me := env.Do(http.MethodGet, "/v1/me", at, nil)
		identWantStatus(t, me, http.StatusOK)
		if me.JSON["role"] != "customer" || me.JSON["email"] != "carol@example.com" {
			t.Fatalf("GET /v1/me = %s", me.Raw)
		}
		identWantStatus(t, identLogin(env, "carol@example.com", "a-long-password"), http.StatusOK)
	})

	valid := `{"name":"Dave","email":"dave@example.com","password":"a-long-password"}`
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantFields []string
	}{
		{"duplicate e-mail in another case is 409 naming email",
			map[string]string{"name": "Alice Again", "email": "ALICE@example.com", "password": "a-long-password"},
			http.StatusConflict, []string{"email"}},
		{"missing name and short password is 422 naming both",
			map[string]string{"email": "eve@example.com", "password": "short"},
			http.StatusUnprocessableEntity, []string{"name", "password"}},
		{"neither e-mail nor phone is 422 naming email",
			map[string]string{"name": "Nobody", "password": "a-long-password"},
			http.StatusUnprocessableEntity, []string{"email"}},
		{"malformed e-mail is 422 naming email",
			map[string]string{"name": "Frank", "email": "not-an-email", "password": "a-long-password"},
			http.StatusUnprocessableEntity, []string{"email"}},
		{"unknown JSON field is 400 naming it",
			`{"name":"Dave","email":"dave@example.com","password":"a-long-password","role":"manager"}`,
			http.StatusBadRequest, []string{"role"}},
		{"wrong JSON type is 400 naming the field",
			`{"name":42,"email":"dave@example.com","password":"a-long-password"}`,
			http.StatusBadRequest, []string{"name"}},
		{"trailing data after the JSON object is 400", valid + ` {"name":"again"}`, http.StatusBadRequest, nil},
		{"malformed JSON is 400", `{"name":"Dave","email":`, http.StatusBadRequest, nil},
		{"syntax error is 400", `{name: "Dave"}`, http.StatusBadRequest, nil},
		{"empty body is 400", ``, http.StatusBadRequest, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := env.Count("users")
			r := env.Do(http.MethodPost, "/v1/auth/register", "", tc.body)
			identWantProblem(t, r, tc.wantStatus, tc.wantFields...)
			if r.JSON["access_token"] != nil {
				t.Fatalf("failed register returned tokens: %s", r.Raw)
			}
			if n := env.Count("users"); n != before {
				t.Fatalf("users = %d after a failed register, want %d", n, before)
			}
		})
	}

	t.Run("non-JSON content type is 415", func(t *testing.T) {
		before := env.Count("users")
		r := env.Do(http.MethodPost, "/v1/auth/register", "", valid, "Content-Type", "text/plain")
		identWantProblem(t, r, http.StatusUnsupportedMediaType)
		if n := env.Count("users"); n != before {
			t.Fatalf("users = %d, want %d", n, before)
		}
	})
}
