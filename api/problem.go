package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Problem is an RFC 9457 problem document, the body of every error response.
type Problem struct {
	Type      string            `json:"type" example:"/problems/invalid"`
	Title     string            `json:"title" example:"Unprocessable Content"`
	Status    int               `json:"status" example:"422"`
	Detail    string            `json:"detail,omitempty" example:"the request has invalid fields"`
	Instance  string            `json:"instance,omitempty" example:"/v1/assets"`
	RequestID string            `json:"request_id,omitempty" example:"9m4e2mr0ui3e8a215n4g"`
	Errors    []errs.FieldError `json:"errors,omitempty"`
	// Extension members (RFC 9457 §3.2) of a life-cycle conflict: the order's
	// status and the actions the caller could take instead.
	CurrentStatus  string    `json:"current_status,omitempty" example:"assigned"`
	AllowedActions *[]string `json:"allowed_actions,omitempty" example:"accept,decline"` // present (maybe empty) on life-cycle conflicts
	// Other extension members (e.g. return_until, current_version) are written
	// at the top level too.
	Extra map[string]any `json:"-" swaggerignore:"true"`
} // @name Problem

// MarshalJSON writes Extra's members at the top level, beside the standard ones.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range p.Extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// statusOf is the one kind → HTTP status table.
var statusOf = map[errs.Kind]int{
	errs.Invalid:            http.StatusUnprocessableEntity,
	errs.BadRequest:         http.StatusBadRequest,
	errs.Unauthorized:       http.StatusUnauthorized,
	errs.Forbidden:          http.StatusForbidden,
	errs.NotFound:           http.StatusNotFound,
	errs.Conflict:           http.StatusConflict,
	errs.PreconditionFailed: http.StatusPreconditionFailed,
	errs.TooLarge:           http.StatusRequestEntityTooLarge,
	errs.TooMany:            http.StatusTooManyRequests,
	errs.Unavailable:        http.StatusServiceUnavailable,
	errs.Internal:           http.StatusInternalServerError,
}

// kindOfStatus maps echo's own HTTP errors (404 route, 405, 413, …) back to kinds.
func kindOfStatus(code int) errs.Kind {
	for k, s := range statusOf {
		if s == code {
			return k
		}
	}
	if code >= 500 {
		return errs.Internal
	}
	return errs.BadRequest
}

// errorHandler is echo's HTTPErrorHandler: every error leaves as problem+json.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := toProblem(err)
		p.Instance = c.Request().URL.Path
		p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		if p.Status >= 500 {
			log.ErrorContext(c.Request().Context(), "request failed", "request_id", p.RequestID,
				"method", c.Request().Method, "path", p.Instance, "status", p.Status, "error", err.Error())
		}
		var e *errs.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(e.RetryAfter.Seconds()))))
		}
		if p.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="fieldops"`)
		}
		if err := writeProblem(c, p); err != nil {
			log.Error("writing problem", "error", err)
		}
	}
}

func writeProblem(c echo.Context, p Problem) error {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	return jsonEncode(c.Response(), p)
}

// toProblem classifies err. Internal errors show only a generic message.
func toProblem(err error) Problem {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		kind := kindOfStatus(he.Code)
		detail := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			detail = m
		}
		if he.Code == http.StatusNotFound {
			detail = "no such route"
		}
		typ := typeOf(kind)
		if he.Code == http.StatusMethodNotAllowed || he.Code == http.StatusUnsupportedMediaType {
			typ = "/problems/" + strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_")
		}
		return Problem{Type: typ, Title: http.StatusText(he.Code), Status: he.Code, Detail: detail}
	}
	kind := errs.KindOf(err)
	if kind == errs.Internal && (database.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded)) {
		kind = errs.Unavailable
	}
	status := statusOf[kind]
	p := Problem{Type: typeOf(kind), Title: http.StatusText(status), Status: status}
	var e *errs.Error
	if errors.As(err, &e) && kind != errs.Internal {
		p.Detail, p.Errors = e.Message, e.Fields
		for k, v := range e.Extra {
			switch k {
			case "current_status":
				p.CurrentStatus = fmt.Sprint(v)
			case "allowed_actions":
				if list, ok := v.([]string); ok {
					p.AllowedActions = &list
				}
			default:
				if p.Extra == nil {
					p.Extra = map[string]any{}
				}
				p.Extra[k] = v
			}
		}
	} else if kind == errs.Unavailable {
		p.Detail = "a service FieldOps depends on is unavailable; try again shortly"
	} else {
		p.Detail = "an unexpected error occurred; it has been logged with the request id"
	}
	return p
}

func typeOf(k errs.Kind) string { return "/problems/" + string(k) }
