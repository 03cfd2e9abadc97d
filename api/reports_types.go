package api

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/reports"
)

// KPIValue is one KPI with the counts behind it: value = numerator /
// denominator (× 100 for csi_pct), null when the denominator is 0.
type KPIValue struct {
	Value       *float64 `json:"value" extensions:"x-nullable" example:"0.8"` // null when the denominator is 0
	Numerator   float64  `json:"numerator" minimum:"0" example:"4"`           // a count, or a sum for averages (minutes, scores)
	Denominator int64    `json:"denominator" minimum:"0" example:"5"`         // a count
} // @name KPIValue

// SLAComplianceKPIs is the share of decided SLA milestones that were met, per milestone.
type SLAComplianceKPIs struct {
	FirstResponse KPIValue `json:"first_response"`
	OnSite        KPIValue `json:"on_site"`
	Resolution    KPIValue `json:"resolution"`
} // @name SLAComplianceKPIs

// ModelFaultRate is the fault rate of one product model: repair orders per
// 100 registered assets.
type ModelFaultRate struct {
	ProductModelID uuid.UUID `json:"product_model_id" swaggertype:"string" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	Code           string    `json:"code" example:"AC-9000"`
	Name           string    `json:"name" example:"CoolAir 9000"`
	Value          *float64  `json:"value" extensions:"x-nullable" example:"1.5"` // null when no asset of the model is registered
	Numerator      float64   `json:"numerator" minimum:"0" example:"3"`           // repair orders
	Denominator    int64     `json:"denominator" minimum:"0" example:"200"`       // registered assets
} // @name ModelFaultRate

// KPISet is every KPI of SPEC §5 (definitions: GET /v1/reports/kpis).
type KPISet struct {
	FirstTimeFixRate        KPIValue          `json:"first_time_fix_rate"`
	AvgFirstResponseMinutes KPIValue          `json:"avg_first_response_minutes"`
	OnTimeArrivalRate       KPIValue          `json:"on_time_arrival_rate"`
	SLACompliance           SLAComplianceKPIs `json:"sla_compliance"`
	ResolutionRate          KPIValue          `json:"resolution_rate"`
	CSATAvg                 KPIValue          `json:"csat_avg"`
	CSIPct                  KPIValue          `json:"csi_pct"`
	ComplaintRate           KPIValue          `json:"complaint_rate"`
	RepeatRepairRate        KPIValue          `json:"repeat_repair_rate"`
	PartsUsage              KPIValue          `json:"parts_usage"`        // parts used per completed order
	FaultRatePer100         []ModelFaultRate  `json:"fault_rate_per_100"` // per product model, by code
} // @name KPISet

// KPIFilters are the filters a report applied (null: none). A partner's
// dispatcher always gets their own provider.
type KPIFilters struct {
	Region         *string    `json:"region" extensions:"x-nullable" example:"north"`
	TechnicianID   *uuid.UUID `json:"technician_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ProviderID     *uuid.UUID `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ProductModelID *uuid.UUID `json:"product_model_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
} // @name KPIFilters

// KPIReport is the KPIs of the window [from, to).
type KPIReport struct {
	From    time.Time  `json:"from" format:"date-time" example:"2026-03-01T00:00:00Z"`
	To      time.Time  `json:"to" format:"date-time" example:"2026-06-01T00:00:00Z"`
	Filters KPIFilters `json:"filters"`
	KPIs    KPISet     `json:"kpis"`
} // @name KPIReport

// KPIBucket is the KPIs of one bucket [start, end).
type KPIBucket struct {
	Start time.Time `json:"start" format:"date-time" example:"2026-05-25T00:00:00Z"`
	End   time.Time `json:"end" format:"date-time" example:"2026-06-01T00:00:00Z"`
	KPIs  KPISet    `json:"kpis"`
} // @name KPIBucket

// KPIBucketSize is the length of a time series bucket.
type KPIBucketSize string // @name KPIBucketSize

// The bucket sizes.
const (
	KPIBucketDay  KPIBucketSize = "day"
	KPIBucketWeek KPIBucketSize = "week"
)

// KPISeries is the KPIs per bucket of the window [from, to).
type KPISeries struct {
	From     time.Time     `json:"from" format:"date-time" example:"2026-03-01T00:00:00Z"`
	To       time.Time     `json:"to" format:"date-time" example:"2026-06-01T00:00:00Z"`
	Bucket   KPIBucketSize `json:"bucket" example:"week"`
	TimeZone string        `json:"time_zone" example:"UTC"` // whose midnights bound the buckets: UTC, or the region's zone
	Filters  KPIFilters    `json:"filters"`
	Buckets  []KPIBucket   `json:"buckets"`
} // @name KPISeries

