package catalog

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// People is what catalog needs to know about users; identity implements it.
type People interface {
	// IsCustomer reports whether id is an active customer.
	IsCustomer(ctx context.Context, id uuid.UUID) (bool, error)
	// InHouse reports whether the principal is in-house staff (managers are).
	InHouse(ctx context.Context, p auth.Principal) (bool, error)
}

// Service holds the catalogue rules. Methods return errs kinds Invalid,
// NotFound (absent or not visible to the caller) and Conflict.
type Service struct {
	st     store
	people People
	clock  clock.Clock
}

// New returns the catalogue service.
func New(db *gorm.DB, people People, clk clock.Clock) *Service {
	return &Service{st: store{db: db}, people: people, clock: clk}
}

// ModelInput creates a product model; nil terms take the defaults (12, 3,
// 180). Brand is optional (at most 100 characters).
type ModelInput struct {
	Code, Brand, Name, Category string
	WarrantyMonths              *int
	SoftwareWarrantyMonths      *int
	ReturnWindowDays            *int
}

// CreateModel adds a product model to the catalogue.
func (s *Service) CreateModel(ctx context.Context, in ModelInput) (ProductModel, error) {
	m := ProductModel{ID: ids.New(), Code: strings.TrimSpace(in.Code), Brand: strings.TrimSpace(in.Brand), Name: strings.TrimSpace(in.Name),
		Category: strings.TrimSpace(in.Category), WarrantyMonths: 12, SoftwareWarrantyMonths: 3, ReturnWindowDays: 180}
	var fe []errs.FieldError
	if m.Code == "" {
		fe = append(fe, errs.FieldError{Field: "code", Message: "is required"})
	}
	if m.Name == "" {
		fe = append(fe, errs.FieldError{Field: "name", Message: "is required"})
	}
	if utf8.RuneCountInString(m.Brand) > 100 {
		fe = append(fe, errs.FieldError{Field: "brand", Message: "must be at most 100 characters"})
	}
	for _, t := range []struct {
		field    string
		in       *int
		dst      *int
		min, max int
	}{
		{"warranty_months", in.WarrantyMonths, &m.WarrantyMonths, 0, 240},
		{"software_warranty_months", in.SoftwareWarrantyMonths, &m.SoftwareWarrantyMonths, 0, 240},
		{"return_window_days", in.ReturnWindowDays, &m.ReturnWindowDays, 0, 3650},
	} {
		if t.in == nil {
			continue
		}
		if *t.in < t.min || *t.in > t.max {
			fe = append(fe, errs.FieldError{Field: t.field, Message: "is out of range"})
		}
		*t.dst = *t.in
	}
	if err := errs.Fields(fe); err != nil {
		return ProductModel{}, err
	}
	m.CreatedAt = s.clock.Now()
	m.UpdatedAt = m.CreatedAt
	if err := database.Write(ctx, s.st.db, func(db *gorm.DB) error { return store{db: db}.createModel(ctx, &m) }); err != nil {
		return ProductModel{}, err
	}
	return m, nil
}

// GetModel returns one product model.
func (s *Service) GetModel(ctx context.Context, id uuid.UUID) (ProductModel, error) {
	return s.st.modelByID(ctx, id)
}

// ListModels lists the catalogue, optionally of one category.
func (s *Service) ListModels(ctx context.Context, category string, pr page.Request) ([]ProductModel, string, error) {
	rows, err := s.st.listModels(ctx, category, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(m ProductModel) page.Key { return page.Key{At: m.CreatedAt, ID: m.ID} })
	return items, next, nil
}

// AssetInput registers a product. CustomerID is taken from the principal for
// customers and required from staff.
type AssetInput struct {
	CustomerID     *uuid.UUID
	ProductModelID uuid.UUID
	SerialNumber   string
	PurchaseDate   time.Time
	Address        Address
}

