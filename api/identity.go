package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// --- DTOs ---

// RegisterRequest is a customer's sign-up.
type RegisterRequest struct {
	Name     string `json:"name" validate:"required,max=200" example:"Li Wei"`
	Email    string `json:"email" validate:"omitempty,max=254" example:"li.wei@example.com"`
	Phone    string `json:"phone" validate:"omitempty,max=32" example:"+8613800000000"`
	Password string `json:"password" validate:"required,min=8,max=128" example:"correct horse battery"`
} // @name RegisterRequest

// LoginRequest signs in with an e-mail or phone number.
type LoginRequest struct {
	Login    string `json:"login" validate:"required,max=254" example:"manager@fieldops.test"`
	Password string `json:"password" validate:"required,max=128" example:"demo-password-1"`
} // @name LoginRequest

// RefreshRequest carries a refresh token (for refresh and logout).
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token" validate:"required,max=200" example:"q0H4tW2f0r3x5mPlZ7yQ8nJ1bV9cK6dE3sA2gH5jL0o"`
} // @name RefreshRequest

// TokenResponse is what register, login and refresh return.
type TokenResponse struct {
	AccessToken  string       `json:"access_token" example:"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."`
	RefreshToken string       `json:"refresh_token" example:"q0H4tW2f0r3x5mPlZ7yQ8nJ1bV9cK6dE3sA2gH5jL0o"`
	TokenType    string       `json:"token_type" example:"Bearer"`
	ExpiresIn    int          `json:"expires_in" example:"900"`
	User         UserResponse `json:"user"`
} // @name TokenResponse

// Location is a WGS 84 position.
type Location struct {
	Lat float64   `json:"lat" example:"31.2304"`
	Lng float64   `json:"lng" example:"121.4737"`
	At  time.Time `json:"at" format:"date-time"`
} // @name Location

// UserResponse is a user as the API shows it (never the password hash).
type UserResponse struct {
	ID            uuid.UUID  `json:"id" swaggertype:"string" format:"uuid"`
	Role          string     `json:"role" enums:"customer,technician,dispatcher,manager" example:"technician"`
	Name          string     `json:"name" example:"Zhang Min"`
	Email         *string    `json:"email" example:"zhang.min@fieldops.test"`
	Phone         *string    `json:"phone" example:"+8613900000001"`
	ProviderID    *uuid.UUID `json:"provider_id" swaggertype:"string" format:"uuid"`
	Active        bool       `json:"active"`
	Skills        []string   `json:"skills" example:"repair,aircon"`
	Regions       []string   `json:"regions" example:"north"`
	DailyCapacity int        `json:"daily_capacity" example:"6"`
	OnDuty        bool       `json:"on_duty"`
	LastLocation  *Location  `json:"last_location,omitempty"`
	CreatedAt     time.Time  `json:"created_at" format:"date-time"`
	UpdatedAt     time.Time  `json:"updated_at" format:"date-time"`
} // @name User

// UserList is one page of users.
type UserList struct {
	Items      []UserResponse `json:"items"`
	NextCursor string         `json:"next_cursor" example:""`
} // @name UserList

