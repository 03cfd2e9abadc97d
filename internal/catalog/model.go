// Package catalog owns what customers own: product models with their warranty
// terms, and assets (a customer's registered product) whose warranty is
// derived from the model and the purchase date, never stored twice.
package catalog

import (
	"time"

	"github.com/google/uuid"
)

// ProductModel is a catalogue entry with its warranty terms.
type ProductModel struct {
	ID                     uuid.UUID `gorm:"type:uuid;primaryKey"`
	Code                   string
	Brand                  string // manufacturer, "" when unknown
	Name                   string
	Category               string
	WarrantyMonths         int
	SoftwareWarrantyMonths int
	ReturnWindowDays       int
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// Address is a service address; Region drives dispatch.
type Address struct {
	Line1  string
	City   string
	Region string
	Lat    *float64
	Lng    *float64
}

// Asset is a customer's product.
type Asset struct {
	ID             uuid.UUID `gorm:"type:uuid;primaryKey"`
	CustomerID     uuid.UUID `gorm:"type:uuid"`
	ProductModelID uuid.UUID `gorm:"type:uuid"`
	SerialNumber   string
	PurchaseDate   time.Time `gorm:"type:date"`
	Address        Address   `gorm:"embedded;embeddedPrefix:address_"`
	// OwnershipDisputed marks a claimant's row of a serial another customer
	// registered first (see AssetClaim); only undisputed rows are unique.
	OwnershipDisputed bool
	// WarrantyVerified is false while the purchase date is the customer's
	// word; staff set it (VerifyWarranty), with when and who.
	WarrantyVerified   bool
	WarrantyVerifiedAt *time.Time
	WarrantyVerifiedBy *uuid.UUID `gorm:"type:uuid"`
	CreatedAt          time.Time
	UpdatedAt          time.Time

	Model ProductModel `gorm:"foreignKey:ProductModelID"`
}

// Claim statuses: staff review a pending claim.
const (
	ClaimPending  = "pending"
	ClaimApproved = "approved"
	ClaimRejected = "rejected"
)

// ClaimStatuses is the closed set of claim statuses.
var ClaimStatuses = []string{ClaimPending, ClaimApproved, ClaimRejected}

// AssetClaim records that a customer registered a serial number another
// customer holds: AssetID is the registered (undisputed) asset, ClaimantAssetID
// the claimant's own disputed row. Staff review it; neither customer is told.
type AssetClaim struct {
	ID              uuid.UUID `gorm:"type:uuid;primaryKey"`
	AssetID         uuid.UUID `gorm:"type:uuid"`
	ClaimantID      uuid.UUID `gorm:"type:uuid"`
	ClaimantAssetID uuid.UUID `gorm:"type:uuid"`
	Status          string
	CreatedAt       time.Time

	Asset Asset `gorm:"foreignKey:AssetID"` // the claimed asset (its serial and owner), read only
}

// Warranty is derived from the model's terms and the purchase date.
type Warranty struct {
	InWarranty     bool
	EndsAt         time.Time // last day covered (date)
	SoftwareEndsAt time.Time
	ReturnUntil    time.Time
}

// WarrantyOn computes an asset's warranty as of the date of at: covered
// while at's date is on or before purchase date + warranty months.
func WarrantyOn(m ProductModel, purchase, at time.Time) Warranty {
	p := dateOf(purchase)
	w := Warranty{
		EndsAt:         addMonths(p, m.WarrantyMonths),
		SoftwareEndsAt: addMonths(p, m.SoftwareWarrantyMonths),
		ReturnUntil:    p.AddDate(0, 0, m.ReturnWindowDays),
	}
	w.InWarranty = !dateOf(at).After(w.EndsAt)
	return w
}

// addMonths adds n calendar months to the date d, clamping to the last day of
// the target month (31 January + 1 month = 28/29 February, as PostgreSQL does),
// where time.AddDate would overflow into the next month (3 March).
func addMonths(d time.Time, n int) time.Time {
	y, mo, day := d.Date()
	first := time.Date(y, mo+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); day > last {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, time.UTC)
}

// dateOf truncates to the UTC calendar date.
func dateOf(t time.Time) time.Time {
	y, mo, d := t.UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}