// RegisterAsset registers a customer's product.
func (s *Service) RegisterAsset(ctx context.Context, p auth.Principal, in AssetInput) (Asset, error) {
	serial, serialOK := NormalizeSerial(in.SerialNumber)
	a := Asset{ID: ids.New(), ProductModelID: in.ProductModelID, SerialNumber: serial,
		PurchaseDate: dateOf(in.PurchaseDate), Address: in.Address}
	var fe []errs.FieldError
	inHouse := true
	if p.Role == auth.RoleDispatcher { // a failed lookup is an error (503), never a pass
		var err error
		if inHouse, err = s.people.InHouse(ctx, p); err != nil {
			return Asset{}, err
		}
	}
	switch {
	case p.Role == auth.RoleCustomer:
		if in.CustomerID != nil && *in.CustomerID != p.UserID {
			fe = append(fe, errs.FieldError{Field: "customer_id", Message: "customers register their own products only"})
		}
		a.CustomerID = p.UserID
	case !inHouse:
		return Asset{}, errs.E(errs.Forbidden, "partner dispatchers do not register customers' products")
	case in.CustomerID == nil:
		fe = append(fe, errs.FieldError{Field: "customer_id", Message: "is required when staff register a product"})
	default:
		ok, err := s.people.IsCustomer(ctx, *in.CustomerID)
		if err != nil {
			return Asset{}, err
		}
		if !ok {
			fe = append(fe, errs.FieldError{Field: "customer_id", Message: "does not name an active customer"})
		}
		a.CustomerID = *in.CustomerID
	}
	switch {
	case a.SerialNumber == "":
		fe = append(fe, errs.FieldError{Field: "serial_number", Message: "is required"})
	case !serialOK:
		fe = append(fe, errs.FieldError{Field: "serial_number", Message: "must be letters A-Z, digits and ASCII punctuation"})
	case len(a.SerialNumber) > MaxSerialLength:
		fe = append(fe, errs.FieldError{Field: "serial_number", Message: "must be at most 100 characters"})
	}
	if a.PurchaseDate.After(dateOf(s.clock.Now())) {
		fe = append(fe, errs.FieldError{Field: "purchase_date", Message: "must not be in the future"})
	}
	if lat, lng := a.Address.Lat, a.Address.Lng; (lat == nil) != (lng == nil) {
		fe = append(fe, errs.FieldError{Field: "address.lat", Message: "lat and lng go together"})
	} else if lat != nil && (*lat < -90 || *lat > 90 || *lng < -180 || *lng > 180) {
		fe = append(fe, errs.FieldError{Field: "address.lat", Message: "is not a valid coordinate"})
	}
	model, err := s.st.modelByID(ctx, in.ProductModelID)
	if errs.Is(err, errs.NotFound) {
		fe = append(fe, errs.FieldError{Field: "product_model_id", Message: "does not name a product model"})
	} else if err != nil {
		return Asset{}, err
	}
	if err := errs.Fields(fe); err != nil {
		return Asset{}, err
	}
	a.CreatedAt = s.clock.Now()
	a.UpdatedAt = a.CreatedAt
	if err := s.register(ctx, &a); err != nil {
		return Asset{}, err
	}
	a.Model = model
	return a, nil
}

// errSerialRegistered is a customer's second registration of a serial they
// already hold (as its owner or as a claimant): it tells them nothing new.
// It is the same error the unique constraints give (store.go constraints).
func errSerialRegistered() error {
	fe := constraints["assets_model_serial_key"]
	return &errs.Error{Kind: errs.Conflict, Message: fe.Message, Fields: []errs.FieldError{fe}}
}

// register inserts the asset, or, when another customer holds its serial,
// the claimant's own disputed row and a pending claim for staff (one
// transaction). Both look the same to the caller: the rule is in
// docs/ARCHITECTURE.md (Assets: serials, claims, warranty).
func (s *Service) register(ctx context.Context, a *Asset) error {
	return database.WithTx(ctx, s.st.db, func(tx *gorm.DB) error {
		st := store{db: tx}
		inserted, err := st.createAssetUnlessSerialTaken(ctx, a)
		if err != nil || inserted {
			return err
		}
		owner, err := st.undisputedAsset(ctx, a.ProductModelID, a.SerialNumber)
		if err != nil {
			return err
		}
		if owner.CustomerID == a.CustomerID {
			return errSerialRegistered()
		}
		a.OwnershipDisputed = true
		if err := st.createAsset(ctx, a); err != nil {
			return err
		}
		return st.createClaim(ctx, &AssetClaim{ID: ids.New(), AssetID: owner.ID, ClaimantID: a.CustomerID,
			ClaimantAssetID: a.ID, Status: ClaimPending, CreatedAt: a.CreatedAt})
	})
}

