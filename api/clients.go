package api

import (
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/clients"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// handleCreateAPIClient creates an API client and shows its secret once.
//
//	@Summary		Create an API client
//	@Description	Managers only. The secret (client_secret) is in this response only; FieldOps keeps its SHA-256 (an Idempotency-Key retry of a success is 409, never a replay of the secret). A client bound to a partner (provider_id) sees only that partner's orders; an unbound client acts for the in-house team. Get tokens with POST /v1/auth/token (OAuth2 client credentials).
//	@ID				createAPIClient
//	@Tags			api clients
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body	body		APIClientRequest	true	"client"
//	@Success		201		{object}	APIClientCreated
//	@Header			201		{string}	Location	"/v1/api-clients/{id}"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager"
//	@Failure		409		{object}	Problem	"an Idempotency-Key retry of a create that succeeded: the secret is not kept for a replay; delete the client and create another"
//	@Failure		422		{object}	Problem
//	@Router			/v1/api-clients [post]
func handleCreateAPIClient(svc *clients.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req APIClientRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		cl, secret, err := svc.Create(c.Request().Context(), principal(c), fromAPIClientRequest(req))
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/api-clients/"+cl.ID.String())
		return c.JSON(http.StatusCreated, APIClientCreated{APIClientResponse: toAPIClientResponse(cl), ClientID: cl.ID.String(), ClientSecret: secret})
	}
}

// handleListAPIClients lists live API clients.
//
//	@Summary		List API clients
//	@Description	Managers only: clients not deleted, oldest first (never their secrets).
//	@ID				listAPIClients
//	@Tags			api clients
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	APIClientList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager"
//	@Failure		422		{object}	Problem	"bad limit or cursor"
//	@Router			/v1/api-clients [get]
func handleListAPIClients(svc *clients.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := page.Parse(c.QueryParam("limit"), c.QueryParam("cursor"))
		if err != nil {
			return err
		}
		items, next, err := svc.List(c.Request().Context(), pr)
		if err != nil {
			return err
		}
		out := APIClientList{Items: make([]APIClientResponse, 0, len(items)), NextCursor: nonEmpty(next)}
		for _, cl := range items {
			out.Items = append(out.Items, toAPIClientResponse(cl))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetAPIClient returns one live API client.
//
//	@Summary		Get an API client
//	@Description	Managers only (never the secret).
//	@ID				getAPIClient
//	@Tags			api clients
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"client id"	format(uuid)
//	@Success		200	{object}	APIClientResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not a manager"
//	@Failure		404	{object}	Problem	"no such client, or deleted"
//	@Router			/v1/api-clients/{id} [get]
func handleGetAPIClient(svc *clients.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "API client")
		if err != nil {
			return err
		}
		cl, err := svc.Get(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toAPIClientResponse(cl))
	}
}

// handleDeleteAPIClient revokes an API client.
//
//	@Summary		Delete an API client
//	@Description	Managers only. Revokes at once: the client's tokens are refused from the next request (on other replicas within FIELDOPS_AUTH_PRINCIPAL_CACHE_TTL) and it can get no new ones. Its orders keep naming it.
//	@ID				deleteAPIClient
//	@Tags			api clients
//	@Security		BearerAuth
//	@Param			id	path	string	true	"client id"	format(uuid)
//	@Success		204
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"not a manager"
//	@Failure		404	{object}	Problem	"no such client, or already deleted"
//	@Router			/v1/api-clients/{id} [delete]
func handleDeleteAPIClient(svc *clients.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "API client")
		if err != nil {
			return err
		}
		if err := svc.Delete(c.Request().Context(), id); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// The RFC 6749 §5.2 error codes the token endpoint answers with.
const (
	oauthInvalidRequest       = "invalid_request"
	oauthInvalidClient        = "invalid_client"
	oauthInvalidScope         = "invalid_scope"
	oauthUnsupportedGrantType = "unsupported_grant_type"
)

// tokenFormMax bounds the token request's form (client id, secret, grant
// type and a few scopes fit in far less).
const tokenFormMax = 8 << 10

