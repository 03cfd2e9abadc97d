package reports

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/orders"
)

// store runs the KPI statements. They are plain SQL (GORM only binds and
// scans): each is a handful of aggregates over index range scans of the
// window (migration 000017), measured at 1M orders in docs/PERFORMANCE.md
// ("KPI report").
type store struct{ db *gorm.DB }

// readOnly runs fn in one REPEATABLE READ, READ ONLY transaction, so the
// statements of a report (and every bucket of a series) see one snapshot.
// JIT is off for it: the plans are index probes whose estimated cost crosses
// jit_above_cost at 1M orders, and compiling them took 2.2 s of a 4.6 s
// report (docs/PERFORMANCE.md, "KPI report").
func (s store) readOnly(ctx context.Context, fn func(st store) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(sessionSettings).Error; err != nil {
			return err
		}
		return fn(store{db: tx})
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// sessionSettings are set in every report transaction. work_mem: the
// window's materialised rows (about 15 MB each at 250k orders) stay in
// memory instead of temporary files.
const sessionSettings = "SET LOCAL jit = off; SET LOCAL work_mem = '32MB'"

// regionZone is the IANA zone of a region (the default zone for a region
// without a row, as orders.DefaultRegion).
func (s store) regionZone(ctx context.Context, code string) (string, error) {
	var zone string
	err := s.db.WithContext(ctx).Raw(`SELECT time_zone FROM regions WHERE code = ?`, code).Row().Scan(&zone)
	if errors.Is(err, sql.ErrNoRows) {
		return orders.DefaultTimeZone, nil
	}
	return zone, err
}

// filterSQL renders the filters as conditions on orders alias o; tech is
// the column the technician filter applies to for this KPI.
func filterSQL(f Filters, tech string, args map[string]any) string {
	var b strings.Builder
	if f.Region != "" {
		b.WriteString(" AND o.region = @region")
		args["region"] = f.Region
	}
	if f.ProviderID != nil {
		b.WriteString(" AND o.provider_id = @provider")
		args["provider"] = *f.ProviderID
	}
	if f.ProductModelID != nil {
		b.WriteString(" AND o.product_model_id = @model")
		args["model"] = *f.ProductModelID
	}
	if f.TechnicianID != nil {
		b.WriteString(" AND " + tech + " = @tech")
		args["tech"] = *f.TechnicianID
	}
	return b.String()
}

// kpiRow is what the main statement returns: every numerator and denominator.
type kpiRow struct {
	FTFNum             int64   `gorm:"column:ftf_num"`
	FTFDen             int64   `gorm:"column:ftf_den"`
	FirstRespMinutes   float64 `gorm:"column:first_resp_minutes"`
	FirstRespDen       int64   `gorm:"column:first_resp_den"`
	OnTimeNum          int64   `gorm:"column:on_time_num"`
	OnTimeDen          int64   `gorm:"column:on_time_den"`
	SLAFirstNum        int64   `gorm:"column:sla_first_num"`
	SLAFirstDen        int64   `gorm:"column:sla_first_den"`
	SLAOnSiteNum       int64   `gorm:"column:sla_on_site_num"`
	SLAOnSiteDen       int64   `gorm:"column:sla_on_site_den"`
	SLAResNum          int64   `gorm:"column:sla_res_num"`
	SLAResDen          int64   `gorm:"column:sla_res_den"`
	FixedNum           int64   `gorm:"column:fixed_num"`
	CompletedDen       int64   `gorm:"column:completed_den"`
	CSATSum            int64   `gorm:"column:csat_sum"`
	RatingsDen         int64   `gorm:"column:ratings_den"`
	CSINum             int64   `gorm:"column:csi_num"`
	ComplaintsNum      int64   `gorm:"column:complaints_num"`
	CompletedOrdersDen int64   `gorm:"column:completed_orders_den"`
	RepeatNum          int64   `gorm:"column:repeat_num"`
	RepeatDen          int64   `gorm:"column:repeat_den"`
	PartsUsed          int64   `gorm:"column:parts_used"`
}

// The statements, one per KPI family, so that a report can run them on
// several connections at once in one snapshot (concurrent.go). Each sums
// into kpiRow's columns; a family leaves the others out.
//
// completionsSQL: completions are the events that complete a visit
// (complete, or quote/reject: completed, not fixed); a reopen is any event
// from completed/closed back to triaged (reopen, or a follow-up "not
// resolved"); a visit has at most one completion, and a reopen starts the
// next visit, so "before" and "after" a completion are told by the visit
// number (the clock may give two events the same instant). Each CTE reads
// its window through an index range.
const completionsSQL = `
WITH comp AS (
    SELECT e.order_id, e.visit, e.created_at, o.type, o.asset_id,
           (e.action = 'complete' AND coalesce((e.payload->>'fixed')::boolean, false)) AS fixed
    FROM order_events e JOIN orders o ON o.id = e.order_id
    WHERE e.action IN ('complete', 'quote/reject') AND e.created_at >= @from AND e.created_at < @to {{comp}}
), comp_x AS MATERIALIZED ( -- once per row: its flags are read by several aggregates
    SELECT c.*,
           CASE WHEN c.visit = 1 THEN true ELSE NOT EXISTS ( -- an earlier visit's completion
               SELECT 1 FROM order_events p WHERE p.order_id = c.order_id AND p.created_at <= c.created_at
               AND p.action IN ('complete', 'quote/reject') AND p.visit < c.visit) END AS first_completion,
           EXISTS (SELECT 1 FROM order_events r WHERE r.order_id = c.order_id
                   AND r.created_at >= c.created_at AND r.created_at <= c.created_at + interval '30 days'
                   AND r.from_status IN ('completed', 'closed') AND r.to_status = 'triaged' AND r.visit > c.visit) AS reopened
    FROM comp c
), comp_agg AS (
    SELECT count(*) FILTER (WHERE first_completion) AS ftf_den,
           count(*) FILTER (WHERE first_completion AND visit = 1 AND fixed AND NOT reopened) AS ftf_num,
           count(*) AS completed_den,
           count(*) FILTER (WHERE fixed) AS fixed_num,
           count(DISTINCT order_id) AS completed_orders,
           count(*) FILTER (WHERE type = 'repair') AS repeat_den,
           count(*) FILTER (WHERE type = 'repair' AND (reopened OR EXISTS (
               SELECT 1 FROM orders n WHERE n.asset_id = comp_x.asset_id AND n.id <> comp_x.order_id AND n.type = 'repair'
               AND n.created_at > comp_x.created_at AND n.created_at <= comp_x.created_at + interval '30 days'))) AS repeat_num
    FROM comp_x
), parts_agg AS ( -- the net parts issued to the orders completed in the window
    SELECT coalesce(sum(CASE m.kind WHEN 'issue' THEN m.qty ELSE -m.qty END), 0) AS parts_used
    FROM stock_movements m
    WHERE m.kind IN ('issue', 'return') AND m.order_id IN (SELECT c.order_id FROM comp_x c)
)
SELECT ftf_num, ftf_den, fixed_num, completed_den, completed_orders AS completed_orders_den, repeat_num, repeat_den, parts_used
FROM comp_agg, parts_agg`

// arrivalsSQL: the arrivals against their appointment windows, the ratings
// and the complaints (each small but the arrivals).
const arrivalsSQL = `
WITH arr AS MATERIALIZED (
    SELECT e.created_at,
           (SELECT upper(a.during) FROM appointments a WHERE a.order_id = e.order_id AND a.created_at <= e.created_at
            ORDER BY a.created_at DESC LIMIT 1) AS window_end
    FROM (SELECT e.order_id, e.created_at
          FROM order_events e {{arr_join}}
          WHERE e.action = 'arrive' AND e.created_at >= @from AND e.created_at < @to {{arr}}
          ORDER BY e.order_id) e -- probes in index order, as the cohort's
), arr_agg AS (
    SELECT count(*) FILTER (WHERE window_end IS NOT NULL) AS on_time_den,
           count(*) FILTER (WHERE created_at <= window_end) AS on_time_num
    FROM arr
), rating_agg AS (
    SELECT count(*) AS ratings, coalesce(sum(r.score), 0) AS score_sum, count(*) FILTER (WHERE r.score >= 4) AS satisfied
    FROM ratings r {{rating_join}}
    WHERE r.created_at >= @from AND r.created_at < @to {{rating}}
), complaint_agg AS (
    SELECT count(*) AS complaints
    FROM complaints k {{complaint_join}}
    WHERE k.created_at >= @from AND k.created_at < @to {{complaint}}
)
SELECT on_time_num, on_time_den, score_sum AS csat_sum, ratings AS ratings_den, satisfied AS csi_num,
       complaints AS complaints_num
FROM arr_agg, rating_agg, complaint_agg`

// cohortSQL: the SLA milestones of the orders created in the window (one
// walk of each order's timeline).
const cohortSQL = `
WITH cohort AS ( -- one walk of each order's timeline (inlined: read once, no tuplestore)
    SELECT o.created_at, o.first_response_due, o.on_site_due, o.resolution_due, m.*
    FROM (SELECT o.id, o.created_at, o.first_response_due, o.on_site_due, o.resolution_due
          FROM orders o
          WHERE o.created_at >= @from AND o.created_at < @to {{cohort}}
          ORDER BY o.id) o -- probes in index order: neighbours share leaf pages
    CROSS JOIN LATERAL (
        SELECT min(x.created_at) FILTER (WHERE x.action <> 'create' AND x.actor_role IN ('dispatcher', 'manager', 'technician')) AS responded_at,
               min(x.created_at) FILTER (WHERE x.action = 'arrive') AS arrived_at,
               min(x.created_at) FILTER (WHERE x.action = 'complete') AS resolved_at,
               min(x.created_at) FILTER (WHERE x.action = 'cancel') AS cancelled_at
        FROM order_events x WHERE x.order_id = o.id) m
), cohort_agg AS (
    SELECT coalesce(sum(extract(epoch FROM responded_at - created_at)) FILTER (WHERE responded_at IS NOT NULL), 0) / 60 AS resp_minutes,
           count(*) FILTER (WHERE responded_at IS NOT NULL) AS resp_den,
           count(*) FILTER (WHERE responded_at <= first_response_due) AS sla_first_num,
           count(*) FILTER (WHERE responded_at IS NOT NULL OR (first_response_due <= @now
               AND (cancelled_at IS NULL OR cancelled_at > first_response_due))) AS sla_first_den,
           count(*) FILTER (WHERE on_site_due IS NOT NULL AND arrived_at <= on_site_due) AS sla_onsite_num,
           count(*) FILTER (WHERE on_site_due IS NOT NULL AND (arrived_at IS NOT NULL OR (on_site_due <= @now
               AND (cancelled_at IS NULL OR cancelled_at > on_site_due)))) AS sla_onsite_den,
           count(*) FILTER (WHERE resolved_at <= resolution_due) AS sla_res_num,
           count(*) FILTER (WHERE resolved_at IS NOT NULL OR (resolution_due <= @now
               AND (cancelled_at IS NULL OR cancelled_at > resolution_due))) AS sla_res_den
    FROM cohort
)
SELECT resp_minutes AS first_resp_minutes, resp_den AS first_resp_den, sla_first_num, sla_first_den,
       sla_onsite_num AS sla_on_site_num, sla_onsite_den AS sla_on_site_den, sla_res_num, sla_res_den
FROM cohort_agg`

// faultSQL counts repair orders created in the window per product model
// (filtered like the cohort) against the model's assets registered before
// the window's end (in the region, when one is given).
const faultSQL = `
WITH repairs AS (
    SELECT o.product_model_id AS id, count(*) AS n
    FROM orders o
    WHERE o.type = 'repair' AND o.product_model_id IS NOT NULL AND o.created_at >= @from AND o.created_at < @to {{cohort}}
    GROUP BY 1
), registered AS (
    SELECT a.product_model_id AS id, count(*) AS n
    FROM assets a
    WHERE a.created_at < @to {{assets}}
    GROUP BY 1
)
SELECT m.id, m.code, m.name, coalesce(r.n, 0) AS repairs, coalesce(g.n, 0) AS assets
FROM product_models m
LEFT JOIN repairs r ON r.id = m.id
LEFT JOIN registered g ON g.id = m.id
WHERE (r.n IS NOT NULL OR g.n IS NOT NULL) {{models}}
ORDER BY m.code, m.id`

// render fills the statements' filter slots; each KPI family applies the
// technician filter to its own column (see the OpenAPI description). The
// KPI statements come longest first (cohort, completions, arrivals: their
// order on a single connection does not matter, on several it balances).
func render(q Query, now time.Time) (kpi []string, fault string, args map[string]any) {
	args = map[string]any{"from": q.From, "to": q.To, "now": now}
	f := q.Filters
	unlinked := f.Region == "" && f.ProviderID == nil && f.ProductModelID == nil && f.TechnicianID == nil
	complaintJoin, complaint := "JOIN orders o ON o.id = k.order_id", filterSQL(f, "o.technician_id", args)
	if unlinked { // complaints without an order count only in an unfiltered report
		complaintJoin, complaint = "", ""
	}
	// arrivals and ratings need their order only for its filters
	arrJoin := "JOIN orders o ON o.id = e.order_id"
	if f.Region == "" && f.ProviderID == nil && f.ProductModelID == nil {
		arrJoin = ""
	}
	ratingJoin := "JOIN orders o ON o.id = r.order_id LEFT JOIN completions cp ON cp.order_id = r.order_id AND cp.visit = r.visit"
	if unlinked {
		ratingJoin = ""
	}
	fill := strings.NewReplacer(
		"{{comp}}", filterSQL(f, "e.technician_id", args),
		"{{arr_join}}", arrJoin,
		"{{arr}}", filterSQL(f, "e.technician_id", args),
		"{{cohort}}", filterSQL(f, "o.technician_id", args),
		"{{rating_join}}", ratingJoin,
		"{{rating}}", filterSQL(f, "coalesce(cp.technician_id, o.technician_id)", args),
		"{{complaint_join}}", complaintJoin,
		"{{complaint}}", complaint,
	)
	kpi = []string{fill.Replace(cohortSQL), fill.Replace(completionsSQL), fill.Replace(arrivalsSQL)}
	assets, models := "", ""
	if f.Region != "" {
		assets = " AND a.address_region = @region"
	}
	if f.ProductModelID != nil {
		models = " AND m.id = @model"
	}
	fault = strings.NewReplacer("{{cohort}}", filterSQL(f, "o.technician_id", args), "{{assets}}", assets,
		"{{models}}", models).Replace(faultSQL)
	return kpi, fault, args
}

// modelRow is a row of the fault-rate statement.
type modelRow struct {
	ID              uuid.UUID
	Code, Name      string
	Repairs, Assets int64
}

// add sums another family's columns into r (each column comes from one family).
func (r *kpiRow) add(o kpiRow) {
	a, b := reflect.ValueOf(r).Elem(), reflect.ValueOf(o)
	for i := range a.NumField() {
		switch f := a.Field(i); f.Kind() {
		case reflect.Int64:
			f.SetInt(f.Int() + b.Field(i).Int())
		case reflect.Float64:
			f.SetFloat(f.Float() + b.Field(i).Float())
		}
	}
}

// kpis runs the statements for q one after the other on s (one connection).
func (s store) kpis(ctx context.Context, q Query, now time.Time) (KPIs, error) {
	kpi, fault, args := render(q, now)
	var r kpiRow
	for _, stmt := range kpi {
		var part kpiRow
		if err := s.db.WithContext(ctx).Raw(stmt, args).Scan(&part).Error; err != nil {
			return KPIs{}, err
		}
		r.add(part)
	}
	var models []modelRow
	if err := s.db.WithContext(ctx).Raw(fault, args).Scan(&models).Error; err != nil {
		return KPIs{}, err
	}
	return toKPIs(r, models), nil
}

// toKPIs turns the statements' rows into the report's figures.
func toKPIs(r kpiRow, models []modelRow) KPIs {
	k := KPIs{
		FirstTimeFixRate:        ratio(float64(r.FTFNum), r.FTFDen, 1),
		AvgFirstResponseMinutes: ratio(r.FirstRespMinutes, r.FirstRespDen, 1),
		OnTimeArrivalRate:       ratio(float64(r.OnTimeNum), r.OnTimeDen, 1),
		SLACompliance: SLACompliance{
			FirstResponse: ratio(float64(r.SLAFirstNum), r.SLAFirstDen, 1),
			OnSite:        ratio(float64(r.SLAOnSiteNum), r.SLAOnSiteDen, 1),
			Resolution:    ratio(float64(r.SLAResNum), r.SLAResDen, 1),
		},
		ResolutionRate:   ratio(float64(r.FixedNum), r.CompletedDen, 1),
		CSATAvg:          ratio(float64(r.CSATSum), r.RatingsDen, 1),
		CSIPct:           ratio(float64(r.CSINum), r.RatingsDen, 100),
		ComplaintRate:    ratio(float64(r.ComplaintsNum), r.CompletedOrdersDen, 1),
		RepeatRepairRate: ratio(float64(r.RepeatNum), r.RepeatDen, 1),
		PartsUsage:       ratio(float64(r.PartsUsed), r.CompletedOrdersDen, 1),
		FaultRatePer100:  make([]ModelFaultRate, 0, len(models)),
	}
	for _, m := range models {
		k.FaultRatePer100 = append(k.FaultRatePer100, ModelFaultRate{ProductModelID: m.ID, Code: m.Code, Name: m.Name,
			KPI: ratio(float64(m.Repairs), m.Assets, 100)})
	}
	return k
}

// explain runs stmt under EXPLAIN (ANALYZE, BUFFERS) and returns its plan.
func (s store) explain(ctx context.Context, stmt string, args map[string]any) (string, error) {
	rows, err := s.db.WithContext(ctx).Raw("EXPLAIN (ANALYZE, BUFFERS) "+stmt, args).Rows()
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", err
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n"), rows.Err()
}
