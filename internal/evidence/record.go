// Package evidence is the tamper-evident side of close-out: the completion
// record a technician and customer sign, its canonical form (RFC 8785, JSON
// Canonicalization Scheme) and SHA-256 report hash, and the printable service
// sheet. It knows no database: orders builds a Record inside the completion
// transaction and stores the canonical text and hash this package computes.
package evidence

// Schema names the record layout; a new layout gets a new name, and records
// keep the one they were signed with.
const Schema = "fieldops.completion/v1"

// Record is what was done on one visit, as signed. Every field is always
// present (null or [] when empty), so the canonical text of a record has a
// fixed shape. Amounts are integer minor units; times are RFC 3339 UTC
// strings with microseconds, as stored.
type Record struct {
	Schema        string  `json:"schema"`
	Order         Order   `json:"order"`
	Customer      Party   `json:"customer"`
	Technician    Party   `json:"technician"`
	Asset         *Asset  `json:"asset"`
	Charges       Charges `json:"charges"`
	Resolution    string  `json:"resolution"`
	Fixed         bool    `json:"fixed"`
	LabourMinutes int     `json:"labour_minutes"`
	Photos        []Photo `json:"photos"`
	// PartsUsed lists the parts issued to (and returned from) the visit,
	// with serial numbers, as charged (their lines are in Charges.Items
	// too). Absent when no part was used: records signed before parts
	// existed keep their canonical text and hash, so the schema name stays.
	PartsUsed   []PartUsed `json:"parts_used,omitempty"`
	Signature   Signature  `json:"signature"`
	CompletedAt string     `json:"completed_at"`
}

// Order identifies the order and the visit.
type Order struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	Type       string `json:"type"`
	Visit      int    `json:"visit"`
	InWarranty bool   `json:"in_warranty"`
}

// Party is a person named on the record.
type Party struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Asset is the product worked on.
type Asset struct {
	ID           string `json:"id"`
	SerialNumber string `json:"serial_number"`
	ProductModel Model  `json:"product_model"`
}

// Model is the asset's product model.
type Model struct {
	ID    string `json:"id"`
	Code  string `json:"code"`
	Brand string `json:"brand"`
	Name  string `json:"name"`
}

// Charges are the priced lines (parts, labour, fees) and their sums.
type Charges struct {
	Items     []Line `json:"items"`
	Parts     int64  `json:"parts"`
	Labour    int64  `json:"labour"`
	Fees      int64  `json:"fees"`
	Covered   int64  `json:"covered"`
	AmountDue int64  `json:"amount_due"`
	Currency  string `json:"currency"`
}

// Line is one priced line; PartID is null for labour and fees.
type Line struct {
	Kind        string  `json:"kind"`
	PartID      *string `json:"part_id"`
	Description string  `json:"description"`
	Qty         int64   `json:"qty"`
	UnitPrice   int64   `json:"unit_price"`
	Covered     bool    `json:"covered"`
	Amount      int64   `json:"amount"`
}

// PartUsed is one stock movement of a part into (issue) or back from
// (return: qty and amount negative) the visit. Amounts in minor units.
type PartUsed struct {
	MovementID string   `json:"movement_id"`
	Kind       string   `json:"kind"`
	PartID     string   `json:"part_id"`
	SKU        string   `json:"sku"`
	Name       string   `json:"name"`
	Qty        int64    `json:"qty"`
	Serials    []string `json:"serials"`
	UnitPrice  int64    `json:"unit_price"`
	Covered    bool     `json:"covered"`
	Amount     int64    `json:"amount"`
}

// Photo is one photo of the visit (not the signature), by content hash.
type Photo struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	SHA256 string `json:"sha256"`
}

// Signature is the customer's signature image and who signed.
type Signature struct {
	PhotoID    string `json:"photo_id"`
	SHA256     string `json:"sha256"`
	SignerName string `json:"signer_name"`
}
