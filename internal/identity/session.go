package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/ratelimit"
)

// SessionConfig configures refresh tokens and throttling (docs/SECURITY.md).
type SessionConfig struct {
	RefreshTTL time.Duration
	// MaxFailures wrong passwords per (account, client address) pair within
	// Window lock that pair for Lockout.
	MaxFailures int
	// MaxIPFailures failures of one address over all accounts within Window
	// make it "hot": it then gets one try per account it already failed on.
	MaxIPFailures   int
	Window, Lockout time.Duration
	// AccountMaxFailures failures of one account (from any addresses) within
	// Window start its back-off: BackoffBase, doubling with every further
	// failure, at most BackoffMax. Addresses the account logged in from
	// within RefreshTTL are spared.
	AccountMaxFailures int
	BackoffMax         time.Duration
	// SignupIPMax sign-ups per client address within SignupWindow.
	SignupIPMax  int
	SignupWindow time.Duration
	// HashIPMax password hashes (logins and sign-ups) per client address
	// within HashIPWindow, counted before waiting for a hashing slot; past
	// it TooMany, without hashing. Logins of an account at an address it is
	// known from count on their own (account, address) counter instead.
	HashIPMax    int
	HashIPWindow time.Duration
	// PrincipalTTL is how long Current reuses what it read of an account
	// (principals.go); 0 reads it on every call.
	PrincipalTTL time.Duration
}

// SessionSettings are the session settings of the auth configuration.
func SessionSettings(a config.Auth) SessionConfig {
	return SessionConfig{RefreshTTL: a.RefreshTTL, MaxFailures: a.LoginMaxFailures, MaxIPFailures: a.LoginIPMaxFailures,
		Window: a.LoginWindow, Lockout: a.LoginLockout, AccountMaxFailures: a.LoginAccountMaxFailures,
		BackoffMax: a.LoginBackoffMax, SignupIPMax: a.SignupIPMax, SignupWindow: a.SignupWindow,
		HashIPMax: a.HashIPMax, HashIPWindow: a.HashIPWindow, PrincipalTTL: a.PrincipalCacheTTL}
}

// BackoffBase is an account's first back-off.
const BackoffBase = time.Minute

// backoffQuiet is how long after its last lock an account's back-off
// forgets its level (and the row may be purged).
const backoffQuiet = 24 * time.Hour

// RegisterInput is a customer's sign-up.
type RegisterInput struct {
	Name     string
	Email    string
	Phone    string
	Password string
	ClientIP string // sign-ups are throttled per client address
}

// Register creates a customer account and signs it in. Sign-ups that pass
// validation are counted per client address (an IPv6 /64; in the database,
// so replicas share them) before the password is hashed: past SignupIPMax
// within SignupWindow, or past the address's HashIPMax hashes within
// HashIPWindow, the caller gets TooMany with RetryAfter.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Session, error) {
	u := User{ID: ids.New(), Role: RoleCustomer, Name: strings.TrimSpace(in.Name), Email: normalizeEmail(in.Email),
		Phone: normalizePhone(in.Phone), Active: true, Skills: []string{}, Regions: []string{}}
	var fe []errs.FieldError
	if u.Name == "" {
		fe = append(fe, errs.FieldError{Field: "name", Message: "is required"})
	}
	fe = append(fe, checkContact(u.Email, u.Phone)...)
	fe = append(fe, checkPassword("password", in.Password)...)
	if err := errs.Fields(fe); err != nil {
		return Session{}, err
	}
	now := s.clock.Now()
	addr := ratelimit.Address(in.ClientIP)
	_, locked, err := s.st.attempt(ctx, "signup:"+addr, now, s.sessions.SignupWindow, s.sessions.SignupWindow, s.sessions.SignupIPMax)
	if err != nil {
		return Session{}, err
	}
	if locked != nil {
		return Session{}, tooMany("too many sign-ups from this address; try again later", locked.Sub(now))
	}
	if err := s.admitHash(ctx, "hash:"+addr, now); err != nil {
		_ = s.st.forgiveAttempt(context.WithoutCancel(ctx), "signup:"+addr) // not signed up
		return Session{}, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		_ = s.st.forgiveAttempt(context.WithoutCancel(ctx), "hash:"+addr) // no slot: nothing was hashed
		return Session{}, err
	}
	u.PasswordHash = hash
	u.CreatedAt = now
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

// AdmitSignupKey counts one Idempotency-Key that a sign-up from clientIP
// brings, before the key is recorded: nobody is signed in, so without it
// anyone could fill the idempotency table with invalid sign-ups. It allows
// the sign-up limit (SignupIPMax per SignupWindow, per address) on its own
// counter, valid or not; past it TooMany with RetryAfter.
func (s *Service) AdmitSignupKey(ctx context.Context, clientIP string) error {
	now := s.clock.Now()
	_, locked, err := s.st.attempt(ctx, "signup-key:"+ratelimit.Address(clientIP), now, s.sessions.SignupWindow, s.sessions.SignupWindow,
		s.sessions.SignupIPMax)
	if err != nil {
		return err
	}
	if locked != nil {
		return tooMany("too many sign-ups with an Idempotency-Key from this address; try again later", locked.Sub(now))
	}
	return nil
}

