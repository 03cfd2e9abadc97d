package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/complaints"
	"github.com/fieldops/fieldops/internal/orders"
)

// ComplaintRequest opens a complaint. Customers complain for themselves
// (customer_id absent) and may name one of their orders; staff name the
// customer, the order, or both (the order's customer).
type ComplaintRequest struct {
	CustomerID  string `json:"customer_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e12"`
	OrderID     string `json:"order_id,omitempty" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e99"`
	Category    string `json:"category" validate:"required,oneof=service_quality timeliness attitude billing damage parts other" enums:"service_quality,timeliness,attitude,billing,damage,parts,other" example:"timeliness"`
	Severity    string `json:"severity" validate:"required,oneof=low medium high" enums:"low,medium,high" example:"medium"`
	Description string `json:"description" validate:"required,max=2000" minLength:"1" maxLength:"2000" example:"The technician came two hours late"`
} // @name ComplaintRequest

// ComplaintRespondRequest is staff's reply; text is what the customer reads,
// internal_note is for staff only.
type ComplaintRespondRequest struct {
	Text         string `json:"text" validate:"required,max=2000" minLength:"1" maxLength:"2000" example:"We are sorry; a supervisor will call you today."`
	InternalNote string `json:"internal_note,omitempty" validate:"max=2000" maxLength:"2000" example:"Technician was double-booked"`
} // @name ComplaintRespondRequest

// ComplaintEscalateRequest is staff's escalation; the reason is staff-only.
type ComplaintEscalateRequest struct {
	Reason string `json:"reason" validate:"required,max=2000" minLength:"1" maxLength:"2000" example:"Customer threatens to cancel the contract"`
} // @name ComplaintEscalateRequest

// ComplaintResolveRequest is staff's resolution; the customer reads it.
type ComplaintResolveRequest struct {
	Resolution   string `json:"resolution" validate:"required,max=2000" minLength:"1" maxLength:"2000" example:"Refunded the call-out fee"`
	InternalNote string `json:"internal_note,omitempty" validate:"max=2000" maxLength:"2000" example:"Approved by the regional manager"`
} // @name ComplaintResolveRequest

// ComplaintRejectRequest is the customer's reason for rejecting a resolution.
type ComplaintRejectRequest struct {
	Reason string `json:"reason" validate:"required,max=2000" minLength:"1" maxLength:"2000" example:"The refund does not cover the damage"`
} // @name ComplaintRejectRequest

// ComplaintResponse is a complaint. Due times are on the working calendar of
// region (the order's region; "default" without an order).
type ComplaintResponse struct {
	ID          uuid.UUID  `json:"id" swaggertype:"string" format:"uuid"`
	CustomerID  uuid.UUID  `json:"customer_id" swaggertype:"string" format:"uuid"`
	OrderID     *uuid.UUID `json:"order_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"`
	Source      string     `json:"source" enums:"rating,customer,staff" example:"customer"`
	Category    string     `json:"category" enums:"service_quality,timeliness,attitude,billing,damage,parts,other" example:"timeliness"`
	Severity    string     `json:"severity" enums:"low,medium,high" example:"medium"`
	Description string     `json:"description" example:"The technician came two hours late"`
	Status      string     `json:"status" enums:"open,responded,resolved,closed" example:"open"`
	// Level: 0 agent, 1 supervisor, 2 manager, 3 director.
	Level           int        `json:"level" minimum:"0" maximum:"3" example:"0"`
	Region          string     `json:"region" example:"north"`
	ReplyDueAt      time.Time  `json:"reply_due_at" format:"date-time"`
	ResolutionDueAt time.Time  `json:"resolution_due_at" format:"date-time"`
	EscalationDueAt *time.Time `json:"escalation_due_at" format:"date-time" extensions:"x-nullable"` // the next automatic escalation (staff only; null for customers, or when none is pending)
	CloseDueAt      *time.Time `json:"close_due_at" format:"date-time" extensions:"x-nullable"`      // resolved: closes by itself then unless the customer rejects the resolution
	RespondedAt     *time.Time `json:"responded_at" format:"date-time" extensions:"x-nullable"`
	ResolvedAt      *time.Time `json:"resolved_at" format:"date-time" extensions:"x-nullable"`
	ClosedAt        *time.Time `json:"closed_at" format:"date-time" extensions:"x-nullable"`
	Response        string     `json:"response" example:"We are sorry; a supervisor will call you today."` // the latest reply ("" before one)
	Resolution      string     `json:"resolution" example:""`                                              // "" until resolved
	CreatedAt       time.Time  `json:"created_at" format:"date-time"`
	UpdatedAt       time.Time  `json:"updated_at" format:"date-time"`
} // @name Complaint

