// Package auth issues and verifies FieldOps access tokens (HS256 JWTs) and
// defines the Principal every request acts as. Verification follows RFC 8725:
// an algorithm allow-list, and issuer, audience and expiry are all required.
package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Principal is who a request acts as.
type Principal struct {
	UserID     uuid.UUID
	Role       string
	ProviderID *uuid.UUID
}

// Claims are the access token's claims: the registered ones plus role and provider.
type Claims struct {
	jwt.RegisteredClaims
	Role       string `json:"role"`
	ProviderID string `json:"provider_id,omitempty"`
}

// Issuer signs and verifies access tokens with one HMAC key.
type Issuer struct {
	key      []byte
	issuer   string
	audience string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// NewIssuer returns an issuer for the given key, iss, aud and lifetime.
func NewIssuer(secret, issuer, audience string, ttl time.Duration, now func() time.Time) *Issuer {
	return &Issuer{
		key: []byte(secret), issuer: issuer, audience: audience, ttl: ttl, now: now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(30*time.Second),
			jwt.WithTimeFunc(now),
		),
	}
}

// TTL is the access token lifetime.
func (i *Issuer) TTL() time.Duration { return i.ttl }

// Issue returns a signed access token for p.
func (i *Issuer) Issue(p Principal) (string, error) {
	now := i.now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   p.UserID.String(),
			Audience:  jwt.ClaimStrings{i.audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(i.ttl)),
			ID:        uuid.NewString(),
		},
		Role: p.Role,
	}
	if p.ProviderID != nil {
		c.ProviderID = p.ProviderID.String()
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.key)
}

// ErrInvalidToken is returned for every token that must not be accepted.
var ErrInvalidToken = errors.New("invalid or expired access token")

// Verify parses and validates a token and returns its principal.
func (i *Issuer) Verify(token string) (Principal, error) {
	var c Claims
	_, err := i.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return i.key, nil })
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	uid, err := uuid.Parse(c.Subject)
	if err != nil || c.Role == "" {
		return Principal{}, fmt.Errorf("%w: bad subject or role", ErrInvalidToken)
	}
	p := Principal{UserID: uid, Role: c.Role}
	if c.ProviderID != "" {
		pid, err := uuid.Parse(c.ProviderID)
		if err != nil {
			return Principal{}, fmt.Errorf("%w: bad provider", ErrInvalidToken)
		}
		p.ProviderID = &pid
	}
	return p, nil
}

type ctxKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal stored in ctx, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// The roles a principal can have; identity owns their meaning.
const (
	RoleCustomer   = "customer"
	RoleTechnician = "technician"
	RoleDispatcher = "dispatcher"
	RoleManager    = "manager"
)