// CreateUserRequest is a manager's request for a staff account.
type CreateUserRequest struct {
	Role          string   `json:"role" validate:"required,oneof=technician dispatcher manager" enums:"technician,dispatcher,manager" example:"technician"`
	Name          string   `json:"name" validate:"required,max=200" example:"Zhang Min"`
	Email         string   `json:"email" validate:"omitempty,max=254" example:"zhang.min@fieldops.test"`
	Phone         string   `json:"phone" validate:"omitempty,max=32" example:"+8613900000001"`
	Password      string   `json:"password" validate:"required,min=8,max=128" example:"a-long-initial-password"`
	ProviderID    string   `json:"provider_id" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	Skills        []string `json:"skills" validate:"max=20" example:"repair,aircon"`
	Regions       []string `json:"regions" validate:"max=20" example:"north"`
	DailyCapacity *int     `json:"daily_capacity" validate:"omitempty,gte=0,lte=100" example:"6"`
} // @name CreateUserRequest

// UpdateUserRequest changes a user; absent fields stay as they are.
type UpdateUserRequest struct {
	Name          *string   `json:"name" validate:"omitempty,max=200"`
	Email         *string   `json:"email" validate:"omitempty,max=254"`
	Phone         *string   `json:"phone" validate:"omitempty,max=32"`
	Password      *string   `json:"password" validate:"omitempty,min=8,max=128"`
	Active        *bool     `json:"active"`
	ProviderID    *string   `json:"provider_id" validate:"omitempty,uuid" format:"uuid"`
	Skills        *[]string `json:"skills" validate:"omitempty,max=20"`
	Regions       *[]string `json:"regions" validate:"omitempty,max=20"`
	DailyCapacity *int      `json:"daily_capacity" validate:"omitempty,gte=0,lte=100"`
	OnDuty        *bool     `json:"on_duty"`
} // @name UpdateUserRequest

// DutyRequest puts a technician on or off duty.
type DutyRequest struct {
	OnDuty *bool `json:"on_duty" validate:"required" example:"true"`
} // @name DutyRequest

// LocationRequest reports a technician's position.
type LocationRequest struct {
	Lat *float64 `json:"lat" validate:"required,gte=-90,lte=90" example:"31.2304"`
	Lng *float64 `json:"lng" validate:"required,gte=-180,lte=180" example:"121.4737"`
} // @name LocationRequest

// ProviderRequest adds a provider.
type ProviderRequest struct {
	Name  string `json:"name" validate:"required,max=200" example:"CoolFix Partners Ltd"`
	Kind  string `json:"kind" validate:"omitempty,oneof=in_house partner" enums:"in_house,partner" example:"partner"`
	Phone string `json:"phone" validate:"omitempty,max=32" example:"+862100000000"`
	Email string `json:"email" validate:"omitempty,max=254" example:"ops@coolfix.example"`
} // @name ProviderRequest

// ProviderResponse is a provider.
type ProviderResponse struct {
	ID        uuid.UUID `json:"id" swaggertype:"string" format:"uuid"`
	Name      string    `json:"name" example:"CoolFix Partners Ltd"`
	Kind      string    `json:"kind" enums:"in_house,partner" example:"partner"`
	Phone     string    `json:"phone" example:"+862100000000"`
	Email     string    `json:"email" example:"ops@coolfix.example"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
} // @name Provider

// ProviderList is one page of providers.
type ProviderList struct {
	Items      []ProviderResponse `json:"items"`
	NextCursor string             `json:"next_cursor" example:""`
} // @name ProviderList

// --- converters ---

func toUserResponse(u identity.User) UserResponse {
	r := UserResponse{ID: u.ID, Role: u.Role, Name: u.Name, Email: u.Email, Phone: u.Phone, ProviderID: u.ProviderID,
		Active: u.Active, Skills: nonNil(u.Skills), Regions: nonNil(u.Regions), DailyCapacity: u.DailyCapacity,
		OnDuty: u.OnDuty, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
	if u.LastLat != nil && u.LastLng != nil && u.LastLocatedAt != nil {
		r.LastLocation = &Location{Lat: *u.LastLat, Lng: *u.LastLng, At: u.LastLocatedAt.UTC()}
	}
	return r
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func toTokenResponse(s identity.Session) TokenResponse {
	return TokenResponse{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int(s.ExpiresIn.Seconds()), User: toUserResponse(s.User)}
}

func toProviderResponse(p identity.Provider) ProviderResponse {
	return ProviderResponse{ID: p.ID, Name: p.Name, Kind: p.Kind, Phone: p.Phone, Email: p.Email, Active: p.Active,
		CreatedAt: p.CreatedAt.UTC()}
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

// optUUID parses a UUID the validator has already checked; "" is nil.
func optUUID(s string) *uuid.UUID {
	if s == "" {
		return nil
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &u
}

// pathID reads a UUID path parameter; a malformed id names nothing, so it is 404.
func pathID(c echo.Context, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, errs.NotFoundf(what)
	}
	return id, nil
}

// pageOf reads ?limit= and ?cursor=.
func pageOf(c echo.Context) (page.Request, error) {
	return page.Parse(c.QueryParam("limit"), c.QueryParam("cursor"))
}

// boolQuery reads an optional boolean query parameter.
func boolQuery(c echo.Context, name string) (*bool, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, errs.Field(name, "must be true or false")
	}
	return &b, nil
}

// --- handlers ---

// handleRegister signs up a customer.
//
//	@Summary		Register a customer account
//	@Description	Self-service sign-up for customers. An e-mail or a phone number is required; either can be used to log in. Returns tokens like login.
//	@ID				register
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h)"
//	@Param			body	body		RegisterRequest	true	"sign-up"
//	@Success		201		{object}	TokenResponse
//	@Failure		400		{object}	Problem	"malformed JSON or unknown field"
//	@Failure		409		{object}	Problem	"e-mail or phone already registered"
//	@Failure		413		{object}	Problem
//	@Failure		422		{object}	Problem	"invalid fields"
//	@Router			/v1/auth/register [post]
func handleRegister(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req RegisterRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		s, err := svc.Register(c.Request().Context(), identity.RegisterInput{Name: req.Name, Email: req.Email, Phone: req.Phone, Password: req.Password})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, toTokenResponse(s))
	}
}

