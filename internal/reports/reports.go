// Package reports computes the service KPIs of SPEC §5 (issue 11 items 4
// and 6) with SQL over what the other domains record: order events (the
// timeline), orders (their stored SLA due times), ratings, complaints,
// completions, appointments and assets. Nothing is counted by hand: every
// figure is a query, and every KPI carries its numerator and denominator so
// a reader can audit it.
//
// The definitions are written once, here and in the OpenAPI description of
// GET /v1/reports/kpis (api/reports.go); the SLA milestones are the shared
// ones (first response: the first event after create by a dispatcher,
// manager or technician; on site: the first arrive; resolution: the first
// complete), compared with the due times stored on the order.
package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// MaxWindow is the longest report window.
const MaxWindow = 400 * 24 * time.Hour

// MaxBuckets is the most buckets a time series has (each is one run of the
// KPI statements).
const MaxBuckets = 100

// RepeatWindow is how long after a completion a reopen or a new repair on
// the same asset makes it a repeat repair (and spoils a first-time fix).
const RepeatWindow = 30 * 24 * time.Hour

// Filters narrow a report; nil/"" is no filter.
type Filters struct {
	Region         string
	TechnicianID   *uuid.UUID
	ProviderID     *uuid.UUID
	ProductModelID *uuid.UUID
}

// Query is one report's window [From, To) and filters.
type Query struct {
	From, To time.Time
	Filters  Filters
}

// KPI is one figure with what it is computed from. Value is nil when the
// denominator is zero; otherwise Numerator/Denominator (× 100 for a percentage).
type KPI struct {
	Value       *float64
	Numerator   float64
	Denominator int64
}

func ratio(num float64, den int64, scale float64) KPI {
	k := KPI{Numerator: num, Denominator: den}
	if den != 0 {
		v := num / float64(den) * scale
		k.Value = &v
	}
	return k
}

// SLACompliance is the share of decided milestones that were met, per milestone.
type SLACompliance struct {
	FirstResponse, OnSite, Resolution KPI
}

// ModelFaultRate is the fault rate of one product model.
type ModelFaultRate struct {
	ProductModelID uuid.UUID
	Code, Name     string
	KPI
}

// KPIs are the figures of SPEC §5 for one window.
type KPIs struct {
	FirstTimeFixRate        KPI
	AvgFirstResponseMinutes KPI
	OnTimeArrivalRate       KPI
	SLACompliance           SLACompliance
	ResolutionRate          KPI
	CSATAvg                 KPI
	CSIPct                  KPI
	ComplaintRate           KPI
	RepeatRepairRate        KPI
	PartsUsage              KPI // parts used per completed order
	FaultRatePer100         []ModelFaultRate
}

// Report is the KPIs of a window with the filters actually applied (a
// partner's staff get their provider forced).
type Report struct {
	From, To time.Time
	Filters  Filters
	KPIs     KPIs
}

// Bucket is one interval of a time series.
type Bucket struct {
	Start, End time.Time
	KPIs       KPIs
}

// Series is a time series of KPIs.
type Series struct {
	From, To time.Time
	Bucket   string // day or week
	TimeZone string // the zone whose midnights bound the buckets
	Filters  Filters
	Buckets  []Bucket
}

// People answers whether a staff member belongs to the in-house team
// (identity.Service does; wired in cmd).
type People interface {
	InHouse(ctx context.Context, p auth.Principal) (bool, error)
}

// Service computes reports.
type Service struct {
	db     *gorm.DB
	st     store
	people People
	clock  clock.Clock
	lanes  lanes
}

// New returns the reports service.
func New(db *gorm.DB, people People, clk clock.Clock) *Service {
	return &Service{db: db, st: store{db: db}, people: people, clock: clk, lanes: newLanes(db, DefaultConnections)}
}

// WithConnections sets how many pooled connections this process's reports
// may hold at once (config reports.connections; at most half the pool): 1
// runs a report's statements one after the other on one connection.
func (s *Service) WithConnections(n int) *Service {
	s.lanes = newLanes(s.db, n)
	return s
}

// check validates the window: Invalid naming from/to.
func (q Query) check() error {
	switch {
	case q.From.IsZero():
		return errs.Field("from", "is required (RFC 3339)")
	case q.To.IsZero():
		return errs.Field("to", "is required (RFC 3339)")
	case !q.From.Before(q.To):
		return errs.Field("to", "must be after from")
	case q.To.Sub(q.From) > MaxWindow:
		return errs.Field("to", fmt.Sprintf("must be at most %d days after from", int(MaxWindow/(24*time.Hour))))
	}
	return nil
}

