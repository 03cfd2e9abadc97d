package clients

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// store is the SQL of API clients.
type store struct{ db *gorm.DB }

var constraints = map[string]errs.FieldError{
	"api_clients_provider_id_fkey": {Field: "provider_id", Message: "does not name a provider"},
}

func (s store) insert(ctx context.Context, c *Client) error {
	return database.Constraint(s.db.WithContext(ctx).Create(c).Error, constraints)
}

// live returns a client that is not deleted (NotFound otherwise).
func (s store) live(ctx context.Context, id uuid.UUID) (Client, error) {
	var c Client
	err := s.db.WithContext(ctx).Where("id = ? AND deleted_at IS NULL", id).Take(&c).Error
	if err != nil {
		return Client{}, database.Constraint(err, nil)
	}
	return c, nil
}

func (s store) list(ctx context.Context, pr page.Request) ([]Client, error) {
	q := s.db.WithContext(ctx).Where("deleted_at IS NULL")
	if pr.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", pr.After.At, pr.After.ID)
	}
	var out []Client
	err := q.Order("created_at, id").Limit(pr.Limit + 1).Find(&out).Error
	return out, err
}

// markDeleted sets deleted_at; false when there was no live client.
func (s store) markDeleted(ctx context.Context, id uuid.UUID, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Client{}).Where("id = ? AND deleted_at IS NULL", id).Update("deleted_at", at)
	return res.RowsAffected == 1, res.Error
}

// current reads what a live client may do now, one indexed read without
// GORM (it runs on every request of a client when not cached, like
// identity's principal check).
func (s store) current(ctx context.Context, id uuid.UUID) (scopes []string, provider *uuid.UUID, live bool, err error) {
	var sc pq.StringArray
	var prov uuid.NullUUID
	err = database.Row(ctx, s.db, `SELECT scopes, provider_id FROM api_clients WHERE id = $1 AND deleted_at IS NULL`, id).Scan(&sc, &prov)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, false, nil
	} else if err != nil {
		return nil, nil, false, err
	}
	if prov.Valid {
		provider = &prov.UUID
	}
	return sc, provider, true, nil
}
