package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/parts"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// StockLocationKind is a warehouse or a technician's van.
type StockLocationKind string // @name StockLocationKind

// The StockLocationKind values.
const (
	StockLocationKindWarehouse StockLocationKind = "warehouse"
	StockLocationKindVan       StockLocationKind = "van"
)

// StockMovementKind is what a ledger row did.
type StockMovementKind string // @name StockMovementKind

// The StockMovementKind values.
const (
	StockMovementKindReceive  StockMovementKind = "receive"
	StockMovementKindTransfer StockMovementKind = "transfer"
	StockMovementKindIssue    StockMovementKind = "issue"
	StockMovementKindReturn   StockMovementKind = "return"
	StockMovementKindAdjust   StockMovementKind = "adjust"
)

// PartRequest adds a part to the catalogue; money in integer minor units.
type PartRequest struct {
	SKU                string   `json:"sku" validate:"required,max=64" minLength:"1" maxLength:"64" example:"DP-800"`
	Name               string   `json:"name" validate:"required,max=200" minLength:"1" maxLength:"200" example:"Drain pump"`
	CompatibleModelIDs []string `json:"compatible_model_ids,omitempty" validate:"max=100,dive,uuid" maxItems:"100" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55"` // empty: fits every model
	UnitPrice          int64    `json:"unit_price" validate:"gte=0,lte=100000000" minimum:"0" maximum:"100000000" example:"12900"`
	Currency           Currency `json:"currency,omitempty" example:"CNY"` // default CNY
	Genuine            bool     `json:"genuine" example:"true"`
	ReorderPoint       int64    `json:"reorder_point,omitempty" validate:"gte=0,lte=1000000" minimum:"0" maximum:"1000000" example:"5"`
	SerialTracked      bool     `json:"serial_tracked,omitempty" example:"false"`
} // @name PartRequest

// PartResponse is a catalogue part.
type PartResponse struct {
	ID                 uuid.UUID   `json:"id" swaggertype:"string" format:"uuid"`
	SKU                string      `json:"sku" example:"DP-800"`
	Name               string      `json:"name" example:"Drain pump"`
	CompatibleModelIDs []uuid.UUID `json:"compatible_model_ids" swaggertype:"array,string" format:"uuid"`
	UnitPrice          int64       `json:"unit_price" minimum:"0" example:"12900"`
	Currency           Currency    `json:"currency" example:"CNY"`
	Genuine            bool        `json:"genuine" example:"true"`
	ReorderPoint       int64       `json:"reorder_point" minimum:"0" example:"5"`
	SerialTracked      bool        `json:"serial_tracked" example:"false"`
	CreatedAt          time.Time   `json:"created_at" format:"date-time"`
} // @name Part

// PartList is one page of parts.
type PartList struct {
	Items      []PartResponse `json:"items"`
	NextCursor *string        `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name PartList

func toPartResponse(p parts.Part) PartResponse {
	models := make([]uuid.UUID, 0, len(p.CompatibleModelIDs))
	for _, m := range p.CompatibleModelIDs {
		if u, err := uuid.Parse(m); err == nil {
			models = append(models, u)
		}
	}
	return PartResponse{ID: p.ID, SKU: p.SKU, Name: p.Name, CompatibleModelIDs: models, UnitPrice: p.UnitPrice,
		Currency: Currency(p.Currency), Genuine: p.Genuine, ReorderPoint: p.ReorderPoint, SerialTracked: p.SerialTracked,
		CreatedAt: p.CreatedAt.UTC()}
}

// StockLocationRequest adds a warehouse (name) or a technician's van (technician_id).
type StockLocationRequest struct {
	Kind         StockLocationKind `json:"kind" validate:"required,oneof=warehouse van" example:"warehouse"`
	Name         string            `json:"name,omitempty" validate:"max=200" maxLength:"200" example:"Shanghai central"`                                   // required for a warehouse; a van defaults to "Van <technician>"
	TechnicianID *string           `json:"technician_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55"` // vans only
} // @name StockLocationRequest

// StockLocationResponse is a stock location.
type StockLocationResponse struct {
	ID           uuid.UUID         `json:"id" swaggertype:"string" format:"uuid"`
	Kind         StockLocationKind `json:"kind" example:"van"`
	Name         string            `json:"name" example:"Van of Wang Fang"`
	TechnicianID *uuid.UUID        `json:"technician_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // null for a warehouse
	CreatedAt    time.Time         `json:"created_at" format:"date-time"`
} // @name StockLocation

