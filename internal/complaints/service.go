// Package complaints is the complaint workflow (SPEC §5, issue 11 item 3):
// a customer's complaint (or one staff file on their behalf, or one a low
// rating opens: orders.OpenComplaint, shared by every path) moves
// open → responded → resolved → closed, and its escalation level goes
// 0 agent → 1 supervisor → 2 manager → 3 director.
//
// Due times are counted on the working calendar of the complaint's region
// (the order's; without an order, region "default"): the reply within 1
// working day, the resolution within 3. An open complaint nobody replied to
// escalates by itself at its reply due time and then once more every working
// day until level 3 (EscalateOverdue, a periodic job; a conditional UPDATE
// makes each escalation happen once however many workers run it). A resolved
// complaint closes by itself 3 working days after the resolution unless the
// customer rejects it first (reject-resolution: back to open, one level up).
//
// Every change writes a complaint_events row (the auditable timeline).
// Customers see the complaint and the public part of its timeline: staff's
// escalations (with their reasons) and every internal_note are staff-only.
package complaints

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// Statuses, in order.
const (
	StatusOpen      = "open"
	StatusResponded = "responded"
	StatusResolved  = "resolved"
	StatusClosed    = "closed"
)

// Statuses lists the statuses; Categories and Severities the accepted values.
var (
	Statuses   = []string{StatusOpen, StatusResponded, StatusResolved, StatusClosed}
	Categories = []string{"service_quality", "timeliness", "attitude", "billing", "damage", "parts", "other"}
	Severities = []string{"low", "medium", "high"}
)

// MaxLevel is the highest escalation level (director).
const MaxLevel = 3

// CloseAfterDays is how many working days after its resolution a complaint
// the customer did not reject closes by itself.
const CloseAfterDays = 3

// The timeline's actions.
const (
	ActCreate           = "create"
	ActRespond          = "respond"
	ActEscalate         = "escalate"
	ActAutoEscalate     = "auto_escalate"
	ActResolve          = "resolve"
	ActRejectResolution = "reject_resolution"
	ActClose            = "close"
)

// NotificationKind is the inbox kind of an escalation.
const NotificationKind = "complaint_escalated"

// People answers whether a staff principal belongs to the in-house team
// (identity.Service).
type People interface {
	InHouse(ctx context.Context, p auth.Principal) (bool, error)
}

// Service runs the complaint workflow.
type Service struct {
	db     *gorm.DB
	people People
	clock  clock.Clock
}

// New returns the complaint service.
func New(db *gorm.DB, people People, clk clock.Clock) *Service {
	return &Service{db: db, people: people, clock: clk}
}

// View is a complaint with its timeline as the caller may see it.
type View struct {
	Complaint orders.Complaint
	Events    []orders.ComplaintEvent
}

// scope is what a principal sees: all complaints, one customer's, or those
// of one provider's orders.
type scope struct {
	all      bool
	customer *uuid.UUID
	provider *uuid.UUID
}

func (s *Service) scopeOf(ctx context.Context, p auth.Principal) (scope, error) {
	switch p.Role {
	case auth.RoleCustomer:
		return scope{customer: &p.UserID}, nil
	case auth.RoleManager, auth.RoleDispatcher:
		in, err := s.people.InHouse(ctx, p)
		if err != nil {
			return scope{}, err
		}
		if in {
			return scope{all: true}, nil
		}
		if p.ProviderID != nil {
			return scope{provider: p.ProviderID}, nil
		}
	}
	return scope{}, errs.E(errs.Forbidden, "complaints are for customers, dispatchers and managers")
}

// where narrows q (complaints aliased c) to the scope.
func (sc scope) where(q *gorm.DB) *gorm.DB {
	switch {
	case sc.all:
		return q
	case sc.customer != nil:
		return q.Where("c.customer_id = ?", *sc.customer)
	case sc.provider != nil:
		return q.Where("EXISTS (SELECT 1 FROM orders o WHERE o.id = c.order_id AND o.provider_id = ?)", *sc.provider)
	}
	return q.Where("false")
}

func staff(p auth.Principal) bool {
	return p.Role == auth.RoleDispatcher || p.Role == auth.RoleManager
}

// CreateInput is a new complaint. Customers complain for themselves
// (CustomerID absent); staff name the customer, or the order whose customer
// complains.
type CreateInput struct {
	CustomerID, OrderID             *uuid.UUID
	Category, Severity, Description string
}

func (in *CreateInput) check() error {
	var fe []errs.FieldError
	in.Description = strings.TrimSpace(in.Description)
	if !slices.Contains(Categories, in.Category) {
		fe = append(fe, errs.FieldError{Field: "category", Message: "must be one of " + strings.Join(Categories, ", ")})
	}
	if !slices.Contains(Severities, in.Severity) {
		fe = append(fe, errs.FieldError{Field: "severity", Message: "must be one of " + strings.Join(Severities, ", ")})
	}
	if in.Description == "" || utf8.RuneCountInString(in.Description) > 2000 {
		fe = append(fe, errs.FieldError{Field: "description", Message: "must be 1–2000 characters"})
	}
	return errs.Fields(fe)
}

