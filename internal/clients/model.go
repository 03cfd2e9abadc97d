// Package clients holds API clients: third-party systems (retailers, CRMs,
// service partners) that call the API with OAuth2 client credentials
// (RFC 6749 §4.4). A manager creates a client with a name, scopes and an
// optional provider binding; the secret is shown once and stored as its
// SHA-256 (it is 32 random bytes, so a fast hash is enough and an
// unauthenticated caller cannot make us compute a slow one).
//
// A client acts towards the other services as a dispatcher: of its provider
// when bound (a partner's client sees that partner's orders only), of the
// in-house team when not bound. What it may call is decided by its scopes
// alone, in the router (api.allowScope), never by that role.
package clients

import (
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// The scopes a client may be granted (SPEC §6).
const (
	ScopeOrdersRead     = "orders:read"
	ScopeOrdersWrite    = "orders:write"
	ScopeAssetsWrite    = "assets:write"
	ScopePartsRead      = "parts:read"
	ScopeWebhooksManage = "webhooks:manage"
	ScopeReportsRead    = "reports:read"
)

// Scopes lists every scope, in the order the API documents them.
var Scopes = []string{ScopeOrdersRead, ScopeOrdersWrite, ScopeAssetsWrite, ScopePartsRead, ScopeWebhooksManage, ScopeReportsRead}

// Client is an api_clients row.
type Client struct {
	ID         uuid.UUID      `gorm:"type:uuid;primaryKey"`
	Name       string         `gorm:"not null"`
	Scopes     pq.StringArray `gorm:"type:text[];not null"`
	ProviderID *uuid.UUID     `gorm:"type:uuid"`
	SecretHash []byte         `gorm:"not null"`
	CreatedBy  *uuid.UUID     `gorm:"type:uuid"`
	CreatedAt  time.Time      `gorm:"not null"`
	DeletedAt  *time.Time
}

// TableName is the table of Client.
func (Client) TableName() string { return "api_clients" }
