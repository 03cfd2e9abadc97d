package parts

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// People is what the inventory asks identity: is this staff member in-house?
// (Partner dispatchers read the catalogue and stock but do not move stock or
// read traceability, which names other providers' customers.)
type People interface {
	InHouse(ctx context.Context, p auth.Principal) (bool, error)
}

// Orders is what a return from an order needs of the order service
// (orders.Service implements it): take the part off the order's current
// visit inside the inventory's transaction.
type Orders interface {
	ReturnPart(ctx context.Context, tx *gorm.DB, p auth.Principal, in orders.PartReturn) (orders.ReturnedTo, error)
}

// Service holds the inventory rules. Methods return errs kinds Invalid
// (fields), NotFound (absent or outside the caller's scope), Forbidden and
// Conflict (too little stock: Extra "available"; a serial not there).
type Service struct {
	db     *gorm.DB
	st     store
	people People
	orders Orders
	clock  clock.Clock
}

// New returns the inventory service; it implements orders.Stock.
func New(db *gorm.DB, people People, ord Orders, clk clock.Clock) *Service {
	return &Service{db: db, st: store{db: db}, people: people, orders: ord, clock: clk}
}

var _ orders.Stock = (*Service)(nil)

// MaxQty bounds one movement's quantity; MaxPrice a unit price (minor units):
// qty × price stays far below 2^53, exact in any JSON reader.
const (
	MaxQty   = 1_000_000
	MaxPrice = 100_000_000
)

// PartInput creates a catalogue part.
type PartInput struct {
	SKU, Name          string
	CompatibleModelIDs []uuid.UUID
	UnitPrice          int64
	Currency           string
	Genuine            bool
	ReorderPoint       int64
	SerialTracked      bool
}

// CreatePart adds a part to the catalogue (Conflict naming sku when taken).
func (s *Service) CreatePart(ctx context.Context, in PartInput) (Part, error) {
	now := s.clock.Now()
	p := Part{ID: ids.New(), SKU: strings.TrimSpace(in.SKU), Name: strings.TrimSpace(in.Name), UnitPrice: in.UnitPrice,
		Currency: in.Currency, Genuine: in.Genuine, ReorderPoint: in.ReorderPoint, SerialTracked: in.SerialTracked,
		CompatibleModelIDs: pq.StringArray{}, CreatedAt: now, UpdatedAt: now}
	if p.Currency == "" {
		p.Currency = orders.Currency
	}
	var fe []errs.FieldError
	if p.SKU == "" || utf8.RuneCountInString(p.SKU) > 64 {
		fe = append(fe, errs.FieldError{Field: "sku", Message: "is required, at most 64 characters"})
	}
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 200 {
		fe = append(fe, errs.FieldError{Field: "name", Message: "is required, at most 200 characters"})
	}
	if p.UnitPrice < 0 || p.UnitPrice > MaxPrice {
		fe = append(fe, errs.FieldError{Field: "unit_price", Message: "must be between 0 and 100000000 minor units"})
	}
	if p.Currency != orders.Currency {
		fe = append(fe, errs.FieldError{Field: "currency", Message: "must be " + orders.Currency})
	}
	if p.ReorderPoint < 0 || p.ReorderPoint > MaxQty {
		fe = append(fe, errs.FieldError{Field: "reorder_point", Message: "must be between 0 and 1000000"})
	}
	for _, m := range in.CompatibleModelIDs {
		if !slices.Contains(p.CompatibleModelIDs, m.String()) {
			p.CompatibleModelIDs = append(p.CompatibleModelIDs, m.String())
		}
	}
	if err := errs.Fields(fe); err != nil {
		return Part{}, err
	}
	err := database.Write(ctx, s.db, func(db *gorm.DB) error {
		st := store{db: db}
		if len(p.CompatibleModelIDs) > 0 {
			n, err := st.countModels(ctx, p.CompatibleModelIDs)
			if err != nil {
				return err
			}
			if n != int64(len(p.CompatibleModelIDs)) {
				return errs.Field("compatible_model_ids", "names a product model that does not exist")
			}
		}
		return st.createPart(ctx, &p)
	})
	return p, err
}

// GetPart returns one part.
func (s *Service) GetPart(ctx context.Context, id uuid.UUID) (Part, error) { return s.st.part(ctx, id) }

// ListParts searches the catalogue.
func (s *Service) ListParts(ctx context.Context, f PartFilter, pr page.Request) ([]Part, string, error) {
	rows, err := s.st.listParts(ctx, f, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(p Part) page.Key { return page.Key{At: p.CreatedAt, ID: p.ID} })
	return items, next, nil
}

// LocationInput creates a warehouse (Name) or a technician's van
// (TechnicianID; Name defaults to "Van of <id>").
type LocationInput struct {
	Kind, Name   string
	TechnicianID *uuid.UUID
}

