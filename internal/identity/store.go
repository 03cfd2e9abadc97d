package identity

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// userConstraints turns the users table's constraint violations into field errors.
var userConstraints = map[string]errs.FieldError{
	"users_email_key":        {Field: "email", Message: "is already registered"},
	"users_phone_key":        {Field: "phone", Message: "is already registered"},
	"users_provider_id_fkey": {Field: "provider_id", Message: "does not name a provider"},
	"users_provider_by_role": {Field: "provider_id", Message: "technicians and dispatchers need a provider; customers have none"},
}

var providerConstraints = map[string]errs.FieldError{
	"providers_name_key":     {Field: "name", Message: "is already used by another provider"},
	"providers_one_in_house": {Field: "kind", Message: "an in-house provider already exists"},
}

// store holds the identity queries; it knows SQL, not rules.
type store struct{ db *gorm.DB }

func (s store) tx(db *gorm.DB) store { return store{db: db} }

func (s store) createUser(ctx context.Context, u *User) error {
	return database.Constraint(s.db.WithContext(ctx).Create(u).Error, userConstraints)
}

func (s store) saveUser(ctx context.Context, u *User) error {
	return database.Constraint(s.db.WithContext(ctx).Save(u).Error, userConstraints)
}

func (s store) userByID(ctx context.Context, id uuid.UUID) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, errs.NotFoundf("user")
	}
	return u, err
}

// active reports whether the user exists and is active; every authenticated
// request asks, so it skips GORM (database.Row).
func (s store) active(ctx context.Context, id uuid.UUID) (bool, error) {
	var active bool
	err := database.Row(ctx, s.db, `SELECT active FROM users WHERE id = $1`, id).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return active, err
}

// userByLogin finds a user by e-mail (case-insensitive) or phone.
func (s store) userByLogin(ctx context.Context, login string) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("lower(email) = lower(?) OR phone = ?", login, login).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, errs.NotFoundf("user")
	}
	return u, err
}

// UserFilter narrows a user list.
type UserFilter struct {
	Role       string
	ProviderID *uuid.UUID
	Region     string
	Skill      string
	OnDuty     *bool
	Active     *bool
}

func (s store) listUsers(ctx context.Context, f UserFilter, p page.Request) ([]User, error) {
	q := s.db.WithContext(ctx).Model(&User{})
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.ProviderID != nil {
		q = q.Where("provider_id = ?", *f.ProviderID)
	}
	if f.Region != "" {
		q = q.Where("? = ANY(regions)", f.Region)
	}
	if f.Skill != "" {
		q = q.Where("? = ANY(skills)", f.Skill)
	}
	if f.OnDuty != nil {
		q = q.Where("on_duty = ?", *f.OnDuty)
	}
	if f.Active != nil {
		q = q.Where("active = ?", *f.Active)
	}
	if p.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", p.After.At, p.After.ID)
	}
	var out []User
	err := q.Order("created_at, id").Limit(p.Limit + 1).Find(&out).Error
	return out, err
}

func (s store) countManagers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Where("role = ?", RoleManager).Count(&n).Error
	return n, err
}

func (s store) createProvider(ctx context.Context, p *Provider) error {
	return database.Constraint(s.db.WithContext(ctx).Create(p).Error, providerConstraints)
}

func (s store) providerByID(ctx context.Context, id uuid.UUID) (Provider, error) {
	var p Provider
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, errs.NotFoundf("provider")
	}
	return p, err
}

func (s store) inHouseProvider(ctx context.Context) (Provider, error) {
	var p Provider
	err := s.db.WithContext(ctx).Where("kind = ?", ProviderInHouse).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, errs.NotFoundf("in-house provider")
	}
	return p, err
}

func (s store) listProviders(ctx context.Context, p page.Request) ([]Provider, error) {
	q := s.db.WithContext(ctx).Model(&Provider{})
	if p.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", p.After.At, p.After.ID)
	}
	var out []Provider
	err := q.Order("created_at, id").Limit(p.Limit + 1).Find(&out).Error
	return out, err
}

// --- refresh tokens ---

