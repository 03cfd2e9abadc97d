package api

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// requestID gives every request an id (X-Request-Id on the response, in
// logs and problems). A client's own id is kept only when it is 1–64
// characters of [A-Za-z0-9-_.]; any other is dropped from the request, so it
// is neither echoed nor logged, and a new one is generated.
func requestID() echo.MiddlewareFunc {
	rid := middleware.RequestID()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withID := rid(next)
		return func(c echo.Context) error {
			if h := c.Request().Header; h.Get(echo.HeaderXRequestID) != "" && !validRequestID(h.Values(echo.HeaderXRequestID)) {
				h.Del(echo.HeaderXRequestID)
			}
			return withID(c)
		}
	}
}

// validRequestID: exactly one value, 1–64 characters of [A-Za-z0-9-_.].
func validRequestID(values []string) bool {
	if len(values) != 1 || len(values[0]) < 1 || len(values[0]) > 64 {
		return false
	}
	for _, r := range values[0] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// maxLoggedURI bounds the path and query a request line logs: the caller
// chooses them, and a megabyte of query must not become a megabyte of log.
const maxLoggedURI = 1024

// loggedURI is the request's path and query, cut to maxLoggedURI bytes
// (at a UTF-8 boundary) with a marker when cut.
func loggedURI(u *url.URL) string {
	s := u.RequestURI()
	if len(s) <= maxLoggedURI {
		return s
	}
	cut := maxLoggedURI
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// requestLogger writes one JSON line per request with its request id.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true,
		LogRemoteIP: true, LogRoutePath: true, LogError: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []slog.Attr{
				slog.String("request_id", v.RequestID), slog.String("method", v.Method),
				slog.String("uri", loggedURI(c.Request().URL)), slog.String("route", v.RoutePath), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("remote_ip", v.RemoteIP),
			}
			if p, ok := auth.FromContext(c.Request().Context()); ok && p.Client {
				attrs = append(attrs, slog.String("api_client_id", p.UserID.String()))
			} else if ok {
				attrs = append(attrs, slog.String("user_id", p.UserID.String()), slog.String("role", p.Role))
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// securityHeaders sets the headers every API response carries. /docs relaxes
// the content security policy for Swagger UI itself.
func securityHeaders(cfg config.HTTP) echo.MiddlewareFunc {
	sc := middleware.SecureConfig{
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "no-referrer",
		ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
	}
	if cfg.HSTS {
		sc.HSTSMaxAge = 31536000
	}
	return middleware.SecureWithConfig(sc)
}

// noStore keeps API responses (tokens, personal data) out of shared caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// queryText refuses a query string that is not text: a parameter whose value
// (or name) holds a NUL or invalid UTF-8 (%00, %FF) is 422 naming it, before
// any handler reads it (PostgreSQL text can hold neither; it was a 500).
func queryText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		q := c.QueryParams()
		var fe []errs.FieldError
		for _, name := range slices.Sorted(maps.Keys(q)) {
			if !isText(name) {
				fe = append(fe, errs.FieldError{Field: "query", Message: "a parameter name is not UTF-8 text without NUL characters"})
				continue
			}
			if !slices.ContainsFunc(q[name], func(v string) bool { return !isText(v) }) {
				continue
			}
			fe = append(fe, errs.FieldError{Field: name, Message: "must be UTF-8 text without NUL characters"})
		}
		if len(fe) > 0 {
			return errs.Fields(fe)
		}
		return next(c)
	}
}

// isText reports whether s is valid UTF-8 without NUL characters.
func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// cors allows the configured origins only; without any, no CORS headers are sent.
func cors(origins []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "Idempotency-Key", "If-Match",
			"Tus-Resumable", "Upload-Length", "Upload-Metadata", "Upload-Offset"}, // tus: /v1/uploads
		ExposeHeaders: []string{echo.HeaderXRequestID, "ETag", "Retry-After", echo.HeaderLocation,
			"Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Upload-Offset", "Upload-Length", "Upload-Metadata", photoIDHeader},
		MaxAge: 600,
	})
}

// ipExtractor believes X-Forwarded-For only from the configured proxies.
func ipExtractor(trusted []string) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	var opts []echo.TrustOption
	for _, cidr := range trusted {
		if _, n, err := net.ParseCIDR(strings.TrimSpace(cidr)); err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// CurrentPrincipal returns who a user is now (role, provider) and whether
// they may still act (exists and is active).
type CurrentPrincipal func(ctx context.Context, user uuid.UUID) (auth.Principal, bool, error)

// CurrentClient completes an API client's token principal with what is true
// now (binding, scopes it still has) and whether the client may still act
// (not deleted): clients.Service.Current.
type CurrentClient func(ctx context.Context, p auth.Principal) (auth.Principal, bool, error)

// authenticate requires a valid bearer access token of an active user or a
// live API client and puts its principal into the request context.
func authenticate(tokens *auth.Issuer, current CurrentPrincipal, client CurrentClient) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, tok, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
				return errs.E(errs.Unauthorized, "an Authorization: Bearer <access token> header is required")
			}
			p, err := tokens.Verify(strings.TrimSpace(tok))
			if err != nil {
				return errs.Wrap(errs.Unauthorized, err, "the access token is invalid or expired")
			}
			// the token proves who; the role and provider are read now, so a
			// change takes effect at once, not when the token expires
			var live bool
			if p.Client {
				if p, live, err = client(c.Request().Context(), p); err == nil && !live {
					return errs.E(errs.Unauthorized, "the API client was deleted")
				}
			} else if p, live, err = current(c.Request().Context(), p.UserID); err == nil && !live {
				return errs.E(errs.Unauthorized, "the account is deactivated")
			}
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(auth.WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	}
}

// principal returns the authenticated caller; routes behind authenticate always have one.
func principal(c echo.Context) auth.Principal {
	p, _ := auth.FromContext(c.Request().Context())
	return p
}

// allow is the role policy: the router names, per route, the roles that may
// call it; everyone else gets 403, and so does every API client (a route
// admits clients only through allowScope). Object-level scope (404) is the
// services' job.
func allow(roles ...string) echo.MiddlewareFunc {
	return allowScope("", roles...)
}

// allowScope is allow for a route that API clients may call too: a user
// passes by role, a client only with the OAuth2 scope named here (its role
// never counts). The scope is also the route's OpenAPI security requirement
// (@Security OAuth2ClientCredentials[scope]).
func allowScope(scope string, roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principal(c)
			switch {
			case p.Client && (scope == "" || !p.HasScope(scope)):
				if scope == "" {
					return errs.E(errs.Forbidden, "API clients may not do this")
				}
				return errs.E(errs.Forbidden, "the access token lacks the scope %s", scope)
			case !p.Client && !slices.Contains(roles, p.Role):
				return errs.E(errs.Forbidden, "your role may not do this")
			}
			return next(c)
		}
	}
}