// CreateLocation adds a stock location (in-house staff only: Forbidden).
func (s *Service) CreateLocation(ctx context.Context, p auth.Principal, in LocationInput) (Location, error) {
	if err := s.inHouse(ctx, p); err != nil {
		return Location{}, err
	}
	l := Location{ID: ids.New(), Kind: in.Kind, Name: strings.TrimSpace(in.Name), TechnicianID: in.TechnicianID, CreatedAt: s.clock.Now()}
	var fe []errs.FieldError
	switch l.Kind {
	case Warehouse:
		if l.TechnicianID != nil {
			fe = append(fe, errs.FieldError{Field: "technician_id", Message: "a warehouse has no technician"})
		}
		if l.Name == "" {
			fe = append(fe, errs.FieldError{Field: "name", Message: "is required for a warehouse"})
		}
	case Van:
		if l.TechnicianID == nil {
			fe = append(fe, errs.FieldError{Field: "technician_id", Message: "is required for a van"})
		} else if ok, err := s.st.isTechnician(ctx, *l.TechnicianID); err != nil {
			return Location{}, err
		} else if !ok {
			fe = append(fe, errs.FieldError{Field: "technician_id", Message: "is not a technician"})
		} else if l.Name == "" {
			l.Name = "Van " + l.TechnicianID.String()[:8]
		}
	default:
		fe = append(fe, errs.FieldError{Field: "kind", Message: "must be warehouse or van"})
	}
	if utf8.RuneCountInString(l.Name) > 200 {
		fe = append(fe, errs.FieldError{Field: "name", Message: "must be at most 200 characters"})
	}
	if err := errs.Fields(fe); err != nil {
		return Location{}, err
	}
	err := database.Write(ctx, s.db, func(db *gorm.DB) error { return store{db: db}.createLocation(ctx, &l) })
	return l, err
}

// ListLocations lists stock locations: technicians see the warehouses and their own van.
func (s *Service) ListLocations(ctx context.Context, p auth.Principal, kind string, pr page.Request) ([]Location, string, error) {
	if kind != "" && kind != Warehouse && kind != Van {
		return nil, "", errs.Field("kind", "must be warehouse or van")
	}
	var tech *uuid.UUID
	if p.Role == auth.RoleTechnician {
		tech = &p.UserID
	}
	partner, err := s.partnerOf(ctx, p)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.st.listLocations(ctx, kind, tech, partner, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(l Location) page.Key { return page.Key{At: l.CreatedAt, ID: l.ID} })
	return items, next, nil
}

// partnerOf is the provider whose vans a partner's dispatcher sees (nil for
// everyone else: in-house staff see every location, technicians their own van).
func (s *Service) partnerOf(ctx context.Context, p auth.Principal) (*uuid.UUID, error) {
	if p.Role != auth.RoleDispatcher || p.ProviderID == nil {
		return nil, nil
	}
	in, err := s.people.InHouse(ctx, p)
	if err != nil || in {
		return nil, err
	}
	return p.ProviderID, nil
}

// visibleLocation returns a location p may see (technicians: warehouses and
// their own van; a partner's dispatchers: warehouses and their provider's
// technicians' vans; NotFound otherwise).
func (s *Service) visibleLocation(ctx context.Context, st store, p auth.Principal, id uuid.UUID) (Location, error) {
	l, err := st.location(ctx, id)
	if err != nil {
		return Location{}, err
	}
	if p.Role == auth.RoleTechnician && l.Kind == Van && (l.TechnicianID == nil || *l.TechnicianID != p.UserID) {
		return Location{}, errs.NotFoundf("stock location")
	}
	if p.Role == auth.RoleCustomer {
		return Location{}, errs.NotFoundf("stock location")
	}
	if l.Kind == Van && p.Role == auth.RoleDispatcher {
		partner, err := s.partnerOf(ctx, p)
		if err != nil {
			return Location{}, err
		}
		if partner != nil {
			if ok, err := st.technicianOf(ctx, *l.TechnicianID, *partner); err != nil {
				return Location{}, err
			} else if !ok {
				return Location{}, errs.NotFoundf("stock location")
			}
		}
	}
	return l, nil
}

// Stock lists a location's balances (on hand, reserved, available) by part.
// An unknown or invisible location is Invalid naming location_id (it is a
// query parameter, not a path).
func (s *Service) Stock(ctx context.Context, p auth.Principal, loc uuid.UUID, pr page.Request) ([]StockLine, string, error) {
	if _, err := s.visibleLocation(ctx, s.st, p, loc); errs.Is(err, errs.NotFound) {
		return nil, "", errs.Field("location_id", "is not a stock location you may see")
	} else if err != nil {
		return nil, "", err
	}
	var after *uuid.UUID
	if pr.After != nil {
		after = &pr.After.ID
	}
	rows, err := s.st.stock(ctx, loc, after, pr.Limit)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(l StockLine) page.Key { return page.Key{At: time.Unix(0, 0), ID: l.PartID} })
	return items, next, nil
}

// Movements is a part's traceability (in-house staff): every movement,
// oldest first, with actor, locations, order number and customer;
// serial narrows it to the movements of one serial number.
func (s *Service) Movements(ctx context.Context, p auth.Principal, part uuid.UUID, serial string, pr page.Request) ([]Trace, string, error) {
	if err := s.inHouse(ctx, p); err != nil {
		return nil, "", err
	}
	if _, err := s.st.part(ctx, part); err != nil {
		return nil, "", err
	}
	rows, err := s.st.movements(ctx, part, strings.TrimSpace(serial), pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(t Trace) page.Key { return page.Key{At: t.CreatedAt, ID: t.ID} })
	return items, next, nil
}

func (s *Service) inHouse(ctx context.Context, p auth.Principal) error {
	if p.Role == auth.RoleManager {
		return nil
	}
	if p.Role == auth.RoleDispatcher {
		in, err := s.people.InHouse(ctx, p)
		if err != nil {
			return err
		}
		if in {
			return nil
		}
	}
	return errs.E(errs.Forbidden, "only in-house managers and dispatchers manage stock")
}
