package orders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

var constraints = map[string]errs.FieldError{
	"orders_pkey":                  {Field: "id", Message: "an order with this id already exists"},
	"orders_asset_id_fkey":         {Field: "asset_id", Message: "does not name an asset"},
	"orders_product_model_id_fkey": {Field: "product_model_id", Message: "does not name a product model"},
	"orders_customer_id_fkey":      {Field: "customer_id", Message: "does not name a customer"},
	// an API client's external_ref is unique per client (migration 000018)
	"orders_client_external_ref_key": {Field: "external_ref", Message: "you already submitted an order with this external_ref; find it with GET /v1/orders?external_ref="},
}

// ErrSlotTaken is returned when the technician already has an appointment overlapping the requested one.
var ErrSlotTaken = &errs.Error{Kind: errs.Conflict, Message: "the technician is already booked at that time; pick another slot",
	Fields: []errs.FieldError{{Field: "start", Message: "overlaps another appointment of the technician"}}}

type store struct{ db *gorm.DB }

func (s store) tx(db *gorm.DB) store { return store{db: db} }

// intakeFacts reads in one statement what intake needs besides its inserts:
// the SLA policy of the order's type × priority, the next order number and
// the new order's parties (BenchmarkOrderIntake: three statements were three
// round trips). The number comes from one PostgreSQL sequence: unique, and
// rolled-back transactions leave gaps. Internal when the policy is missing.
func (s store) intakeFacts(ctx context.Context, o Order, year int) (SLAPolicy, string, partyRow, error) {
	f, err := s.readIntakeFacts(ctx, o, nil, year)
	if err == nil && !f.numbered {
		err = errs.E(errs.Internal, "no SLA policy for %s/%s", o.Type, o.Priority)
	}
	return f.pol, f.number, f.joined, err
}

// intakeRow is what intakeFactsSQL reads. asset is set (and number taken)
// only when the owner asked about owns the order's asset.
type intakeRow struct {
	pol      SLAPolicy
	number   string
	numbered bool // a policy row was found and the number taken
	joined   partyRow
	asset    *catalog.Asset // product model id, purchase date and the model's warranty terms only
}

// intakeFactsSQL is intakeFacts' statement with the order's asset and its
// model's warranty terms besides (one round trip instead of two for a
// customer's intake of their own product, issue 8). With $8 (the owner)
// set, the number is taken only when the asset exists and $8 owns it: any
// other case falls back to the catalogue's own read and takes the number
// afterwards, exactly as without this statement, so a refused intake takes
// no number. Written with $n and run on pgx directly (database.Native; it is
// never part of the write's transaction): GORM's statement building and
// reflective scan, then database/sql's per-column scan set-up, were a tenth
// of intake's Go time.
var intakeFactsSQL = dollarPlaceholders(`SELECT p.order_type, p.priority, p.first_response_minutes, p.on_site_minutes, p.resolution_minutes, p.clock, p.updated_at,
CASE WHEN ?::uuid IS NULL OR pa.customer_id = ?::uuid THEN nextval('order_number_seq') END AS seq,
pa.customer_id, pa.product_model_id, pa.purchase_date, pm.warranty_months, pm.software_warranty_months, pm.return_window_days, ` + partySelect + `
FROM sla_policies p CROSS JOIN ` + partySource + partyJoins + `
WHERE p.order_type = ? AND p.priority = ?`)

// readIntakeFacts runs intakeFactsSQL; owner nil takes the number whenever
// the policy exists (numbered false: no policy row).
func (s store) readIntakeFacts(ctx context.Context, o Order, owner *uuid.UUID, year int) (intakeRow, error) {
	var (
		f                          intakeRow
		seq                        *int64
		assetOwner, assetMod, pmID pgtype.UUID
		purchase                   *time.Time
		wm, swm, rwd               *int
		j                          = &f.joined
	)
	args := pgUUIDs(append(append([]any{owner, owner}, partySourceArgs(o)...), o.Type, o.Priority))
	err := database.Native(ctx, s.db, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, intakeFactsSQL, args...).Scan(
			&f.pol.OrderType, &f.pol.Priority, &f.pol.FirstResponseMinutes, &f.pol.OnSiteMinutes, &f.pol.ResolutionMinutes, &f.pol.Clock, &f.pol.UpdatedAt,
			&seq, &assetOwner, &assetMod, &purchase, &wm, &swm, &rwd,
			&j.CustomerName, &j.CustomerPhone, &j.TechnicianName, &j.TechnicianPhone, &j.AssetSerialNumber, &pmID, &j.ModelBrand, &j.ModelName,
			&j.RegionTimeZone)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return intakeRow{}, nil
	}
	if err != nil {
		return intakeRow{}, err
	}
	j.ModelID = uuidPtr(pmID)
	if seq == nil {
		return f, nil
	}
	f.numbered, f.number = true, fmt.Sprintf("FO-%d-%06d", year, *seq)
	if owner != nil && assetOwner.Valid && assetMod.Valid && purchase != nil {
		a := catalog.Asset{CustomerID: assetOwner.Bytes, ProductModelID: assetMod.Bytes, PurchaseDate: *purchase}
		if wm != nil && swm != nil && rwd != nil {
			a.Model = catalog.ProductModel{ID: a.ProductModelID, WarrantyMonths: *wm, SoftwareWarrantyMonths: *swm, ReturnWindowDays: *rwd}
		}
		f.asset = &a
	}
	return f, nil
}

