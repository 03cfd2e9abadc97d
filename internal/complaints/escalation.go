package complaints

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/jobs"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/platform/workcal"
)

// lockClause locks the complaint row for the rest of the transaction.
var lockClause = clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "c"}}

// LevelNames are the escalation levels' owners.
var LevelNames = []string{"agent", "supervisor", "manager", "director"}

// escalated writes what follows an escalation of c from level from, inside
// its transaction: the complaint.escalated integration event and an inbox
// entry for the staff of the new level — level 1 (supervisor): the
// in-house dispatchers and, for an order of a partner, that partner's
// dispatchers; levels 2 and 3 (manager, director): the managers — never the
// staff member who escalated (actor; nil for the system).
func escalated(ctx context.Context, tx *gorm.DB, c orders.Complaint, from int, action string, actor *uuid.UUID, now time.Time) error {
	_, provider, err := orders.ComplaintRegion(ctx, tx, c.OrderID)
	if err != nil {
		return err
	}
	data := orders.ComplaintData(c)
	data["from_level"], data["automatic"] = from, action == ActAutoEscalate
	if _, err := outbox.Write(ctx, tx, outbox.ComplaintEscalated, c.OrderID, provider, now, data); err != nil {
		return err
	}
	title := fmt.Sprintf("Complaint escalated to level %d (%s)", c.Level, LevelNames[c.Level])
	why := "escalated by staff"
	switch action {
	case ActAutoEscalate:
		why = "not answered in time"
	case ActRejectResolution:
		why = "the customer rejected the resolution"
	}
	body := fmt.Sprintf("%s complaint (%s): %s", c.Severity, c.Category, why)
	recipients := `u.role = 'manager'`
	args := []any{}
	if c.Level == 1 {
		recipients = `u.role = 'dispatcher' AND (u.provider_id IN (SELECT id FROM providers WHERE kind = 'in_house') OR u.provider_id = ?)`
		args = append(args, provider) // NULL matches nothing
	}
	if actor != nil {
		recipients += ` AND u.id <> ?`
		args = append(args, *actor)
	}
	q := `INSERT INTO notifications (id, user_id, kind, order_id, title, body, created_at)
SELECT gen_random_uuid(), u.id, ?, ?, ?, ?, ? FROM users u WHERE u.active AND ` + recipients
	return tx.WithContext(ctx).Exec(q, append([]any{NotificationKind, c.OrderID, title, body, now}, args...)...).Error
}

// due is one complaint whose automatic escalation is due.
type due struct {
	ID              uuid.UUID
	Level           int
	EscalationDueAt time.Time
	Region          string
}

// EscalateOverdue escalates every open complaint whose escalation is due at
// now by one level per breach: the first breach is the reply due time, then
// one more every working day of its region, up to level 3. Each escalation
// is a conditional UPDATE (the level and due time it read), so workers
// running it at once escalate each breach once. It returns how many
// escalations it made.
func (s *Service) EscalateOverdue(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC()
	cals := map[string]workcal.Calendar{}
	n := 0
	for pass := 0; pass < MaxLevel; pass++ { // a complaint breached twice since the last run climbs twice
		var ds []due
		if err := s.db.WithContext(ctx).Raw(`SELECT id, level, escalation_due_at, region FROM complaints
WHERE status = 'open' AND level < ? AND escalation_due_at <= ? ORDER BY escalation_due_at, id LIMIT 500`, MaxLevel, now).Scan(&ds).Error; err != nil {
			return n, err
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			cal, ok := cals[d.Region]
			if !ok {
				c, err := orders.CalendarOf(ctx, s.db, d.Region)
				if err != nil {
					return n, err
				}
				cal, cals[d.Region] = c, c
			}
			done, err := s.escalateOne(ctx, d, cal, now)
			if err != nil {
				return n, err
			}
			if done {
				n++
			}
		}
	}
	return n, nil
}

// escalateOne escalates d if nobody else did since it was read.
func (s *Service) escalateOne(ctx context.Context, d due, cal workcal.Calendar, now time.Time) (bool, error) {
	var next *time.Time
	if d.Level+1 < MaxLevel {
		t := cal.AddWorkingDays(d.EscalationDueAt, 1).UTC()
		next = &t
	}
	done := false
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		var cs []orders.Complaint // the escalated row, read back by RETURNING (no second query)
		if err := tx.WithContext(ctx).Raw(`UPDATE complaints SET level = level + 1, escalation_due_at = ?, updated_at = ?
WHERE id = ? AND status = 'open' AND level = ? AND escalation_due_at = ? RETURNING *`, next, now, d.ID, d.Level, d.EscalationDueAt).
			Scan(&cs).Error; err != nil || len(cs) == 0 {
			return err
		}
		done = true
		c := cs[0]
		from, status := d.Level, c.Status
		ev := orders.ComplaintEvent{ID: ids.New(), ComplaintID: c.ID, Action: ActAutoEscalate, ActorRole: "system",
			FromStatus: &status, ToStatus: status, FromLevel: &from, ToLevel: c.Level, Internal: true, CreatedAt: now,
			InternalNote: "no reply by " + d.EscalationDueAt.In(cal.Location()).Format("2006-01-02 15:04 MST")}
		if err := tx.WithContext(ctx).Omit("Seq").Create(&ev).Error; err != nil {
			return err
		}
		return escalated(ctx, tx, c, from, ActAutoEscalate, nil, now)
	})
	return done, err
}

// CloseResolved closes the resolved complaints whose close time has come
// (the customer did not reject the resolution), each with a timeline row,
// in one statement; it returns how many it closed. Running it twice at once
// closes each once (the UPDATE's row lock and status check).
func (s *Service) CloseResolved(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.db.WithContext(ctx).Raw(`WITH closed AS (
  UPDATE complaints SET status = 'closed', closed_at = ?, updated_at = ?, close_due_at = NULL
  WHERE status = 'resolved' AND close_due_at <= ? RETURNING id, level
), ev AS (
  INSERT INTO complaint_events (id, complaint_id, action, actor_role, from_status, to_status, from_level, to_level, note, created_at)
  SELECT gen_random_uuid(), id, 'close', 'system', 'resolved', 'closed', level, level, 'closed: the resolution was not rejected', ?
  FROM closed RETURNING 1
) SELECT count(*) FROM ev`, now.UTC(), now.UTC(), now.UTC(), now.UTC()).Scan(&n).Error
	return n, err
}

// RunDue is the periodic job: escalate overdue complaints, close resolved
// ones, at the service clock's now; it returns how many it changed.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	now := s.clock.Now()
	n, err := s.EscalateOverdue(ctx, now)
	if err != nil {
		return n, err
	}
	m, err := s.CloseResolved(ctx, now)
	return n + m, err
}

// RegisterJobs registers the sweep as a periodic job (every minute; River's
// leader enqueues it once across processes, and the sweep is safe to run
// twice at once anyway).
func (s *Service) RegisterJobs(reg *jobs.Registry) {
	reg.AddPeriodic(jobs.Periodic{Name: "complaints.due", Interval: time.Minute, RecoverAfter: 5 * time.Minute, Run: s.RunDue}) // a run killed mid-way delays the next by at most 5 minutes, not River's 1 h rescue
}