// handleLogin signs in.
//
//	@Summary		Log in
//	@Description	Exchanges an e-mail or phone number and password for a 15-minute access token and a rotating refresh token. After 10 wrong passwords for one account (or 50 from one address) within 15 minutes, further attempts get 429 with Retry-After.
//	@ID				login
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		LoginRequest	true	"credentials"
//	@Success		200		{object}	TokenResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem	"wrong login or password"
//	@Failure		422		{object}	Problem
//	@Failure		429		{object}	Problem	"too many failed attempts; see Retry-After"
//	@Router			/v1/auth/login [post]
func handleLogin(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req LoginRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		s, err := svc.Login(c.Request().Context(), req.Login, req.Password, c.RealIP())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toTokenResponse(s))
	}
}

// handleRefresh rotates a refresh token.
//
//	@Summary		Refresh the access token
//	@Description	Spends the refresh token and returns a new pair. A refresh token works once: presenting a spent one again revokes every token of that login (all devices of the family must log in again).
//	@ID				refresh
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		RefreshRequest	true	"refresh token"
//	@Success		200		{object}	TokenResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem	"invalid, expired, revoked or reused token"
//	@Failure		422		{object}	Problem
//	@Router			/v1/auth/refresh [post]
func handleRefresh(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req RefreshRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		s, err := svc.Refresh(c.Request().Context(), req.RefreshToken)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toTokenResponse(s))
	}
}

// handleLogout revokes a refresh token's family.
//
//	@Summary		Log out
//	@Description	Revokes the given refresh token and every token rotated from the same login. Unknown tokens are ignored, so the call is safe to retry. The access token expires on its own (15 minutes).
//	@ID				logout
//	@Tags			auth
//	@Accept			json
//	@Security		BearerAuth
//	@Param			body	body	RefreshRequest	true	"refresh token to revoke"
//	@Success		204
//	@Failure		400	{object}	Problem
//	@Failure		401	{object}	Problem
//	@Failure		422	{object}	Problem
//	@Router			/v1/auth/logout [post]
func handleLogout(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req RefreshRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		if err := svc.Logout(c.Request().Context(), principal(c), req.RefreshToken); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// handleMe returns the caller's account.
//
//	@Summary		Current user
//	@Description	The signed-in user's account, whatever the role.
//	@ID				getMe
//	@Tags			me
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	UserResponse
//	@Failure		401	{object}	Problem
//	@Router			/v1/me [get]
func handleMe(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := svc.Me(c.Request().Context(), principal(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toUserResponse(u))
	}
}

// handleDuty sets the caller's duty flag.
//
//	@Summary		Go on or off duty
//	@Description	Technicians only. Only on-duty technicians are picked by automatic dispatch.
//	@ID				putMyDuty
//	@Tags			me
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		DutyRequest	true	"duty"
//	@Success		200		{object}	UserResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/me/duty [put]
func handleDuty(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req DutyRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		u, err := svc.SetDuty(c.Request().Context(), principal(c), *req.OnDuty)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toUserResponse(u))
	}
}

// handleLocation records the caller's position.
//
//	@Summary		Report my location
//	@Description	Technicians only. The last known position breaks ties in automatic dispatch (nearest first).
//	@ID				postMyLocation
//	@Tags			me
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		LocationRequest	true	"position"
//	@Success		200		{object}	UserResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/me/location [post]
func handleLocation(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req LocationRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		u, err := svc.SetLocation(c.Request().Context(), principal(c), *req.Lat, *req.Lng)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toUserResponse(u))
	}
}

// handleCreateUser creates a staff account.
//
//	@Summary		Create a staff account
//	@Description	Managers create technicians, dispatchers and managers. Technicians and dispatchers without provider_id join the in-house team. skills, regions and daily_capacity (default 6) apply to technicians.
//	@ID				createUser
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h)"
//	@Param			body	body		CreateUserRequest	true	"account"
//	@Success		201		{object}	UserResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		409		{object}	Problem	"e-mail or phone already used"
//	@Failure		422		{object}	Problem
//	@Router			/v1/users [post]
func handleCreateUser(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req CreateUserRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		u, err := svc.CreateStaff(c.Request().Context(), fromCreateUser(req))
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/users/"+u.ID.String())
		return c.JSON(http.StatusCreated, toUserResponse(u))
	}
}