// loginKeys are the throttle rows one login attempt touches: hash counts
// the address's password hashes, knownHash those of the account at an
// address it is known from (exempt from hash).
type loginKeys struct{ pair, account, address, known, hash, knownHash string }

func keysOf(login, clientIP string) loginKeys {
	addr := ratelimit.Address(clientIP)
	return loginKeys{pair: "pair:" + login + "|" + addr, account: "account:" + login, address: "ip:" + addr,
		known: "known:" + login + "|" + addr, hash: "hash:" + addr, knownHash: "hash:" + login + "|" + addr}
}

// admitHash counts one password hash on key (a client address, or an
// account at a known address) before the caller waits for a hashing slot:
// past HashIPMax within HashIPWindow it is TooMany and nothing is hashed,
// so one address cannot take the process's hashing slots from everyone.
func (s *Service) admitHash(ctx context.Context, key string, now time.Time) error {
	_, locked, err := s.st.attempt(ctx, key, now, s.sessions.HashIPWindow, s.sessions.HashIPWindow, s.sessions.HashIPMax)
	if err != nil {
		return err
	}
	if locked != nil {
		return tooMany("too many password checks from this address; try again later", locked.Sub(now))
	}
	return nil
}

// Login checks credentials. Every attempt is counted in the database (so
// every replica sees it) before the password is checked on the pair and the
// account, and a success un-counts itself there; the address counts wrong
// passwords only, after the check, so a success never takes anything off it.
// An address is an IPv6 /64. The policy (docs/SECURITY.md):
//
//   - per (account, address) pair: MaxFailures within Window lock the pair for
//     Lockout; the account's owner elsewhere and other accounts behind the
//     same address are not affected;
//   - per address: past MaxIPFailures the address gets one try per account it
//     already failed on (accounts it never failed on are unaffected);
//   - per account: past AccountMaxFailures from any addresses, an exponential
//     back-off, which addresses the account logged in from before are spared;
//   - per address, before hashing: HashIPMax hashes within HashIPWindow,
//     which an account at an address it is known from does not count on (it
//     has its own counter of the same size).
//
// A refused attempt gets TooMany with RetryAfter; a full hashing capacity
// Unavailable with RetryAfter.
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
	login = normalizedLogin(login) // the spelling the lookup uses, so "+86 138…" and "+86138…" share one count
	k := keysOf(login, clientIP)
	sc := s.sessions
	now := s.clock.Now()
	refused := func(until time.Time) error { return tooMany("too many failed logins; try again later", until.Sub(now)) }

	bg := context.WithoutCancel(ctx) // bookkeeping is finished even if the client has gone
	known, err := s.st.seenSince(ctx, k.known, now.Add(-sc.RefreshTTL))
	if err != nil {
		return Session{}, err
	}
	hashKey := k.hash // first, so that past it an address writes no further rows either
	if known {
		hashKey = k.knownHash
	}
	if err := s.admitHash(ctx, hashKey, now); err != nil {
		return Session{}, err
	}
	counted := []string{hashKey} // the rows this attempt counts on, un-counted when it is not tried
	notTried := func(err error) (Session, error) {
		for _, key := range counted {
			_ = s.st.forgiveAttempt(bg, key)
		}
		return Session{}, err
	}
	ipFailures, err := s.st.failures(ctx, k.address, now.Add(-sc.Window))
	if err != nil {
		return notTried(err)
	}
	pairMax := sc.MaxFailures
	if ipFailures >= sc.MaxIPFailures {
		pairMax = 1 // a hot address: one try per account, no more on those it failed on
	}
	_, locked, err := s.st.attempt(ctx, k.pair, now, sc.Window, sc.Lockout, pairMax)
	if err != nil || locked != nil {
		if locked != nil {
			err = refused(*locked)
		}
		return notTried(err)
	}
	counted = append(counted, k.pair)
	if !known { // the account's back-off spares the addresses it logged in from
		locked, err = s.st.attemptBackoff(ctx, k.account, now, backoffRule{window: sc.Window, max: sc.AccountMaxFailures,
			base: BackoffBase, cap: sc.BackoffMax, quiet: backoffQuiet})
		if err != nil || locked != nil {
			if locked != nil {
				err = refused(*locked)
			}
			return notTried(err) // the pair's count stays as it was
		}
		counted = append(counted, k.account)
	}
	u, ok, err := s.checkLogin(ctx, login, pw)
	if err != nil { // nothing was decided (e.g. no hashing slot): un-count the attempt
		return notTried(err)
	}
	if !ok { // the attempt stays counted, and the address counts a failure
		if _, _, err := s.st.attempt(bg, k.address, now, sc.Window, sc.Lockout, math.MaxInt32); err != nil { // counts, never locks
			return Session{}, err
		}
		return Session{}, errs.E(errs.Unauthorized, "wrong login or password")
	}
	if err := s.st.clearThrottle(ctx, k.pair); err != nil {
		return Session{}, err
	}
	for _, key := range counted[2:] { // the account's count of this attempt; the hash stays counted, the address's failures stay
		if err := s.st.forgiveAttempt(ctx, key); err != nil {
			return Session{}, err
		}
	}
	if err := s.st.remember(ctx, k.known, now); err != nil {
		return Session{}, err
	}
	return s.startSession(ctx, s.st, u, ids.New())
}

