package orders

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// Filter narrows an order list.
type Filter struct {
	Status, Type, Priority, Region string
	TechnicianID                   *uuid.UUID
	UpdatedSince                   *time.Time
	// FollowUpDue keeps completed orders whose follow-up call is due.
	FollowUpDue bool
	// ExternalRef keeps the orders with this external reference; for an API
	// client, only its own (List sets apiClient).
	ExternalRef string

	apiClient *uuid.UUID // ExternalRef's owner for an API client, set by List

	dueBy time.Time // FollowUpDue's "now", set by List
}

// validate checks the filter's closed sets: Invalid naming each bad field.
func (f Filter) validate() error {
	var fe []errs.FieldError
	if f.Status != "" {
		// at most one of each: a long list (70,000 values) was one query
		// parameter each, past PostgreSQL's limit (a 500)
		list := strings.Split(f.Status, ",")
		if len(list) > len(Statuses) {
			fe = append(fe, errs.FieldError{Field: "status", Message: fmt.Sprintf("at most %d statuses", len(Statuses))})
		} else {
			for _, st := range list {
				if !slices.Contains(Statuses, st) {
					fe = append(fe, errs.FieldError{Field: "status", Message: "each status must be one of " + strings.Join(Statuses, ", ")})
					break
				}
			}
		}
	}
	if f.Type != "" && !slices.Contains(Types, f.Type) {
		fe = append(fe, errs.FieldError{Field: "type", Message: "must be one of " + strings.Join(Types, ", ")})
	}
	if !utf8.ValidString(f.Region) || strings.ContainsRune(f.Region, 0) || utf8.RuneCountInString(f.Region) > 64 {
		fe = append(fe, errs.FieldError{Field: "region", Message: "must be valid text of at most 64 characters"})
	}
	if f.Priority != "" && !slices.Contains(Priorities, f.Priority) {
		fe = append(fe, errs.FieldError{Field: "priority", Message: "must be one of " + strings.Join(Priorities, ", ")})
	}
	if utf8.RuneCountInString(f.ExternalRef) > 100 {
		fe = append(fe, errs.FieldError{Field: "external_ref", Message: "must be at most 100 characters"})
	}
	if len(fe) > 0 {
		return errs.Fields(fe)
	}
	return nil
}

// Cursor is a position in a page walk: the last (updated_at, id) returned and
// the walk's upper bound, fixed on its first page.
type Cursor struct {
	At    time.Time
	ID    uuid.UUID
	Bound time.Time
}

