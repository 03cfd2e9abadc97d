package orders

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
	"github.com/fieldops/fieldops/internal/platform/workcal"
)

// Catalog is what orders need from the catalogue; catalog.Service implements it.
type Catalog interface {
	// AssetByID returns an asset with its model, whoever owns it (NotFound).
	AssetByID(ctx context.Context, id uuid.UUID) (catalog.Asset, error)
	// GetModel returns a product model (NotFound).
	GetModel(ctx context.Context, id uuid.UUID) (catalog.ProductModel, error)
	// GetAsset returns an asset p may see (NotFound otherwise).
	GetAsset(ctx context.Context, p auth.Principal, id uuid.UUID) (catalog.Asset, error)
}

// People is what orders need to know about users; identity.Service implements it.
type People interface {
	IsCustomer(ctx context.Context, id uuid.UUID) (bool, error)
	InHouse(ctx context.Context, p auth.Principal) (bool, error)
	// Technician returns an active technician (NotFound for anyone else).
	Technician(ctx context.Context, id uuid.UUID) (identity.User, error)
	// Technicians lists active technicians serving region, with skill ("" = any),
	// of provider (nil = any), on duty only when onDuty.
	Technicians(ctx context.Context, region, skill string, provider *uuid.UUID, onDuty bool) ([]identity.User, error)
}

// Service holds the order rules. Methods return errs kinds: Invalid (fields),
// NotFound (absent or not visible), Forbidden (role), Conflict (life cycle,
// slot taken, nobody to dispatch) and PreconditionFailed (stale If-Match).
type Service struct {
	db      *gorm.DB
	st      store
	catalog Catalog
	people  People
	clock   clock.Clock
	media   Media
	appt    AppointmentRules
	// checkInMaxM: metres from the site beyond which a check-in is flagged (WithCheckInMaxDistance)
	checkInMaxM int
	// stock is the inventory (WithStock): parts used, quote lines naming a part
	stock Stock
}

