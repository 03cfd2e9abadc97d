package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
)

// SessionConfig configures refresh tokens and login throttling.
type SessionConfig struct {
	RefreshTTL      time.Duration
	MaxFailures     int // per account within Window
	MaxIPFailures   int // per client address within Window
	Window, Lockout time.Duration
}

// RegisterInput is a customer's sign-up.
type RegisterInput struct {
	Name     string
	Email    string
	Phone    string
	Password string
}

// Register creates a customer account and signs it in.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Session, error) {
	u := User{ID: ids.New(), Role: RoleCustomer, Name: strings.TrimSpace(in.Name), Email: normalizeEmail(in.Email),
		Phone: normalizePhone(in.Phone), Active: true, Skills: []string{}, Regions: []string{}}
	var fe []errs.FieldError
	if u.Name == "" {
		fe = append(fe, errs.FieldError{Field: "name", Message: "is required"})
	}
	fe = append(fe, checkContact(u.Email, u.Phone)...)
	fe = append(fe, checkPassword(in.Password)...)
	if err := errs.Fields(fe); err != nil {
		return Session{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return Session{}, err
	}
	u.PasswordHash = hash
	u.CreatedAt = s.clock.Now()
	u.UpdatedAt = u.CreatedAt
	var sess Session
	err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := s.st.tx(tx)
		if err := st.createUser(ctx, &u); err != nil {
			return err
		}
		sess, err = s.startSession(ctx, st, u, ids.New())
		return err
	})
	return sess, err
}

// Login checks credentials. Attempts are counted per account and per client
// address in the database (so every replica sees them) before the password is
// checked, and a success un-counts itself; past the limit the caller gets
// TooMany with a RetryAfter.
func (s *Service) Login(ctx context.Context, login, pw, clientIP string) (Session, error) {
	login = strings.TrimSpace(login)
	if login == "" || pw == "" {
		fe := []errs.FieldError{}
		if login == "" {
			fe = append(fe, errs.FieldError{Field: "login", Message: "is required"})
		}
		if pw == "" {
			fe = append(fe, errs.FieldError{Field: "password", Message: "is required"})
		}
		return Session{}, errs.Fields(fe)
	}
	accountKey := "account:" + normalizedLogin(login) // the spelling the lookup uses, so "+86 138…" and "+86138…" share one lock
	ipKey := "ip:" + clientIP
	now := s.clock.Now()
	// Count the attempt first (per account and per client address); past the
	// limit the caller is refused before the password is even checked.
	for _, k := range []struct {
		key string
		max int
	}{{accountKey, s.sessions.MaxFailures}, {ipKey, s.sessions.MaxIPFailures}} {
		_, locked, err := s.st.attempt(ctx, k.key, now, s.sessions.Window, s.sessions.Lockout, k.max)
		if err != nil {
			return Session{}, err
		}
		if locked != nil {
			return Session{}, tooMany(locked.Sub(now))
		}
	}
	u, err := s.st.userByLogin(ctx, normalizedLogin(login))
	if err != nil && !errs.Is(err, errs.NotFound) {
		return Session{}, err
	}
	hash := u.PasswordHash
	if hash == "" {
		// no such account: check a dummy hash so a wrong login and a wrong
		// password take the same time
		s.dummyOnce.Do(func() { s.dummyHash, _ = s.hasher.Hash("not a password of anyone") })
		hash = s.dummyHash
	}
	ok, err := s.hasher.Check(hash, pw)
	if err != nil {
		return Session{}, err
	}
	if !ok || u.ID == uuid.Nil || !u.Active {
		return Session{}, errs.E(errs.Unauthorized, "wrong login or password") // the attempt stays counted
	}
	if err := s.st.clearThrottle(ctx, accountKey); err != nil {
		return Session{}, err
	}
	if err := s.st.forgiveAttempt(ctx, ipKey); err != nil {
		return Session{}, err
	}
	return s.startSession(ctx, s.st, u, ids.New())
}

// normalizedLogin lets people type their phone number with spaces or dashes.
func normalizedLogin(login string) string {
	if strings.Contains(login, "@") {
		return strings.ToLower(login)
	}
	if p := normalizePhone(login); p != nil {
		return *p
	}
	return login
}

func tooMany(wait time.Duration) error {
	if wait < time.Second {
		wait = time.Second
	}
	return &errs.Error{Kind: errs.TooMany, Message: "too many failed logins; try again later", RetryAfter: wait}
}

// Refresh rotates a refresh token: the presented one is spent and a new one of
// the same family returned. Presenting a spent token again means it was
// stolen or replayed, so the whole family is revoked and both parties must log in.
func (s *Service) Refresh(ctx context.Context, token string) (Session, error) {
	unauthorized := errs.E(errs.Unauthorized, "the refresh token is invalid, expired or revoked")
	if token == "" {
		return Session{}, errs.Field("refresh_token", "is required")
	}
	var sess Session
	reused := false
	now := s.clock.Now()
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := s.st.tx(tx)
		rt, err := st.refreshByHashForUpdate(ctx, hashToken(token))
		if errs.Is(err, errs.NotFound) {
			return unauthorized
		}
		if err != nil {
			return err
		}
		if rt.RevokedAt != nil || now.After(rt.ExpiresAt) {
			return unauthorized
		}
		if rt.UsedAt != nil {
			reused = true // committed below: the revocation must stick
			return st.revokeFamily(ctx, rt.FamilyID, now)
		}
		u, err := st.userByID(ctx, rt.UserID)
		if err != nil || !u.Active {
			return unauthorized
		}
		if err := st.markRefreshUsed(ctx, rt.ID, now); err != nil {
			return err
		}
		sess, err = s.startSession(ctx, st, u, rt.FamilyID)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if reused {
		return Session{}, errs.E(errs.Unauthorized, "the refresh token was already used; every session of this login is revoked")
	}
	return sess, nil
}

// Logout revokes the family of the given refresh token if it belongs to the principal.
// Unknown tokens are ignored so logout is safe to retry.
func (s *Service) Logout(ctx context.Context, p auth.Principal, token string) error {
	return database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := s.st.tx(tx)
		rt, err := st.refreshByHashForUpdate(ctx, hashToken(token))
		if errs.Is(err, errs.NotFound) || (err == nil && rt.UserID != p.UserID) {
			return nil
		}
		if err != nil {
			return err
		}
		return st.revokeFamily(ctx, rt.FamilyID, s.clock.Now())
	})
}

// startSession issues an access token and a new refresh token in family.
func (s *Service) startSession(ctx context.Context, st store, u User, family uuid.UUID) (Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, err
	}
	refresh := base64.RawURLEncoding.EncodeToString(raw)
	now := s.clock.Now()
	rt := RefreshToken{ID: ids.New(), UserID: u.ID, FamilyID: family, TokenHash: hashToken(refresh),
		CreatedAt: now, ExpiresAt: now.Add(s.sessions.RefreshTTL)}
	if err := st.createRefresh(ctx, &rt); err != nil {
		return Session{}, err
	}
	access, err := s.tokens.Issue(PrincipalOf(u))
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, RefreshToken: refresh, ExpiresIn: s.tokens.TTL(), User: u}, nil
}

// PrincipalOf is the principal a user's tokens carry.
func PrincipalOf(u User) auth.Principal {
	return auth.Principal{UserID: u.ID, Role: u.Role, ProviderID: u.ProviderID}
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}
