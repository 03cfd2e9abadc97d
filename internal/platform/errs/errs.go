// Package errs is FieldOps' small error vocabulary. Every layer returns these
// kinds (wrapped with %w where useful) and exactly one place, the HTTP error
// handler in api/, turns them into RFC 9457 problem responses.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error the way a client needs to react to it.
type Kind string

// The kinds, each with one HTTP status (see api/problem.go).
const (
	Invalid             Kind = "invalid"                // the request is well-formed but a field is wrong (422)
	BadRequest          Kind = "bad_request"            // the request cannot be read (400)
	Unauthorized        Kind = "unauthorized"           // no or bad credentials (401)
	Forbidden           Kind = "forbidden"              // authenticated, but the role may not do this (403)
	NotFound            Kind = "not_found"              // absent, or not visible to the caller (404)
	Conflict            Kind = "conflict"               // state or uniqueness conflict (409)
	PreconditionFailed  Kind = "precondition_failed"    // If-Match did not match (412)
	TooLarge            Kind = "too_large"              // body over the limit (413)
	UnsupportedMedia    Kind = "unsupported_media_type" // the body's Content-Type is not accepted (415)
	TooMany             Kind = "too_many"               // throttled (429)
	RangeNotSatisfiable Kind = "range_not_satisfiable"  // a byte range outside the content (416)
	Unavailable         Kind = "unavailable"            // a dependency is down (503)
	Internal            Kind = "internal"               // a bug or an unexpected failure (500)
)

// FieldError names one offending field of a request.
type FieldError struct {
	Field   string `json:"field" example:"address.lat"` // the JSON name (path) of the field, or a header/parameter name
	Message string `json:"message" example:"must be at least -90"`
} // @name FieldError

// Error is the error type carried through the layers.
type Error struct {
	Kind       Kind
	Message    string       // safe to show to the client
	Fields     []FieldError // for Invalid / Conflict on a field
	RetryAfter time.Duration
	Extra      map[string]any // extra problem members, e.g. current status
	Err        error          // the cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of a kind with a client-safe message.
func E(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap keeps the cause for logs while showing only msg to clients.
func Wrap(kind Kind, err error, msg string) *Error {
	return &Error{Kind: kind, Message: msg, Err: err}
}

// Field is an Invalid error about one field.
func Field(field, message string) *Error {
	return &Error{Kind: Invalid, Message: "the request has invalid fields", Fields: []FieldError{{Field: field, Message: message}}}
}

// Fields is an Invalid error about several fields; nil when there are none.
func Fields(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: "the request has invalid fields", Fields: fields}
}

// NotFoundf is the 404 used for absent and for invisible objects alike.
func NotFoundf(what string) *Error { return E(NotFound, "%s not found", what) }

// KindOf returns the kind of err, Internal for foreign errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
