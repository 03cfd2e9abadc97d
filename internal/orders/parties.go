package orders

import (
	"slices"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/platform/auth"
)

// Parties are the people and the product an order is about, as one principal
// may see them (SPEC §8), so a screen renders from one call. Every Service
// method that returns an Order fills Order.Parties for its caller.
type Parties struct {
	Customer     Customer    // always set
	Technician   *Technician // nil while nobody is assigned
	Asset        *AssetRef   // nil when the order has no asset
	ProductModel *ModelRef   // the asset's model, else the order's; nil when neither
	TimeZone     string      // the IANA time zone of the order's region (read with the parties), for local times on screen
}

// Customer is the order's customer. Phone and Address are nil when the
// principal may see the name only; Address is the order's service address
// (users have no address of their own).
type Customer struct {
	ID      uuid.UUID
	Name    string
	Phone   *string
	Address *catalog.Address
}

// Technician is the order's current technician; Phone is nil when hidden
// from the principal (or when the technician has none).
type Technician struct {
	ID    uuid.UUID
	Name  string
	Phone *string
}

// AssetRef is the serviced product: its serial number and model.
type AssetRef struct {
	ID           uuid.UUID
	SerialNumber string
	Model        ModelRef
}

// ModelRef names a product model.
type ModelRef struct {
	ID          uuid.UUID
	Brand, Name string
}

// CustomerContactStatuses are the statuses in which the assigned technician
// sees the customer's phone and address: from acceptance until the order is
// closed. Before acceptance, after closing or cancelling, and for every
// other technician, the customer's name only (data minimisation).
var CustomerContactStatuses = []Status{StatusAccepted, StatusScheduled, StatusEnRoute, StatusOnSite,
	StatusAwaitingApproval, StatusInProgress, StatusAwaitingParts, StatusCompleted}

// TechnicianPhoneStatuses are the statuses in which the order's customer sees
// the technician's phone: from en_route until completion.
var TechnicianPhoneStatuses = []Status{StatusEnRoute, StatusOnSite, StatusAwaitingApproval, StatusInProgress,
	StatusAwaitingParts}

// partyRow is what partySelect reads: the parties of one order before they
// are reduced for a principal (LEFT JOINs, so every column may be NULL).
type partyRow struct {
	CustomerName      *string
	CustomerPhone     *string
	TechnicianName    *string
	TechnicianPhone   *string
	AssetSerialNumber *string
	ModelID           *uuid.UUID
	ModelBrand        *string
	ModelName         *string
	RegionTimeZone    string // never NULL: DefaultTimeZone for a region without a row
}

// partiesFor reduces r to what p may see of o. The caller has already
// checked that p may see o at all (scope):
//   - customer: name always; phone and address for staff (dispatchers and
//     managers), for the customer themself, and for the currently assigned
//     technician while o is in CustomerContactStatuses;
//   - technician: nil while unassigned; id and name for everyone who sees
//     the order; phone for staff, for the assigned technician themself, and
//     for the order's customer while o is in TechnicianPhoneStatuses;
//   - asset and product model: for everyone who sees the order.
func partiesFor(p auth.Principal, o Order, r partyRow) Parties {
	staff := p.Role == auth.RoleDispatcher || p.Role == auth.RoleManager
	owner := p.Role == auth.RoleCustomer && o.CustomerID == p.UserID
	assignee := p.Role == auth.RoleTechnician && o.TechnicianID != nil && *o.TechnicianID == p.UserID

	out := Parties{Customer: Customer{ID: o.CustomerID, Name: deref(r.CustomerName)}, TimeZone: r.RegionTimeZone}
	if staff || owner || (assignee && slices.Contains(CustomerContactStatuses, o.Status)) {
		addr := o.Address
		out.Customer.Phone, out.Customer.Address = r.CustomerPhone, &addr
	}
	if o.TechnicianID != nil {
		t := &Technician{ID: *o.TechnicianID, Name: deref(r.TechnicianName)}
		if staff || assignee || (owner && slices.Contains(TechnicianPhoneStatuses, o.Status)) {
			t.Phone = r.TechnicianPhone
		}
		out.Technician = t
	}
	if r.ModelID != nil {
		out.ProductModel = &ModelRef{ID: *r.ModelID, Brand: deref(r.ModelBrand), Name: deref(r.ModelName)}
	}
	if o.AssetID != nil {
		a := &AssetRef{ID: *o.AssetID, SerialNumber: deref(r.AssetSerialNumber)}
		if out.ProductModel != nil {
			a.Model = *out.ProductModel
		}
		out.Asset = a
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
