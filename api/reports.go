package api

import (
	"encoding/csv"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/reports"
)

// KPI reports (SPEC §5, issue 11): the KPIs of a window and their time
// series, as JSON or CSV.

// kpiQuery reads from, to and the filters; every bad value is a field error.
func kpiQuery(c echo.Context) (reports.Query, error) {
	var q reports.Query
	var fe []errs.FieldError
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		s := c.QueryParam(p.name)
		if s == "" {
			fe = append(fe, errs.FieldError{Field: p.name, Message: "is required (RFC 3339)"})
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			fe = append(fe, errs.FieldError{Field: p.name, Message: "must be an RFC 3339 time like 2026-06-01T00:00:00Z"})
			continue
		}
		*p.dst = t
	}
	q.Filters.Region = c.QueryParam("region")
	if len(q.Filters.Region) > 64 {
		fe = append(fe, errs.FieldError{Field: "region", Message: "must be at most 64 characters"})
	}
	for _, p := range []struct {
		name string
		dst  **uuid.UUID
	}{{"technician_id", &q.Filters.TechnicianID}, {"provider_id", &q.Filters.ProviderID}, {"product_model_id", &q.Filters.ProductModelID}} {
		if s := c.QueryParam(p.name); s != "" {
			if *p.dst = optUUID(s); *p.dst == nil {
				fe = append(fe, errs.FieldError{Field: p.name, Message: "must be a UUID"})
			}
		}
	}
	return q, errs.Fields(fe)
}

// wantsCSV reports whether the Accept header asks for text/csv before
// (or instead of) JSON; anything else gets JSON.
func wantsCSV(c echo.Context) bool {
	for part := range strings.SplitSeq(c.Request().Header.Get(echo.HeaderAccept), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return true
		case echo.MIMEApplicationJSON, "application/*", "*/*":
			return false
		}
	}
	return false
}

// writeCSV sends rows under the KPI header as text/csv.
func writeCSV(c echo.Context, name string, rows [][]string) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	if err := w.Write(kpiCSVHeader); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	return w.Error()
}

