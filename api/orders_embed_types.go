package api

import (
	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/orders"
)

// The parties an order embeds so a screen renders from one call (SPEC §8).
// What the caller may see is decided in internal/orders (Parties); these
// types only carry it.

// OrderCustomer is the order's customer. phone and address are null unless
// the caller is staff, the customer, or the assigned technician from
// acceptance until the order is closed (others see the name only).
type OrderCustomer struct {
	ID      uuid.UUID   `json:"id" swaggertype:"string" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e12"`
	Name    string      `json:"name" example:"Alice Customer"`
	Phone   *string     `json:"phone" extensions:"x-nullable" example:"+8613800138001"` // null when hidden or unknown
	Address *AddressDTO `json:"address" extensions:"x-nullable"`                        // the order's service address; null when hidden
} // @name OrderCustomer

// OrderTechnician is the order's current technician. phone is null for the
// order's customer except from en_route until completion.
type OrderTechnician struct {
	ID    uuid.UUID `json:"id" swaggertype:"string" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e20"`
	Name  string    `json:"name" example:"Tom North"`
	Phone *string   `json:"phone" extensions:"x-nullable" example:"+8613900100001"` // null when hidden or unknown
} // @name OrderTechnician

// ProductModelRef names a product model.
type ProductModelRef struct {
	ID    uuid.UUID `json:"id" swaggertype:"string" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	Brand string    `json:"brand" example:"Coolwave"` // "" when unknown
	Name  string    `json:"name" example:"Split air conditioner 9000 BTU"`
} // @name ProductModelRef

// OrderAsset is the serviced product.
type OrderAsset struct {
	ID           uuid.UUID       `json:"id" swaggertype:"string" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e13"`
	SerialNumber string          `json:"serial_number" example:"AC9-DEMO-0001"`
	ProductModel ProductModelRef `json:"product_model"`
} // @name OrderAsset

// EventActor is who wrote a timeline entry, with the role they acted in.
type EventActor struct {
	ID   uuid.UUID `json:"id" swaggertype:"string" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e20"`
	Role Role      `json:"role" example:"technician"`
	Name string    `json:"name" example:"Tom North"`
} // @name EventActor

// --- converters ---

func toOrderCustomer(c orders.Customer) OrderCustomer {
	out := OrderCustomer{ID: c.ID, Name: c.Name, Phone: c.Phone}
	if c.Address != nil {
		a := toAddressDTO(*c.Address)
		out.Address = &a
	}
	return out
}

func toOrderTechnician(t *orders.Technician) *OrderTechnician {
	if t == nil {
		return nil
	}
	return &OrderTechnician{ID: t.ID, Name: t.Name, Phone: t.Phone}
}

func toProductModelRef(m *orders.ModelRef) *ProductModelRef {
	if m == nil {
		return nil
	}
	return &ProductModelRef{ID: m.ID, Brand: m.Brand, Name: m.Name}
}

func toOrderAsset(a *orders.AssetRef) *OrderAsset {
	if a == nil {
		return nil
	}
	return &OrderAsset{ID: a.ID, SerialNumber: a.SerialNumber, ProductModel: *toProductModelRef(&a.Model)}
}

func toEventActor(a *orders.Actor) *EventActor {
	if a == nil {
		return nil
	}
	return &EventActor{ID: a.ID, Role: Role(a.Role), Name: a.Name}
}