// New returns the order service; media stores and checks photos. Options
// change the defaults (WithAppointmentRules).
func New(db *gorm.DB, cat Catalog, people People, clk clock.Clock, media Media, opts ...Option) *Service {
	s := &Service{db: db, st: store{db: db}, catalog: cat, people: people, clock: clk, media: media, appt: DefaultAppointmentRules}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Option configures the order service.
type Option func(*Service)

// CreateInput is a new service request.
type CreateInput struct {
	ID               *uuid.UUID
	Type             string
	Channel          string
	Description      string
	AssetID          *uuid.UUID
	ProductModelID   *uuid.UUID
	Address          catalog.Address
	PreferredWindows []Window
	CustomerID       *uuid.UUID
	Priority         string
	ExternalRef      string
}

// Create records a new request: number, warranty snapshot, priority and SLA
// due times. The order comes back with its Parties for p.
func (s *Service) Create(ctx context.Context, p auth.Principal, in CreateInput) (Order, error) {
	now := s.clock.Now()
	o := Order{ID: ids.New(), Type: in.Type, Channel: in.Channel, Priority: DefaultPriority, Status: StatusSubmitted,
		Description: strings.TrimSpace(in.Description), AssetID: in.AssetID, ProductModelID: in.ProductModelID,
		Address: in.Address, Region: strings.TrimSpace(in.Address.Region), PreferredWindows: in.PreferredWindows,
		Currency: Currency, QuoteStatus: "none", QuoteItems: QuoteItems{}, SLABreached: []string{}, VisitCount: 1,
		ExternalRef: strings.TrimSpace(in.ExternalRef), CreatedBy: &p.UserID, Version: 1}
	var fe []errs.FieldError
	if in.ID != nil {
		o.ID = *in.ID
		if o.ID == uuid.Nil { // pathID never reaches it: the order would be lost to its owner
			fe = append(fe, errs.FieldError{Field: "id", Message: "must not be the all-zero UUID"})
		}
	}
	isStaff := p.Role == auth.RoleDispatcher || p.Role == auth.RoleManager
	if p.Client { // an API client submits as its provider's dispatcher (internal/clients), over its own channel
		o.CreatedBy, o.APIClientID = nil, &p.UserID
		if o.Channel != "" && o.Channel != "partner_api" {
			fe = append(fe, errs.FieldError{Field: "channel", Message: "orders from API clients are partner_api"})
		}
		o.Channel = "partner_api"
	}
	switch {
	case p.Role == auth.RoleCustomer:
		if in.CustomerID != nil && *in.CustomerID != p.UserID {
			fe = append(fe, errs.FieldError{Field: "customer_id", Message: "customers submit their own requests only"})
		}
		if in.Priority != "" {
			fe = append(fe, errs.FieldError{Field: "priority", Message: "is set by staff"})
		}
		o.CustomerID = p.UserID
		if o.Channel == "" {
			o.Channel = "app"
		}
	case isStaff:
		if in.CustomerID == nil {
			fe = append(fe, errs.FieldError{Field: "customer_id", Message: "is required when staff submit a request"})
		} else if ok, err := s.people.IsCustomer(ctx, *in.CustomerID); err != nil {
			return Order{}, err
		} else if !ok {
			fe = append(fe, errs.FieldError{Field: "customer_id", Message: "does not name an active customer"})
		} else {
			o.CustomerID = *in.CustomerID
		}
		if in.Priority != "" {
			o.Priority = in.Priority
		}
		if o.Channel == "" {
			o.Channel = "phone"
		}
		if p.Role == auth.RoleDispatcher { // a partner's intake belongs to the partner
			inHouse, err := s.people.InHouse(ctx, p)
			if err != nil {
				return Order{}, err
			}
			if !inHouse {
				o.ProviderID, o.IntakeProviderID = p.ProviderID, p.ProviderID
			}
		}
	default:
		return Order{}, errs.E(errs.Forbidden, "your role may not submit orders")
	}
	if !slices.Contains(Types, o.Type) {
		fe = append(fe, errs.FieldError{Field: "type", Message: "must be one of " + strings.Join(Types, ", ")})
	}
	if !slices.Contains(Channels, o.Channel) {
		fe = append(fe, errs.FieldError{Field: "channel", Message: "must be one of " + strings.Join(Channels, ", ")})
	}
	if !slices.Contains(Priorities, o.Priority) {
		fe = append(fe, errs.FieldError{Field: "priority", Message: "must be one of P1, P2, P3, P4"})
	}
	if o.Description == "" {
		fe = append(fe, errs.FieldError{Field: "description", Message: "is required"})
	}
	fe = append(fe, checkAddress(o.Address)...)
	fe = append(fe, checkWindows("preferred_windows", in.PreferredWindows, now)...)
	var facts *intakeRow
	if o.AssetID != nil && o.CustomerID != uuid.Nil && o.CustomerID == p.UserID && len(fe) == 0 && o.Type != "return_exchange" {
		// the common case, a customer's request for their own product: the
		// asset and its model come with the policy and the number, in one
		// statement (intakeFactsSQL); GetAsset below would return the same
		// asset, since its owner may always see it. Anything else (not
		// theirs, absent, a return) takes the path below, as before.
		f, err := s.st.readIntakeFacts(ctx, o, &p.UserID, now.Year())
		if err != nil {
			return Order{}, err
		}
		if f.numbered && f.asset != nil {
			facts = &f
			w := catalog.WarrantyOn(f.asset.Model, f.asset.PurchaseDate, now)
			o.InWarranty, o.WarrantyEndsAt, o.ProductModelID = w.InWarranty, &w.EndsAt, &f.asset.ProductModelID
		}
	}
	if facts == nil && o.AssetID != nil && o.CustomerID != uuid.Nil {
		// the asset as the caller may see it (GET /v1/assets/{id}): an asset
		// outside their view is refused exactly like an absent one, so intake
		// tells nobody (e.g. a partner dispatcher, who sees no assets) which
		// assets exist or whose they are
		asset, err := s.catalog.GetAsset(ctx, p, *o.AssetID)
		switch {
		case errs.Is(err, errs.NotFound) || (err == nil && asset.CustomerID != o.CustomerID):
			fe = append(fe, errs.FieldError{Field: "asset_id", Message: "does not name one of the customer's products"})
		case err != nil:
			return Order{}, err
		default:
			w := catalog.WarrantyOn(asset.Model, asset.PurchaseDate, now)
			o.InWarranty, o.WarrantyEndsAt, o.ProductModelID = w.InWarranty, &w.EndsAt, &asset.ProductModelID
			if o.Type == "return_exchange" && now.After(w.ReturnUntil.AddDate(0, 0, 1)) {
				return Order{}, &errs.Error{Kind: errs.Invalid, Message: "the return window of this product ended on " + w.ReturnUntil.Format("2006-01-02"),
					Fields: []errs.FieldError{{Field: "type", Message: "return_exchange is possible until " + w.ReturnUntil.Format("2006-01-02")}},
					Extra:  map[string]any{"return_until": w.ReturnUntil.Format("2006-01-02")}}
			}
		}
	} else if facts == nil && o.ProductModelID != nil {
		if _, err := s.catalog.GetModel(ctx, *o.ProductModelID); errs.Is(err, errs.NotFound) {
			fe = append(fe, errs.FieldError{Field: "product_model_id", Message: "does not name a product model"})
		} else if err != nil {
			return Order{}, err
		}
	}
	if o.Type == "return_exchange" && o.AssetID == nil {
		fe = append(fe, errs.FieldError{Field: "asset_id", Message: "is required for return_exchange: the return window comes from the registered purchase"})
	}
	if err := errs.Fields(fe); err != nil {
		return Order{}, err
	}
	// the facts are read outside the write: they change nothing but the
	// number sequence, whose gaps are allowed (as after a rollback), and the
	// order and its event are one statement, so intake is two round trips
	// (facts with the asset, the write) for a customer's own product, three
	// otherwise (three more, BEGIN, the key and COMMIT, with an
	// Idempotency-Key, whose mark must commit with the order)
	var (
		pol    SLAPolicy
		number string
		joined partyRow
		err    error
	)
	if facts != nil {
		pol, number, joined = facts.pol, facts.number, facts.joined
	} else if pol, number, joined, err = s.st.intakeFacts(ctx, o, now.Year()); err != nil {
		return Order{}, err
	}
	o.CreatedAt, o.Number = now, number
	cal, err := policyCalendar(ctx, s.db, pol, o.Region) // working-time policies only (sla.go)
	if err != nil {
		return Order{}, err
	}
	applySLA(&o, pol, cal)
	actor := &p.UserID
	if p.Client { // no user acted: the event names the client in its (staff) payload
		actor = nil
	}
	created := &Event{ID: ids.New(), OrderID: o.ID, Action: "create", ActorID: actor, ActorRole: p.Role,
		FromStatus: "", ToStatus: StatusSubmitted, Payload: JSON{"number": o.Number, "channel": o.Channel,
			"priority": o.Priority, "in_warranty": o.InWarranty}, CreatedAt: now, Audience: audienceOf("create"), Visit: o.VisitCount}
	if o.APIClientID != nil {
		created.Payload["api_client_id"] = o.APIClientID.String()
	}
	if err := database.Write(ctx, s.db, func(db *gorm.DB) error { return s.st.tx(db).insertWithCreate(ctx, &o, created) }); err != nil {
		return Order{}, err
	}
	o.Parties = partiesFor(p, o, joined)
	return o, nil
}

// applySLA stores the due times of the policy, counted from the order's
// creation in wall time, or in working time of cal (sla.go).
func applySLA(o *Order, pol SLAPolicy, cal *workcal.Calendar) {
	o.FirstResponseDue = dueAfter(o.CreatedAt, pol.FirstResponseMinutes, cal)
	o.ResolutionDue = dueAfter(o.CreatedAt, pol.ResolutionMinutes, cal)
	o.OnSiteDue = nil
	if pol.OnSiteMinutes != nil {
		t := dueAfter(o.CreatedAt, *pol.OnSiteMinutes, cal)
		o.OnSiteDue = &t
	} else if o.AppointmentEnd != nil { // "by appointment"
		t := *o.AppointmentEnd
		o.OnSiteDue = &t
	}
}

func checkAddress(a catalog.Address) []errs.FieldError {
	var fe []errs.FieldError
	if strings.TrimSpace(a.Line1) == "" {
		fe = append(fe, errs.FieldError{Field: "address.line1", Message: "is required"})
	}
	if strings.TrimSpace(a.City) == "" {
		fe = append(fe, errs.FieldError{Field: "address.city", Message: "is required"})
	}
	if strings.TrimSpace(a.Region) == "" {
		fe = append(fe, errs.FieldError{Field: "address.region", Message: "is required: dispatch goes by region"})
	}
	if (a.Lat == nil) != (a.Lng == nil) {
		fe = append(fe, errs.FieldError{Field: "address.lat", Message: "lat and lng go together"})
	}
	return fe
}

// checkWindows checks preferred windows as of now: each ends after it starts,
// starts no earlier than now and ends within one year of now (a window in the
// past or years ahead is a mistake or a probe, never a preference).
func checkWindows(field string, ws []Window, now time.Time) []errs.FieldError {
	if len(ws) > 10 {
		return []errs.FieldError{{Field: field, Message: "at most 10 windows"}}
	}
	horizon := now.AddDate(1, 0, 0)
	var fe []errs.FieldError
	for i, w := range ws {
		at := func(f string) string { return field + "[" + itoa(i) + "]." + f }
		switch {
		case !w.End.After(w.Start):
			return []errs.FieldError{{Field: field, Message: "each window must end after it starts"}}
		case w.Start.Before(now):
			fe = append(fe, errs.FieldError{Field: at("start"), Message: "must not be in the past"})
		case w.Start.After(horizon):
			fe = append(fe, errs.FieldError{Field: at("start"), Message: "must be within one year"})
		case w.End.After(horizon):
			fe = append(fe, errs.FieldError{Field: at("end"), Message: "must be within one year"})
		}
	}
	return fe
}

// scope is what orders a principal may see.
type scope struct {
	all        bool
	customer   *uuid.UUID
	technician *uuid.UUID
	provider   *uuid.UUID
	none       bool
}

func (s *Service) scopeOf(ctx context.Context, p auth.Principal) (scope, error) {
	switch p.Role {
	case auth.RoleManager:
		return scope{all: true}, nil
	case auth.RoleCustomer:
		return scope{customer: &p.UserID}, nil
	case auth.RoleTechnician:
		return scope{technician: &p.UserID}, nil
	case auth.RoleDispatcher:
		in, err := s.people.InHouse(ctx, p)
		if err != nil {
			return scope{}, err
		}
		if in {
			return scope{all: true}, nil
		}
		if p.ProviderID == nil {
			return scope{none: true}, nil
		}
		return scope{provider: p.ProviderID}, nil
	}
	return scope{none: true}, nil
}

// visible reports whether the scope covers o (st answers assignment history).
func (sc scope) visible(ctx context.Context, st store, o Order) (bool, error) {
	switch {
	case sc.all:
		return true, nil
	case sc.customer != nil:
		return o.CustomerID == *sc.customer, nil
	case sc.provider != nil:
		return o.ProviderID != nil && *o.ProviderID == *sc.provider, nil
	case sc.technician != nil:
		if o.TechnicianID != nil && *o.TechnicianID == *sc.technician {
			return true, nil
		}
		return st.wasAssigned(ctx, o.ID, *sc.technician)
	}
	return false, nil
}

// lock takes the order's row lock inside st's transaction; an order outside
// the scope is NotFound, exactly like an absent one.
func (sc scope) lock(ctx context.Context, st store, id uuid.UUID) (Order, error) {
	o, err := st.get(ctx, id, true)
	if err != nil {
		return Order{}, err
	}
	if err := sc.mustSee(ctx, st, o); err != nil {
		return Order{}, err
	}
	return o, nil
}

// mustSee is NotFound for an order outside the scope, as for an absent one.
func (sc scope) mustSee(ctx context.Context, st store, o Order) error {
	if ok, err := sc.visible(ctx, st, o); err != nil {
		return err
	} else if !ok {
		return errs.NotFoundf("order")
	}
	return nil
}

// lockWithParties is lock, reading the order's parties in the same
// statement (a transition answers with them: modify).
func (sc scope) lockWithParties(ctx context.Context, st store, id uuid.UUID) (Order, partyRow, error) {
	o, joined, err := st.getForUpdateWithParties(ctx, id)
	if err != nil {
		return Order{}, partyRow{}, err
	}
	if err := sc.mustSee(ctx, st, o); err != nil {
		return Order{}, partyRow{}, err
	}
	return o, joined, nil
}

// partyKeys are the columns of an order its parties are read by
// (partyJoins): the customer never changes.
type partyKeys struct {
	technician, asset, model uuid.UUID
	region                   string
}

func partyKeysOf(o Order) partyKeys {
	k := partyKeys{region: o.Region}
	if o.TechnicianID != nil {
		k.technician = *o.TechnicianID
	}
	if o.AssetID != nil {
		k.asset = *o.AssetID
	}
	if o.ProductModelID != nil {
		k.model = *o.ProductModelID
	}
	return k
}

// Get returns an order visible to p (NotFound otherwise) with its Parties
// for p, read in one query.
func (s *Service) Get(ctx context.Context, p auth.Principal, id uuid.UUID) (Order, error) {
	o, joined, err := s.st.getWithParties(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if err := s.mustSee(ctx, p, o); err != nil {
		return Order{}, err
	}
	o.Parties = partiesFor(p, o, joined)
	return o, nil
}

// visible returns an order p may see, without its Parties (for reads that
// need the order's own fields only: timeline, slots, dispatch). NotFound
// otherwise.
func (s *Service) visible(ctx context.Context, p auth.Principal, id uuid.UUID) (Order, error) {
	o, err := s.st.get(ctx, id, false)
	if err != nil {
		return Order{}, err
	}
	return o, s.mustSee(ctx, p, o)
}

// mustSee is NotFound unless o is in p's scope.
func (s *Service) mustSee(ctx context.Context, p auth.Principal, o Order) error {
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return err
	}
	return sc.mustSee(ctx, s.st, o)
}

// Events returns an order's timeline, oldest first, each event with its
// Actor (id, role, name): the events p's audience reads, each payload
// reduced to p's keys (audience.go).
func (s *Service) Events(ctx context.Context, p auth.Principal, id uuid.UUID, pr page.Request) (EventPage, error) {
	o, err := s.visible(ctx, p, id)
	if err != nil {
		return EventPage{}, err
	}
	f, err := s.eventFilterFor(ctx, p, o)
	if err != nil {
		return EventPage{}, err
	}
	rows, err := s.st.events(ctx, id, f, pr.After, pr.Limit+1)
	if err != nil {
		return EventPage{}, err
	}
	for i := range rows {
		rows[i] = forReader(p, rows[i])
	}
	items, next := page.Cut(rows, pr.Limit, func(e Event) page.Key { return page.Key{At: e.CreatedAt, ID: e.ID} })
	return EventPage{Items: items, NextCursor: next}, nil
}

// EventPage is one page of a timeline, oldest first; NextCursor is "" on
// the last page.
type EventPage struct {
	Items      []Event
	NextCursor string
}

// Patch changes what the customer described. Staff may always (before
// completion); customers only before the order is assigned. version, when
// not nil, must equal the order's version (If-Match), else PreconditionFailed.
type Patch struct {
	Description      *string
	Address          *catalog.Address
	PreferredWindows *[]Window
}

// Update applies a patch.
func (s *Service) Update(ctx context.Context, p auth.Principal, id uuid.UUID, version *int, in Patch) (Order, error) {
	return s.modify(ctx, p, id, "update", func(c *change) error {
		o := c.o
		if version != nil && *version != o.Version {
			return &errs.Error{Kind: errs.PreconditionFailed, Message: "the order has changed since you read it; fetch it again",
				Extra: map[string]any{"current_version": o.Version}}
		}
		switch p.Role {
		case auth.RoleCustomer:
			if o.Status != StatusSubmitted && o.Status != StatusTriaged {
				return &errs.Error{Kind: errs.Conflict, Message: "the order is already assigned; ask the dispatcher to change it",
					Extra: map[string]any{"current_status": o.Status}}
			}
		case auth.RoleDispatcher, auth.RoleManager:
			if o.Status == StatusCompleted || o.Status == StatusClosed || o.Status == StatusCancelled {
				return &errs.Error{Kind: errs.Conflict, Message: "a " + o.Status + " order cannot be edited",
					Extra: map[string]any{"current_status": o.Status}}
			}
		default:
			return errs.E(errs.Forbidden, "your role may not edit orders")
		}
		var fe []errs.FieldError
		// only what differs is changed and recorded; a patch that changes
		// nothing leaves the order, its version and the timeline as they are
		if in.Description != nil {
			d := strings.TrimSpace(*in.Description)
			if d == "" {
				fe = append(fe, errs.FieldError{Field: "description", Message: "must not be empty"})
			}
			if d != o.Description {
				o.Description = d
				c.payload["description"] = o.Description
			}
		}
		if in.Address != nil {
			fe = append(fe, checkAddress(*in.Address)...)
			if !sameAddress(o.Address, *in.Address) {
				o.Address, o.Region = *in.Address, strings.TrimSpace(in.Address.Region)
				c.payload["address"] = addressPayload(o.Address)
			}
		}
		if in.PreferredWindows != nil && !sameWindows(o.PreferredWindows, *in.PreferredWindows) {
			fe = append(fe, checkWindows("preferred_windows", *in.PreferredWindows, c.now)...)
			o.PreferredWindows = *in.PreferredWindows
			c.payload["preferred_windows"] = o.PreferredWindows
		}
		c.unchanged = len(c.payload) == 0
		return errs.Fields(fe)
	})
}

// addressPayload is an address as event payloads carry it (the JSON names
// of the API's address, snake_case like every payload key).
func addressPayload(a catalog.Address) JSON {
	return JSON{"line1": a.Line1, "city": a.City, "region": a.Region, "lat": a.Lat, "lng": a.Lng}
}

func sameAddress(a, b catalog.Address) bool {
	sameFloat := func(x, y *float64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return a.Line1 == b.Line1 && a.City == b.City && a.Region == b.Region && sameFloat(a.Lat, b.Lat) && sameFloat(a.Lng, b.Lng)
}

func sameWindows(a, b []Window) bool {
	return slices.EqualFunc(a, b, func(x, y Window) bool { return x.Start.Equal(y.Start) && x.End.Equal(y.End) })
}
