package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/jobs"
)

// SLAClock is what an SLA target counts: wall-clock time, or working time of
// the order region's working calendar (GET /v1/regions).
type SLAClock string // @name SLAClock

// The SLAClock values.
const (
	SLAClockWall    SLAClock = "wall"
	SLAClockWorking SLAClock = "working"
)

// SLAPolicyRequest is one type × priority policy; PUT creates or replaces it.
type SLAPolicyRequest struct {
	OrderType            OrderType `json:"order_type" validate:"required" example:"repair"`
	Priority             Priority  `json:"priority" validate:"required" example:"P1"`
	FirstResponseMinutes int       `json:"first_response_minutes" validate:"required,min=1,max=525600" minimum:"1" maximum:"525600" example:"30"`
	OnSiteMinutes        *int      `json:"on_site_minutes" validate:"omitempty,min=1,max=525600" minimum:"1" maximum:"525600" extensions:"x-nullable" example:"1440"` // null: by appointment (the appointment's end)
	ResolutionMinutes    int       `json:"resolution_minutes" validate:"required,min=1,max=525600" minimum:"1" maximum:"525600" example:"2880"`
	Clock                SLAClock  `json:"clock" validate:"required" example:"wall"`
} // @name SLAPolicyRequest

// SLAPoliciesRequest is PUT /v1/sla-policies: the listed policies change,
// the others stay.
type SLAPoliciesRequest struct {
	Policies []SLAPolicyRequest `json:"policies" validate:"required,min=1,max=24,dive" minItems:"1" maxItems:"24"`
} // @name SLAPoliciesRequest

// SLAPolicyResponse is one policy.
type SLAPolicyResponse struct {
	OrderType            OrderType `json:"order_type" example:"repair"`
	Priority             Priority  `json:"priority" example:"P1"`
	FirstResponseMinutes int       `json:"first_response_minutes" minimum:"1" example:"30"`
	OnSiteMinutes        *int      `json:"on_site_minutes" minimum:"1" extensions:"x-nullable" example:"1440"` // null: by appointment
	ResolutionMinutes    int       `json:"resolution_minutes" minimum:"1" example:"2880"`
	Clock                SLAClock  `json:"clock" example:"wall"`
	UpdatedAt            time.Time `json:"updated_at" format:"date-time"`
} // @name SLAPolicy

// SLAPolicyList is every policy, by order type then priority.
type SLAPolicyList struct {
	Items []SLAPolicyResponse `json:"items"`
} // @name SLAPolicyList

// EventActorRole is the role an order event's actor acted in; system for
// events the service writes by itself (sla.breached).
type EventActorRole string // @name EventActorRole

// The EventActorRole values.
const (
	EventActorRoleCustomer   EventActorRole = "customer"
	EventActorRoleTechnician EventActorRole = "technician"
	EventActorRoleDispatcher EventActorRole = "dispatcher"
	EventActorRoleManager    EventActorRole = "manager"
	EventActorRoleSystem     EventActorRole = "system"
)

// DevClockRequest moves the dev clock.
type DevClockRequest struct {
	Now time.Time `json:"now" validate:"required" format:"date-time" example:"2026-06-02T09:00:00Z"`
} // @name DevClockRequest

// DevClockResponse is the server's (dev) time.
type DevClockResponse struct {
	Now time.Time `json:"now" format:"date-time" example:"2026-06-02T09:00:00Z"`
} // @name DevClockResponse

// DevJobResult is what one periodic job did.
type DevJobResult struct {
	Name  string `json:"name" example:"sla.breaches"`
	Count int    `json:"count" minimum:"0" example:"1"` // items handled (breaches marked, reminders sent, …)
} // @name DevJobResult

// DevJobsRunResponse is POST /v1/dev/jobs/run: every periodic job, run once at the dev clock's time.
type DevJobsRunResponse struct {
	Now  time.Time      `json:"now" format:"date-time" example:"2026-06-02T09:00:00Z"`
	Jobs []DevJobResult `json:"jobs"`
} // @name DevJobsRunResponse

func toSLAPolicyList(ps []orders.SLAPolicy) SLAPolicyList {
	out := SLAPolicyList{Items: make([]SLAPolicyResponse, len(ps))}
	for i, p := range ps {
		out.Items[i] = toSLAPolicyResponse(p)
	}
	return out
}

func toSLAPolicyResponse(p orders.SLAPolicy) SLAPolicyResponse {
	return SLAPolicyResponse{OrderType: OrderType(p.OrderType), Priority: Priority(p.Priority), FirstResponseMinutes: p.FirstResponseMinutes,
		OnSiteMinutes: p.OnSiteMinutes, ResolutionMinutes: p.ResolutionMinutes, Clock: SLAClock(p.Clock), UpdatedAt: p.UpdatedAt.UTC()}
}

func fromSLAPoliciesRequest(r SLAPoliciesRequest) []orders.SLAPolicyInput {
	out := make([]orders.SLAPolicyInput, len(r.Policies))
	for i, p := range r.Policies {
		out[i] = orders.SLAPolicyInput{OrderType: string(p.OrderType), Priority: string(p.Priority), FirstResponseMinutes: p.FirstResponseMinutes,
			OnSiteMinutes: p.OnSiteMinutes, ResolutionMinutes: p.ResolutionMinutes, Clock: string(p.Clock)}
	}
	return out
}

func toDevJobsRunResponse(now time.Time, res []jobs.Result) DevJobsRunResponse {
	out := DevJobsRunResponse{Now: now.UTC(), Jobs: make([]DevJobResult, len(res))}
	for i, r := range res {
		out.Jobs[i] = DevJobResult{Name: r.Name, Count: r.Count}
	}
	return out
}

// WebhookSLABreachedData is the data of sla.breached (internal/orders.SLABreachedEventData).
type WebhookSLABreachedData struct {
	OrderID      uuid.UUID    `json:"order_id" format:"uuid"`
	OrderNumber  string       `json:"order_number" example:"FO-2026-000123"`
	ExternalRef  *string      `json:"external_ref" extensions:"x-nullable" example:"CRM-4711"`
	TechnicianID *uuid.UUID   `json:"technician_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	ProviderID   *uuid.UUID   `json:"provider_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	Milestone    SLAMilestone `json:"milestone" example:"first_response"`
	DueAt        time.Time    `json:"due_at" format:"date-time"`
	BreachedAt   time.Time    `json:"breached_at" format:"date-time"` // when the sweep found it: at or up to about a minute after due_at
	Priority     Priority     `json:"priority" example:"P1"`
	Type         OrderType    `json:"type" example:"repair"`
	Region       string       `json:"region" example:"north"`
	Status       OrderStatus  `json:"status" example:"submitted"`
	Visit        int          `json:"visit" minimum:"1" example:"1"`
} // @name WebhookSLABreachedData

// WebhookSLABreachedEvent is the body of an sla.breached webhook request:
// one per order and milestone, sent once.
type WebhookSLABreachedEvent struct {
	ID        uuid.UUID              `json:"id" format:"uuid"`
	Type      string                 `json:"type" enums:"sla.breached" example:"sla.breached"`
	CreatedAt time.Time              `json:"created_at" format:"date-time"`
	Data      WebhookSLABreachedData `json:"data"`
} // @name WebhookSLABreachedEvent
