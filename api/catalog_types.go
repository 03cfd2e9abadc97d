package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// --- DTOs ---

// ProductModelRequest adds a product model.
type ProductModelRequest struct {
	Code                   string `json:"code" validate:"required,max=64" minLength:"1" example:"AC-9000"`
	Brand                  string `json:"brand,omitempty" validate:"max=100" maxLength:"100" example:"Coolwave"`
	Name                   string `json:"name" validate:"required,max=200" minLength:"1" example:"Split air conditioner 9000 BTU"`
	Category               string `json:"category,omitempty" validate:"max=64" example:"aircon"`
	WarrantyMonths         *int   `json:"warranty_months,omitempty" validate:"omitempty,gte=0,lte=240" example:"12"`         // default 12
	SoftwareWarrantyMonths *int   `json:"software_warranty_months,omitempty" validate:"omitempty,gte=0,lte=240" example:"3"` // default 3
	ReturnWindowDays       *int   `json:"return_window_days,omitempty" validate:"omitempty,gte=0,lte=3650" example:"180"`    // default 180
} // @name ProductModelRequest

// ProductModelResponse is a catalogue entry.
type ProductModelResponse struct {
	ID                     uuid.UUID `json:"id" swaggertype:"string" format:"uuid"`
	Code                   string    `json:"code" example:"AC-9000"`
	Brand                  string    `json:"brand" example:"Coolwave"` // "" when unknown
	Name                   string    `json:"name" example:"Split air conditioner 9000 BTU"`
	Category               string    `json:"category" example:"aircon"`
	WarrantyMonths         int       `json:"warranty_months" minimum:"0" maximum:"240" example:"12"`
	SoftwareWarrantyMonths int       `json:"software_warranty_months" minimum:"0" maximum:"240" example:"3"`
	ReturnWindowDays       int       `json:"return_window_days" minimum:"0" maximum:"3650" example:"180"`
	CreatedAt              time.Time `json:"created_at" format:"date-time"`
} // @name ProductModel

// ProductModelList is one page of product models.
type ProductModelList struct {
	Items      []ProductModelResponse `json:"items"`
	NextCursor *string                `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name ProductModelList

// AddressDTO is a service address; region drives dispatch.
type AddressDTO struct {
	Line1  string   `json:"line1" validate:"required,max=300" maxLength:"300" example:"88 Century Avenue, Apt 1203"`
	City   string   `json:"city" validate:"required,max=100" maxLength:"100" example:"Shanghai"`
	Region string   `json:"region" validate:"required,max=64" maxLength:"64" example:"north"`
	Lat    *float64 `json:"lat,omitempty" validate:"required_with=Lng,omitempty,gte=-90,lte=90" minimum:"-90" maximum:"90" format:"double" example:"31.2304"`
	Lng    *float64 `json:"lng,omitempty" validate:"required_with=Lat,omitempty,gte=-180,lte=180" minimum:"-180" maximum:"180" format:"double" example:"121.4737"`
} // @name Address

// AssetRequest registers a product.
type AssetRequest struct {
	ProductModelID string      `json:"product_model_id" validate:"required,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	SerialNumber   string      `json:"serial_number" validate:"required,max=300" minLength:"1" maxLength:"300" example:"SN-2026-000042"`             // normalised: NFKC, no white space or invisible characters, upper case; then printable ASCII, at most 100
	PurchaseDate   string      `json:"purchase_date" validate:"required,datetime=2006-01-02" format:"date" example:"2026-03-15"`                     // not in the future
	Address        *AddressDTO `json:"address,omitempty" validate:"omitempty"`                                                                       // where the product is installed
	CustomerID     string      `json:"customer_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e12"` // staff: required; customers: their own or absent
} // @name AssetRequest

// WarrantyDTO is derived from the model's terms and the purchase date.
type WarrantyDTO struct {
	InWarranty     bool   `json:"in_warranty"`
	EndsAt         string `json:"ends_at" format:"date" example:"2027-03-15"`
	SoftwareEndsAt string `json:"software_ends_at" format:"date" example:"2026-06-15"`
	ReturnUntil    string `json:"return_until" format:"date" example:"2026-09-11"`
} // @name Warranty

// AssetResponse is a registered product with its warranty.
type AssetResponse struct {
	ID             uuid.UUID   `json:"id" swaggertype:"string" format:"uuid"`
	CustomerID     uuid.UUID   `json:"customer_id" swaggertype:"string" format:"uuid"`
	ProductModelID uuid.UUID   `json:"product_model_id" swaggertype:"string" format:"uuid"`
	ProductModel   string      `json:"product_model" example:"AC-9000"`
	SerialNumber   string      `json:"serial_number" example:"SN-2026-000042"` // as normalised
	PurchaseDate   string      `json:"purchase_date" format:"date" example:"2026-03-15"`
	Address        AddressDTO  `json:"address"`
	Warranty       WarrantyDTO `json:"warranty"`
	// WarrantyVerified is false while the purchase date (and so the warranty)
	// is the customer's word, proof-of-purchase photo or not; true once staff
	// verified it (POST /v1/assets/{id}/verify-warranty).
	WarrantyVerified bool      `json:"warranty_verified" example:"false"`
	CreatedAt        time.Time `json:"created_at" format:"date-time"`
} // @name Asset

