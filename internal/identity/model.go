// Package identity owns who is who: providers (the in-house team and partner
// companies), users and their roles, technician profiles (skills, regions,
// capacity, duty, location), and sessions (access tokens, rotating refresh
// tokens, login throttling).
package identity

import (
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/fieldops/fieldops/internal/platform/auth"
)

// Role is a user's role; it decides what the user may do (see api/policy.go).
type Role = string

// The roles.
const (
	RoleCustomer   Role = auth.RoleCustomer
	RoleTechnician Role = auth.RoleTechnician
	RoleDispatcher Role = auth.RoleDispatcher
	RoleManager    Role = auth.RoleManager
)

// Roles are all roles.
var Roles = []Role{RoleCustomer, RoleTechnician, RoleDispatcher, RoleManager}

// StaffRoles are the roles a manager can create.
var StaffRoles = []Role{RoleTechnician, RoleDispatcher, RoleManager}

// Provider kinds.
const (
	ProviderInHouse = "in_house"
	ProviderPartner = "partner"
)

// Provider is an organisation technicians and dispatchers work for.
type Provider struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey"`
	Name      string
	Kind      string
	Phone     string
	Email     string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is an account of any role. Technician fields are zero for other roles.
type User struct {
	ID            uuid.UUID `gorm:"type:uuid;primaryKey"`
	Role          Role
	Name          string
	Email         *string
	Phone         *string
	PasswordHash  string
	ProviderID    *uuid.UUID `gorm:"type:uuid"`
	Active        bool
	Skills        pq.StringArray `gorm:"type:text[]"`
	Regions       pq.StringArray `gorm:"type:text[]"`
	DailyCapacity int
	OnDuty        bool
	LastLat       *float64
	LastLng       *float64
	LastLocatedAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// RefreshToken is one opaque refresh token, stored as its SHA-256 hash.
type RefreshToken struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey"`
	UserID    uuid.UUID `gorm:"type:uuid"`
	FamilyID  uuid.UUID `gorm:"type:uuid"`
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// LoginThrottle is one counter of login (or sign-up) attempts, named by its
// key: "pair:<login>|<address>", "account:<login>" (with its back-off level,
// Lockouts), "ip:<address>", "signup:<address>", "password:<user id>"; and
// "known:<login>|<address>", an address the account logged in from
// (WindowStart: the last time).
type LoginThrottle struct {
	Key         string `gorm:"primaryKey"`
	Failures    int
	WindowStart time.Time
	LockedUntil *time.Time
	Lockouts    int
}

// Session is what a successful register, login or refresh returns.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	User         User
}