// ComplaintEventResponse is one line of a complaint's timeline.
type ComplaintEventResponse struct {
	ID           uuid.UUID  `json:"id" swaggertype:"string" format:"uuid"`
	Action       string     `json:"action" enums:"create,respond,escalate,auto_escalate,resolve,reject_resolution,close" example:"respond"`
	ActorID      *uuid.UUID `json:"actor_id" swaggertype:"string" format:"uuid" extensions:"x-nullable"` // null: the system, or (for customers) a staff member
	ActorRole    string     `json:"actor_role" enums:"customer,dispatcher,manager,system" example:"dispatcher"`
	FromStatus   *string    `json:"from_status" enums:"open,responded,resolved,closed" extensions:"x-nullable" example:"open"` // null on create
	ToStatus     string     `json:"to_status" enums:"open,responded,resolved,closed" example:"responded"`
	FromLevel    *int       `json:"from_level" minimum:"0" maximum:"3" extensions:"x-nullable" example:"0"`
	ToLevel      int        `json:"to_level" minimum:"0" maximum:"3" example:"0"`
	Note         string     `json:"note" example:"We are sorry; a supervisor will call you today."`               // what the customer reads
	InternalNote *string    `json:"internal_note" extensions:"x-nullable" example:"Technician was double-booked"` // staff only: null for customers
	Internal     bool       `json:"internal" example:"false"`                                                     // a staff-only line (customers never get these)
	CreatedAt    time.Time  `json:"created_at" format:"date-time"`
} // @name ComplaintEvent

// ComplaintDetail is a complaint with its timeline, oldest first (customers
// get the public lines only).
type ComplaintDetail struct {
	ComplaintResponse
	Events []ComplaintEventResponse `json:"events"`
} // @name ComplaintDetail

// ComplaintList is one page of complaints, newest first.
type ComplaintList struct {
	Items      []ComplaintResponse `json:"items"`
	NextCursor *string             `json:"next_cursor" extensions:"x-nullable" example:"MTc4MDMwODAwMDAwMDAwMHwwMTkw"` // null on the last page
} // @name ComplaintList

func toComplaintResponse(c orders.Complaint) ComplaintResponse {
	return ComplaintResponse{ID: c.ID, CustomerID: c.CustomerID, OrderID: c.OrderID, Source: c.Source, Category: c.Category,
		Severity: c.Severity, Description: c.Description, Status: c.Status, Level: c.Level, Region: c.Region,
		ReplyDueAt: c.ReplyDueAt.UTC(), ResolutionDueAt: c.ResolutionDueAt.UTC(), EscalationDueAt: utcPtr(c.EscalationDueAt),
		CloseDueAt: utcPtr(c.CloseDueAt), RespondedAt: utcPtr(c.RespondedAt), ResolvedAt: utcPtr(c.ResolvedAt),
		ClosedAt: utcPtr(c.ClosedAt), Response: c.Response, Resolution: c.Resolution, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

func toComplaintDetail(v complaints.View, forCustomer bool) ComplaintDetail {
	out := ComplaintDetail{ComplaintResponse: toComplaintResponse(v.Complaint), Events: make([]ComplaintEventResponse, len(v.Events))}
	for i, e := range v.Events {
		r := ComplaintEventResponse{ID: e.ID, Action: e.Action, ActorID: e.ActorID, ActorRole: e.ActorRole, FromStatus: e.FromStatus,
			ToStatus: e.ToStatus, FromLevel: e.FromLevel, ToLevel: e.ToLevel, Note: e.Note, Internal: e.Internal, CreatedAt: e.CreatedAt.UTC()}
		if !forCustomer {
			note := e.InternalNote
			r.InternalNote = &note
		}
		out.Events[i] = r
	}
	return out
}