// handleListUsers lists users.
//
//	@Summary		List users
//	@Description	Managers see every user. Dispatchers see technicians only; partner dispatchers only their own provider's.
//	@ID				listUsers
//	@Tags			users
//	@Produce		json
//	@Security		BearerAuth
//	@Param			role		query		string	false	"role"	Enums(customer, technician, dispatcher, manager)
//	@Param			provider_id	query		string	false	"provider"	Format(uuid)
//	@Param			region		query		string	false	"technicians serving this region"
//	@Param			skill		query		string	false	"technicians with this skill"
//	@Param			on_duty		query		bool	false	"duty flag"
//	@Param			active		query		bool	false	"active flag"
//	@Param			limit		query		int		false	"page size (1-200, default 50)"
//	@Param			cursor		query		string	false	"next_cursor of the previous page"
//	@Success		200			{object}	UserList
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Router			/v1/users [get]
func handleListUsers(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		f := identity.UserFilter{Role: c.QueryParam("role"), Region: c.QueryParam("region"), Skill: c.QueryParam("skill")}
		if s := c.QueryParam("provider_id"); s != "" {
			if f.ProviderID = optUUID(s); f.ProviderID == nil {
				return errs.Field("provider_id", "must be a UUID")
			}
		}
		if f.OnDuty, err = boolQuery(c, "on_duty"); err != nil {
			return err
		}
		if f.Active, err = boolQuery(c, "active"); err != nil {
			return err
		}
		users, next, err := svc.ListUsers(c.Request().Context(), principal(c), f, pr)
		if err != nil {
			return err
		}
		out := UserList{Items: make([]UserResponse, 0, len(users)), NextCursor: next}
		for _, u := range users {
			out.Items = append(out.Items, toUserResponse(u))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetUser returns one user.
//
//	@Summary		Get a user
//	@Description	Managers see anyone; dispatchers see technicians of their scope; anything else is 404.
//	@ID				getUser
//	@Tags			users
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"user id"	Format(uuid)
//	@Success		200	{object}	UserResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem
//	@Failure		404	{object}	Problem
//	@Router			/v1/users/{id} [get]
func handleGetUser(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "user")
		if err != nil {
			return err
		}
		u, err := svc.GetUser(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toUserResponse(u))
	}
}

// handleUpdateUser changes a user.
//
//	@Summary		Update a user
//	@Description	Managers only. Setting active=false revokes the user's refresh tokens.
//	@ID				updateUser
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string				true	"user id"	Format(uuid)
//	@Param			body	body		UpdateUserRequest	true	"changes"
//	@Success		200		{object}	UserResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		409		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/users/{id} [patch]
func handleUpdateUser(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "user")
		if err != nil {
			return err
		}
		var req UpdateUserRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		u, err := svc.UpdateUser(c.Request().Context(), id, fromUpdateUser(req))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toUserResponse(u))
	}
}

// handleCreateProvider adds a provider.
//
//	@Summary		Add a provider
//	@Description	The in-house team (one) or an authorised service partner (kind defaults to partner).
//	@ID				createProvider
//	@Tags			providers
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h)"
//	@Param			body	body		ProviderRequest	true	"provider"
//	@Success		201		{object}	ProviderResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		409		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/providers [post]
func handleCreateProvider(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req ProviderRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		p, err := svc.CreateProvider(c.Request().Context(), identity.ProviderInput{Name: req.Name, Kind: req.Kind, Phone: req.Phone, Email: req.Email})
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/providers/"+p.ID.String())
		return c.JSON(http.StatusCreated, toProviderResponse(p))
	}
}

// handleListProviders lists providers.
//
//	@Summary		List providers
//	@Description	Managers only: the in-house team and every partner, oldest first.
//	@ID				listProviders
//	@Tags			providers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit	query		int		false	"page size (1-200, default 50)"
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	ProviderList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/providers [get]
func handleListProviders(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		rows, next, err := svc.ListProviders(c.Request().Context(), pr)
		if err != nil {
			return err
		}
		out := ProviderList{Items: make([]ProviderResponse, 0, len(rows)), NextCursor: next}
		for _, p := range rows {
			out.Items = append(out.Items, toProviderResponse(p))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetProvider returns one provider.
//
//	@Summary		Get a provider
//	@Description	Managers only.
//	@ID				getProvider
//	@Tags			providers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"provider id"	Format(uuid)
//	@Success		200	{object}	ProviderResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem
//	@Failure		404	{object}	Problem
//	@Router			/v1/providers/{id} [get]
func handleGetProvider(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "provider")
		if err != nil {
			return err
		}
		p, err := svc.GetProvider(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toProviderResponse(p))
	}
}
