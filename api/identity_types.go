package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/identity"
)

// --- DTOs ---

// RegisterRequest is a customer's sign-up.
type RegisterRequest struct {
	Name     string `json:"name" validate:"required,max=200" minLength:"1" example:"Li Wei"`
	Email    string `json:"email,omitempty" validate:"omitempty,max=254" format:"email" example:"li.wei@example.com"` // an e-mail or a phone is required
	Phone    string `json:"phone,omitempty" validate:"omitempty,max=32" example:"+8613800000000"`
	Password string `json:"password" validate:"required,min=10,max=128" example:"correct horse battery"` // 10 to 128 characters, not only spaces
} // @name RegisterRequest

// LoginRequest signs in with an e-mail or phone number.
type LoginRequest struct {
	Login    string `json:"login" validate:"required,max=254" minLength:"1" example:"manager@fieldops.test"` // e-mail or phone
	Password string `json:"password" validate:"required,max=128" minLength:"1" example:"demo-password-1"`
} // @name LoginRequest

// RefreshRequest carries a refresh token (for refresh and logout).
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token" validate:"required,max=200" minLength:"1" example:"q0H4tW2f0r3x5mPlZ7yQ8nJ1bV9cK6dE3sA2gH5jL0o"`
} // @name RefreshRequest

// TokenResponse is what register, login and refresh return.
type TokenResponse struct {
	AccessToken  string       `json:"access_token" example:"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."`
	RefreshToken string       `json:"refresh_token" example:"q0H4tW2f0r3x5mPlZ7yQ8nJ1bV9cK6dE3sA2gH5jL0o"`
	TokenType    string       `json:"token_type" enums:"Bearer" example:"Bearer"`
	ExpiresIn    int          `json:"expires_in" minimum:"1" example:"900"` // seconds until the access token expires
	User         UserResponse `json:"user"`
} // @name TokenResponse

// Location is a WGS 84 position.
type Location struct {
	Lat float64   `json:"lat" minimum:"-90" maximum:"90" format:"double" example:"31.2304"`
	Lng float64   `json:"lng" minimum:"-180" maximum:"180" format:"double" example:"121.4737"`
	At  time.Time `json:"at" format:"date-time"` // when it was reported
} // @name Location