// Encode makes the opaque cursor.
func (c Cursor) Encode() string {
	raw := fmt.Sprintf("%d|%s|%d", c.At.UnixMicro(), c.ID, c.Bound.UnixMicro())
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reverses Encode; a foreign string is Invalid naming cursor.
func DecodeCursor(s string) (Cursor, error) {
	bad := errs.Field("cursor", "is not a cursor returned by this list")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 {
		return Cursor{}, bad
	}
	at, err1 := page.ParseMicros(parts[0]) // years 1–9999 only
	id, err2 := uuid.Parse(parts[1])
	bound, err3 := page.ParseMicros(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return Cursor{}, bad
	}
	return Cursor{At: at, ID: id, Bound: bound}, nil
}

// Page is one page of orders. SyncedUntil is the walk's bound: after the last
// page, use it as updated_since for the next sync; changes made during the
// walk are at or after it, so none is missed and none is seen twice in a walk.
type Page struct {
	Items       []Order
	NextCursor  string
	SyncedUntil time.Time
}

// List returns the orders p may see, oldest change first, keyset-paginated on
// (updated_at, id) below the walk's bound, each with its Parties for p.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter, limit int, cursor *Cursor) (Page, error) {
	if err := f.validate(); err != nil {
		return Page{}, err
	}
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return Page{}, err
	}
	if sc.none {
		return Page{Items: []Order{}}, nil
	}
	if f.FollowUpDue {
		f.dueBy = s.clock.Now()
	}
	if f.ExternalRef != "" && p.Client {
		f.apiClient = &p.UserID
	}
	// One statement: the page and, on a first page, the walk's bound. When
	// the statement cannot fix the bound (a writer committed while it took
	// its snapshot: listBoundSQL), the bound is computed first, on its own.
	var at *time.Time
	if cursor != nil {
		at = &cursor.Bound
	}
	rows, got, err := s.st.listOrders(ctx, sc, f, at, cursor, limit+1)
	if err == nil && got == nil {
		var b time.Time
		if b, err = s.st.syncBound(ctx); err == nil {
			rows, got, err = s.st.listOrders(ctx, sc, f, &b, cursor, limit+1)
		}
	}
	if err != nil {
		return Page{}, err
	}
	bound := *got
	// A bound below updated_since (a writer that began before the last
	// walk's bound but took its transaction id after it holds this bound
	// back to its start) would send the client's next walk back before
	// where it stands. Nothing is lost by not going back: every row stamped
	// below a bound the client was given was visible to that walk (the
	// writers not counted then take their stamps after it), and this page is
	// empty anyway (updated_since ≤ updated_at < bound is).
	if f.UpdatedSince != nil && bound.Before(*f.UpdatedSince) {
		bound = f.UpdatedSince.UTC()
	}
	items := make([]Order, 0, len(rows))
	for _, r := range rows {
		o := r.Order
		o.Parties = partiesFor(p, o, r.Joined)
		items = append(items, o)
	}
	pg := Page{Items: items, SyncedUntil: bound}
	if len(items) > limit {
		pg.Items = items[:limit]
		last := pg.Items[limit-1]
		pg.NextCursor = Cursor{At: last.UpdatedAt, ID: last.ID, Bound: bound}.Encode()
	}
	return pg, nil
}

// NotificationPage is one page of an inbox.
type NotificationPage struct {
	Items      []Notification
	NextCursor string
}

// Notifications returns p's inbox, unread first, newest first within each,
// keyset-paginated; cursor is a NextCursor of an earlier page or "".
func (s *Service) Notifications(ctx context.Context, p auth.Principal, unreadOnly bool, limit int, cursor string) (NotificationPage, error) {
	var after *inboxKey
	if cursor != "" {
		k, err := decodeInboxKey(cursor)
		if err != nil {
			return NotificationPage{}, err
		}
		after = &k
	}
	rows, err := s.st.notifications(ctx, p.UserID, unreadOnly, after, limit+1)
	if err != nil {
		return NotificationPage{}, err
	}
	pg := NotificationPage{Items: rows}
	if len(rows) > limit {
		pg.Items = rows[:limit]
		last := pg.Items[limit-1]
		pg.NextCursor = inboxKey{Read: last.ReadAt != nil, At: last.CreatedAt, ID: last.ID}.encode()
	}
	return pg, nil
}

// MarkRead marks one of p's notifications read (NotFound for anyone else's).
func (s *Service) MarkRead(ctx context.Context, p auth.Principal, id uuid.UUID) (Notification, error) {
	return s.st.markRead(ctx, p.UserID, id, s.clock.Now())
}

// inboxKey is a position in an inbox walk: read group, then newest first.
type inboxKey struct {
	Read bool
	At   time.Time
	ID   uuid.UUID
}

func (k inboxKey) encode() string {
	raw := fmt.Sprintf("%t|%d|%s", k.Read, k.At.UnixMicro(), k.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeInboxKey(s string) (inboxKey, error) {
	bad := errs.Field("cursor", "is not a cursor returned by this list")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return inboxKey{}, bad
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 {
		return inboxKey{}, bad
	}
	read, err1 := strconv.ParseBool(parts[0])
	at, err2 := page.ParseMicros(parts[1]) // years 1–9999 only
	id, err3 := uuid.Parse(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return inboxKey{}, bad
	}
	return inboxKey{Read: read, At: at, ID: id}, nil
}