// Create opens a complaint (orders.OpenComplaint: due times, timeline,
// complaint.created), in one transaction.
func (s *Service) Create(ctx context.Context, p auth.Principal, in CreateInput) (View, error) {
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return View{}, err
	}
	if err := in.check(); err != nil {
		return View{}, err
	}
	c := orders.Complaint{ID: ids.New(), OrderID: in.OrderID, Category: in.Category, Severity: in.Severity,
		Description: in.Description, CreatedAt: s.clock.Now().UTC()}
	var order struct {
		CustomerID uuid.UUID
		ProviderID *uuid.UUID
	}
	if in.OrderID != nil {
		var rows []struct {
			CustomerID uuid.UUID
			ProviderID *uuid.UUID
		}
		if err := s.db.WithContext(ctx).Raw(`SELECT customer_id, provider_id FROM orders WHERE id = ?`, *in.OrderID).Scan(&rows).Error; err != nil {
			return View{}, err
		}
		visible := len(rows) == 1 && (sc.all ||
			(sc.customer != nil && rows[0].CustomerID == *sc.customer) ||
			(sc.provider != nil && rows[0].ProviderID != nil && *rows[0].ProviderID == *sc.provider))
		if !visible {
			return View{}, errs.Field("order_id", "is not an order you can see")
		}
		order = rows[0]
	}
	switch {
	case p.Role == auth.RoleCustomer:
		if in.CustomerID != nil && *in.CustomerID != p.UserID {
			return View{}, errs.Field("customer_id", "must be absent (customers complain for themselves)")
		}
		c.CustomerID, c.Source = p.UserID, "customer"
	default:
		c.Source = "staff"
		switch {
		case in.CustomerID == nil && in.OrderID == nil:
			return View{}, errs.Field("customer_id", "is required without order_id")
		case sc.provider != nil && in.OrderID == nil:
			return View{}, errs.Field("order_id", "is required for a partner's staff")
		case in.CustomerID == nil:
			c.CustomerID = order.CustomerID
		case in.OrderID != nil && *in.CustomerID != order.CustomerID:
			return View{}, errs.Field("customer_id", "is not the order's customer")
		default:
			c.CustomerID = *in.CustomerID
		}
		var role string
		if err := s.db.WithContext(ctx).Raw(`SELECT role FROM users WHERE id = ?`, c.CustomerID).Scan(&role).Error; err != nil {
			return View{}, err
		}
		if role != auth.RoleCustomer {
			return View{}, errs.Field("customer_id", "is not a customer")
		}
	}
	err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		return orders.OpenComplaint(ctx, tx, &c, p)
	})
	if err != nil {
		return View{}, err
	}
	return s.get(ctx, sc, p, c.ID)
}

// Get returns a complaint p may see (NotFound otherwise) with its timeline.
func (s *Service) Get(ctx context.Context, p auth.Principal, id uuid.UUID) (View, error) {
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return View{}, err
	}
	return s.get(ctx, sc, p, id)
}

// get is Get with p's scope already known.
func (s *Service) get(ctx context.Context, sc scope, p auth.Principal, id uuid.UUID) (View, error) {
	var cs []orders.Complaint
	if err := sc.where(s.db.WithContext(ctx).Table("complaints c").Select("c.*").Where("c.id = ?", id)).Find(&cs).Error; err != nil {
		return View{}, err
	}
	if len(cs) == 0 {
		return View{}, errs.NotFoundf("complaint")
	}
	return s.view(ctx, s.db, p, cs[0])
}

// view adds the timeline as p may see it.
func (s *Service) view(ctx context.Context, db *gorm.DB, p auth.Principal, c orders.Complaint) (View, error) {
	q := db.WithContext(ctx).Where("complaint_id = ?", c.ID).Order("seq")
	if p.Role == auth.RoleCustomer {
		q = q.Where("NOT internal")
	}
	var evs []orders.ComplaintEvent
	if err := q.Find(&evs).Error; err != nil {
		return View{}, err
	}
	if p.Role == auth.RoleCustomer {
		c.EscalationDueAt = nil
		for i := range evs {
			evs[i].InternalNote = ""
			if evs[i].ActorID != nil && *evs[i].ActorID != p.UserID {
				evs[i].ActorID = nil // staff identities are internal; the role stays
			}
		}
	}
	return View{Complaint: c, Events: evs}, nil
}

// Filter narrows a list.
type Filter struct {
	Status *string
	Level  *int
}

