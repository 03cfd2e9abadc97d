package orders

import (
	"time"

	"github.com/google/uuid"
)

// ComplaintEvent is one line of a complaint's timeline (complaint_events):
// who did what, when. Internal rows and InternalNote are staff-only.
type ComplaintEvent struct {
	ID           uuid.UUID  `gorm:"type:uuid;primaryKey"`
	Seq          int64      `gorm:"->"` // assigned by the database; timeline order
	ComplaintID  uuid.UUID  `gorm:"type:uuid"`
	Action       string     //
	ActorID      *uuid.UUID `gorm:"type:uuid"` // nil: the system
	ActorRole    string     // a role, or "system"
	FromStatus   *string
	ToStatus     string
	FromLevel    *int
	ToLevel      int
	Note         string
	InternalNote string
	Internal     bool
	CreatedAt    time.Time
}
