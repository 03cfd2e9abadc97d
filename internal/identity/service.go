package identity

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
	"github.com/fieldops/fieldops/internal/platform/password"
	"github.com/fieldops/fieldops/internal/platform/ttlcache"
)

// Service holds the identity rules. Methods return errs kinds: Invalid (with
// fields), NotFound (absent or invisible), Conflict, Unauthorized, TooMany,
// and Unavailable (with RetryAfter) when every password-hashing slot is taken.
type Service struct {
	db       *gorm.DB
	st       store
	hasher   *password.Hasher
	tokens   *auth.Issuer
	clock    clock.Clock
	sessions SessionConfig
	// principals caches Current; UpdateUser and ChangePassword forget
	// the account they change.
	principals *ttlcache.Cache[uuid.UUID, cachedPrincipal]
	// providerKinds caches a provider's kind for InHouse (every dispatcher
	// transition asks it) for the same TTL: no API changes a provider's
	// kind, an operator's SQL is seen within the TTL.
	providerKinds *ttlcache.Cache[uuid.UUID, string]

	dummyMu   sync.Mutex
	dummyHash string
}

// hash hashes a new password within the hasher's concurrency bound.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	h, err := s.hasher.Hash(ctx, pw)
	return h, s.hashErr(err)
}

// hashErr turns a full hashing capacity into 503 with Retry-After.
func (s *Service) hashErr(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return &errs.Error{Kind: errs.Unavailable, Message: "the server is busy checking passwords; retry shortly",
			RetryAfter: max(time.Second, s.hasher.Wait()), Err: err}
	}
	return err
}

// New returns the identity service.
func New(db *gorm.DB, hasher *password.Hasher, tokens *auth.Issuer, clk clock.Clock, sc SessionConfig) *Service {
	return &Service{db: db, st: store{db: db}, hasher: hasher, tokens: tokens, clock: clk, sessions: sc,
		principals:    ttlcache.New[uuid.UUID, cachedPrincipal](sc.PrincipalTTL, principalCacheMax),
		providerKinds: ttlcache.New[uuid.UUID, string](sc.PrincipalTTL, providerKindCacheMax)}
}

