package auth_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
)

const secret = "test-secret-0123456789abcdef0123456789abcdef"

func issuer() *auth.Issuer {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	return auth.NewIssuer(secret, "fieldops", "fieldops-api", 15*time.Minute, func() time.Time { return now })
}

// A client token carries client_id and scope, never a role or provider: the
// role a client acts with is read per request (clients.Service.Current).
func TestClientToken(t *testing.T) {
	iss := issuer()
	id := uuid.New()
	prov := uuid.New()
	tok, err := iss.Issue(auth.Principal{UserID: id, Role: auth.RoleDispatcher, ProviderID: &prov, Client: true, Scope: "orders:read orders:write"})
	if err != nil {
		t.Fatal(err)
	}
	var c auth.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil || c.Role != "" || c.ProviderID != "" || c.ClientID != id.String() || c.Scope != "orders:read orders:write" {
		t.Fatalf("claims %+v (%v)", c, err)
	}
	p, err := iss.Verify(tok)
	if err != nil || !p.Client || p.UserID != id || p.Role != "" || p.ProviderID != nil {
		t.Fatalf("verified %+v (%v)", p, err)
	}
	if !p.HasScope("orders:write") || p.HasScope("orders") || p.HasScope("reports:read") {
		t.Fatal("HasScope")
	}
	if (auth.Principal{UserID: id, Role: auth.RoleManager, Scope: "orders:read"}).HasScope("orders:read") {
		t.Fatal("a user has no scopes")
	}
}

// A signed token that mixes a client id with a role, or names another
// subject, is refused.
func TestClientTokenForgeries(t *testing.T) {
	iss := issuer()
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	id := uuid.NewString()
	for name, c := range map[string]auth.Claims{
		"client with a role":   {Role: auth.RoleManager, ClientID: id},
		"client_id is not sub": {ClientID: uuid.NewString()},
		"client_id not a UUID": {ClientID: "acme"},
	} {
		c.RegisteredClaims = jwt.RegisteredClaims{Issuer: "fieldops", Subject: id, Audience: jwt.ClaimStrings{"fieldops-api"},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}
		if name == "client_id not a UUID" {
			c.Subject = "acme"
		}
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		if p, err := iss.Verify(tok); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}
}
