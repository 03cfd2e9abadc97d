package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Problem is an RFC 9457 problem document, the body of every error response.
// Its extension members (RFC 9457 §3.2) sit at the top level and are all
// declared here, so the document lists every member a client can meet.
type Problem struct {
	Type      string            `json:"type" enums:"/problems/invalid,/problems/bad_request,/problems/unauthorized,/problems/forbidden,/problems/not_found,/problems/conflict,/problems/precondition_failed,/problems/too_large,/problems/unsupported_media_type,/problems/too_many,/problems/range_not_satisfiable,/problems/unavailable,/problems/internal,/problems/method_not_allowed" example:"/problems/invalid"` // what went wrong, one per error kind
	Title     string            `json:"title" example:"Unprocessable Entity"`
	Status    int               `json:"status" minimum:"400" maximum:"599" example:"422"`
	Detail    string            `json:"detail,omitempty" example:"the request has invalid fields"`
	Instance  string            `json:"instance,omitempty" example:"/v1/assets"`
	RequestID string            `json:"request_id,omitempty" example:"9m4e2mr0ui3e8a215n4g"` // also in the X-Request-Id header
	Errors    []errs.FieldError `json:"errors,omitempty"`                                    // 422: one entry per offending field
	// CurrentStatus is the order's status when a life-cycle action conflicts (409).
	CurrentStatus OrderStatus `json:"current_status,omitempty" example:"assigned"`
	// AllowedActions are the actions the caller could take instead (present,
	// maybe empty, on life-cycle conflicts): POST /v1/orders/{id}/<action>.
	AllowedActions *[]OrderAction `json:"allowed_actions,omitempty" example:"accept,decline"`
	// CurrentVersion is the order's version when If-Match was stale (412).
	CurrentVersion *int `json:"current_version,omitempty" minimum:"1" example:"4"`
	// ReturnUntil is the last day of the product's return window (422 on a
	// return_exchange request after it).
	ReturnUntil string `json:"return_until,omitempty" format:"date" example:"2026-03-01"`
	// CompletedAt is when the order was completed (409 on a reopen after the window).
	CompletedAt *time.Time `json:"completed_at,omitempty" format:"date-time" example:"2026-05-01T10:00:00Z"`
	// Available is how many units of the part the stock location has free
	// (409 when a movement or a part used asks for more).
	Available *int64 `json:"available,omitempty" minimum:"0" example:"0"`
} // @name Problem

// statusOf is the one kind → HTTP status table.
var statusOf = map[errs.Kind]int{
	errs.Invalid:             http.StatusUnprocessableEntity,
	errs.BadRequest:          http.StatusBadRequest,
	errs.Unauthorized:        http.StatusUnauthorized,
	errs.Forbidden:           http.StatusForbidden,
	errs.NotFound:            http.StatusNotFound,
	errs.Conflict:            http.StatusConflict,
	errs.PreconditionFailed:  http.StatusPreconditionFailed,
	errs.TooLarge:            http.StatusRequestEntityTooLarge,
	errs.UnsupportedMedia:    http.StatusUnsupportedMediaType,
	errs.TooMany:             http.StatusTooManyRequests,
	errs.RangeNotSatisfiable: http.StatusRequestedRangeNotSatisfiable,
	errs.Unavailable:         http.StatusServiceUnavailable,
	errs.Internal:            http.StatusInternalServerError,
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
		} else if p.Status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", fmt.Sprint(int(unavailableRetryAfter.Seconds())))
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

// unavailableRetryAfter is the Retry-After of a 503 that names no wait of its
// own: the database unreachable, restarting, or a connection cut under the
// request (database.IsUnavailable).
const unavailableRetryAfter = 5 * time.Second

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
		extend(&p, e.Extra)
	} else if kind == errs.Unavailable {
		p.Detail = "a service FieldOps depends on is unavailable; try again shortly"
	} else {
		p.Detail = "an unexpected error occurred; it has been logged with the request id"
	}
	return p
}

func typeOf(k errs.Kind) string { return "/problems/" + string(k) }

// extend copies an error's extra members into the problem's declared
// extension members; a member the Problem type does not declare is dropped,
// so nothing undocumented reaches a client.
func extend(p *Problem, extra map[string]any) {
	for k, v := range extra {
		switch k {
		case "current_status":
			p.CurrentStatus = OrderStatus(fmt.Sprint(v))
		case "allowed_actions":
			if list, ok := v.([]string); ok {
				actions := enumsOf[OrderAction](list)
				p.AllowedActions = &actions
			}
		case "current_version":
			if n, ok := v.(int); ok {
				p.CurrentVersion = &n
			}
		case "return_until":
			p.ReturnUntil = fmt.Sprint(v)
		case "available":
			if n, ok := v.(int64); ok {
				p.Available = &n
			}
		case "completed_at":
			switch t := v.(type) {
			case time.Time:
				u := t.UTC()
				p.CompletedAt = &u
			case *time.Time:
				if t != nil {
					u := t.UTC()
					p.CompletedAt = &u
				}
			}
		}
	}
}
