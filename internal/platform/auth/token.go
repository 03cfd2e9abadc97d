// Package auth issues and verifies FieldOps access tokens (HS256 JWTs) and
// defines the Principal every request acts as. Verification follows RFC 8725:
// an algorithm allow-list, and issuer, audience and expiry are all required.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Principal is who a request acts as.
//
// An API client (OAuth2 client credentials) is a Principal with Client set:
// UserID is then the client's id, Role the role it acts with towards the
// services (a dispatcher of ProviderID; of the in-house team when nil) and
// Scope the space-separated scopes it may use (the router checks them; a
// client never passes a route by its role).
type Principal struct {
	UserID     uuid.UUID
	Role       string
	ProviderID *uuid.UUID
	Client     bool
	Scope      string
}

// HasScope reports whether p is an API client granted scope s.
func (p Principal) HasScope(s string) bool {
	if !p.Client {
		return false
	}
	for f := range strings.FieldsSeq(p.Scope) {
		if f == s {
			return true
		}
	}
	return false
}

// Claims are the access token's claims: the registered ones plus role and
// provider for users, client_id and scope for API clients (RFC 9068 names).
type Claims struct {
	jwt.RegisteredClaims
	Role       string `json:"role,omitempty"`
	ProviderID string `json:"provider_id,omitempty"`
	ClientID   string `json:"client_id,omitempty"`
	Scope      string `json:"scope,omitempty"`
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
	if p.Client { // the client's binding and role are read per request, never trusted from the token
		c.Role, c.ClientID, c.Scope = "", p.UserID.String(), p.Scope
	}
	if p.ProviderID != nil && !p.Client {
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
	if err == nil && c.ClientID != "" {
		if c.ClientID != c.Subject || c.Role != "" {
			return Principal{}, fmt.Errorf("%w: bad client token", ErrInvalidToken)
		}
		return Principal{UserID: uid, Client: true, Scope: c.Scope}, nil
	}
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
