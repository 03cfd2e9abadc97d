package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// contractExchange serves one canned response from an httptest server (so
// no handler of ours is involved), sends method path to it and returns what
// apitest.CheckExchange says about the exchange.
func contractExchange(t *testing.T, method, path, token, reqBody string, status int, header http.Header, body string) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	var rd io.Reader
	if reqBody != "" {
		rd = strings.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apitest.CheckExchange(req, []byte(reqBody), res, raw)
}

// TestContractCheckBites proves that the check every API test goes through
// catches responses and requests the document does not allow.
func TestContractCheckBites(t *testing.T) {
	env := apitest.New(t)
	tok := env.Token("tom@fieldops.test")
	me := env.Do(http.MethodGet, "/v1/me", tok, nil) // a real, valid User
	if me.Status != http.StatusOK {
		t.Fatalf("GET /v1/me = %d: %s", me.Status, me.Raw)
	}
	mutate := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(me.Raw, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	jsonCT := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"test-request-id"}}
	problemCT := http.Header{"Content-Type": {"application/problem+json"}, "X-Request-Id": {"test-request-id"}}
	problem := `{"type":"/problems/not_found","title":"Not Found","status":404,"detail":"no such route"}`

	t.Run("a correct response passes", func(t *testing.T) {
		if err := contractExchange(t, http.MethodGet, "/v1/me", tok, "", http.StatusOK, jsonCT, string(me.Raw)); err != nil {
			t.Errorf("a valid User was refused: %v", err)
		}
	})

	cases := []struct {
		name, method, path, token, reqBody string
		status                             int
		header                             http.Header
		body                               string
		want                               []string // substrings of the error
	}{
		{name: "undeclared field", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusOK, header: jsonCT,
			body: mutate(func(m map[string]any) { m["nickname"] = "zm" }),
			want: []string{`property "nickname" is unsupported`}},
		{name: "undeclared status", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusTeapot,
			header: problemCT, body: strings.Replace(problem, "404", "418", 1),
			want: []string{"status is not supported"}},
		{name: "null in a non-nullable field", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusOK,
			header: jsonCT, body: mutate(func(m map[string]any) { m["name"] = nil }),
			want: []string{`"/name"`, "not nullable"}},
		{name: "value outside an enum", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusOK,
			header: jsonCT, body: mutate(func(m map[string]any) { m["role"] = "admin" }),
			want: []string{`"/role"`, "allowed values"}},
		{name: "malformed uuid", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusOK,
			header: jsonCT, body: mutate(func(m map[string]any) { m["id"] = "42" }),
			want: []string{`"/id"`, "uuid"}},
		{name: "missing required field", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusOK,
			header: jsonCT, body: mutate(func(m map[string]any) { delete(m, "on_duty") }),
			want: []string{`property "on_duty" is missing`}},
		{name: "wrong content type", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusOK,
			header: http.Header{"Content-Type": {"text/plain"}}, body: string(me.Raw),
			want: []string{"Content-Type"}},
		{name: "undeclared contract header", method: http.MethodGet, path: "/v1/me", token: tok, status: http.StatusOK,
			header: http.Header{"Content-Type": {"application/json"}, "Etag": {`"v1"`}}, body: string(me.Raw),
			want: []string{"header ETag is sent but not declared"}},
		{name: "forbidden request answered 2xx", method: http.MethodGet, path: "/v1/users?limit=0", token: tok,
			status: http.StatusOK, header: jsonCT, body: `{"items":[],"next_cursor":null}`,
			want: []string{"the document is stricter than the server", "limit"}},
		{name: "unsecured request answered 2xx", method: http.MethodGet, path: "/v1/me", status: http.StatusOK,
			header: jsonCT, body: string(me.Raw),
			want: []string{"the document is stricter than the server", "Bearer"}},
		{name: "unknown route answered 200", method: http.MethodGet, path: "/v1/nowhere", token: tok, status: http.StatusOK,
			header: jsonCT, body: `{}`, want: []string{"not in the document", "want 404 or 405"}},
		{name: "unknown route answered with a bad problem", method: http.MethodGet, path: "/v1/nowhere", status: http.StatusNotFound,
			header: problemCT, body: `{"type":"/problems/not_found","title":"Not Found","status":404,"trace":"x"}`,
			want: []string{"not a Problem", `property "trace" is unsupported`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := contractExchange(t, tc.method, tc.path, tc.token, tc.reqBody, tc.status, tc.header, tc.body)
			if err == nil {
				t.Fatalf("the check passed; want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}

	t.Run("deliberately bad input refused with a documented 4xx passes", func(t *testing.T) {
		body := `{"type":"/problems/invalid","title":"Unprocessable Entity","status":422,"detail":"the request has invalid fields",` +
			`"errors":[{"field":"limit","message":"must be at least 1"}]}`
		mtok := env.Token("manager@fieldops.test")
		if err := contractExchange(t, http.MethodGet, "/v1/users?limit=0", mtok, "", http.StatusUnprocessableEntity, problemCT, body); err != nil {
			t.Errorf("a documented refusal of a bad request was reported: %v", err)
		}
	})
	t.Run("unknown route refused with 404 problem passes", func(t *testing.T) {
		if err := contractExchange(t, http.MethodGet, "/v1/nowhere", "", "", http.StatusNotFound, problemCT, problem); err != nil {
			t.Errorf("a 404 problem on an unknown route was reported: %v", err)
		}
	})
}