// StockLocationList is one page of stock locations.
type StockLocationList struct {
	Items      []StockLocationResponse `json:"items"`
	NextCursor *string                 `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name StockLocationList

func toStockLocationResponse(l parts.Location) StockLocationResponse {
	return StockLocationResponse{ID: l.ID, Kind: StockLocationKind(l.Kind), Name: l.Name, TechnicianID: l.TechnicianID, CreatedAt: l.CreatedAt.UTC()}
}

// StockLineResponse is one part's stock at a location.
type StockLineResponse struct {
	PartID       uuid.UUID `json:"part_id" swaggertype:"string" format:"uuid"`
	SKU          string    `json:"sku" example:"DP-800"`
	Name         string    `json:"name" example:"Drain pump"`
	OnHand       int64     `json:"on_hand" minimum:"0" example:"12"`
	Reserved     int64     `json:"reserved" minimum:"0" example:"0"`
	Available    int64     `json:"available" minimum:"0" example:"12"` // on_hand − reserved
	ReorderPoint int64     `json:"reorder_point" minimum:"0" example:"5"`
	Low          bool      `json:"low" example:"false"` // available below the reorder point
	UpdatedAt    time.Time `json:"updated_at" format:"date-time"`
} // @name StockLine

// StockList is one page of a location's stock, by part.
type StockList struct {
	Items      []StockLineResponse `json:"items"`
	NextCursor *string             `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name StockList

func toStockLineResponse(l parts.StockLine) StockLineResponse {
	return StockLineResponse{PartID: l.PartID, SKU: l.SKU, Name: l.Name, OnHand: l.OnHand, Reserved: l.Reserved, Available: l.Available,
		ReorderPoint: l.ReorderPoint, Low: l.Low, UpdatedAt: l.UpdatedAt.UTC()}
}

// StockMovementRequest is a staff movement: receive (to a warehouse, with
// supplier_ref and, for tracked parts, serials), transfer (from → to),
// return (from order_id to to_location_id) or adjust (one location and a
// reason). Issues are recorded with POST /v1/orders/{id}/parts.
type StockMovementRequest struct {
	Kind           StockMovementKind `json:"kind" validate:"required,oneof=receive transfer issue return adjust" example:"receive"`
	PartID         string            `json:"part_id" validate:"required,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55"`
	Qty            int64             `json:"qty" validate:"gte=1,lte=1000000" minimum:"1" maximum:"1000000" example:"10"`
	FromLocationID *string           `json:"from_location_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e56"`
	ToLocationID   *string           `json:"to_location_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e57"`
	SupplierRef    string            `json:"supplier_ref,omitempty" validate:"max=200" maxLength:"200" example:"PO-2026-0042"`
	Serials        []string          `json:"serials,omitempty" validate:"max=100" maxItems:"100" example:"SN-0001"`
	OrderID        *string           `json:"order_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e58"`
	Reason         string            `json:"reason,omitempty" validate:"max=1000" maxLength:"1000" example:"damaged in transit"`
} // @name StockMovementRequest

// StockMovementResponse is a ledger row.
type StockMovementResponse struct {
	ID             uuid.UUID         `json:"id" swaggertype:"string" format:"uuid"`
	Kind           StockMovementKind `json:"kind" example:"receive"`
	PartID         uuid.UUID         `json:"part_id" swaggertype:"string" format:"uuid"`
	Qty            int64             `json:"qty" minimum:"1" example:"10"`
	FromLocationID *uuid.UUID        `json:"from_location_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ToLocationID   *uuid.UUID        `json:"to_location_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	SupplierRef    string            `json:"supplier_ref" example:"PO-2026-0042"`
	Serials        []string          `json:"serials"`
	OrderID        *uuid.UUID        `json:"order_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	Reason         string            `json:"reason" example:""`
	ActorID        *uuid.UUID        `json:"actor_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	CreatedAt      time.Time         `json:"created_at" format:"date-time"`
} // @name StockMovement

func toStockMovementResponse(m parts.Movement) StockMovementResponse {
	serials := []string(m.Serials)
	if serials == nil {
		serials = []string{}
	}
	return StockMovementResponse{ID: m.ID, Kind: StockMovementKind(m.Kind), PartID: m.PartID, Qty: m.Qty, FromLocationID: m.FromLocationID,
		ToLocationID: m.ToLocationID, SupplierRef: m.SupplierRef, Serials: serials, OrderID: m.OrderID, Reason: m.Reason,
		ActorID: m.ActorID, CreatedAt: m.CreatedAt.UTC()}
}

// StockCountRequest is one counted part.
type StockCountRequest struct {
	PartID  string `json:"part_id" validate:"required,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55"`
	Counted *int64 `json:"counted" validate:"required,gte=0,lte=1000000" minimum:"0" maximum:"1000000" example:"7"`
} // @name StockCountRequest

// StocktakeRequest is a location's counted quantities.
type StocktakeRequest struct {
	LocationID string              `json:"location_id" validate:"required,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e56"`
	Counts     []StockCountRequest `json:"counts" validate:"required,min=1,max=1000,dive" minItems:"1" maxItems:"1000"`
} // @name StocktakeRequest

// StocktakeResponse lists the adjust movements the differences wrote.
type StocktakeResponse struct {
	LocationID uuid.UUID               `json:"location_id" swaggertype:"string" format:"uuid"`
	Movements  []StockMovementResponse `json:"movements"`
} // @name Stocktake

// PartsUsedRequest records a part used on the order.
type PartsUsedRequest struct {
	PartID     string   `json:"part_id" validate:"required,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e55"`
	Qty        int64    `json:"qty" validate:"gte=1,lte=10000" minimum:"1" maximum:"10000" example:"1"`
	LocationID *string  `json:"location_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e56"` // default: the technician's van
	Serials    []string `json:"serials,omitempty" validate:"max=100" maxItems:"100" example:"SN-0001"`                                        // one per unit for a serial-tracked part
	Covered    *bool    `json:"covered,omitempty" example:"true"`                                                                             // in warranty: covered (price 0) unless false; ignored out of warranty
} // @name PartsUsedRequest

// TraceActor is who made a movement.
type TraceActor struct {
	ID   uuid.UUID `json:"id" swaggertype:"string" format:"uuid"`
	Role Role      `json:"role" example:"dispatcher"`
	Name string    `json:"name" example:"Zhao Min"`
} // @name TraceActor

// TraceOrder is the order a part went to or came back from, with its customer.
type TraceOrder struct {
	ID           uuid.UUID `json:"id" swaggertype:"string" format:"uuid"`
	Number       string    `json:"number" example:"FO-2026-000123"`
	CustomerID   uuid.UUID `json:"customer_id" swaggertype:"string" format:"uuid"`
	CustomerName string    `json:"customer_name" example:"Li Wei"`
} // @name TraceOrder

// TraceLocation names a location of a movement.
type TraceLocation struct {
	ID   uuid.UUID `json:"id" swaggertype:"string" format:"uuid"`
	Name string    `json:"name" example:"Shanghai central"`
} // @name TraceLocation

// TraceResponse is one movement of a part's traceability.
type TraceResponse struct {
	ID          uuid.UUID         `json:"id" swaggertype:"string" format:"uuid"`
	Kind        StockMovementKind `json:"kind" example:"issue"`
	Qty         int64             `json:"qty" minimum:"1" example:"1"`
	From        *TraceLocation    `json:"from" extensions:"x-nullable"`
	To          *TraceLocation    `json:"to" extensions:"x-nullable"`
	SupplierRef string            `json:"supplier_ref" example:"PO-2026-0042"`
	Serials     []string          `json:"serials"`
	Order       *TraceOrder       `json:"order" extensions:"x-nullable"` // issue and return
	Reason      string            `json:"reason" example:""`
	Actor       *TraceActor       `json:"actor" extensions:"x-nullable"`
	CreatedAt   time.Time         `json:"created_at" format:"date-time"`
} // @name StockTrace

// TraceList is one page of a part's movements, oldest first.
type TraceList struct {
	Items      []TraceResponse `json:"items"`
	NextCursor *string         `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name StockTraceList

func toTraceResponse(t parts.Trace) TraceResponse {
	serials := []string(t.Serials)
	if serials == nil {
		serials = []string{}
	}
	r := TraceResponse{ID: t.ID, Kind: StockMovementKind(t.Kind), Qty: t.Qty, SupplierRef: t.SupplierRef, Serials: serials,
		Reason: t.Reason, CreatedAt: t.CreatedAt.UTC()}
	if t.FromLocationID != nil {
		r.From = &TraceLocation{ID: *t.FromLocationID, Name: orEmpty(t.FromName)}
	}
	if t.ToLocationID != nil {
		r.To = &TraceLocation{ID: *t.ToLocationID, Name: orEmpty(t.ToName)}
	}
	if t.OrderID != nil {
		r.Order = &TraceOrder{ID: *t.OrderID, Number: orEmpty(t.OrderNumber), CustomerName: orEmpty(t.CustomerName)}
		if t.CustomerID != nil {
			r.Order.CustomerID = *t.CustomerID
		}
	}
	if t.ActorID != nil {
		r.Actor = &TraceActor{ID: *t.ActorID, Role: Role(t.ActorRole), Name: orEmpty(t.ActorName)}
	}
	return r
}

// orEmpty is *s, or "" for nil.
func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// uuidsOf parses validated UUID strings (the validator has checked them).
func uuidsOf(in []string) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(in))
	for _, s := range in {
		if u := optUUID(s); u != nil {
			out = append(out, *u)
		}
	}
	return out
}

// idOf parses a validated UUID; a non-canonical spelling names no object.
func idOf(field, s string) (uuid.UUID, error) {
	if u := optUUID(s); u != nil {
		return *u, nil
	}
	return uuid.Nil, errs.Field(field, "must be a UUID")
}

// optIDOf is idOf for an optional field.
func optIDOf(field string, s *string) (*uuid.UUID, error) {
	if s == nil {
		return nil, nil
	}
	u, err := idOf(field, *s)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// OrderPartDTO is a part issued to the order's current visit (kind issue)
// or given back (kind return: qty and amount negative), as charged in
// minor units.
type OrderPartDTO struct {
	Kind      string    `json:"kind" enums:"issue,return" example:"issue"`
	PartID    uuid.UUID `json:"part_id" swaggertype:"string" format:"uuid"`
	SKU       string    `json:"sku" example:"DP-800"`
	Name      string    `json:"name" example:"Drain pump"`
	Qty       int64     `json:"qty" example:"1"`
	Serials   []string  `json:"serials"`
	UnitPrice int64     `json:"unit_price" minimum:"0" example:"12900"`
	Covered   bool      `json:"covered" example:"false"`
	Amount    int64     `json:"amount" example:"12900"`
	At        time.Time `json:"at" format:"date-time"`
} // @name OrderPart

func toOrderParts(lines orders.PartLines) []OrderPartDTO {
	out := make([]OrderPartDTO, 0, len(lines))
	for _, l := range lines {
		serials := l.Serials
		if serials == nil {
			serials = []string{}
		}
		out = append(out, OrderPartDTO{Kind: l.Kind, PartID: l.PartID, SKU: l.SKU, Name: l.Name, Qty: l.Qty, Serials: serials,
			UnitPrice: l.UnitPrice, Covered: l.Covered, Amount: l.Amount, At: l.At.UTC()})
	}
	return out
}
