// Package idempotency stores Idempotency-Key records (draft-ietf-httpapi-
// idempotency-key-header-07) in PostgreSQL, so every replica sees them: the
// first request with a key claims it; a retry with the same body gets the
// stored response; the same key with another body is refused; a duplicate
// arriving while the first is in flight is refused and never runs.
package idempotency

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Record is one key of one caller.
type Record struct {
	Caller         string `gorm:"primaryKey"`
	Key            string `gorm:"primaryKey"`
	RequestHash    []byte
	State          string // in_flight, committed (its business transaction committed), done (response stored)
	ResponseStatus *int
	ResponseType   *string
	ResponseBody   []byte
	Location       *string
	ETag           *string `gorm:"column:etag"`
	CreatedAt      time.Time
	LockedUntil    time.Time
	ExpiresAt      time.Time
}

// TableName is idempotency_records.
func (Record) TableName() string { return "idempotency_records" }

// Outcome of Claim.
type Outcome int

// The outcomes.
const (
	Claimed   Outcome = iota // run the request, then Complete or Release
	Replay                   // return the stored response
	Mismatch                 // same key, different request: 422
	InFlight                 // the first request is still running: 409
	Committed                // the first request changed data, but its response was lost (the process died): 409
)

// Store keeps records for TTL; an in-flight claim older than Lease may be
// taken over (its process died).
type Store struct {
	db    *gorm.DB
	TTL   time.Duration
	Lease time.Duration
	now   func() time.Time
}

// NewStore returns a store; ttl is 24 h in production.
func NewStore(db *gorm.DB, ttl, lease time.Duration, now func() time.Time) *Store {
	return &Store{db: db, TTL: ttl, Lease: lease, now: now}
}

// Claim tries to take key for caller with the request's hash.
func (s *Store) Claim(ctx context.Context, caller, key string, hash []byte) (Outcome, Record, error) {
	now := s.now()
	rec := Record{Caller: caller, Key: key, RequestHash: hash, State: "in_flight", CreatedAt: now,
		LockedUntil: now.Add(s.Lease), ExpiresAt: now.Add(s.TTL)}
	// Insert, or take over an expired record or an abandoned claim of the same request.
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "caller"}, {Name: "key"}},
		DoUpdates: clause.Assignments(map[string]any{
			"request_hash": hash, "state": "in_flight", "response_status": nil, "response_type": nil,
			"response_body": nil, "location": nil, "created_at": now, "locked_until": rec.LockedUntil, "expires_at": rec.ExpiresAt,
		}),
		Where: clause.Where{Exprs: []clause.Expression{clause.Expr{
			SQL:  "idempotency_records.expires_at < ? OR (idempotency_records.state = 'in_flight' AND idempotency_records.locked_until < ? AND idempotency_records.request_hash = ?)",
			Vars: []any{now, now, hash},
		}}},
	}).Create(&rec)
	if res.Error != nil {
		return 0, Record{}, res.Error
	}
	if res.RowsAffected == 1 {
		return Claimed, rec, nil
	}
	var cur Record
	err := s.db.WithContext(ctx).Where("caller = ? AND key = ?", caller, key).Take(&cur).Error
	if errors.Is(err, gorm.ErrRecordNotFound) { // expired and purged in between: try once more
		return s.Claim(ctx, caller, key, hash)
	}
	if err != nil {
		return 0, Record{}, err
	}
	switch {
	case string(cur.RequestHash) != string(hash):
		return Mismatch, cur, nil
	case cur.State == "in_flight", cur.State == "committed" && cur.LockedUntil.After(now):
		return InFlight, cur, nil
	case cur.State == "committed":
		return Committed, cur, nil
	}
	return Replay, cur, nil
}

// MarkCommitted records, inside the request's business transaction tx, that
// the claimed key's request has changed data: from then on the key never
// runs again, even when the process dies before Complete.
func (s *Store) MarkCommitted(tx *gorm.DB, caller, key string) error {
	return tx.Model(&Record{}).Where("caller = ? AND key = ? AND state = 'in_flight'", caller, key).
		Update("state", "committed").Error
}

// Response is what Complete stores and a replay sends again: the status,
// the body and the headers a client acts on (Location of what was created,
// ETag of an order for its next If-Match).
type Response struct {
	Status                      int
	ContentType, Location, ETag string
	Body                        []byte
}

// Complete stores the response of a claimed key.
func (s *Store) Complete(ctx context.Context, caller, key string, r Response) error {
	return s.db.WithContext(ctx).Model(&Record{}).Where("caller = ? AND key = ? AND state IN ('in_flight', 'committed')", caller, key).
		Updates(map[string]any{"state": "done", "response_status": r.Status, "response_type": r.ContentType,
			"response_body": r.Body, "location": r.Location, "etag": r.ETag}).Error
}

// Release forgets a claim whose request failed on the server side, so the
// client may retry it — unless its business transaction committed.
func (s *Store) Release(ctx context.Context, caller, key string) error {
	return s.db.WithContext(ctx).Where("caller = ? AND key = ? AND state = 'in_flight'", caller, key).Delete(&Record{}).Error
}

// Purge deletes expired records (run periodically; Claim ignores them anyway).
func (s *Store) Purge(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at < ?", s.now()).Delete(&Record{})
	return res.RowsAffected, res.Error
}