func toKPIValue(k reports.KPI) KPIValue {
	return KPIValue{Value: k.Value, Numerator: k.Numerator, Denominator: k.Denominator}
}

func toKPISet(k reports.KPIs) KPISet {
	out := KPISet{
		FirstTimeFixRate:        toKPIValue(k.FirstTimeFixRate),
		AvgFirstResponseMinutes: toKPIValue(k.AvgFirstResponseMinutes),
		OnTimeArrivalRate:       toKPIValue(k.OnTimeArrivalRate),
		SLACompliance: SLAComplianceKPIs{FirstResponse: toKPIValue(k.SLACompliance.FirstResponse),
			OnSite: toKPIValue(k.SLACompliance.OnSite), Resolution: toKPIValue(k.SLACompliance.Resolution)},
		ResolutionRate:   toKPIValue(k.ResolutionRate),
		CSATAvg:          toKPIValue(k.CSATAvg),
		CSIPct:           toKPIValue(k.CSIPct),
		ComplaintRate:    toKPIValue(k.ComplaintRate),
		RepeatRepairRate: toKPIValue(k.RepeatRepairRate),
		PartsUsage:       toKPIValue(k.PartsUsage),
		FaultRatePer100:  make([]ModelFaultRate, 0, len(k.FaultRatePer100)),
	}
	for _, m := range k.FaultRatePer100 {
		out.FaultRatePer100 = append(out.FaultRatePer100, ModelFaultRate{ProductModelID: m.ProductModelID, Code: m.Code,
			Name: m.Name, Value: m.Value, Numerator: m.Numerator, Denominator: m.Denominator})
	}
	return out
}

func toKPIFilters(f reports.Filters) KPIFilters {
	return KPIFilters{Region: nonEmpty(f.Region), TechnicianID: f.TechnicianID, ProviderID: f.ProviderID, ProductModelID: f.ProductModelID}
}

func toKPIReport(r reports.Report) KPIReport {
	return KPIReport{From: r.From, To: r.To, Filters: toKPIFilters(r.Filters), KPIs: toKPISet(r.KPIs)}
}

func toKPISeries(s reports.Series) KPISeries {
	out := KPISeries{From: s.From, To: s.To, Bucket: KPIBucketSize(s.Bucket), TimeZone: s.TimeZone,
		Filters: toKPIFilters(s.Filters), Buckets: make([]KPIBucket, 0, len(s.Buckets))}
	for _, b := range s.Buckets {
		out.Buckets = append(out.Buckets, KPIBucket{Start: b.Start, End: b.End, KPIs: toKPISet(b.KPIs)})
	}
	return out
}

// kpiCSVHeader is the header row of both CSV exports.
var kpiCSVHeader = []string{"from", "to", "kpi", "product_model_code", "value", "numerator", "denominator"}

// kpiCSVRows renders one row per KPI of the window [from, to): the fault
// rate one row per model (its code in product_model_code), an empty value
// for null.
func kpiCSVRows(from, to time.Time, k KPISet) [][]string {
	f, t := from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)
	row := func(name, model string, v *float64, num float64, den int64) []string {
		val := ""
		if v != nil {
			val = strconv.FormatFloat(*v, 'f', -1, 64)
		}
		return []string{f, t, name, model, val, strconv.FormatFloat(num, 'f', -1, 64), strconv.FormatInt(den, 10)}
	}
	kv := func(name string, v KPIValue) []string { return row(name, "", v.Value, v.Numerator, v.Denominator) }
	out := [][]string{
		kv("first_time_fix_rate", k.FirstTimeFixRate),
		kv("avg_first_response_minutes", k.AvgFirstResponseMinutes),
		kv("on_time_arrival_rate", k.OnTimeArrivalRate),
		kv("sla_compliance.first_response", k.SLACompliance.FirstResponse),
		kv("sla_compliance.on_site", k.SLACompliance.OnSite),
		kv("sla_compliance.resolution", k.SLACompliance.Resolution),
		kv("resolution_rate", k.ResolutionRate),
		kv("csat_avg", k.CSATAvg),
		kv("csi_pct", k.CSIPct),
		kv("complaint_rate", k.ComplaintRate),
		kv("repeat_repair_rate", k.RepeatRepairRate),
		kv("parts_usage", k.PartsUsage),
	}
	for _, m := range k.FaultRatePer100 {
		out = append(out, row("fault_rate_per_100", m.Code, m.Value, m.Numerator, m.Denominator))
	}
	return out
}