// UserResponse is a user as the API shows it (never the password hash).
type UserResponse struct {
	ID            uuid.UUID  `json:"id" swaggertype:"string" format:"uuid"`
	Role          Role       `json:"role" example:"technician"`
	Name          string     `json:"name" example:"Zhang Min"`
	Email         *string    `json:"email" format:"email" extensions:"x-nullable" example:"zhang.min@fieldops.test"` // null when signed up by phone
	Phone         *string    `json:"phone" extensions:"x-nullable" example:"+8613900000001"`
	ProviderID    *uuid.UUID `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // technicians and dispatchers; null for customers and managers
	Active        bool       `json:"active"`
	Skills        []string   `json:"skills" example:"repair,aircon"`
	Regions       []string   `json:"regions" example:"north"`
	DailyCapacity int        `json:"daily_capacity" minimum:"0" maximum:"100" example:"6"`
	OnDuty        bool       `json:"on_duty"`
	LastLocation  *Location  `json:"last_location" extensions:"x-nullable"` // technicians' last report; null before the first
	CreatedAt     time.Time  `json:"created_at" format:"date-time"`
	UpdatedAt     time.Time  `json:"updated_at" format:"date-time"`
} // @name User

// UserList is one page of users.
type UserList struct {
	Items      []UserResponse `json:"items"`
	NextCursor *string        `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name UserList

// CreateUserRequest is a manager's request for a staff account.
type CreateUserRequest struct {
	Role          string   `json:"role" validate:"required,oneof=technician dispatcher manager" enums:"technician,dispatcher,manager" example:"technician"`
	Name          string   `json:"name" validate:"required,max=200" minLength:"1" example:"Zhang Min"`
	Email         string   `json:"email,omitempty" validate:"omitempty,max=254" format:"email" example:"zhang.min@fieldops.test"` // an e-mail or a phone is required
	Phone         string   `json:"phone,omitempty" validate:"omitempty,max=32" example:"+8613900000001"`
	Password      string   `json:"password" validate:"required,min=10,max=128" example:"a-long-initial-password"` // 10 to 128 characters, not only spaces
	ProviderID    string   `json:"provider_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	Skills        []string `json:"skills,omitempty" validate:"max=20" example:"repair,aircon"`              // technicians only
	Regions       []string `json:"regions,omitempty" validate:"max=20" example:"north"`                     // technicians only
	DailyCapacity *int     `json:"daily_capacity,omitempty" validate:"omitempty,gte=0,lte=100" example:"6"` // technicians only; default 6
} // @name CreateUserRequest

// UpdateUserRequest changes a user; absent fields stay as they are.
type UpdateUserRequest struct {
	Name          *string   `json:"name,omitempty" validate:"omitempty,max=200" example:"Zhang Min"`
	Email         *string   `json:"email,omitempty" validate:"omitempty,max=254" format:"email" example:"zhang.min@fieldops.test"`
	Phone         *string   `json:"phone,omitempty" validate:"omitempty,max=32" example:"+8613900000001"`
	Password      *string   `json:"password,omitempty" validate:"omitempty,min=10,max=128" example:"a-new-long-password"` // revokes the user's sessions
	Active        *bool     `json:"active,omitempty" example:"true"`                                                      // false revokes the user's sessions
	ProviderID    *string   `json:"provider_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	Skills        *[]string `json:"skills,omitempty" validate:"omitempty,max=20" example:"repair,aircon"`
	Regions       *[]string `json:"regions,omitempty" validate:"omitempty,max=20" example:"north"`
	DailyCapacity *int      `json:"daily_capacity,omitempty" validate:"omitempty,gte=0,lte=100" example:"6"`
	OnDuty        *bool     `json:"on_duty,omitempty" example:"false"`
} // @name UpdateUserRequest

// ChangePasswordRequest changes the caller's own password.
type ChangePasswordRequest struct {
	CurrentPassword string `json:"current_password" validate:"required,max=128" minLength:"1" example:"fieldops-demo"`
	NewPassword     string `json:"new_password" validate:"required,min=10,max=128" example:"a-new-long-password"` // 10 to 128 characters, not only spaces
} // @name ChangePasswordRequest

// DutyRequest puts a technician on or off duty.
type DutyRequest struct {
	OnDuty *bool `json:"on_duty" validate:"required" example:"true"`
} // @name DutyRequest

// LocationRequest reports a technician's position.
type LocationRequest struct {
	Lat *float64 `json:"lat" validate:"required,gte=-90,lte=90" minimum:"-90" maximum:"90" format:"double" example:"31.2304"`
	Lng *float64 `json:"lng" validate:"required,gte=-180,lte=180" minimum:"-180" maximum:"180" format:"double" example:"121.4737"`
} // @name LocationRequest

// ProviderRequest adds a provider.
type ProviderRequest struct {
	Name  string       `json:"name" validate:"required,max=200" minLength:"1" example:"CoolFix Partners Ltd"`
	Kind  ProviderKind `json:"kind,omitempty" validate:"omitempty,oneof=in_house partner" example:"partner"` // default partner
	Phone string       `json:"phone,omitempty" validate:"omitempty,max=32" example:"+862100000000"`
	Email string       `json:"email,omitempty" validate:"omitempty,max=254" format:"email" example:"ops@coolfix.example"`
} // @name ProviderRequest

// ProviderResponse is a provider.
type ProviderResponse struct {
	ID        uuid.UUID    `json:"id" swaggertype:"string" format:"uuid"`
	Name      string       `json:"name" example:"CoolFix Partners Ltd"`
	Kind      ProviderKind `json:"kind" example:"partner"`
	Phone     *string      `json:"phone" extensions:"x-nullable" example:"+862100000000"`                      // null when not given
	Email     *string      `json:"email" format:"email" extensions:"x-nullable" example:"ops@coolfix.example"` // null when not given
	Active    bool         `json:"active"`
	CreatedAt time.Time    `json:"created_at" format:"date-time"`
} // @name Provider

// ProviderList is one page of providers.
type ProviderList struct {
	Items      []ProviderResponse `json:"items"`
	NextCursor *string            `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name ProviderList

// --- converters ---

func toUserResponse(u identity.User) UserResponse {
	r := UserResponse{ID: u.ID, Role: Role(u.Role), Name: u.Name, Email: u.Email, Phone: u.Phone, ProviderID: u.ProviderID,
		Active: u.Active, Skills: nonNil(u.Skills), Regions: nonNil(u.Regions), DailyCapacity: u.DailyCapacity,
		OnDuty: u.OnDuty, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
	if u.LastLat != nil && u.LastLng != nil && u.LastLocatedAt != nil {
		r.LastLocation = &Location{Lat: *u.LastLat, Lng: *u.LastLng, At: u.LastLocatedAt.UTC()}
	}
	return r
}

func toTokenResponse(s identity.Session) TokenResponse {
	return TokenResponse{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int(s.ExpiresIn.Seconds()), User: toUserResponse(s.User)}
}

func toProviderResponse(p identity.Provider) ProviderResponse {
	return ProviderResponse{ID: p.ID, Name: p.Name, Kind: ProviderKind(p.Kind), Phone: nonEmpty(p.Phone), Email: nonEmpty(p.Email),
		Active: p.Active, CreatedAt: p.CreatedAt.UTC()}
}

func fromCreateUser(r CreateUserRequest) identity.StaffInput {
	return identity.StaffInput{Role: r.Role, Name: r.Name, Email: r.Email, Phone: r.Phone, Password: r.Password,
		ProviderID: optUUID(r.ProviderID), Skills: r.Skills, Regions: r.Regions, DailyCapacity: r.DailyCapacity}
}

func fromUpdateUser(r UpdateUserRequest) identity.UserPatch {
	p := identity.UserPatch{Name: r.Name, Email: r.Email, Phone: r.Phone, Password: r.Password, Active: r.Active,
		Skills: r.Skills, Regions: r.Regions, DailyCapacity: r.DailyCapacity, OnDuty: r.OnDuty}
	if r.ProviderID != nil {
		p.ProviderID = optUUID(*r.ProviderID)
	}
	return p
}
