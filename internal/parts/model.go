// Package parts is the spare-parts inventory (issue 10): the catalogue of
// parts, stock locations (warehouses and one van per technician), the
// append-only stock ledger (stock_movements), the balances kept in step with
// it in the same transaction (stock_balances, whose CHECKs keep on-hand from
// going negative), the serial numbers of tracked parts, stocktakes, and the
// stock.low integration event. Parts used on an order are the order's
// workflow: internal/orders calls this package through orders.Stock, which
// Service implements; a return from an order calls orders back (Orders).
//
// Money is int64 minor units everywhere (TestNoFloatsInMoneyCode).
package parts

import (
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// Part is a catalogue part.
type Part struct {
	ID                 uuid.UUID `gorm:"type:uuid;primaryKey"`
	SKU                string
	Name               string
	CompatibleModelIDs pq.StringArray `gorm:"type:uuid[]"`
	UnitPrice          int64          // minor units of Currency
	Currency           string
	Genuine            bool
	ReorderPoint       int64
	SerialTracked      bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Location kinds.
const (
	Warehouse = "warehouse"
	Van       = "van"
)

// Location is a warehouse or a technician's van.
type Location struct {
	ID           uuid.UUID `gorm:"type:uuid;primaryKey"`
	Kind         string
	Name         string
	TechnicianID *uuid.UUID `gorm:"type:uuid"`
	CreatedAt    time.Time
}

// TableName is stock_locations.
func (Location) TableName() string { return "stock_locations" }

// Movement kinds.
const (
	Receive  = "receive"
	Transfer = "transfer"
	Issue    = "issue"
	Return   = "return"
	Adjust   = "adjust"
)

// Kinds are the movement kinds.
var Kinds = []string{Receive, Transfer, Issue, Return, Adjust}

// Movement is one ledger row: Qty (> 0) out of From and/or into To.
type Movement struct {
	ID             uuid.UUID `gorm:"type:uuid;primaryKey"`
	Kind           string
	PartID         uuid.UUID  `gorm:"type:uuid"`
	Qty            int64      //
	FromLocationID *uuid.UUID `gorm:"type:uuid"`
	ToLocationID   *uuid.UUID `gorm:"type:uuid"`
	SupplierRef    string
	Serials        pq.StringArray `gorm:"type:text[]"`
	OrderID        *uuid.UUID     `gorm:"type:uuid"`
	Reason         string
	ActorID        *uuid.UUID `gorm:"type:uuid"`
	ActorRole      string
	CreatedAt      time.Time
}

// TableName is stock_movements.
func (Movement) TableName() string { return "stock_movements" }

// Balance is the stock of one part at one location.
type Balance struct {
	LocationID uuid.UUID `gorm:"type:uuid;primaryKey"`
	PartID     uuid.UUID `gorm:"type:uuid;primaryKey"`
	OnHand     int64
	Reserved   int64
	Low        bool
	UpdatedAt  time.Time
}

// TableName is stock_balances.
func (Balance) TableName() string { return "stock_balances" }

// Serial is where one serial number of a tracked part is.
type Serial struct {
	PartID     uuid.UUID  `gorm:"type:uuid;primaryKey"`
	Serial     string     `gorm:"primaryKey"`
	LocationID *uuid.UUID `gorm:"type:uuid"`
	OrderID    *uuid.UUID `gorm:"type:uuid"`
	ReceivedBy uuid.UUID  `gorm:"type:uuid"`
}

// TableName is stock_serials.
func (Serial) TableName() string { return "stock_serials" }

// StockLine is a balance as listed: the part, on hand, reserved, available.
type StockLine struct {
	PartID       uuid.UUID
	SKU, Name    string
	OnHand       int64
	Reserved     int64
	Available    int64
	ReorderPoint int64
	Low          bool
	UpdatedAt    time.Time
}

// Trace is a movement as traceability shows it: with its actor, locations
// and the order and customer it went to or came back from.
type Trace struct {
	Movement
	ActorName    *string
	FromName     *string
	ToName       *string
	OrderNumber  *string
	CustomerID   *uuid.UUID
	CustomerName *string
}
