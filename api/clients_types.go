package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/clients"
)

// APIClientScope is what an API client may do; each route names the scope
// that admits clients (router.go, allowScope).
type APIClientScope string // @name APIClientScope

// The APIClientScope values (clients.Scopes).
const (
	ScopeOrdersRead     APIClientScope = clients.ScopeOrdersRead
	ScopeOrdersWrite    APIClientScope = clients.ScopeOrdersWrite
	ScopeAssetsWrite    APIClientScope = clients.ScopeAssetsWrite
	ScopePartsRead      APIClientScope = clients.ScopePartsRead
	ScopeWebhooksManage APIClientScope = clients.ScopeWebhooksManage
	ScopeReportsRead    APIClientScope = clients.ScopeReportsRead
)

// APIClientRequest creates an API client.
type APIClientRequest struct {
	Name       string           `json:"name" validate:"required,max=100" minLength:"1" maxLength:"100" example:"Acme Retail CRM"`
	Scopes     []APIClientScope `json:"scopes" validate:"required,min=1,max=6,dive,oneof=orders:read orders:write assets:write parts:read webhooks:manage reports:read" minItems:"1" maxItems:"6" example:"orders:read,orders:write"`
	ProviderID *uuid.UUID       `json:"provider_id,omitempty" swaggertype:"string" format:"uuid" example:"0190a1b2-0000-7000-8000-000000000002"` // bind to a partner: the client then sees only that partner's orders; omitted: in-house
} // @name APIClientRequest

// APIClientResponse is an API client as listed (never its secret).
type APIClientResponse struct {
	ID         uuid.UUID        `json:"id" format:"uuid"` // the OAuth2 client_id
	Name       string           `json:"name" example:"Acme Retail CRM"`
	Scopes     []APIClientScope `json:"scopes" example:"orders:read,orders:write"`
	ProviderID *uuid.UUID       `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // null: the in-house team
	CreatedAt  time.Time        `json:"created_at" format:"date-time"`
} // @name APIClientResponse

// APIClientCreated is a new API client with its secret, shown only here.
type APIClientCreated struct {
	APIClientResponse
	ClientID     string `json:"client_id" example:"0190a1b2-0000-7000-8000-00000000c11e"`            // equals id
	ClientSecret string `json:"client_secret" example:"q3J8lVx0m2yYt6b1nR4sK9wE5uA7cZ0dF2hG8jL1pQo"` // shown once; stored only as a SHA-256
} // @name APIClientCreated

// APIClientList is one page of API clients, oldest first.
type APIClientList struct {
	Items      []APIClientResponse `json:"items"`
	NextCursor *string             `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name APIClientList

// TokenGrantResponse is RFC 6749 §5.1's access token response.
type TokenGrantResponse struct {
	AccessToken string `json:"access_token" example:"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…"`
	TokenType   string `json:"token_type" enums:"Bearer" example:"Bearer"`
	ExpiresIn   int    `json:"expires_in" example:"900"`                 // seconds
	Scope       string `json:"scope" example:"orders:read orders:write"` // the granted scopes, space-separated
} // @name TokenGrantResponse

// OAuthError is RFC 6749 §5.2's error response of the token endpoint (not a
// problem document: OAuth2 client libraries parse this shape).
type OAuthError struct {
	Error            string `json:"error" enums:"invalid_request,invalid_client,invalid_scope,unsupported_grant_type" example:"invalid_client"`
	ErrorDescription string `json:"error_description" example:"client authentication failed"`
} // @name OAuthError

func toAPIClientResponse(c clients.Client) APIClientResponse {
	sc := make([]APIClientScope, len(c.Scopes))
	for i, s := range c.Scopes {
		sc[i] = APIClientScope(s)
	}
	return APIClientResponse{ID: c.ID, Name: c.Name, Scopes: sc, ProviderID: c.ProviderID, CreatedAt: c.CreatedAt.UTC()}
}

func fromAPIClientRequest(r APIClientRequest) clients.CreateInput {
	sc := make([]string, len(r.Scopes))
	for i, s := range r.Scopes {
		sc[i] = string(s)
	}
	return clients.CreateInput{Name: r.Name, Scopes: sc, ProviderID: r.ProviderID}
}