// List returns one page of the complaints p sees, newest first.
func (s *Service) List(ctx context.Context, p auth.Principal, f Filter, pg page.Request) ([]orders.Complaint, string, error) {
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return nil, "", err
	}
	q := sc.where(s.db.WithContext(ctx).Table("complaints c").Select("c.*"))
	if f.Status != nil {
		q = q.Where("c.status = ?", *f.Status)
	}
	if f.Level != nil {
		q = q.Where("c.level = ?", *f.Level)
	}
	if pg.After != nil {
		q = q.Where("(c.created_at, c.id) < (?, ?)", pg.After.At, pg.After.ID)
	}
	var cs []orders.Complaint
	if err := q.Order("c.created_at DESC, c.id DESC").Limit(pg.Limit + 1).Find(&cs).Error; err != nil {
		return nil, "", err
	}
	if p.Role == auth.RoleCustomer {
		for i := range cs {
			cs[i].EscalationDueAt = nil
		}
	}
	cs, next := page.Cut(cs, pg.Limit, func(c orders.Complaint) page.Key { return page.Key{At: c.CreatedAt, ID: c.ID} })
	return cs, next, nil
}

// Note is the text of a step: what the customer sees, and a staff-only note.
type Note struct {
	Text, Internal string
}

func (n *Note) check(field string, required bool) error {
	n.Text, n.Internal = strings.TrimSpace(n.Text), strings.TrimSpace(n.Internal)
	var fe []errs.FieldError
	if (required && n.Text == "") || utf8.RuneCountInString(n.Text) > 2000 {
		fe = append(fe, errs.FieldError{Field: field, Message: "must be 1–2000 characters"})
	}
	if utf8.RuneCountInString(n.Internal) > 2000 {
		fe = append(fe, errs.FieldError{Field: "internal_note", Message: "must be at most 2000 characters"})
	}
	return errs.Fields(fe)
}

// step is one change of a complaint inside its transaction.
type step struct {
	ctx context.Context
	tx  *gorm.DB
	c   *orders.Complaint
	ev  *orders.ComplaintEvent
	now time.Time
}

// act locks the complaint (NotFound outside p's scope), lets fn change it,
// and saves it with its timeline row in one transaction.
func (s *Service) act(ctx context.Context, p auth.Principal, id uuid.UUID, action string, fn func(st *step) error) (View, error) {
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return View{}, err
	}
	var out View
	err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		var cs []orders.Complaint
		if err := sc.where(tx.WithContext(ctx).Table("complaints c").Select("c.*").Where("c.id = ?", id)).
			Clauses(lockClause).Find(&cs).Error; err != nil {
			return err
		}
		if len(cs) == 0 {
			return errs.NotFoundf("complaint")
		}
		c := cs[0]
		now := s.clock.Now().UTC()
		fromStatus, fromLevel := c.Status, c.Level
		ev := orders.ComplaintEvent{ID: ids.New(), ComplaintID: c.ID, Action: action, ActorID: &p.UserID, ActorRole: p.Role,
			FromStatus: &fromStatus, FromLevel: &fromLevel, CreatedAt: now}
		if err := fn(&step{ctx: ctx, tx: tx, c: &c, ev: &ev, now: now}); err != nil {
			return err
		}
		c.UpdatedAt = now
		ev.ToStatus, ev.ToLevel = c.Status, c.Level
		// explicit columns: GORM's Save would stamp updated_at with the wall clock
		if err := tx.WithContext(ctx).Model(&orders.Complaint{}).Where("id = ?", c.ID).UpdateColumns(map[string]any{
			"status": c.Status, "level": c.Level, "reply_due_at": c.ReplyDueAt, "resolution_due_at": c.ResolutionDueAt,
			"escalation_due_at": c.EscalationDueAt, "close_due_at": c.CloseDueAt, "responded_at": c.RespondedAt,
			"resolved_at": c.ResolvedAt, "closed_at": c.ClosedAt, "response": c.Response, "resolution": c.Resolution,
			"updated_at": c.UpdatedAt}).Error; err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Omit("Seq").Create(&ev).Error; err != nil {
			return err
		}
		if c.Level != fromLevel {
			if err := escalated(ctx, tx, c, fromLevel, ev.Action, &p.UserID, now); err != nil {
				return err
			}
		}
		out, err = s.view(ctx, tx, p, c)
		return err
	})
	return out, err
}

func conflict(c *orders.Complaint, msg string) error {
	return errs.E(errs.Conflict, "%s (the complaint is %s at level %d)", msg, c.Status, c.Level)
}