// dollarPlaceholders numbers the ? placeholders of query as $1, $2, … (for
// statements sent without GORM; the query has no other '?').
func dollarPlaceholders(query string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
}

func (s store) policy(ctx context.Context, typ, priority string) (SLAPolicy, error) {
	var p SLAPolicy
	err := s.db.WithContext(ctx).Where("order_type = ? AND priority = ?", typ, priority).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, errs.E(errs.Internal, "no SLA policy for %s/%s", typ, priority)
	}
	return p, err
}

// insertWithCreate inserts a new order, its create event and its
// order.created outbox event in one statement (a data-modifying CTE: both rows or neither, without BEGIN and
// COMMIT round trips) and reads the order back as stored. The INSERTs are
// rendered by GORM from the models, so the columns stay in one place
// (BenchmarkOrderIntake, docs/PERFORMANCE.md: intake took 9 round trips);
// renderInsert keeps GORM's rendering after the first intake.
func (s store) insertWithCreate(ctx context.Context, o *Order, e *Event) error {
	insSQL, insArgs, err := renderInsert(ctx, s.db, o, true)
	if err != nil {
		return err
	}
	evSQL, evArgs, err := renderInsert(ctx, s.db, e, false)
	if err != nil {
		return err
	}
	// the order.created integration event is a third branch (webhooks):
	// it commits with the order, still in one statement
	created, err := createdOutboxEvent(*o, e.CreatedAt)
	if err != nil {
		return err
	}
	obSQL, obArgs, err := renderInsert(ctx, s.db, created, false, "Seq")
	if err != nil {
		return err
	}
	query := intakeCTE(insSQL, evSQL, obSQL, len(insArgs), len(evArgs))
	args := make([]any, 0, len(insArgs)+len(evArgs)+len(obArgs))
	args = pgUUIDs(append(append(append(args, insArgs...), evArgs...), obArgs...))
	db := s.db.WithContext(ctx)
	rows, err := db.Statement.ConnPool.QueryContext(ctx, query, args...)
	if err != nil {
		return database.Constraint(err, constraints)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := db.ScanRows(rows, o); err != nil {
			return err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return database.Constraint(err, constraints)
	}
	if n != 1 {
		return fmt.Errorf("orders: intake wrote %d orders", n)
	}
	return nil
}

// lastIntakeCTE is the intake statement last built by intakeCTE: with the
// INSERTs' shapes kept (renderInsert) it is the same on every intake.
var lastIntakeCTE atomic.Pointer[[4]string]

// intakeCTE joins the three INSERTs into intake's one statement, sent as
// rendered (GORM's subquery embedding re-binds every argument with a string
// replace per argument: +100 KB per intake), the event's placeholders
// numbered after the order's and the outbox event's after both.
func intakeCTE(ins, ev, ob string, nIns, nEv int) string {
	if last := lastIntakeCTE.Load(); last != nil && last[0] == ins && last[1] == ev && last[2] == ob {
		return last[3]
	}
	var q strings.Builder
	q.WriteString("WITH ins AS (")
	q.WriteString(ins)
	q.WriteString("), ev AS (")
	shiftPlaceholders(&q, ev, nIns)
	q.WriteString("), ob AS (")
	shiftPlaceholders(&q, ob, nIns+nEv)
	q.WriteString(") SELECT * FROM ins")
	lastIntakeCTE.Store(&[4]string{ins, ev, ob, q.String()})
	return q.String()
}

// pgUUIDs replaces the uuid.UUID and *uuid.UUID arguments of a statement
// sent through database/sql by pgtype.UUID, in place. pgx sends both as the
// same 16 bytes, but a uuid.UUID goes through its driver.Valuer (a string)
// and pgx parses that string back (BenchmarkOrderIntake: a fifth of the
// allocations of intake's Go side were those round trips of its 16 ids).
func pgUUIDs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case uuid.UUID:
			args[i] = pgtype.UUID{Bytes: v, Valid: true}
		case *uuid.UUID:
			if v == nil {
				args[i] = pgtype.UUID{}
			} else {
				args[i] = pgtype.UUID{Bytes: *v, Valid: true}
			}
		}
	}
	return args
}

