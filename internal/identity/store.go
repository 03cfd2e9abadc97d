package identity

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/platform/auth"
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

// current reads who a user is now (role, provider) and whether they are
// active; every authenticated request may ask (identity.Current caches it),
// so it skips GORM (database.Row).
func (s store) current(ctx context.Context, id uuid.UUID) (p auth.Principal, live bool, err error) {
	var provider uuid.NullUUID
	err = database.Row(ctx, s.db, `SELECT role, provider_id FROM users WHERE id = $1 AND active`, id).Scan(&p.Role, &provider)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Principal{}, false, nil
	}
	if err != nil {
		return auth.Principal{}, false, err
	}
	p.UserID = id
	if provider.Valid {
		p.ProviderID = &provider.UUID
	}
	return p, true, nil
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

// failures is key's count within the window that started after since (0
// when there is none).
func (s store) failures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	err := database.Row(ctx, s.db, `SELECT failures FROM login_throttles WHERE key = $1 AND window_start >= $2`, key, since).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// seenSince reports whether key (a remembered address) was recorded after since.
func (s store) seenSince(ctx context.Context, key string, since time.Time) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&LoginThrottle{}).Where("key = ? AND window_start >= ?", key, since).Count(&n).Error
	return n > 0, err
}

// remember records key (an address an account logged in from) at now.
func (s store) remember(ctx context.Context, key string, now time.Time) error {
	return s.db.WithContext(ctx).Exec(`INSERT INTO login_throttles (key, failures, window_start) VALUES (?, 0, ?)
ON CONFLICT (key) DO UPDATE SET window_start = excluded.window_start`, key, now).Error
}

// backoffRule is an account's exponential back-off: more than max failures
// within window lock the account for base, and while it is in back-off every
// further failure locks it for twice the last lock, at most cap. A quiet
// period after the last lock forgets the level.
type backoffRule struct {
	window    time.Duration
	max       int
	base, cap time.Duration
	quiet     time.Duration
}

// step counts one attempt on t at now and reports whether it set a lock.
func (r backoffRule) step(t LoginThrottle, now time.Time) (LoginThrottle, bool) {
	overLong := t.LockedUntil == nil && t.WindowStart.Before(now.Add(-r.window)) ||
		t.LockedUntil != nil && t.LockedUntil.Before(now.Add(-r.quiet))
	if overLong {
		t.Failures, t.Lockouts, t.WindowStart, t.LockedUntil = 0, 0, now, nil
	}
	t.Failures++
	if t.Failures <= r.max {
		return t, false
	}
	d := r.cap
	if t.Lockouts < 30 && r.base<<t.Lockouts < r.cap {
		d = r.base << t.Lockouts
	}
	until := now.Add(d)
	t.LockedUntil, t.Lockouts = &until, t.Lockouts+1
	return t, true
}

// attemptBackoff counts one attempt on an account's back-off row (locked, so
// parallel attempts serialise) and returns the lock in force, if any,
// including one this attempt set. A refused attempt is not counted.
func (s store) attemptBackoff(ctx context.Context, key string, now time.Time, r backoffRule) (*time.Time, error) {
	var locked *time.Time
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO login_throttles (key, failures, window_start) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING`,
			key, now).Error; err != nil {
			return err
		}
		var t LoginThrottle
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("key = ?", key).Take(&t).Error; err != nil {
			return err
		}
		if t.LockedUntil != nil && t.LockedUntil.After(now) {
			locked = t.LockedUntil
			return nil
		}
		next, lockedNow := r.step(t, now)
		if lockedNow {
			locked = next.LockedUntil
		}
		return tx.Save(&next).Error
	})
	return locked, err
}

// purgeThrottles deletes counters whose window started before windowEnd and
// whose lock (if any) ended before quietEnd, and remembered addresses older
// than knownEnd.
func (s store) purgeThrottles(ctx context.Context, windowEnd, quietEnd, knownEnd time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Exec(`DELETE FROM login_throttles WHERE
  (key LIKE 'known:%' AND window_start < @known) OR
  (key NOT LIKE 'known:%' AND window_start < @window AND (locked_until IS NULL OR locked_until < @quiet))`,
		map[string]any{"known": knownEnd, "window": windowEnd, "quiet": quietEnd})
	return res.RowsAffected, res.Error
}

// setPassword replaces a user's password hash.
func (s store) setPassword(ctx context.Context, id uuid.UUID, hash string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&User{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error
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
