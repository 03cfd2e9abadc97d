package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/orders"
)

// PhotoKind is what a photo shows: fault, before, after, signature (the
// customer's, taken at completion), other, or proof_of_purchase (of an asset).
type PhotoKind string // @name PhotoKind

// The PhotoKind values.
const (
	PhotoKindFault           PhotoKind = "fault"
	PhotoKindBefore          PhotoKind = "before"
	PhotoKindAfter           PhotoKind = "after"
	PhotoKindSignature       PhotoKind = "signature"
	PhotoKindOther           PhotoKind = "other"
	PhotoKindProofOfPurchase PhotoKind = "proof_of_purchase"
)

// ImageType is a photo's media type, decided from its bytes.
type ImageType string // @name ImageType

// The ImageType values.
const (
	ImageTypeJPEG ImageType = "image/jpeg"
	ImageTypePNG  ImageType = "image/png"
	ImageTypeWebP ImageType = "image/webp"
	ImageTypeHEIC ImageType = "image/heic"
)

// PhotoResponse is a stored photo of an order (or an asset's proof of
// purchase). The bytes are at /v1/photos/{id}/content.
type PhotoResponse struct {
	ID          uuid.UUID  `json:"id" swaggertype:"string" format:"uuid"`
	OrderID     *uuid.UUID `json:"order_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // null for an asset's photo
	AssetID     *uuid.UUID `json:"asset_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // set for an asset's proof of purchase only
	Visit       *int       `json:"visit" minimum:"1" example:"1" extensions:"x-nullable"`               // the order's visit it was taken on; null for an asset's photo
	Kind        PhotoKind  `json:"kind" example:"after"`
	ContentType ImageType  `json:"content_type" example:"image/jpeg"` // decided from the bytes
	Size        int64      `json:"size" minimum:"1" example:"482133"` // bytes
	SHA256      string     `json:"sha256" pattern:"^[0-9a-f]{64}$" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	Width       int        `json:"width" minimum:"1" example:"4032"`
	Height      int        `json:"height" minimum:"1" example:"3024"`
	TakenAt     *time.Time `json:"taken_at" format:"date-time" extensions:"x-nullable"`                      // as the client said; null for a customer who did not take it
	Lat         *float64   `json:"lat" format:"double" minimum:"-90" maximum:"90" extensions:"x-nullable"`   // where it was taken, as the client said
	Lng         *float64   `json:"lng" format:"double" minimum:"-180" maximum:"180" extensions:"x-nullable"` // null for a customer who did not take it
	CreatedAt   time.Time  `json:"created_at" format:"date-time"`
} // @name Photo

// PhotoList is one page of an order's photos, oldest first.
type PhotoList struct {
	Items      []PhotoResponse `json:"items"`
	NextCursor *string         `json:"next_cursor" extensions:"x-nullable" example:"eyJ1IjoiMjAyNi0wNi0wMVQxMDowMDowMFoiLCJpIjoiMDE5MGYxZjQifQ"` // null on the last page
} // @name PhotoList

func toPhotoResponse(ph orders.Photo) PhotoResponse {
	r := PhotoResponse{ID: ph.ID, OrderID: ph.OrderID, AssetID: ph.AssetID, Visit: ph.Visit, Kind: PhotoKind(ph.Kind), ContentType: ImageType(ph.ContentType), Size: ph.Size,
		SHA256: ph.SHA256, Width: ph.Width, Height: ph.Height, TakenAt: utcPtr(ph.TakenAt), Lat: ph.Lat, Lng: ph.Lng,
		CreatedAt: ph.CreatedAt.UTC()}
	return r
}

// CompleteRequest closes the visit (JSON form; the multipart form has the
// same fields, with the signature as a PNG file part).
type CompleteRequest struct {
	Resolution    string `json:"resolution" validate:"required,max=4000" minLength:"1" maxLength:"4000" example:"Replaced the drain pump; test cycle ran clean"`
	Fixed         *bool  `json:"fixed" validate:"required" example:"true"`
	LabourMinutes *int   `json:"labour_minutes" validate:"required,min=0,max=10000" minimum:"0" maximum:"10000" example:"45"`
	SignerName    string `json:"signer_name" validate:"required,max=200" minLength:"1" maxLength:"200" example:"Li Wei"`
	// Signature is the customer's signature, a PNG image, base64-encoded (RFC 4648, standard alphabet).
	Signature string `json:"signature" validate:"required" format:"byte" minLength:"1" example:"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="`
} // @name CompleteRequest

// ReportResponse is the signed completion record of a visit. canonical is
// the exact UTF-8 text that was hashed: the RFC 8785 (JSON Canonicalization
// Scheme) form of record; hash is the lower-case hex SHA-256 of canonical.
// Anyone can recompute hash from record alone.
type ReportResponse struct {
	Record           ReportRecord `json:"record"`
	Canonical        string       `json:"canonical" example:"{\"charges\":{...},\"completed_at\":\"2026-06-01T15:04:05.000000Z\",...}"`
	Hash             string       `json:"hash" pattern:"^[0-9a-f]{64}$" example:"3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"`
	Canonicalization string       `json:"canonicalization" enums:"RFC8785" example:"RFC8785"`
	Visit            int          `json:"visit" minimum:"1" example:"1"`
} // @name Report

// ReportRecord is what was signed (schema fieldops.completion/v1). Amounts
// are integer minor units; completed_at is RFC 3339 UTC with microseconds.
type ReportRecord struct {
	Schema        string        `json:"schema" enums:"fieldops.completion/v1" example:"fieldops.completion/v1"`
	Order         ReportOrder   `json:"order"`
	Customer      ReportParty   `json:"customer"`
	Technician    ReportParty   `json:"technician"`
	Asset         *ReportAsset  `json:"asset" extensions:"x-nullable"` // null when the order has no asset
	Charges       ReportCharges `json:"charges"`
	Resolution    string        `json:"resolution" example:"Replaced the drain pump"`
	Fixed         bool          `json:"fixed" example:"true"`
	LabourMinutes int           `json:"labour_minutes" minimum:"0" example:"45"`
	Photos        []ReportPhoto `json:"photos"` // the visit's photos (not the signature), oldest first
	// the parts issued to (and returned from) the visit, with serials, as
	// charged; absent when none was used
	PartsUsed   []ReportPartUsed `json:"parts_used,omitempty"`
	Signature   ReportSignature  `json:"signature"`
	CompletedAt string           `json:"completed_at" example:"2026-06-01T15:04:05.000000Z"`
} // @name ReportRecord

// ReportOrder identifies the order and the visit.
type ReportOrder struct {
	ID         string    `json:"id" format:"uuid"`
	Number     string    `json:"number" example:"FO-2026-000123"`
	Type       OrderType `json:"type" example:"repair"`
	Visit      int       `json:"visit" minimum:"1" example:"1"`
	InWarranty bool      `json:"in_warranty" example:"true"`
} // @name ReportOrder

// ReportParty names a person on the record.
type ReportParty struct {
	ID   string `json:"id" format:"uuid"`
	Name string `json:"name" example:"Li Wei"`
} // @name ReportParty

// ReportAsset is the product worked on.
type ReportAsset struct {
	ID           string      `json:"id" format:"uuid"`
	SerialNumber string      `json:"serial_number" example:"WM-2024-88121"`
	ProductModel ReportModel `json:"product_model"`
} // @name ReportAsset

// ReportModel is the asset's product model.
type ReportModel struct {
	ID    string `json:"id" format:"uuid"`
	Code  string `json:"code" example:"WM-800"`
	Brand string `json:"brand" example:"Acme"`
	Name  string `json:"name" example:"Washer 800"`
} // @name ReportModel

// ReportCharges are the priced lines and their sums (minor units).
type ReportCharges struct {
	Items     []ReportLine `json:"items"`
	Parts     int64        `json:"parts" example:"0"`
	Labour    int64        `json:"labour" example:"0"`
	Fees      int64        `json:"fees" example:"0"`
	Covered   int64        `json:"covered" example:"12000"`
	AmountDue int64        `json:"amount_due" example:"0"`
	Currency  Currency     `json:"currency" example:"CNY"`
} // @name ReportCharges

// ReportLine is one priced line.
type ReportLine struct {
	Kind        QuoteItemKind `json:"kind" example:"part"`
	PartID      *string       `json:"part_id" format:"uuid" extensions:"x-nullable"`
	Description string        `json:"description" example:"Drain pump"`
	Qty         int64         `json:"qty" example:"1"`
	UnitPrice   int64         `json:"unit_price" example:"12000"`
	Covered     bool          `json:"covered" example:"true"`
	Amount      int64         `json:"amount" example:"0"`
} // @name ReportLine

// ReportPartUsed is one stock movement of a part into (issue) or back from
// (return: qty and amount negative) the visit; amounts in minor units.
type ReportPartUsed struct {
	MovementID string   `json:"movement_id" format:"uuid"`
	Kind       string   `json:"kind" enums:"issue,return" example:"issue"`
	PartID     string   `json:"part_id" format:"uuid"`
	SKU        string   `json:"sku" example:"DP-800"`
	Name       string   `json:"name" example:"Drain pump"`
	Qty        int64    `json:"qty" example:"1"`
	Serials    []string `json:"serials"`
	UnitPrice  int64    `json:"unit_price" minimum:"0" example:"12900"`
	Covered    bool     `json:"covered" example:"false"`
	Amount     int64    `json:"amount" example:"12900"`
} // @name ReportPartUsed

// ReportPhoto is a photo of the visit by content hash.
type ReportPhoto struct {
	ID     string    `json:"id" format:"uuid"`
	Kind   PhotoKind `json:"kind" example:"after"`
	SHA256 string    `json:"sha256" pattern:"^[0-9a-f]{64}$" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
} // @name ReportPhoto

