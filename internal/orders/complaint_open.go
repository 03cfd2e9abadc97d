package orders

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/platform/workcal"
)

// Complaints open here, whoever opens them (a low rating below, or
// internal/complaints for customers and staff), so every complaint gets the
// same due times, first timeline row and complaint.created event. The
// workflow after that lives in internal/complaints (it imports this package,
// not the other way round).

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

// Complaint due times (SPEC §4): the reply within ComplaintReplyDays and the
// resolution within ComplaintResolutionDays working days of the complaint's
// region calendar. An open complaint not replied to escalates at its reply
// due time, then once more every working day (internal/complaints).
const (
	ComplaintReplyDays      = 1
	ComplaintResolutionDays = 3
)

// SetDueTimes sets c's reply and resolution due times, counted in working
// days of cal from t (when the complaint opens, or reopens on a rejected
// resolution).
func (c *Complaint) SetDueTimes(cal workcal.Calendar, t time.Time) {
	c.ReplyDueAt = cal.AddWorkingDays(t, ComplaintReplyDays).UTC()
	c.ResolutionDueAt = cal.AddWorkingDays(t, ComplaintResolutionDays).UTC()
}

// ComplaintRegion is the region whose calendar counts a complaint's working
// days: its order's region, or DefaultRegionCode without an order.
func ComplaintRegion(ctx context.Context, tx *gorm.DB, order *uuid.UUID) (region string, provider *uuid.UUID, err error) {
	if order == nil {
		return DefaultRegionCode, nil, nil
	}
	var row struct {
		Region     string
		ProviderID *uuid.UUID
	}
	if err := tx.WithContext(ctx).Raw(`SELECT region, provider_id FROM orders WHERE id = ?`, *order).Scan(&row).Error; err != nil {
		return "", nil, err
	}
	if row.Region == "" {
		row.Region = DefaultRegionCode
	}
	return row.Region, row.ProviderID, nil
}

// OpenComplaint writes c (ID, CustomerID, OrderID, Source, Category,
// Severity, Description and CreatedAt set by the caller) inside tx, the
// caller's transaction: status open at level 0, its region and due times
// from the region's working calendar, the timeline's create row (actor by)
// and the complaint.created integration event.
func OpenComplaint(ctx context.Context, tx *gorm.DB, c *Complaint, by auth.Principal) error {
	region, provider, err := ComplaintRegion(ctx, tx, c.OrderID)
	if err != nil {
		return err
	}
	cal, err := CalendarOf(ctx, tx, region)
	if err != nil {
		return err
	}
	c.Region, c.Status, c.Level, c.UpdatedAt = region, "open", 0, c.CreatedAt
	c.SetDueTimes(cal, c.CreatedAt)
	due := c.ReplyDueAt
	c.EscalationDueAt = &due
	if err := tx.WithContext(ctx).Create(c).Error; err != nil {
		return err
	}
	actor, role := &by.UserID, by.Role
	if by.UserID == uuid.Nil {
		actor, role = nil, "system"
	}
	ev := ComplaintEvent{ID: ids.New(), ComplaintID: c.ID, Action: "create", ActorID: actor, ActorRole: role,
		ToStatus: c.Status, ToLevel: c.Level, Note: c.Description, CreatedAt: c.CreatedAt}
	if err := tx.WithContext(ctx).Omit("Seq").Create(&ev).Error; err != nil {
		return err
	}
	_, err = outbox.Write(ctx, tx, outbox.ComplaintCreated, c.OrderID, provider, c.CreatedAt, ComplaintData(*c))
	return err
}

// ComplaintData is a complaint's integration-event data (the wire names of
// the API's Complaint; no staff notes).
func ComplaintData(c Complaint) map[string]any {
	return map[string]any{"id": c.ID, "customer_id": c.CustomerID, "order_id": c.OrderID, "source": c.Source,
		"category": c.Category, "severity": c.Severity, "description": c.Description, "status": c.Status, "level": c.Level,
		"region": c.Region, "reply_due_at": c.ReplyDueAt.UTC(), "resolution_due_at": c.ResolutionDueAt.UTC(),
		"created_at": c.CreatedAt.UTC(), "updated_at": c.UpdatedAt.UTC()}
}

// Clock is the service's clock (for services built next to it).
func (s *Service) Clock() clock.Clock { return s.clock }