// scoped applies the caller's scope to the filters: managers and in-house
// dispatchers report on everything; a partner's dispatcher on their
// provider's orders only: any provider_id they send is replaced by theirs,
// and the report's filters say so. Other callers are Forbidden (the router
// lets only staff in).
//
// API clients with the reports:read scope come in as their provider's
// dispatcher (unbound: the in-house team's; api/router.go) and get that case.
func (s *Service) scoped(ctx context.Context, p auth.Principal, f Filters) (Filters, error) {
	switch p.Role {
	case auth.RoleManager:
		return f, nil
	case auth.RoleDispatcher:
		in, err := s.people.InHouse(ctx, p)
		if err != nil {
			return f, err
		}
		if in {
			return f, nil
		}
		if p.ProviderID == nil {
			return f, errs.E(errs.Forbidden, "reports are for staff of a provider")
		}
		prov := *p.ProviderID
		f.ProviderID = &prov
		return f, nil
	}
	return f, errs.E(errs.Forbidden, "reports are for managers and dispatchers")
}

// KPIs computes the report for q as p may see it. Errors: Invalid (the
// window), Forbidden (not staff).
func (s *Service) KPIs(ctx context.Context, p auth.Principal, q Query) (Report, error) {
	if err := q.check(); err != nil {
		return Report{}, err
	}
	f, err := s.scoped(ctx, p, q.Filters)
	if err != nil {
		return Report{}, err
	}
	q.Filters = f
	now := s.clock.Now()
	var k KPIs
	if s.lanes.n > 1 {
		k, err = s.concurrently(ctx, q, now)
	} else {
		err = s.st.readOnly(ctx, func(st store) error {
			var err error
			k, err = st.kpis(ctx, q, now)
			return err
		})
	}
	if err != nil {
		return Report{}, err
	}
	return Report{From: q.From.UTC(), To: q.To.UTC(), Filters: f, KPIs: k}, nil
}

// SeriesQuery is a time series request: the window is cut at the bucket's
// boundaries (midnight, and Monday for weeks) in UTC, or in the time zone of
// Filters.Region when one is given.
type SeriesQuery struct {
	Query
	Bucket string
}

// Series computes the KPIs per bucket. Errors: Invalid (window, bucket,
// more than MaxBuckets buckets), Forbidden.
func (s *Service) Series(ctx context.Context, p auth.Principal, q SeriesQuery) (Series, error) {
	if q.Bucket != "day" && q.Bucket != "week" {
		return Series{}, errs.Field("bucket", "must be day or week")
	}
	if err := q.check(); err != nil {
		return Series{}, err
	}
	f, err := s.scoped(ctx, p, q.Filters)
	if err != nil {
		return Series{}, err
	}
	q.Filters = f
	now := s.clock.Now()
	out := Series{From: q.From.UTC(), To: q.To.UTC(), Bucket: q.Bucket, TimeZone: "UTC", Filters: f}
	err = s.st.readOnly(ctx, func(st store) error {
		loc := time.UTC
		if f.Region != "" {
			zone, err := st.regionZone(ctx, f.Region)
			if err != nil {
				return err
			}
			if loc, err = time.LoadLocation(zone); err != nil {
				return errs.Wrap(errs.Internal, err, fmt.Sprintf("region %s has an unknown time zone %q", f.Region, zone))
			}
			out.TimeZone = zone
		}
		bounds := bucketBounds(q.From, q.To, q.Bucket, loc)
		if len(bounds)-1 > MaxBuckets {
			return errs.Field("to", fmt.Sprintf("the window holds %d buckets; at most %d", len(bounds)-1, MaxBuckets))
		}
		for i := 0; i+1 < len(bounds); i++ {
			bq := Query{From: bounds[i], To: bounds[i+1], Filters: f}
			k, err := st.kpis(ctx, bq, now)
			if err != nil {
				return err
			}
			out.Buckets = append(out.Buckets, Bucket{Start: bq.From.UTC(), End: bq.To.UTC(), KPIs: k})
		}
		return nil
	})
	if err != nil {
		return Series{}, err
	}
	return out, nil
}

// bucketBounds cuts [from, to) at every local midnight (day) or Monday
// midnight (week) of loc; the first and last buckets may be partial. Each
// boundary is time.Date of a local date, so a DST day is 23 or 25 hours.
func bucketBounds(from, to time.Time, bucket string, loc *time.Location) []time.Time {
	out := []time.Time{from}
	l := from.In(loc)
	next := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	if bucket == "week" {
		back := (int(next.Weekday()) + 6) % 7 // days since Monday
		next = time.Date(next.Year(), next.Month(), next.Day()-back, 0, 0, 0, 0, loc)
	}
	step := 1
	if bucket == "week" {
		step = 7
	}
	for {
		next = time.Date(next.Year(), next.Month(), next.Day()+step, 0, 0, 0, 0, loc)
		if !next.Before(to) {
			break
		}
		if next.After(from) {
			out = append(out, next)
		}
		if len(out) > MaxBuckets+1 {
			break
		}
	}
	return append(out, to)
}