// ReportSignature is the customer's signature by content hash, and who signed.
type ReportSignature struct {
	PhotoID    string `json:"photo_id" format:"uuid"`
	SHA256     string `json:"sha256" pattern:"^[0-9a-f]{64}$" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	SignerName string `json:"signer_name" example:"Li Wei"`
} // @name ReportSignature

// RatingRequest is the customer's verdict, each score 1–5.
type RatingRequest struct {
	Score      int    `json:"score" validate:"required,min=1,max=5" minimum:"1" maximum:"5" example:"5"`
	Timeliness int    `json:"timeliness" validate:"required,min=1,max=5" minimum:"1" maximum:"5" example:"5"`
	Attitude   int    `json:"attitude" validate:"required,min=1,max=5" minimum:"1" maximum:"5" example:"4"`
	Quality    int    `json:"quality" validate:"required,min=1,max=5" minimum:"1" maximum:"5" example:"5"`
	Comment    string `json:"comment,omitempty" validate:"max=2000" maxLength:"2000" example:"Quick and tidy"`
} // @name RatingRequest

// RatingResponse is a stored rating; complaint_id names the complaint a
// score of 2 or less opened.
type RatingResponse struct {
	OrderID     uuid.UUID  `json:"order_id" swaggertype:"string" format:"uuid"`
	Visit       int        `json:"visit" minimum:"1" example:"1"`
	Score       int        `json:"score" minimum:"1" maximum:"5" example:"5"`
	Timeliness  int        `json:"timeliness" minimum:"1" maximum:"5" example:"5"`
	Attitude    int        `json:"attitude" minimum:"1" maximum:"5" example:"4"`
	Quality     int        `json:"quality" minimum:"1" maximum:"5" example:"5"`
	Comment     string     `json:"comment" example:"Quick and tidy"`
	ComplaintID *uuid.UUID `json:"complaint_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // set on the response to the rating that opened it
	CreatedAt   time.Time  `json:"created_at" format:"date-time"`
} // @name Rating