// Respond is staff's reply (the customer sees text): open or responded
// complaints; it stops the automatic escalation.
func (s *Service) Respond(ctx context.Context, p auth.Principal, id uuid.UUID, n Note) (View, error) {
	if !staff(p) {
		return View{}, errs.E(errs.Forbidden, "only staff respond to complaints")
	}
	if err := n.check("text", true); err != nil {
		return View{}, err
	}
	return s.act(ctx, p, id, ActRespond, func(st *step) error {
		c := st.c
		if c.Status != StatusOpen && c.Status != StatusResponded {
			return conflict(c, "only an open or responded complaint takes a response")
		}
		c.Status, c.Response, c.EscalationDueAt = StatusResponded, n.Text, nil
		if c.RespondedAt == nil {
			c.RespondedAt = &st.now
		}
		st.ev.Note, st.ev.InternalNote = n.Text, n.Internal
		return nil
	})
}

// Escalate raises the level by one (staff; reason is internal). Level 3 and
// resolved or closed complaints are Conflict. An open complaint's next
// automatic escalation is a working day later.
func (s *Service) Escalate(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (View, error) {
	if !staff(p) {
		return View{}, errs.E(errs.Forbidden, "only staff escalate complaints")
	}
	n := Note{Text: reason}
	if err := n.check("reason", true); err != nil {
		return View{}, err
	}
	return s.act(ctx, p, id, ActEscalate, func(st *step) error {
		c := st.c
		if c.Status != StatusOpen && c.Status != StatusResponded {
			return conflict(c, "only an open or responded complaint is escalated")
		}
		if c.Level >= MaxLevel {
			return conflict(c, "the complaint is at the highest level (director)")
		}
		c.Level++
		if err := s.nextEscalation(st); err != nil {
			return err
		}
		st.ev.InternalNote, st.ev.Internal = n.Text, true
		return nil
	})
}

// nextEscalation sets when an open complaint escalates next: a working day
// from now, none at the highest level or once replied to.
func (s *Service) nextEscalation(st *step) error {
	c := st.c
	if c.Status != StatusOpen || c.Level >= MaxLevel {
		c.EscalationDueAt = nil
		return nil
	}
	cal, err := orders.CalendarOf(st.ctx, st.tx, c.Region)
	if err != nil {
		return err
	}
	due := cal.AddWorkingDays(st.now, 1).UTC()
	c.EscalationDueAt = &due
	return nil
}

// Resolve records the resolution (the customer sees it): open or responded
// complaints. It closes by itself CloseAfterDays working days later unless
// the customer rejects it.
func (s *Service) Resolve(ctx context.Context, p auth.Principal, id uuid.UUID, n Note) (View, error) {
	if !staff(p) {
		return View{}, errs.E(errs.Forbidden, "only staff resolve complaints")
	}
	if err := n.check("resolution", true); err != nil {
		return View{}, err
	}
	return s.act(ctx, p, id, ActResolve, func(st *step) error {
		c := st.c
		if c.Status != StatusOpen && c.Status != StatusResponded {
			return conflict(c, "only an open or responded complaint is resolved")
		}
		cal, err := orders.CalendarOf(st.ctx, st.tx, c.Region)
		if err != nil {
			return err
		}
		closeAt := cal.AddWorkingDays(st.now, CloseAfterDays).UTC()
		c.Status, c.Resolution, c.ResolvedAt, c.CloseDueAt, c.EscalationDueAt = StatusResolved, n.Text, &st.now, &closeAt, nil
		if c.RespondedAt == nil {
			c.RespondedAt = &st.now // a resolution answers the complaint
		}
		st.ev.Note, st.ev.InternalNote = n.Text, n.Internal
		return nil
	})
}

// RejectResolution is the customer turning a resolution down: the complaint
// goes back to open one level up (it stays at level 3 at the top), with a
// new reply due in 1 and resolution due in 3 working days. Only a resolved
// complaint (Conflict otherwise); only its customer (Forbidden for staff).
func (s *Service) RejectResolution(ctx context.Context, p auth.Principal, id uuid.UUID, reason string) (View, error) {
	if p.Role != auth.RoleCustomer {
		return View{}, errs.E(errs.Forbidden, "only the complaint's customer rejects its resolution")
	}
	n := Note{Text: reason}
	if err := n.check("reason", true); err != nil {
		return View{}, err
	}
	return s.act(ctx, p, id, ActRejectResolution, func(st *step) error {
		c := st.c
		if c.Status != StatusResolved {
			return conflict(c, "only a resolved complaint's resolution can be rejected")
		}
		cal, err := orders.CalendarOf(st.ctx, st.tx, c.Region)
		if err != nil {
			return err
		}
		if c.Level < MaxLevel {
			c.Level++
		}
		c.Status, c.ResolvedAt, c.CloseDueAt = StatusOpen, nil, nil
		c.SetDueTimes(cal, st.now)
		if c.Level < MaxLevel {
			due := c.ReplyDueAt
			c.EscalationDueAt = &due
		} else {
			c.EscalationDueAt = nil
		}
		st.ev.Note = n.Text
		return nil
	})
}