// shiftPlaceholders writes query with every placeholder $n as $(n+by). GORM
// binds every value, so a '$' in its rendered SQL is always a placeholder.
func shiftPlaceholders(w *strings.Builder, query string, by int) {
	for i := 0; i < len(query); i++ {
		w.WriteByte(query[i])
		if query[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(query[i+1 : j]); err == nil {
			w.WriteString(strconv.Itoa(n + by))
			i = j - 1
		}
	}
}

func (s store) get(ctx context.Context, id uuid.UUID, lock bool) (Order, error) {
	var o Order
	q := s.db.WithContext(ctx)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Where("id = ?", id).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return o, errs.NotFoundf("order")
	}
	return o, err
}

// getForUpdateWithParties is get(id, true) with the order's parties, in one
// statement: the row lock is the order's only (FOR UPDATE OF o).
func (s store) getForUpdateWithParties(ctx context.Context, id uuid.UUID) (Order, partyRow, error) {
	var rows []orderRow
	err := s.db.WithContext(ctx).Table("orders o").Select("o.*, "+partySelect).Joins(partyJoins).Where("o.id = ?", id).
		Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "o"}}).Find(&rows).Error
	if err != nil {
		return Order{}, partyRow{}, err
	}
	if len(rows) == 0 {
		return Order{}, partyRow{}, errs.NotFoundf("order")
	}
	return rows[0].Order, rows[0].Joined, nil
}

// save writes every column, bumps the version and reads back updated_at,
// which the database sets (time of the write) for delta sync.
func (s store) save(ctx context.Context, o *Order) error {
	o.Version++
	err := s.db.WithContext(ctx).Model(o).Clauses(clause.Returning{Columns: []clause.Column{{Name: "updated_at"}}}).
		Select("*").Omit("id", "number", "created_at", "customer_id").Updates(o).Error
	return database.Constraint(err, constraints)
}

func (s store) wasAssigned(ctx context.Context, order, tech uuid.UUID) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Assignment{}).Where("order_id = ? AND technician_id = ?", order, tech).Count(&n).Error
	return n > 0, err
}

func (s store) recordAssignment(ctx context.Context, order, tech uuid.UUID, at time.Time) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&Assignment{OrderID: order, TechnicianID: tech, AssignedAt: at}).Error
}

// recordAcceptance notes the technician's first acceptance of the order.
func (s store) recordAcceptance(ctx context.Context, order, tech uuid.UUID, at time.Time) error {
	return s.db.WithContext(ctx).Model(&Assignment{}).Where("order_id = ? AND technician_id = ? AND accepted_at IS NULL", order, tech).
		Update("accepted_at", at).Error
}

// dropUnaccepted removes the technician's assignment row unless they
// accepted the order before (a visit they worked): the order leaves their scope.
func (s store) dropUnaccepted(ctx context.Context, order, tech uuid.UUID) error {
	return s.db.WithContext(ctx).Where("order_id = ? AND technician_id = ? AND accepted_at IS NULL", order, tech).
		Delete(&Assignment{}).Error
}

// workedVisits lists the visits of the order the technician accepted.
func (s store) workedVisits(ctx context.Context, order, tech uuid.UUID) ([]int, error) {
	var out []int
	err := s.db.WithContext(ctx).Model(&Event{}).Distinct("visit").
		Where("order_id = ? AND action = ? AND actor_id = ?", order, string(ActAccept), tech).Pluck("visit", &out).Error
	return out, err
}

func (s store) addEvent(ctx context.Context, e *Event) error {
	return s.db.WithContext(ctx).Create(e).Error
}

