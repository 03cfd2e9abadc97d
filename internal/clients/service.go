package clients

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
	"github.com/fieldops/fieldops/internal/platform/ttlcache"
)

// secretBytes is the entropy of a client secret: 256 bits, so SHA-256 of it
// cannot be brute-forced and needs no slow (attacker-triggered) hash.
const secretBytes = 32

// Service manages API clients and authenticates them. Methods return errs
// kinds: Invalid (fields), NotFound (absent or deleted).
type Service struct {
	st    store
	clock clock.Clock
	live  *ttlcache.Cache[uuid.UUID, current]
}

// New returns the client service; cacheTTL is how long a replica reuses a
// client's liveness, scopes and binding (0: read on every request).
func New(db *gorm.DB, clk clock.Clock, cacheTTL time.Duration) *Service {
	return &Service{st: store{db: db}, clock: clk, live: ttlcache.New[uuid.UUID, current](cacheTTL, cacheMax)}
}

// CreateInput is a new client.
type CreateInput struct {
	Name       string
	Scopes     []string
	ProviderID *uuid.UUID
}

// Create records a client made by manager p and returns it with its secret,
// which is never stored or shown again. Invalid: name, scopes, provider_id.
func (s *Service) Create(ctx context.Context, p auth.Principal, in CreateInput) (Client, string, error) {
	var fe []errs.FieldError
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		fe = append(fe, errs.FieldError{Field: "name", Message: "must be 1 to 100 characters"})
	}
	if len(in.Scopes) == 0 {
		fe = append(fe, errs.FieldError{Field: "scopes", Message: "at least one scope is required"})
	}
	var scopes []string
	for i, sc := range in.Scopes {
		if !slices.Contains(Scopes, sc) {
			fe = append(fe, errs.FieldError{Field: "scopes[" + strconv.Itoa(i) + "]", Message: "must be one of " + strings.Join(Scopes, ", ")})
		} else if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if err := errs.Fields(fe); err != nil {
		return Client{}, "", err
	}
	raw := make([]byte, secretBytes)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	h := sha256.Sum256([]byte(secret))
	c := Client{ID: ids.New(), Name: name, Scopes: scopes, ProviderID: in.ProviderID, SecretHash: h[:],
		CreatedAt: s.clock.Now()}
	if !p.Client {
		c.CreatedBy = &p.UserID
	}
	if err := s.st.insert(ctx, &c); err != nil {
		return Client{}, "", err
	}
	return c, secret, nil
}

// List returns live clients, oldest first.
func (s *Service) List(ctx context.Context, pr page.Request) ([]Client, string, error) {
	rows, err := s.st.list(ctx, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(c Client) page.Key { return page.Key{At: c.CreatedAt, ID: c.ID} })
	return items, next, nil
}

// Get returns a live client (NotFound otherwise).
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Client, error) {
	c, err := s.st.live(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return Client{}, errs.NotFoundf("API client")
	}
	return c, err
}

// Delete revokes a client at once: its tokens stop working on the next
// request through this replica, through others within the cache TTL.
// NotFound when absent or already deleted.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	ok, err := s.st.markDeleted(ctx, id, s.clock.Now())
	if err != nil {
		return err
	}
	s.live.Forget(id)
	if !ok {
		return errs.NotFoundf("API client")
	}
	return nil
}

// ErrBadCredentials is what Authenticate returns for an unknown, deleted or
// wrongly authenticated client; callers must not say which.
var ErrBadCredentials = errs.E(errs.Unauthorized, "client authentication failed")

// Authenticate checks a client id and secret (constant time on the hash)
// and returns the live client; ErrBadCredentials otherwise.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (Client, error) {
	id, err := uuid.Parse(clientID)
	if err != nil || secret == "" {
		return Client{}, ErrBadCredentials
	}
	h := sha256.Sum256([]byte(secret))
	c, err := s.st.live(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return Client{}, ErrBadCredentials
	} else if err != nil {
		return Client{}, err
	}
	if subtle.ConstantTimeCompare(h[:], c.SecretHash) != 1 {
		return Client{}, ErrBadCredentials
	}
	return c, nil
}

// Grant resolves an RFC 6749 scope parameter for c: empty means every scope
// of the client; otherwise each (space-separated) scope must be the
// client's. ok is false for an unknown or ungranted scope.
func Grant(c Client, requested string) (scope string, ok bool) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		return strings.Join(c.Scopes, " "), true
	}
	var out []string
	for _, f := range fields {
		if !slices.Contains(c.Scopes, f) {
			return "", false
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return strings.Join(out, " "), true
}

// current is what a client may do now.
type current struct {
	scopes   []string
	provider *uuid.UUID
	live     bool
}

// Current completes the principal of a client's access token with what is
// true now: live is false when the client was deleted; the scopes are those
// of the token that the client still has; the role is dispatcher of the
// bound provider (in-house when unbound). Cached briefly (New's cacheTTL).
func (s *Service) Current(ctx context.Context, p auth.Principal) (auth.Principal, bool, error) {
	cur, ok, epoch := s.live.Get(p.UserID)
	if !ok {
		sc, prov, live, err := s.st.current(ctx, p.UserID)
		if err != nil {
			return auth.Principal{}, false, err
		}
		cur = current{scopes: sc, provider: prov, live: live}
		s.live.Put(p.UserID, cur, epoch)
	}
	if !cur.live {
		return auth.Principal{}, false, nil
	}
	var kept []string
	for f := range strings.FieldsSeq(p.Scope) {
		if slices.Contains(cur.scopes, f) {
			kept = append(kept, f)
		}
	}
	return auth.Principal{UserID: p.UserID, Role: auth.RoleDispatcher, ProviderID: cur.provider, Client: true,
		Scope: strings.Join(kept, " ")}, true, nil
}
