// Package page implements FieldOps list pagination: ?limit= (default 50, max
// 200) and an opaque keyset cursor over (time, id), stable while rows change.
package page

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Default and maximum page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Request is a page request: at most Limit rows after the cursor position.
type Request struct {
	Limit int
	After *Key
}

// Key is a keyset position: the sort time and the id that breaks ties.
type Key struct {
	At time.Time
	ID uuid.UUID
}

// Parse reads limit and cursor query values; errors name the field.
func Parse(limit, cursor string) (Request, error) {
	r := Request{Limit: DefaultLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return r, errs.Field("limit", "must be an integer between 1 and 200")
		}
		r.Limit = n
	}
	if cursor != "" {
		k, err := Decode(cursor)
		if err != nil {
			return r, errs.Field("cursor", "is not a cursor returned by this list")
		}
		r.After = &k
	}
	return r, nil
}

// Encode makes the opaque cursor for k.
func (k Key) Encode() string {
	raw := strconv.FormatInt(k.At.UnixMicro(), 10) + "|" + k.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// Decode reverses Encode.
func Decode(s string) (Key, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Key{}, err
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok {
		return Key{}, errs.E(errs.Invalid, "bad cursor")
	}
	at, err := ParseMicros(ts)
	if err != nil {
		return Key{}, err
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return Key{}, err
	}
	return Key{At: at, ID: u}, nil
}

// ParseMicros reads a cursor's time (decimal microseconds since the Unix
// epoch, as Encode writes it) in UTC. Only years 1 to 9999 are times a row
// or an RFC 3339 response can hold; others come from a forged cursor and
// are an error (it was a 500 when it reached the response or the query).
func ParseMicros(s string) (time.Time, error) {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	t := time.UnixMicro(us).UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, errs.E(errs.Invalid, "the cursor's time is out of range")
	}
	return t, nil
}

// Cut trims rows fetched with Limit+1 to Limit and returns the next cursor
// ("" on the last page). key extracts a row's keyset position.
func Cut[T any](rows []T, limit int, key func(T) Key) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, key(rows[len(rows)-1]).Encode()
}