var (
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	tokenRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// normalizeEmail trims, applies Unicode NFKC (fullwidth and other
// compatibility forms become their plain letters) and lower-cases, so one
// address has one spelling for uniqueness and login; "" stays nil.
// Look-alikes from other scripts (a Cyrillic "а") are not folded: they are
// different addresses (docs/SECURITY.md).
func normalizeEmail(s string) *string {
	s = strings.ToLower(norm.NFKC.String(strings.TrimSpace(s)))
	if s == "" {
		return nil
	}
	return &s
}

// normalizePhone returns the E.164 form (+<country code><number>) of a phone
// number written in any usual way: spaces, dashes, dots, brackets, a national
// "(0)", fullwidth or other Unicode digits. Numbers must carry their country
// code (a leading +): without it the country is unknown. A number that does
// not parse is returned trimmed, for checkContact to refuse; "" stays nil.
//
// Parsing is github.com/nyaruka/phonenumbers, the maintained Go port of
// Google's libphonenumber: the numbering plans of every country are data
// that a hand-written rule would get wrong.
func normalizePhone(s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if e164, ok := phoneE164(s); ok {
		return &e164
	}
	return &s
}

// phoneE164 parses an international phone number; ok is false unless it is
// a valid number of a known country (extensions are refused).
func phoneE164(s string) (string, bool) {
	n, err := phonenumbers.Parse(s, "ZZ") // ZZ: no default country, so a leading + is required
	if err != nil || n.GetExtension() != "" || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// checkContact validates normalised e-mail and phone; at least one is required.
func checkContact(email, phone *string) []errs.FieldError {
	var fe []errs.FieldError
	if email != nil && (!emailRE.MatchString(*email) || strings.IndexFunc(*email, invisible) >= 0) {
		fe = append(fe, errs.FieldError{Field: "email", Message: "is not an e-mail address"})
	}
	if phone != nil && !strings.HasPrefix(*phone, "+") {
		fe = append(fe, errs.FieldError{Field: "phone", Message: "must be an international number: + and the country code, e.g. +8613800138000"})
	} else if _, ok := phoneE164(deref(phone)); phone != nil && !ok {
		fe = append(fe, errs.FieldError{Field: "phone", Message: "is not a valid phone number (+ and the country code, e.g. +8613800138000)"})
	}
	if email == nil && phone == nil {
		fe = append(fe, errs.FieldError{Field: "email", Message: "an e-mail or a phone number is required"})
	}
	return fe
}

// invisible reports control and format characters (zero-width joiners,
// direction marks), which would make two equal-looking addresses differ.
func invisible(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// MinPasswordLength is the shortest password accepted when one is set
// (sign-up, staff accounts, resets, changes); existing shorter ones still log in.
const MinPasswordLength = 10

func checkPassword(field, pw string) []errs.FieldError {
	if n := len([]rune(pw)); n < MinPasswordLength || n > 128 {
		return []errs.FieldError{{Field: field, Message: "must be 10 to 128 characters"}}
	}
	if strings.TrimSpace(pw) == "" {
		return []errs.FieldError{{Field: field, Message: "must not be only spaces"}}
	}
	return nil
}

// checkTokens validates skill or region codes: lower-case words, no duplicates.
func checkTokens(field string, vals []string) []errs.FieldError {
	seen := map[string]bool{}
	for _, v := range vals {
		if !tokenRE.MatchString(v) {
			return []errs.FieldError{{Field: field, Message: "each entry must be a lower-case code like \"repair\" or \"north\""}}
		}
		if seen[v] {
			return []errs.FieldError{{Field: field, Message: "contains " + v + " twice"}}
		}
		seen[v] = true
	}
	return nil
}

// --- users ---

// StaffInput is a manager's request to create a staff account.
type StaffInput struct {
	Role          string
	Name          string
	Email         string
	Phone         string
	Password      string
	ProviderID    *uuid.UUID
	Skills        []string
	Regions       []string
	DailyCapacity *int
}

// DefaultDailyCapacity is a new technician's job limit per day when none is given.
const DefaultDailyCapacity = 6

// CreateStaff creates a technician, dispatcher or manager. Technicians and
// dispatchers without a provider join the in-house team.
func (s *Service) CreateStaff(ctx context.Context, in StaffInput) (User, error) {
	u := User{ID: ids.New(), Role: in.Role, Name: strings.TrimSpace(in.Name), Email: normalizeEmail(in.Email),
		Phone: normalizePhone(in.Phone), Active: true, ProviderID: in.ProviderID,
		Skills: orEmpty(in.Skills), Regions: orEmpty(in.Regions)}
	var fe []errs.FieldError
	if !slices.Contains(StaffRoles, in.Role) {
		fe = append(fe, errs.FieldError{Field: "role", Message: "must be technician, dispatcher or manager"})
	}
	if u.Name == "" {
		fe = append(fe, errs.FieldError{Field: "name", Message: "is required"})
	}
	fe = append(fe, checkContact(u.Email, u.Phone)...)
	fe = append(fe, checkPassword("password", in.Password)...)
	fe = append(fe, checkTokens("skills", u.Skills)...)
	fe = append(fe, checkTokens("regions", u.Regions)...)
	if in.Role == RoleTechnician {
		u.DailyCapacity = DefaultDailyCapacity
		if in.DailyCapacity != nil {
			u.DailyCapacity = *in.DailyCapacity
		}
		if u.DailyCapacity < 0 || u.DailyCapacity > 100 {
			fe = append(fe, errs.FieldError{Field: "daily_capacity", Message: "must be between 0 and 100"})
		}
	} else if len(u.Skills) > 0 || len(u.Regions) > 0 || in.DailyCapacity != nil {
		fe = append(fe, errs.FieldError{Field: "skills", Message: "skills, regions and daily_capacity are for technicians only"})
	}
	if err := errs.Fields(fe); err != nil {
		return User{}, err
	}
	if u.ProviderID == nil && (in.Role == RoleTechnician || in.Role == RoleDispatcher) {
		p, err := s.st.inHouseProvider(ctx)
		if err != nil {
			return User{}, errs.Field("provider_id", "is required: no in-house provider exists yet")
		}
		u.ProviderID = &p.ID
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = hash
	u.CreatedAt = s.clock.Now()
	u.UpdatedAt = u.CreatedAt
	if err := database.Write(ctx, s.db, func(db *gorm.DB) error { return s.st.tx(db).createUser(ctx, &u) }); err != nil {
		return User{}, err
	}
	return u, nil
}

func orEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// UserPatch changes some of a user's fields; nil means unchanged.
type UserPatch struct {
	Name          *string
	Email         *string
	Phone         *string
	Password      *string
	Active        *bool
	ProviderID    *uuid.UUID
	Skills        *[]string
	Regions       *[]string
	DailyCapacity *int
	OnDuty        *bool
}

// UpdateUser applies a manager's patch. Deactivating a user or setting their
// password revokes their refresh tokens (every session must log in again).
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, p UserPatch) (User, error) {
	var out User
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		st := s.st.tx(tx)
		u, err := st.userByID(ctx, id)
		if err != nil {
			return err
		}
		var fe []errs.FieldError
		if p.Name != nil {
			u.Name = strings.TrimSpace(*p.Name)
			if u.Name == "" {
				fe = append(fe, errs.FieldError{Field: "name", Message: "must not be empty"})
			}
		}
		if p.Email != nil {
			u.Email = normalizeEmail(*p.Email)
		}
		if p.Phone != nil {
			u.Phone = normalizePhone(*p.Phone)
		}
		if p.Email != nil || p.Phone != nil {
			fe = append(fe, checkContact(u.Email, u.Phone)...)
		}
		if p.Password != nil {
			fe = append(fe, checkPassword("password", *p.Password)...)
		}
		isTech := u.Role == RoleTechnician
		if (p.Skills != nil || p.Regions != nil || p.DailyCapacity != nil || p.OnDuty != nil) && !isTech {
			fe = append(fe, errs.FieldError{Field: "skills", Message: "skills, regions, daily_capacity and on_duty are for technicians only"})
		}
		if p.Skills != nil {
			u.Skills = orEmpty(*p.Skills)
			fe = append(fe, checkTokens("skills", u.Skills)...)
		}
		if p.Regions != nil {
			u.Regions = orEmpty(*p.Regions)
			fe = append(fe, checkTokens("regions", u.Regions)...)
		}
		if p.DailyCapacity != nil {
			if *p.DailyCapacity < 0 || *p.DailyCapacity > 100 {
				fe = append(fe, errs.FieldError{Field: "daily_capacity", Message: "must be between 0 and 100"})
			}
			u.DailyCapacity = *p.DailyCapacity
		}
		if p.OnDuty != nil {
			u.OnDuty = *p.OnDuty
		}
		if p.ProviderID != nil {
			if u.Role == RoleCustomer {
				fe = append(fe, errs.FieldError{Field: "provider_id", Message: "customers belong to no provider"})
			}
			u.ProviderID = p.ProviderID
		}
		if err := errs.Fields(fe); err != nil {
			return err
		}
		now := s.clock.Now()
		if p.Password != nil { // a reset: every session of the old password ends
			hash, err := s.hash(ctx, *p.Password)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
			if err := st.revokeUserTokens(ctx, u.ID, now); err != nil {
				return err
			}
		}
		if p.Active != nil {
			if !*p.Active && u.Active {
				if err := st.revokeUserTokens(ctx, u.ID, now); err != nil {
					return err
				}
			}
			u.Active = *p.Active
		}
		u.UpdatedAt = now
		if err := st.saveUser(ctx, &u); err != nil {
			return err
		}
		out = u
		return nil
	})
	s.principals.Forget(id) // after the commit (or the rollback): the next request reads the account again
	return out, err
}

// Scope is what a caller may see of users: managers everything; dispatchers
// only technicians, partner dispatchers only their own provider's.
type Scope struct {
	AllRoles   bool
	ProviderID *uuid.UUID
}

// UserScope returns the user-visibility scope of a principal. Callers other
// than managers and dispatchers see no user list at all (the router forbids them).
func (s *Service) UserScope(ctx context.Context, p auth.Principal) (Scope, error) {
	if p.Role == RoleManager {
		return Scope{AllRoles: true}, nil
	}
	if p.Role != RoleDispatcher || p.ProviderID == nil {
		return Scope{}, errs.E(errs.Forbidden, "your role may not list users")
	}
	kind, err := s.providerKind(ctx, *p.ProviderID)
	if err != nil {
		return Scope{}, err
	}
	if kind == ProviderInHouse {
		return Scope{}, nil
	}
	return Scope{ProviderID: p.ProviderID}, nil
}

// ListUsers lists users visible to the principal.
func (s *Service) ListUsers(ctx context.Context, p auth.Principal, f UserFilter, pr page.Request) ([]User, string, error) {
	if f.Role != "" && !slices.Contains(Roles, f.Role) {
		return nil, "", errs.Field("role", "must be one of: "+strings.Join(Roles, ", "))
	}
	sc, err := s.UserScope(ctx, p)
	if err != nil {
		return nil, "", err
	}
	if !sc.AllRoles {
		if f.Role != "" && f.Role != RoleTechnician {
			return nil, "", errs.Field("role", "dispatchers may list technicians only")
		}
		f.Role = RoleTechnician
	}
	if sc.ProviderID != nil {
		if f.ProviderID != nil && *f.ProviderID != *sc.ProviderID {
			return []User{}, "", nil
		}
		f.ProviderID = sc.ProviderID
	}
	rows, err := s.st.listUsers(ctx, f, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(u User) page.Key { return page.Key{At: u.CreatedAt, ID: u.ID} })
	return items, next, nil
}

// GetUser returns one user if visible to the principal (NotFound otherwise).
func (s *Service) GetUser(ctx context.Context, p auth.Principal, id uuid.UUID) (User, error) {
	sc, err := s.UserScope(ctx, p)
	if err != nil {
		return User{}, err
	}
	u, err := s.st.userByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	if !sc.AllRoles && u.Role != RoleTechnician {
		return User{}, errs.NotFoundf("user")
	}
	if sc.ProviderID != nil && (u.ProviderID == nil || *u.ProviderID != *sc.ProviderID) {
		return User{}, errs.NotFoundf("user")
	}
	return u, nil
}

// Me returns the principal's own account.
func (s *Service) Me(ctx context.Context, p auth.Principal) (User, error) {
	u, err := s.st.userByID(ctx, p.UserID)
	if err != nil {
		return User{}, errs.E(errs.Unauthorized, "the account no longer exists")
	}
	return u, nil
}

// SetDuty puts a technician on or off duty.
func (s *Service) SetDuty(ctx context.Context, p auth.Principal, on bool) (User, error) {
	return s.updateSelf(ctx, p, func(u *User) { u.OnDuty = on })
}

// SetLocation records a technician's last known position.
func (s *Service) SetLocation(ctx context.Context, p auth.Principal, lat, lng float64) (User, error) {
	if err := CheckLatLng(lat, lng); err != nil {
		return User{}, err
	}
	now := s.clock.Now()
	return s.updateSelf(ctx, p, func(u *User) { u.LastLat, u.LastLng, u.LastLocatedAt = &lat, &lng, &now })
}

// CheckLatLng validates a WGS 84 coordinate pair.
func CheckLatLng(lat, lng float64) error {
	var fe []errs.FieldError
	if lat < -90 || lat > 90 {
		fe = append(fe, errs.FieldError{Field: "lat", Message: "must be between -90 and 90"})
	}
	if lng < -180 || lng > 180 {
		fe = append(fe, errs.FieldError{Field: "lng", Message: "must be between -180 and 180"})
	}
	return errs.Fields(fe)
}

func (s *Service) updateSelf(ctx context.Context, p auth.Principal, change func(*User)) (User, error) {
	u, err := s.Me(ctx, p)
	if err != nil {
		return User{}, err
	}
	change(&u)
	u.UpdatedAt = s.clock.Now()
	if err := s.st.saveUser(ctx, &u); err != nil {
		return User{}, err
	}
	return u, nil
}

// IsCustomer reports whether id names an active customer.
func (s *Service) IsCustomer(ctx context.Context, id uuid.UUID) (bool, error) {
	u, err := s.st.userByID(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return u.Role == RoleCustomer && u.Active, nil
}

// InHouse reports whether the principal works for the in-house team (managers always do).
func (s *Service) InHouse(ctx context.Context, p auth.Principal) (bool, error) {
	if p.Role == RoleManager {
		return true, nil
	}
	if p.ProviderID == nil {
		return p.Client, nil // an API client bound to no provider acts for the in-house team (internal/clients)
	}
	kind, err := s.providerKind(ctx, *p.ProviderID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return err == nil && kind == ProviderInHouse, err
}

// providerKind is provider id's kind (NotFound when there is none), read
// through providerKinds.
func (s *Service) providerKind(ctx context.Context, id uuid.UUID) (string, error) {
	kind, ok, epoch := s.providerKinds.Get(id)
	if ok {
		return kind, nil
	}
	prov, err := s.st.providerByID(ctx, id)
	if err != nil {
		return "", err
	}
	s.providerKinds.Put(id, prov.Kind, epoch)
	return prov.Kind, nil
}

// providerKindCacheMax bounds the providers one replica remembers.
const providerKindCacheMax = 4096

// EnsureManager creates a manager with the given credentials when no manager
// exists yet; it reports whether it created one.
func (s *Service) EnsureManager(ctx context.Context, name, email, pw string) (bool, error) {
	n, err := s.st.countManagers(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, err = s.CreateStaff(ctx, StaffInput{Role: RoleManager, Name: name, Email: email, Password: pw})
	return err == nil, err
}

// UserByEmail finds a user by e-mail (for the seed and the command line).
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	return s.st.userByLogin(ctx, deref(normalizeEmail(email)))
}

// ProviderByName finds a provider by its unique name.
func (s *Service) ProviderByName(ctx context.Context, name string) (Provider, error) {
	return s.st.providerByName(ctx, name)
}

// Technician returns an active technician (NotFound for anyone else).
func (s *Service) Technician(ctx context.Context, id uuid.UUID) (User, error) {
	u, err := s.st.userByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	if u.Role != RoleTechnician || !u.Active {
		return User{}, errs.NotFoundf("technician")
	}
	return u, nil
}

// Technicians lists active technicians serving region with skill ("" = any),
// of provider (nil = any), on duty only when onDuty. For dispatch and slots.
func (s *Service) Technicians(ctx context.Context, region, skill string, provider *uuid.UUID, onDuty bool) ([]User, error) {
	active := true
	f := UserFilter{Role: RoleTechnician, Region: region, Skill: skill, ProviderID: provider, Active: &active}
	if onDuty {
		f.OnDuty = &active
	}
	return s.st.technicians(ctx, f)
}