// events reads up to n events of an order that pass f, after a keyset
// position, oldest first, with each actor's name (one query).
func (s store) events(ctx context.Context, order uuid.UUID, f eventFilter, after *page.Key, n int) ([]Event, error) {
	var rows []eventRow
	q := s.db.WithContext(ctx).Table("order_events e").Select("e.*, u.name AS actor_name").
		Joins("LEFT JOIN users u ON u.id = e.actor_id").Where("e.order_id = ?", order)
	if f.audiences != nil {
		q = q.Where("e.audience IN ?", f.audiences)
	}
	if f.technician != nil {
		visits := append([]int{0}, f.visits...) // never an empty IN list
		q = q.Where("(e.technician_id = ? OR (e.technician_id IS NULL AND e.visit IN ?))", *f.technician, visits)
	}
	if after != nil {
		q = q.Where("(e.created_at, e.id) > (?, ?)", after.At, after.ID)
	}
	err := q.Order("e.created_at, e.id").Limit(n).Find(&rows).Error
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		e := r.Event
		if e.ActorID != nil {
			e.Actor = &Actor{ID: *e.ActorID, Role: e.ActorRole, Name: deref(r.ActorName)}
		}
		out = append(out, e)
	}
	return out, err
}

func (s store) notify(ctx context.Context, n *Notification) error {
	return s.db.WithContext(ctx).Create(n).Error
}

// lockTechnicians takes a dispatch lock on each technician (until the
// transaction ends), in id order so two dispatches never wait on each other in
// a cycle; concurrent auto-assigns then count a technician's load one at a time.
func (s store) lockTechnicians(ctx context.Context, techs []uuid.UUID) error {
	sorted := slices.Clone(techs)
	slices.SortFunc(sorted, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	for _, t := range sorted {
		if err := s.db.WithContext(ctx).Exec(`SELECT pg_advisory_xact_lock(hashtext('dispatch'), hashtext(?::text))`, t.String()).Error; err != nil {
			return err
		}
	}
	return nil
}

// openJobs counts each technician's open orders for the day of day: those
// booked that day and those not booked yet (visits on other days do not
// take today's capacity).
func (s store) openJobs(ctx context.Context, techs []uuid.UUID, day time.Time) (map[uuid.UUID]int, error) {
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	var rows []struct {
		TechnicianID uuid.UUID
		N            int
	}
	err := s.db.WithContext(ctx).Model(&Order{}).Select("technician_id, count(*) AS n").
		Where("technician_id IN ? AND status IN ?", techs, OpenStatuses).
		Where("appointment_start IS NULL OR (appointment_start >= ? AND appointment_start < ?)", start, start.AddDate(0, 0, 1)).
		Group("technician_id").Scan(&rows).Error
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.TechnicianID] = r.N
	}
	return out, err
}

// endAppointment deactivates the order's active appointment, if any.
func (s store) endAppointment(ctx context.Context, order uuid.UUID, at time.Time) error {
	return s.db.WithContext(ctx).Model(&Appointment{}).Where("order_id = ? AND active", order).
		Updates(map[string]any{"active": false, "ended_at": at}).Error
}

// book inserts an active appointment; an overlap with another active
// appointment of the technician is ErrSlotTaken (exclusion constraint).
func (s store) book(ctx context.Context, a Appointment, w Window) error {
	// Bookings of one technician take turns (lock held until commit): two
	// inserts checking the exclusion constraint at once wait for each other,
	// and PostgreSQL aborts one as a deadlock (40P01, a 500) instead of 23P01.
	if err := s.db.WithContext(ctx).Exec(`SELECT pg_advisory_xact_lock(hashtext('appointments'), hashtext(?::text))`,
		a.TechnicianID.String()).Error; err != nil {
		return err
	}
	err := s.db.WithContext(ctx).Exec(`INSERT INTO appointments (id, order_id, technician_id, during, active, reason, booked_by, created_at)
VALUES (?, ?, ?, tstzrange(?, ?, '[)'), true, ?, ?, ?)`, a.ID, a.OrderID, a.TechnicianID, w.Start, w.End, a.Reason, a.BookedBy, a.CreatedAt).Error
	if err != nil && errs.KindOf(database.Constraint(err, nil)) == errs.Conflict {
		return ErrSlotTaken
	}
	return err
}

// busy returns the active appointments of the technicians overlapping [from, to).
func (s store) busy(ctx context.Context, techs []uuid.UUID, from, to time.Time) (map[uuid.UUID][]Window, error) {
	var rows []struct {
		TechnicianID uuid.UUID
		Start, End   time.Time
	}
	err := s.db.WithContext(ctx).Raw(`SELECT technician_id, lower(during) AS start, upper(during) AS "end" FROM appointments
WHERE active AND technician_id IN ? AND during && tstzrange(?, ?, '[)')`, techs, from, to).Scan(&rows).Error
	out := map[uuid.UUID][]Window{}
	for _, r := range rows {
		out[r.TechnicianID] = append(out[r.TechnicianID], Window{Start: r.Start, End: r.End})
	}
	return out, err
}