// handleToken is the OAuth2 token endpoint for the client-credentials grant.
//
//	@Summary		Get an access token (OAuth2 client credentials)
//	@Description	RFC 6749 §4.4. Form-encoded body with grant_type=client_credentials; the client authenticates with HTTP Basic (client_id:client_secret, each form-urlencoded) or with client_id and client_secret in the body, not both. scope is a space-separated subset of the client's scopes (omitted: all of them). The token is a short-lived bearer JWT. Errors are RFC 6749 §5.2 JSON (not problem documents): invalid_request, invalid_client (401, with WWW-Authenticate), invalid_scope, unsupported_grant_type.
//	@ID				createToken
//	@Tags			auth
//	@Accept			x-www-form-urlencoded
//	@Produce		json
//	@Param			grant_type		formData	string	true	"the grant"	Enums(client_credentials)
//	@Param			scope			formData	string	false	"space-separated scopes (omitted: all of the client's)"	maxlength(200)
//	@Param			client_id		formData	string	false	"client id, when not sent with HTTP Basic"	maxlength(100)
//	@Param			client_secret	formData	string	false	"client secret, when not sent with HTTP Basic"	maxlength(200)
//	@Success		200				{object}	TokenGrantResponse
//	@Header			200				{string}	Cache-Control	"no-store"
//	@Failure		400				{object}	OAuthError	"invalid_request, invalid_scope or unsupported_grant_type"
//	@Failure		401				{object}	OAuthError	"invalid_client"
//	@Failure		429				{object}	Problem		"too many token requests from this client address (an IPv6 /64; FIELDOPS_RATE_LIMIT_*)"
//	@Header			429				{integer}	Retry-After	"seconds"
//	@Router			/v1/auth/token [post]
func handleToken(svc *clients.Service, tokens *auth.Issuer) echo.HandlerFunc {
	return func(c echo.Context) error {
		fail := func(status int, code, desc string) error {
			if status == http.StatusUnauthorized {
				c.Response().Header().Set("WWW-Authenticate", `Basic realm="fieldops"`)
			}
			c.Response().Header().Set("Pragma", "no-cache")
			return c.JSON(status, OAuthError{Error: code, ErrorDescription: desc})
		}
		if mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); err != nil || mt != "application/x-www-form-urlencoded" {
			return fail(http.StatusBadRequest, oauthInvalidRequest, "the body must be application/x-www-form-urlencoded")
		}
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, tokenFormMax+1))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return errs.E(errs.TooLarge, "the body is too large")
			}
			return fail(http.StatusBadRequest, oauthInvalidRequest, "the body cannot be read")
		}
		if len(body) > tokenFormMax {
			return fail(http.StatusBadRequest, oauthInvalidRequest, "the form is too large")
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return fail(http.StatusBadRequest, oauthInvalidRequest, "the body is not a valid form")
		}
		for name, vs := range form { // RFC 6749 §3.2: parameters must not be repeated
			if len(vs) > 1 {
				return fail(http.StatusBadRequest, oauthInvalidRequest, "the parameter "+name+" is repeated")
			}
		}
		switch gt := form.Get("grant_type"); {
		case gt == "":
			return fail(http.StatusBadRequest, oauthInvalidRequest, "grant_type is required")
		case gt != "client_credentials":
			return fail(http.StatusBadRequest, oauthUnsupportedGrantType, "only grant_type=client_credentials is supported")
		}
		id, secret, err := clientCredentials(c.Request(), form)
		if err != nil {
			return fail(http.StatusBadRequest, oauthInvalidRequest, err.Error())
		}
		if id == "" {
			return fail(http.StatusUnauthorized, oauthInvalidClient, "client authentication is required (HTTP Basic or client_id and client_secret)")
		}
		cl, err := svc.Authenticate(c.Request().Context(), id, secret)
		if errors.Is(err, clients.ErrBadCredentials) {
			return fail(http.StatusUnauthorized, oauthInvalidClient, "client authentication failed")
		} else if err != nil {
			return err
		}
		scope, ok := clients.Grant(cl, form.Get("scope"))
		if !ok {
			return fail(http.StatusBadRequest, oauthInvalidScope, "scope must be a space-separated subset of the client's scopes: "+strings.Join(cl.Scopes, " "))
		}
		tok, err := tokens.Issue(auth.Principal{UserID: cl.ID, Client: true, Scope: scope})
		if err != nil {
			return err
		}
		c.Response().Header().Set("Pragma", "no-cache")
		return c.JSON(http.StatusOK, TokenGrantResponse{AccessToken: tok, TokenType: "Bearer",
			ExpiresIn: int(tokens.TTL().Seconds()), Scope: scope})
	}
}

// errTwoClientAuths: RFC 6749 §2.3 — a client must not use more than one
// authentication method in a request.
var errTwoClientAuths = errors.New("authenticate with HTTP Basic or with client_id and client_secret in the body, not both")

// clientCredentials returns the client id and secret of a token request,
// from HTTP Basic (RFC 6749 §2.3.1: each part form-urlencoded) or from the
// body. A failed client authentication is 401 with WWW-Authenticate however
// the client authenticated (RFC 9110 §15.5.2 requires it on every 401).
func clientCredentials(r *http.Request, form url.Values) (id, secret string, err error) {
	h := r.Header.Get(echo.HeaderAuthorization)
	inBody := form.Has("client_id") || form.Has("client_secret")
	if h == "" {
		return form.Get("client_id"), form.Get("client_secret"), nil
	}
	if inBody {
		return "", "", errTwoClientAuths
	}
	scheme, enc, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", errors.New("the Authorization header must be HTTP Basic")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return "", "", errors.New("the Basic credentials are not base64")
	}
	u, p, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("the Basic credentials are not client_id:client_secret")
	}
	if id, err = url.QueryUnescape(u); err == nil {
		secret, err = url.QueryUnescape(p)
	}
	if err != nil {
		return "", "", errors.New("the Basic credentials are not form-urlencoded")
	}
	return id, secret, nil
}
