package orders

import (
	"time"

	"github.com/google/uuid"
)

// Photo kinds. Uploads take fault, before, after and other; the signature
// comes with completion, proof_of_purchase belongs to an asset.
const (
	KindFault           = "fault"
	KindBefore          = "before"
	KindAfter           = "after"
	KindSignature       = "signature"
	KindOther           = "other"
	KindProofOfPurchase = "proof_of_purchase"
)

// PhotoKinds are every kind, and UploadKinds those an order upload takes.
var (
	PhotoKinds  = []string{KindFault, KindBefore, KindAfter, KindSignature, KindOther, KindProofOfPurchase}
	UploadKinds = []string{KindFault, KindBefore, KindAfter, KindOther}
)

// Photo is a stored, checked image of an order (one of its visits) or of an
// asset; its bytes are in the blob store under BlobKey.
type Photo struct {
	ID          uuid.UUID  `gorm:"type:uuid;primaryKey"`
	OrderID     *uuid.UUID `gorm:"type:uuid"`
	AssetID     *uuid.UUID `gorm:"type:uuid"`
	Visit       *int
	Kind        string
	ContentType string
	Size        int64
	SHA256      string `gorm:"column:sha256"`
	Width       int
	Height      int
	TakenAt     *time.Time
	Lat, Lng    *float64
	BlobKey     string
	UploadedBy  uuid.UUID `gorm:"type:uuid"`
	CreatedAt   time.Time
}

// PhotoVariant is a derived copy of a photo kept in the blob store.
type PhotoVariant struct {
	PhotoID     uuid.UUID `gorm:"type:uuid;primaryKey"`
	Variant     string    `gorm:"primaryKey"`
	BlobKey     string
	ContentType string
	Size        int64
	SHA256      string `gorm:"column:sha256"`
	CreatedAt   time.Time
}

// Completion is the signed record of one visit: the canonical text that was
// hashed and the hash. Never changed once written (a trigger refuses it).
type Completion struct {
	OrderID          uuid.UUID `gorm:"type:uuid;primaryKey"`
	Visit            int       `gorm:"primaryKey"`
	TechnicianID     uuid.UUID `gorm:"type:uuid"`
	SignaturePhotoID uuid.UUID `gorm:"type:uuid"`
	Canonical        string
	Hash             string
	CompletedAt      time.Time
}

// Rating is the customer's verdict on a completed order (one per order).
type Rating struct {
	OrderID                              uuid.UUID `gorm:"type:uuid;primaryKey"`
	CustomerID                           uuid.UUID `gorm:"type:uuid"`
	Visit                                int
	Score, Timeliness, Attitude, Quality int
	Comment                              string
	CreatedAt                            time.Time
}

// Complaint is a customer's complaint; a low rating opens one (source rating).
type Complaint struct {
	ID                   uuid.UUID  `gorm:"type:uuid;primaryKey"`
	CustomerID           uuid.UUID  `gorm:"type:uuid"`
	OrderID              *uuid.UUID `gorm:"type:uuid"`
	Source               string
	Category, Severity   string
	Description          string
	Status               string
	Level                int
	CreatedAt, UpdatedAt time.Time
	// workflow (migration 000016, internal/complaints): due times on the
	// working calendar of Region, the pending automatic escalation, replies
	Region                      string
	ReplyDueAt, ResolutionDueAt time.Time
	EscalationDueAt, CloseDueAt *time.Time
	RespondedAt, ResolvedAt     *time.Time
	ClosedAt                    *time.Time
	Response, Resolution        string
}

// FollowUp is staff's call to the customer after completion.
type FollowUp struct {
	ID           uuid.UUID `gorm:"type:uuid;primaryKey"`
	OrderID      uuid.UUID `gorm:"type:uuid"`
	Visit        int
	Reached      bool
	Satisfaction *int
	Resolved     *bool
	Notes        string
	RecordedBy   uuid.UUID `gorm:"type:uuid"`
	CreatedAt    time.Time
}
