package clienttest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/api/clienttest"
	"github.com/fieldops/fieldops/internal/demo"
)

// ctx is the context of every call (the test server has its own deadlines).
var ctx = context.Background()

// session is one signed-in user and a generated client that sends their token.
type session struct {
	*clienttest.ClientWithResponses
	User clienttest.User
}

// checkingDoer sends requests with the default client and checks every
// exchange against the committed document (apitest.Verify), so a response
// the document does not allow fails the test even when the generated types
// happen to decode it.
type checkingDoer struct{ t *testing.T }

// Do sends req and verifies the request and the response.
func (d checkingDoer) Do(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	apitest.Verify(d.t, req, reqBody, res, resBody)
	return res, nil
}

// newClient returns a generated client for env that sends token (if any).
func newClient(t *testing.T, env *apitest.Env, token string) *clienttest.ClientWithResponses {
	t.Helper()
	opts := []clienttest.ClientOption{clienttest.WithHTTPClient(checkingDoer{t})}
	if token != "" {
		opts = append(opts, clienttest.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := clienttest.NewClientWithResponses(env.URL, opts...)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// signIn logs in through the generated client and returns the session.
func signIn(t *testing.T, env *apitest.Env, login string) session {
	t.Helper()
	r, err := newClient(t, env, "").LoginWithResponse(ctx, clienttest.LoginJSONRequestBody{Login: login, Password: demo.Password})
	check(t, "login "+login, r, err, http.StatusOK)
	tok := r.JSON200
	if tok.TokenType != clienttest.TokenResponseTokenTypeBearer || tok.AccessToken == "" || tok.ExpiresIn <= 0 {
		t.Fatalf("login %s: token response %s", login, r.Body)
	}
	return session{ClientWithResponses: newClient(t, env, tok.AccessToken), User: tok.User}
}

// response is what every generated *XxxResponse has.
type response interface{ StatusCode() int }

// check fails the test unless the call returned status want and, when the
// response has a body, the generated client decoded it into the typed field
// for that status (JSON<want> or ApplicationproblemJSON<want>). A status the
// document does not declare has no such field and fails here too.
func check(t *testing.T, what string, r response, err error, want int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	v := reflect.Indirect(reflect.ValueOf(r))
	body := v.FieldByName("Body").Bytes()
	if got := r.StatusCode(); got != want {
		t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
	}
	if len(body) == 0 {
		return
	}
	suffix := "JSON" + strconv.Itoa(want)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if strings.HasSuffix(f.Name, suffix) && f.Type.Kind() == reflect.Pointer {
			if !v.Field(i).IsNil() {
				return
			}
		}
	}
	t.Fatalf("%s: status %d not decoded into a typed field (undocumented status or media type?): %s", what, want, body)
}

// checkProblem fails the test unless p is the problem of a status-want response.
func checkProblem(t *testing.T, what string, p *clienttest.Problem, want int) *clienttest.Problem {
	t.Helper()
	if p == nil || p.Status != want || p.Title == "" || p.Type == "" {
		t.Fatalf("%s: problem %+v, want status %d", what, p, want)
	}
	return p
}

// key returns a fresh Idempotency-Key.
func key() *string { return ptr(uuid.NewString()) }

func ptr[T any](v T) *T { return &v }

// orderIDs lists the ids of orders.
func orderIDs(orders []clienttest.Order) []openapi_types.UUID {
	out := make([]openapi_types.UUID, len(orders))
	for i, o := range orders {
		out[i] = o.Id
	}
	return out
}

// hasAction reports whether actions contains a.
func hasAction(actions []clienttest.OrderAction, a clienttest.OrderAction) bool {
	return slices.Contains(actions, a)
}