// syncBoundSQL is the newest updated_at below which every write is committed:
// the earlier of now and the start of the oldest open transaction that has
// written anything (has a transaction id). Rows written by a transaction still
// running cannot be older than it: the orders trigger takes the transaction
// id, which pg_stat_activity shows at once, before it stamps updated_at with
// the time of the write, so a writer that stamped a row before this statement
// began is visible here. Read-only transactions do not hold the bound back.
// Lists compute it in their own statement (listOrders), so a page is one
// round trip.
//
// "Now" is transaction_timestamp(), never statement_timestamp(): over the
// extended protocol the statement's snapshot is taken at Bind while
// statement_timestamp() is reset at Execute, so a writer could take its id,
// stamp and commit between the two (the backend descheduled on a busy
// machine) — after the snapshot, gone before pg_stat_activity is read, yet
// stamped before statement_timestamp(): its row would be behind the bound
// and missed for good. The transaction's start precedes its snapshot in
// every protocol (TestOrdersDeltaSyncUnderConcurrentChanges caught it about
// once in 40 runs).
const syncBoundSQL = `SELECT LEAST(transaction_timestamp(), COALESCE((SELECT min(xact_start) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL AND backend_type = 'client backend'), 'infinity'))`

// The party joins: an order row aliased o joined to its customer, technician,
// asset, product model and region (for its time zone), each on a primary key. Lists wrap their page query
// (keyset, limit) as the subquery o, so the joins touch only the page's rows
// and the page's plan keeps its shape (docs/PERFORMANCE.md).
const (
	partySelect = `pc.name AS customer_name, pc.phone AS customer_phone, pt.name AS technician_name, pt.phone AS technician_phone,
pa.serial_number AS asset_serial_number, pm.id AS model_id, pm.brand AS model_brand, pm.name AS model_name,
COALESCE(rg.time_zone, '` + DefaultTimeZone + `') AS region_time_zone`
	partyJoins = `
LEFT JOIN users pc ON pc.id = o.customer_id
LEFT JOIN users pt ON pt.id = o.technician_id
LEFT JOIN assets pa ON pa.id = o.asset_id
LEFT JOIN product_models pm ON pm.id = COALESCE(pa.product_model_id, o.product_model_id)
LEFT JOIN regions rg ON rg.code = o.region`
)

// orderRow is an order with its joined parties.
type orderRow struct {
	Order
	Joined partyRow `gorm:"embedded"`
}

// getWithParties reads one order and its parties in one query (NotFound).
//
// It is GET /v1/orders/{id}'s statement, so it is read as the list pages
// are: by pgx, into listFields (list_scan.go), not by GORM's reflection (the
// first column stands for the list's bound). Not inside a transaction:
// database.Native takes a connection of its own.
func (s store) getWithParties(ctx context.Context, id uuid.UUID) (Order, partyRow, error) {
	var out []*orderRow
	err := database.Native(ctx, s.db, func(conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, getWithPartiesSQL, id)
		if err != nil {
			return err
		}
		out, _, err = scanListRows(rows)
		return err
	})
	if err != nil {
		return Order{}, partyRow{}, err
	}
	if len(out) == 0 {
		return Order{}, partyRow{}, errs.NotFoundf("order")
	}
	return out[0].Order, out[0].Joined, nil
}

var getWithPartiesSQL = "SELECT NULL::timestamptz AS bound, " + listOrderColumns + ", " + partySelect + "\nFROM orders o" + partyJoins + "\nWHERE o.id = $1"

// partySource stands in for an order row held in memory (o), so that
// partyJoins can read its parties; partySourceArgs fills it.
const partySource = `(SELECT ?::uuid AS customer_id, ?::uuid AS technician_id, ?::uuid AS asset_id, ?::uuid AS product_model_id, ?::text AS region) o`

func partySourceArgs(o Order) []any {
	return []any{o.CustomerID, o.TechnicianID, o.AssetID, o.ProductModelID, o.Region}
}

// partiesOf reads the parties of an order held in memory (e.g. just
// changed in st's transaction), in one query.
func (s store) partiesOf(ctx context.Context, o Order) (partyRow, error) {
	var r partyRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+partySelect+` FROM `+partySource+partyJoins, partySourceArgs(o)...).Scan(&r).Error
	return r, err
}

// eventRow is an event with its actor's name.
type eventRow struct {
	Event
	ActorName *string
}
