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

// optUUID parses a UUID the validator has already checked; "" is nil.
func optUUID(s string) *uuid.UUID {
	if s == "" {
		return nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &u
}

// pathID reads a UUID path parameter; a malformed id names nothing, so it is 404.
func pathID(c echo.Context, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
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
