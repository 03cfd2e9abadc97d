package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Sign-up and login refuse text PostgreSQL cannot hold before they call the
// identity service, so no password is hashed for them: the handlers run here
// with a nil service, which any call would dereference.
func TestLoginAndRegisterRefuseBadTextWithoutTheService(t *testing.T) {
	cases := []struct {
		name, body, field string
		handler           echo.HandlerFunc
	}{
		{"login: NUL in the password", `{"login":"alice@example.com","password":"pass\u0000word"}`, "password", handleLogin(nil)},
		{"login: NUL in the login", `{"login":"alice\u0000@example.com","password":"password"}`, "login", handleLogin(nil)},
		{"login: invalid UTF-8 in the password", "{\"login\":\"alice@example.com\",\"password\":\"pass\xffword\"}", "password", handleLogin(nil)},
		{"login: invalid UTF-8 in the login", "{\"login\":\"alice\xc0\xaf@example.com\",\"password\":\"password\"}", "login", handleLogin(nil)},
		{"register: NUL in the name", `{"name":"Li\u0000Wei","email":"li@example.com","password":"long enough password"}`, "name", handleRegister(nil)},
		{"register: NUL in the password", `{"name":"Li Wei","email":"li@example.com","password":"long enough\u0000password"}`, "password", handleRegister(nil)},
		{"register: invalid UTF-8 in the email", "{\"name\":\"Li Wei\",\"email\":\"li\xed\xa0\x80@example.com\",\"password\":\"long enough password\"}", "email", handleRegister(nil)},
		{"register: invalid UTF-8 in the phone", "{\"name\":\"Li Wei\",\"phone\":\"+86\xff\",\"password\":\"long enough password\"}", "phone", handleRegister(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/v1/auth/x", strings.NewReader(tc.body))
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			c := echo.New().NewContext(req, httptest.NewRecorder())
			err := tc.handler(c)
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
				t.Fatalf("error = %#v, want Invalid naming %s", err, tc.field)
			}
		})
	}
}

func TestInvalidUTF8NamesTheString(t *testing.T) {
	cases := []struct{ body, want string }{
		{"{\"a\":\"ok\",\"b\":\"\xff\"}", "b"},
		{"{\"a\":{\"b\":[\"ok\",{\"c\":\"x\xffy\"}]}}", "a.b[1].c"},
		{"[\"ok\",\"ok\",\"\xc3\x28\"]", "[2]"},
		{"{\"list\":[[\"ok\"],[\"ok\",\"\xff\"]]}", "list[1][1]"},
		{"{\"a\":1,\"k\xff\":2}", "k\uFFFD"},
		{"\"\xff\"", "body"},
		{"{\"a\":\"ok\"}", ""},
		{"{\xff}", ""}, // not JSON: the decoder reports it
	}
	for _, tc := range cases {
		if got := invalidUTF8([]byte(tc.body)); got != tc.want {
			t.Errorf("invalidUTF8(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