// VerifyWarranty records that staff checked the asset's purchase date (a
// receipt, an invoice, a proof_of_purchase photo): warranty_verified becomes
// true with who and when; verifying again changes nothing. Managers and
// in-house dispatchers only: Forbidden for other roles, NotFound for staff
// who do not see the asset.
func (s *Service) VerifyWarranty(ctx context.Context, p auth.Principal, id uuid.UUID) (Asset, error) {
	if p.Role != auth.RoleManager && p.Role != auth.RoleDispatcher {
		return Asset{}, errs.E(errs.Forbidden, "only staff verify a warranty")
	}
	all, err := s.canSeeAll(ctx, p)
	if err != nil {
		return Asset{}, err
	}
	if !all {
		return Asset{}, errs.NotFoundf("asset")
	}
	if err := s.st.verifyWarranty(ctx, id, p.UserID, s.clock.Now()); err != nil {
		return Asset{}, err
	}
	return s.st.assetByID(ctx, id)
}

// ListClaims lists ownership claims, oldest first, optionally of one status,
// for managers and in-house dispatchers (Forbidden for anyone else: a claim
// names two customers). Invalid for an unknown status.
func (s *Service) ListClaims(ctx context.Context, p auth.Principal, status string, pr page.Request) ([]AssetClaim, string, error) {
	if status != "" && !slices.Contains(ClaimStatuses, status) {
		return nil, "", errs.Field("status", "must be one of pending, approved, rejected")
	}
	all, err := s.canSeeAll(ctx, p)
	if err != nil {
		return nil, "", err
	}
	if !all {
		return nil, "", errs.E(errs.Forbidden, "managers and in-house dispatchers review ownership claims")
	}
	rows, err := s.st.listClaims(ctx, status, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(c AssetClaim) page.Key { return page.Key{At: c.CreatedAt, ID: c.ID} })
	return items, next, nil
}

// canSeeAll reports whether the principal sees every customer's assets.
// Technicians and partner dispatchers reach assets through their orders only.
func (s *Service) canSeeAll(ctx context.Context, p auth.Principal) (bool, error) {
	switch p.Role {
	case auth.RoleManager:
		return true, nil
	case auth.RoleDispatcher:
		return s.people.InHouse(ctx, p)
	}
	return false, nil
}

// GetAsset returns an asset visible to the principal (NotFound otherwise).
func (s *Service) GetAsset(ctx context.Context, p auth.Principal, id uuid.UUID) (Asset, error) {
	a, err := s.st.assetByID(ctx, id)
	if err != nil {
		return Asset{}, err
	}
	if a.CustomerID == p.UserID {
		return a, nil
	}
	all, err := s.canSeeAll(ctx, p)
	if err != nil {
		return Asset{}, err
	}
	if !all {
		return Asset{}, errs.NotFoundf("asset")
	}
	return a, nil
}

// ListAssets lists the customer's own assets, or every asset for staff who
// see all; others get an empty list.
func (s *Service) ListAssets(ctx context.Context, p auth.Principal, customer *uuid.UUID, pr page.Request) ([]Asset, string, error) {
	all, err := s.canSeeAll(ctx, p)
	if err != nil {
		return nil, "", err
	}
	if !all {
		if p.Role != auth.RoleCustomer {
			return []Asset{}, "", nil
		}
		customer = &p.UserID
	}
	rows, err := s.st.listAssets(ctx, customer, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(a Asset) page.Key { return page.Key{At: a.CreatedAt, ID: a.ID} })
	return items, next, nil
}

// Warranty returns an asset's warranty as of now.
func (s *Service) Warranty(a Asset) Warranty {
	return WarrantyOn(a.Model, a.PurchaseDate, s.clock.Now())
}

// ModelByCode finds a product model by its unique code.
func (s *Service) ModelByCode(ctx context.Context, code string) (ProductModel, error) {
	return s.st.modelByCode(ctx, code)
}

// AssetByID returns an asset with its model regardless of the caller; for
// other domains that apply their own scope (orders check the customer).
func (s *Service) AssetByID(ctx context.Context, id uuid.UUID) (Asset, error) {
	return s.st.assetByID(ctx, id)
}