func toRatingResponse(r orders.Rating, complaint *uuid.UUID) RatingResponse {
	return RatingResponse{OrderID: r.OrderID, Visit: r.Visit, Score: r.Score, Timeliness: r.Timeliness, Attitude: r.Attitude,
		Quality: r.Quality, Comment: r.Comment, ComplaintID: complaint, CreatedAt: r.CreatedAt.UTC()}
}

// FollowUpRequest is staff's call to the customer. When reached,
// satisfaction (1–5) and resolved are required; when not, both are absent.
type FollowUpRequest struct {
	Reached      *bool  `json:"reached" validate:"required" example:"true"`
	Satisfaction *int   `json:"satisfaction,omitempty" validate:"omitempty,min=1,max=5" minimum:"1" maximum:"5" example:"5"`
	Resolved     *bool  `json:"resolved,omitempty" example:"true"`
	Notes        string `json:"notes,omitempty" validate:"max=2000" maxLength:"2000" example:"Customer happy, machine runs quietly"`
} // @name FollowUpRequest

// FollowUpResponse is a recorded follow-up call.
type FollowUpResponse struct {
	ID           uuid.UUID `json:"id" swaggertype:"string" format:"uuid"`
	OrderID      uuid.UUID `json:"order_id" swaggertype:"string" format:"uuid"`
	Visit        int       `json:"visit" minimum:"1" example:"1"`
	Reached      bool      `json:"reached" example:"true"`
	Satisfaction *int      `json:"satisfaction" minimum:"1" maximum:"5" extensions:"x-nullable" example:"5"` // null when not reached
	Resolved     *bool     `json:"resolved" extensions:"x-nullable" example:"true"`                          // null when not reached
	Notes        string    `json:"notes"`
	RecordedBy   uuid.UUID `json:"recorded_by" swaggertype:"string" format:"uuid"`
	CreatedAt    time.Time `json:"created_at" format:"date-time"`
} // @name FollowUp

// FollowUpResult is the recorded call and the order after it (closed,
// reopened as a repeat repair, or still completed when not reached).
type FollowUpResult struct {
	FollowUp FollowUpResponse `json:"follow_up"`
	Order    OrderResponse    `json:"order"`
} // @name FollowUpResult

// FollowUpList is one page of an order's follow-up calls, oldest first.
type FollowUpList struct {
	Items      []FollowUpResponse `json:"items"`
	NextCursor *string            `json:"next_cursor" extensions:"x-nullable" example:"eyJ1IjoiMjAyNi0wNi0wMVQxMDowMDowMFoiLCJpIjoiMDE5MGYxZjQifQ"` // null on the last page
} // @name FollowUpList

func toFollowUpResponse(f orders.FollowUp) FollowUpResponse {
	return FollowUpResponse{ID: f.ID, OrderID: f.OrderID, Visit: f.Visit, Reached: f.Reached, Satisfaction: f.Satisfaction,
		Resolved: f.Resolved, Notes: f.Notes, RecordedBy: f.RecordedBy, CreatedAt: f.CreatedAt.UTC()}
}