// checkLogin finds the active account of login and checks pw against it. An
// unknown login is checked against a dummy hash, so a wrong login and a wrong
// password take the same time.
func (s *Service) checkLogin(ctx context.Context, login, pw string) (User, bool, error) {
	u, err := s.st.userByLogin(ctx, login)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return User{}, false, err
	}
	hash := u.PasswordHash
	if hash == "" {
		if hash, err = s.dummy(ctx); err != nil {
			return User{}, false, err
		}
	}
	ok, err := s.hasher.Check(ctx, hash, pw)
	if err != nil {
		return User{}, false, s.hashErr(err)
	}
	return u, ok && u.ID != uuid.Nil && u.Active, nil
}

// dummy is a hash of no one's password with the current parameters, made
// once (a failed attempt, e.g. no hashing slot, is tried again next time).
func (s *Service) dummy(ctx context.Context) (string, error) {
	s.dummyMu.Lock()
	defer s.dummyMu.Unlock()
	if s.dummyHash == "" {
		h, err := s.hash(ctx, "not a password of anyone")
		if err != nil {
			return "", err
		}
		s.dummyHash = h
	}
	return s.dummyHash, nil
}

// ChangePassword sets the principal's own password after checking the
// current one, revokes every refresh token of the account (all other
// sessions must log in again) and signs the caller in afresh. Wrong current
// passwords are counted like logins of the (account, "me") pair, so a stolen
// access token cannot guess the password without limit: past MaxFailures
// within Window the caller gets TooMany.
func (s *Service) ChangePassword(ctx context.Context, p auth.Principal, current, next string) (Session, error) {
	var fe []errs.FieldError
	if current == "" {
		fe = append(fe, errs.FieldError{Field: "current_password", Message: "is required"})
	}
	fe = append(fe, checkPassword("new_password", next)...)
	if err := errs.Fields(fe); err != nil {
		return Session{}, err
	}
	u, err := s.Me(ctx, p)
	if err != nil {
		return Session{}, err
	}
	now := s.clock.Now()
	key := "password:" + u.ID.String()
	_, locked, err := s.st.attempt(ctx, key, now, s.sessions.Window, s.sessions.Lockout, s.sessions.MaxFailures)
	if err != nil {
		return Session{}, err
	}
	if locked != nil {
		return Session{}, tooMany("too many wrong passwords; try again later", locked.Sub(now))
	}
	ok, err := s.hasher.Check(ctx, u.PasswordHash, current)
	if err != nil {
		_ = s.st.forgiveAttempt(context.WithoutCancel(ctx), key)
		return Session{}, s.hashErr(err)
	}
	if !ok {
		return Session{}, errs.Field("current_password", "is wrong")
	}
	if err := s.st.clearThrottle(ctx, key); err != nil {
		return Session{}, err
	}
	hash, err := s.hash(ctx, next)
	if err != nil {
		return Session{}, err
	}
	var sess Session
	err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := s.st.tx(tx)
		if err := st.setPassword(ctx, u.ID, hash, now); err != nil {
			return err
		}
		if err := st.revokeUserTokens(ctx, u.ID, now); err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now
		sess, err = s.startSession(ctx, st, u, ids.New())
		return err
	})
	s.principals.Forget(u.ID) // sessions revoked: the account is read again on its next request
	return sess, err
}

// PurgeThrottles deletes throttle rows that no longer decide anything:
// counters whose window and lock are over (an account's back-off level after
// a quiet day) and remembered addresses older than RefreshTTL. Run hourly.
func (s *Service) PurgeThrottles(ctx context.Context) (int64, error) {
	now := s.clock.Now()
	windows := max(s.sessions.Window, s.sessions.SignupWindow, s.sessions.HashIPWindow)
	return s.st.purgeThrottles(ctx, now.Add(-windows), now.Add(-backoffQuiet), now.Add(-s.sessions.RefreshTTL))
}

// normalizedLogin is the spelling of a login the lookup and the throttle
// use: e-mails as stored (NFKC, lower case), phones in E.164, so people may
// type their number with spaces or dashes.
func normalizedLogin(login string) string {
	if strings.Contains(login, "@") {
		return deref(normalizeEmail(login))
	}
	if e164, ok := phoneE164(login); ok {
		return e164
	}
	return login
}

func tooMany(msg string, wait time.Duration) error {
	if wait < time.Second {
		wait = time.Second
	}
	return &errs.Error{Kind: errs.TooMany, Message: msg, RetryAfter: wait}
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
