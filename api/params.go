package api

// Request parameter helpers shared by the handlers: ids, paging, query flags.

import (
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// optUUID parses a canonical UUID (see canonicalUUID); "" and any other
// form are nil.
func optUUID(s string) *uuid.UUID {
	u, ok := canonicalUUID(s)
	if !ok {
		return nil
	}
	return &u
}

// canonicalUUID parses the one form ids take in this API, as the document's
// format uuid says: 36 characters, hex digits (either case) grouped 8-4-4-4-12.
// uuid.Parse also takes "{…}", "urn:uuid:…" and 32 bare hex digits, other
// spellings of the same id that would give one object several URLs.
func canonicalUUID(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	return id, err == nil
}

// pathID reads a UUID path parameter; an id that is not canonical, or the
// all-zero UUID (never issued), names nothing, so it is 404.
func pathID(c echo.Context, what string) (uuid.UUID, error) {
	id, ok := canonicalUUID(c.Param("id"))
	if !ok || id == uuid.Nil {
		return uuid.Nil, errs.NotFoundf(what)
	}
	return id, nil
}

// pageOf reads ?limit= and ?cursor=.
func pageOf(c echo.Context) (page.Request, error) {
	return page.Parse(c.QueryParam("limit"), c.QueryParam("cursor"))
}

// boolQuery reads an optional boolean query parameter.
func boolQuery(c echo.Context, name string) (*bool, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, errs.Field(name, "must be true or false")
	}
	return &b, nil
}

// nonEmpty is nil for "", so an absent value (a phone, the last page's
// next_cursor, a creating event's from) travels as JSON null.
func nonEmpty[T ~string](s T) *T {
	if s == "" {
		return nil
	}
	return &s
}

// enumsOf converts a list of strings to enum type T; never nil.
func enumsOf[T ~string, S ~string](in []S) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		out = append(out, T(v))
	}
	return out
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