// handleKPIs reports the KPIs of a window.
//
//	@Summary		KPI report
//	@Description	Every KPI of SPEC §5 for the window [from, to) (at most 400 days), each as {value, numerator, denominator} so it can be audited: value = numerator / denominator (× 100 for csi_pct), null when the denominator is 0. Rates are fractions 0–1. Averages have the sum as numerator. Computed on each request with SQL over the order timeline, orders (their stored SLA due times), ratings, complaints, completions, appointments and assets; nothing is a kept counter. With `Accept: text/csv` the same report is CSV: a header row `from,to,kpi,product_model_code,value,numerator,denominator`, then one row per KPI (sla_compliance.first_response, … one row per milestone; fault_rate_per_100 one row per model), value empty when null.
//	@Description
//	@Description	**Definitions.** A *completion* is a visit's `complete` event, or `quote/reject` (completed, not fixed); *fixed* is the `fixed` the technician recorded on `complete`. A *reopen* is an event taking the order from completed/closed back to triaged (`reopen`, or a follow-up call "not resolved"). The *created cohort* is the orders created in the window. The SLA milestones are the ones SLA marking uses: first response = the first event after `create` by a dispatcher, manager or technician (any action); on site = the first `arrive`; resolution = the first `complete`; each is compared with the due time stored on the order (resolution_due already moved forward for time spent awaiting parts or approval).
//	@Description	- first_time_fix_rate: orders whose first completion is in the window; numerator: those whose first completion was on visit 1, fixed, and not reopened within 30 days after it (as known when the report runs).
//	@Description	- avg_first_response_minutes: the created cohort's orders that got a first response; numerator: the sum of minutes from creation to first response.
//	@Description	- on_time_arrival_rate: `arrive` events in the window (every visit's check-in) with a booked appointment; numerator: those at or before the end of the appointment window booked for that visit (the latest booked at or before the arrival).
//	@Description	- sla_compliance.first_response / on_site / resolution: the created cohort's orders whose milestone is decided — it happened, or its due time has passed (now) and the order was not cancelled before it was due; orders without an on-site due time (by appointment) are left out of on_site; numerator: milestone at or before its due time.
//	@Description	- resolution_rate: completions in the window; numerator: the fixed ones.
//	@Description	- csat_avg: ratings given in the window; numerator: the sum of their scores (1–5).
//	@Description	- csi_pct: ratings given in the window; numerator: those with score ≥ 4; value × 100.
//	@Description	- complaint_rate: denominator: orders with a completion in the window; numerator: complaints opened in the window (any source, a rating ≤ 2 included) on orders passing the filters — complaints without an order count only when no filter is given.
//	@Description	- repeat_repair_rate: completions of repair orders in the window; numerator: those followed within 30 days by a reopen of the order or a new repair order on the same asset.
//	@Description	- fault_rate_per_100: per product model (by code; models with an asset registered before `to` or a repair in the window): numerator: repair orders of the created cohort for the model; denominator: the model's assets registered before `to` (in the region when region is given, whatever the other filters); value × 100.
//	@Description	- parts_usage: parts used per completed order: orders with a completion in the window; numerator: the net quantity of parts issued to them (the stock ledger's `issue` less `return` movements of those orders, whenever made). Not a rate: a value of 1.5 is one and a half parts per order.
//	@Description
//	@Description	**Filters** apply to the order: region, provider_id (the order's provider now) and product_model_id. technician_id applies to the technician of what is counted: the technician on the completion or arrival event; for ratings the technician who completed the rated visit; for the created cohort, complaints and fault rates the order's technician now. A partner's dispatcher always gets their own provider (the response's filters say so); managers and in-house dispatchers see everything.
//	@ID				getKPIs
//	@Tags			reports
//	@Produce		json,text/csv
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[reports:read]
//	@Param			from				query		string	true	"window start, inclusive (RFC 3339)"	Format(date-time)
//	@Param			to					query		string	true	"window end, exclusive (RFC 3339); after from, at most 400 days later"	Format(date-time)
//	@Param			region				query		string	false	"region code"	maxlength(64)
//	@Param			technician_id		query		string	false	"technician"	Format(uuid)
//	@Param			provider_id			query		string	false	"provider (replaced by theirs for a partner's dispatcher)"	Format(uuid)
//	@Param			product_model_id	query		string	false	"product model"	Format(uuid)
//	@Success		200					{object}	KPIReport	"the report (CSV with Accept: text/csv)"
//	@Failure		401					{object}	Problem
//	@Failure		403					{object}	Problem
//	@Failure		422					{object}	Problem
//	@Router			/v1/reports/kpis [get]
func handleKPIs(svc *reports.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		q, err := kpiQuery(c)
		if err != nil {
			return err
		}
		r, err := svc.KPIs(c.Request().Context(), principal(c), q)
		if err != nil {
			return err
		}
		out := toKPIReport(r)
		if wantsCSV(c) {
			return writeCSV(c, "kpis.csv", kpiCSVRows(out.From, out.To, out.KPIs))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleKPISeries reports the KPIs per day or week.
//
//	@Summary		KPI time series
//	@Description	The KPIs of GET /v1/reports/kpis (same definitions, filters and access) per bucket of the window [from, to): buckets are cut at midnight (day) or Monday midnight (week) in UTC, or in the region's time zone when region is given (time_zone says which; a DST day is 23 or 25 hours); the first and last buckets may be partial. Each bucket is computed as a report of its own interval, all from one database snapshot. At most 100 buckets (422 naming `to` beyond). With `Accept: text/csv`: the CSV of GET /v1/reports/kpis with one block of rows per bucket (from/to are the bucket's).
//	@ID				getKPISeries
//	@Tags			reports
//	@Produce		json,text/csv
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[reports:read]
//	@Param			bucket				query		string	true	"bucket size"	Enums(day, week)
//	@Param			from				query		string	true	"window start, inclusive (RFC 3339)"	Format(date-time)
//	@Param			to					query		string	true	"window end, exclusive (RFC 3339); after from, at most 400 days and 100 buckets later"	Format(date-time)
//	@Param			region				query		string	false	"region code (buckets in its time zone)"	maxlength(64)
//	@Param			technician_id		query		string	false	"technician"	Format(uuid)
//	@Param			provider_id			query		string	false	"provider (replaced by theirs for a partner's dispatcher)"	Format(uuid)
//	@Param			product_model_id	query		string	false	"product model"	Format(uuid)
//	@Success		200					{object}	KPISeries	"the series (CSV with Accept: text/csv)"
//	@Failure		401					{object}	Problem
//	@Failure		403					{object}	Problem
//	@Failure		422					{object}	Problem
//	@Router			/v1/reports/kpis/timeseries [get]
func handleKPISeries(svc *reports.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		q, err := kpiQuery(c)
		bucket := c.QueryParam("bucket")
		if bucket != "day" && bucket != "week" {
			fe := errs.FieldError{Field: "bucket", Message: "must be day or week"}
			var e *errs.Error
			if errors.As(err, &e) { // name bucket next to the other bad fields
				e.Fields = append(e.Fields, fe)
				return e
			}
			return errs.Field(fe.Field, fe.Message)
		}
		if err != nil {
			return err
		}
		s, err := svc.Series(c.Request().Context(), principal(c), reports.SeriesQuery{Query: q, Bucket: bucket})
		if err != nil {
			return err
		}
		out := toKPISeries(s)
		if wantsCSV(c) {
			var rows [][]string
			for _, b := range out.Buckets {
				rows = append(rows, kpiCSVRows(b.Start, b.End, b.KPIs)...)
			}
			return writeCSV(c, "kpis-"+bucket+".csv", rows)
		}
		return c.JSON(http.StatusOK, out)
	}
}