// AssetList is one page of assets.
type AssetList struct {
	Items      []AssetResponse `json:"items"`
	NextCursor *string         `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name AssetList

// AssetClaimResponse is a customer's claim to a serial number another
// customer registered first, for staff review.
type AssetClaimResponse struct {
	ID              uuid.UUID        `json:"id" swaggertype:"string" format:"uuid"`
	Status          AssetClaimStatus `json:"status" example:"pending"`
	AssetID         uuid.UUID        `json:"asset_id" swaggertype:"string" format:"uuid"`          // the registered asset
	OwnerID         uuid.UUID        `json:"owner_id" swaggertype:"string" format:"uuid"`          // its customer
	ClaimantID      uuid.UUID        `json:"claimant_id" swaggertype:"string" format:"uuid"`       // the customer who registered the serial again
	ClaimantAssetID uuid.UUID        `json:"claimant_asset_id" swaggertype:"string" format:"uuid"` // the claimant's own (disputed) asset
	ProductModelID  uuid.UUID        `json:"product_model_id" swaggertype:"string" format:"uuid"`
	SerialNumber    string           `json:"serial_number" example:"SN-2026-000042"`
	CreatedAt       time.Time        `json:"created_at" format:"date-time"`
} // @name AssetClaim

// AssetClaimList is one page of ownership claims.
type AssetClaimList struct {
	Items      []AssetClaimResponse `json:"items"`
	NextCursor *string              `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name AssetClaimList

// --- converters ---

func toProductModelResponse(m catalog.ProductModel) ProductModelResponse {
	return ProductModelResponse{ID: m.ID, Code: m.Code, Brand: m.Brand, Name: m.Name, Category: m.Category, WarrantyMonths: m.WarrantyMonths,
		SoftwareWarrantyMonths: m.SoftwareWarrantyMonths, ReturnWindowDays: m.ReturnWindowDays, CreatedAt: m.CreatedAt.UTC()}
}

func toAddressDTO(a catalog.Address) AddressDTO {
	return AddressDTO{Line1: a.Line1, City: a.City, Region: a.Region, Lat: a.Lat, Lng: a.Lng}
}

func fromAddressDTO(a AddressDTO) catalog.Address {
	return catalog.Address{Line1: a.Line1, City: a.City, Region: a.Region, Lat: a.Lat, Lng: a.Lng}
}

func toAssetResponse(a catalog.Asset, w catalog.Warranty) AssetResponse {
	return AssetResponse{ID: a.ID, CustomerID: a.CustomerID, ProductModelID: a.ProductModelID, ProductModel: a.Model.Code,
		SerialNumber: a.SerialNumber, PurchaseDate: a.PurchaseDate.Format(dateLayout), Address: toAddressDTO(a.Address),
		Warranty: WarrantyDTO{InWarranty: w.InWarranty, EndsAt: w.EndsAt.Format(dateLayout),
			SoftwareEndsAt: w.SoftwareEndsAt.Format(dateLayout), ReturnUntil: w.ReturnUntil.Format(dateLayout)},
		WarrantyVerified: a.WarrantyVerified, CreatedAt: a.CreatedAt.UTC()}
}

func toAssetClaimResponse(c catalog.AssetClaim) AssetClaimResponse {
	return AssetClaimResponse{ID: c.ID, Status: AssetClaimStatus(c.Status), AssetID: c.AssetID, OwnerID: c.Asset.CustomerID,
		ClaimantID: c.ClaimantID, ClaimantAssetID: c.ClaimantAssetID, ProductModelID: c.Asset.ProductModelID,
		SerialNumber: c.Asset.SerialNumber, CreatedAt: c.CreatedAt.UTC()}
}

func fromAssetRequest(r AssetRequest) (catalog.AssetInput, error) {
	d, err := time.Parse(dateLayout, r.PurchaseDate)
	if err != nil {
		return catalog.AssetInput{}, errs.Field("purchase_date", "must be a date like 2006-01-02")
	}
	return catalog.AssetInput{CustomerID: optUUID(r.CustomerID), ProductModelID: *optUUID(r.ProductModelID),
		SerialNumber: r.SerialNumber, PurchaseDate: d, Address: fromOptAddress(r.Address)}, nil
}

// fromOptAddress converts an optional address; absent is the zero address.
func fromOptAddress(a *AddressDTO) catalog.Address {
	if a == nil {
		return catalog.Address{}
	}
	return fromAddressDTO(*a)
}
