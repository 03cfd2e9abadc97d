package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// --- handlers ---

// handleRegister signs up a customer.
//
//	@Summary		Register a customer account
//	@Description	Self-service sign-up for customers. An e-mail or a phone number is required; either can be used to log in (e-mails are NFKC-normalised and lower-cased, phones stored in E.164 and must start with + and the country code). The password has 10 to 128 characters, not only spaces. Returns tokens like login. Sign-ups are limited per client address (an IPv6 /64; 20 an hour by default: 429 with Retry-After), and so are password hashes (30 a minute with logins). An Idempotency-Key is admitted only within the sign-up limit, counted before the request is checked (valid or not): past it 429 and no key is recorded. With a key, a retry of a sign-up that succeeded is 409: its tokens are not kept, so log in instead (docs/SECURITY.md).
//	@ID				register
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h, per client address; at most 20 keys an hour per address, see the description)"	maxlength(255)
//	@Param			body	body		RegisterRequest	true	"sign-up"
//	@Success		201		{object}	TokenResponse
//	@Failure		400		{object}	Problem	"malformed JSON or unknown field"
//	@Failure		409		{object}	Problem	"e-mail or phone already registered; or the retry of a sign-up that succeeded"
//	@Failure		413		{object}	Problem
//	@Failure		422		{object}	Problem	"invalid fields"
//	@Failure		429		{object}	Problem	"too many sign-ups, Idempotency-Keys or password hashes from this address; see Retry-After"
//	@Failure		503		{object}	Problem	"every password-hashing slot is busy, or the database is unreachable; see Retry-After"
//	@Router			/v1/auth/register [post]
func handleRegister(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req RegisterRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		s, err := svc.Register(c.Request().Context(), identity.RegisterInput{Name: req.Name, Email: req.Email, Phone: req.Phone,
			Password: req.Password, ClientIP: c.RealIP()})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, toTokenResponse(s))
	}
}

// signupKeyLimit runs before the Idempotency-Key of a sign-up is claimed:
// the caller is not signed in, so a key is admitted only within the
// per-address sign-up limit (identity.Service.AdmitSignupKey), valid
// request or not; past it 429 and no record is written.
func signupKeyLimit(svc *identity.Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if strings.Trim(strings.TrimSpace(c.Request().Header.Get(IdempotencyHeader)), `"`) != "" { // as idempotent reads it
				if err := svc.AdmitSignupKey(c.Request().Context(), c.RealIP()); err != nil {
					return err
				}
			}
			return next(c)
		}
	}
}

// handleLogin signs in.
//
//	@Summary		Log in
//	@Description	Exchanges an e-mail or phone number and password for a 15-minute access token and a rotating refresh token. Failures are throttled per (account, client address) pair: after 10 wrong passwords within 15 minutes that pair gets 429 with Retry-After, while the owner at another address and other accounts at this one are unaffected. An account failing 20 times from any addresses backs off exponentially (1 min doubling up to 1 h) except at addresses it logged in from before; an address with 50 failures gets one try per account it failed on. An address may have 30 passwords checked a minute (with sign-ups; logins to an account at an address it signed in from before count apart): past that 429 with Retry-After, without checking. IPv6 addresses count per /64 (docs/SECURITY.md).
//	@ID				login
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		LoginRequest	true	"credentials"
//	@Success		200		{object}	TokenResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem	"wrong login or password"
//	@Failure		422		{object}	Problem
//	@Failure		429		{object}	Problem	"too many failed attempts, or too many password checks from this address; see Retry-After"
//	@Failure		503		{object}	Problem	"every password-hashing slot is busy, or the database is unreachable; see Retry-After"
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
//	@Failure		403		{object}	Problem	"not a technician"
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
//	@Failure		403		{object}	Problem	"not a technician"
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

// handleChangePassword changes the caller's own password.
//
//	@Summary		Change my password
//	@Description	Any signed-in user. Checks current_password, sets new_password (10 to 128 characters, not only spaces), revokes every refresh token of the account, so all other sessions must log in again, and returns a fresh token pair for this one. Wrong current passwords are counted: after 10 within 15 minutes, 429 with Retry-After.
//	@ID				changeMyPassword
//	@Tags			me
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		ChangePasswordRequest	true	"current and new password"
//	@Success		200		{object}	TokenResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		422		{object}	Problem	"current_password is wrong, or new_password is too short"
//	@Failure		429		{object}	Problem	"too many wrong current passwords; see Retry-After"
//	@Failure		503		{object}	Problem	"every password-hashing slot is busy, or the database is unreachable; see Retry-After"
//	@Router			/v1/me/password [put]
func handleChangePassword(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req ChangePasswordRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		s, err := svc.ChangePassword(c.Request().Context(), principal(c), req.CurrentPassword, req.NewPassword)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toTokenResponse(s))
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
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body	body		CreateUserRequest	true	"account"
//	@Success		201		{object}	UserResponse
//	@Header			201		{string}	Location	"/v1/users/{id}"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager"
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
//	@Param			limit		query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor		query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200			{object}	UserList
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"not a manager or dispatcher"
//	@Failure		422			{object}	Problem	"bad filter, limit or cursor; a dispatcher asking for a role other than technician"
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
		out := UserList{Items: make([]UserResponse, 0, len(users)), NextCursor: nonEmpty(next)}
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
//	@Failure		403	{object}	Problem	"not a manager or dispatcher"
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
//	@Description	Managers only. Setting active=false, or a new password (10 to 128 characters), revokes the user's refresh tokens: every session of theirs must log in again.
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
//	@Failure		403		{object}	Problem	"not a manager"
//	@Failure		404		{object}	Problem
//	@Failure		409		{object}	Problem	"e-mail or phone already used"
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
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body	body		ProviderRequest	true	"provider"
//	@Success		201		{object}	ProviderResponse
//	@Header			201		{string}	Location	"/v1/providers/{id}"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager"
//	@Failure		409		{object}	Problem	"name already used, or a second in-house team"
//	@Failure		422		{object}	Problem
//	@Router			/v1/providers [post]
func handleCreateProvider(svc *identity.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req ProviderRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		p, err := svc.CreateProvider(c.Request().Context(), identity.ProviderInput{Name: req.Name, Kind: string(req.Kind), Phone: req.Phone, Email: req.Email})
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
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	ProviderList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager"
//	@Failure		422		{object}	Problem	"bad limit or cursor"
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
		out := ProviderList{Items: make([]ProviderResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
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
//	@Failure		403	{object}	Problem	"not a manager"
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