func (s store) createRefresh(ctx context.Context, t *RefreshToken) error {
	return s.db.WithContext(ctx).Create(t).Error
}

// refreshByHashForUpdate locks the token row so concurrent refreshes serialise.
func (s store) refreshByHashForUpdate(ctx context.Context, hash []byte) (RefreshToken, error) {
	var t RefreshToken
	err := s.db.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("token_hash = ?", hash).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return t, errs.NotFoundf("refresh token")
	}
	return t, err
}

func (s store) markRefreshUsed(ctx context.Context, id uuid.UUID, at time.Time) error {
	return s.db.WithContext(ctx).Model(&RefreshToken{}).Where("id = ?", id).Update("used_at", at).Error
}

func (s store) revokeFamily(ctx context.Context, family uuid.UUID, at time.Time) error {
	return s.db.WithContext(ctx).Model(&RefreshToken{}).
		Where("family_id = ? AND revoked_at IS NULL", family).Update("revoked_at", at).Error
}

func (s store) revokeUserTokens(ctx context.Context, user uuid.UUID, at time.Time) error {
	return s.db.WithContext(ctx).Model(&RefreshToken{}).
		Where("user_id = ? AND revoked_at IS NULL", user).Update("revoked_at", at).Error
}

// --- login throttling ---

// attempt counts one login attempt for key before the password is checked,
// in one statement, so parallel attempts cannot slip past the limit. The
// attempt after max within window sets a lock for lockout; while a lock is in
// force nothing is counted. An expired window or lock starts over. It returns
// the attempts in the window and the lock in force (nil when none).
func (s store) attempt(ctx context.Context, key string, now time.Time, window, lockout time.Duration, max int) (int, *time.Time, error) {
	var row struct {
		Failures    int
		LockedUntil sql.NullTime
	}
	err := s.db.WithContext(ctx).Raw(`
INSERT INTO login_throttles AS t (key, failures, window_start, locked_until)
VALUES (@key, 1, @now, CASE WHEN 1 > @max THEN CAST(@lock AS timestamptz) END)
ON CONFLICT (key) DO UPDATE SET
  failures = CASE
    WHEN t.locked_until > @now THEN t.failures
    WHEN t.window_start < @cutoff OR t.locked_until <= @now THEN 1
    ELSE t.failures + 1 END,
  window_start = CASE
    WHEN t.locked_until > @now THEN t.window_start
    WHEN t.window_start < @cutoff OR t.locked_until <= @now THEN @now
    ELSE t.window_start END,
  locked_until = CASE
    WHEN t.locked_until > @now THEN t.locked_until
    WHEN t.window_start < @cutoff OR t.locked_until <= @now THEN NULL
    WHEN t.failures + 1 > @max THEN CAST(@lock AS timestamptz)
    ELSE NULL END
RETURNING failures, locked_until`,
		map[string]any{"key": key, "now": now, "cutoff": now.Add(-window), "max": max, "lock": now.Add(lockout)}).Scan(&row).Error
	if err != nil || !row.LockedUntil.Valid || !row.LockedUntil.Time.After(now) {
		return row.Failures, nil, err
	}
	return row.Failures, &row.LockedUntil.Time, nil
}

// forgiveAttempt un-counts a successful attempt of a key that is not cleared
// (the client address: other people's failures there still count).
func (s store) forgiveAttempt(ctx context.Context, key string) error {
	return s.db.WithContext(ctx).Exec(`UPDATE login_throttles SET failures = greatest(failures - 1, 0) WHERE key = ?`, key).Error
}

func (s store) clearThrottle(ctx context.Context, key string) error {
	return s.db.WithContext(ctx).Where("key = ?", key).Delete(&LoginThrottle{}).Error
}

func (s store) providerByName(ctx context.Context, name string) (Provider, error) {
	var p Provider
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, errs.NotFoundf("provider")
	}
	return p, err
}

// technicians lists every technician matching f (no paging: one region's staff).
func (s store) technicians(ctx context.Context, f UserFilter) ([]User, error) {
	rows, err := s.listUsers(ctx, f, page.Request{Limit: 10000})
	return rows, err
}
