package api

// The closed sets of the contract, one named type each: swag turns every one
// into a component schema with its enum and x-enum-varnames, so every field,
// in responses and requests alike, refers to the same schema and generated
// clients get one type per set. api/openapi_sweep_test.go checks each set
// against the domain's.

// OrderStatus is where an order is in its life cycle (SPEC §3).
type OrderStatus string // @name OrderStatus

// The OrderStatus values.
const (
	OrderStatusSubmitted        OrderStatus = "submitted"
	OrderStatusTriaged          OrderStatus = "triaged"
	OrderStatusAssigned         OrderStatus = "assigned"
	OrderStatusAccepted         OrderStatus = "accepted"
	OrderStatusScheduled        OrderStatus = "scheduled"
	OrderStatusEnRoute          OrderStatus = "en_route"
	OrderStatusOnSite           OrderStatus = "on_site"
	OrderStatusAwaitingApproval OrderStatus = "awaiting_approval"
	OrderStatusInProgress       OrderStatus = "in_progress"
	OrderStatusAwaitingParts    OrderStatus = "awaiting_parts"
	OrderStatusCompleted        OrderStatus = "completed"
	OrderStatusClosed           OrderStatus = "closed"
	OrderStatusCancelled        OrderStatus = "cancelled"
)

// OrderAction is a life-cycle action: the route POST /v1/orders/{id}/<action> that performs it.
type OrderAction string // @name OrderAction

// The OrderAction values.
const (
	OrderActionAccept        OrderAction = "accept"
	OrderActionAppointment   OrderAction = "appointment"
	OrderActionArrive        OrderAction = "arrive"
	OrderActionAssign        OrderAction = "assign"
	OrderActionAwaitingParts OrderAction = "awaiting-parts"
	OrderActionCancel        OrderAction = "cancel"
	OrderActionComplete      OrderAction = "complete"
	OrderActionFollowUps     OrderAction = "follow-ups"
	OrderActionDecline       OrderAction = "decline"
	OrderActionDepart        OrderAction = "depart"
	OrderActionQuote         OrderAction = "quote"
	OrderActionQuoteApprove  OrderAction = "quote/approve"
	OrderActionQuoteReject   OrderAction = "quote/reject"
	OrderActionReopen        OrderAction = "reopen"
	OrderActionStart         OrderAction = "start"
	OrderActionTriage        OrderAction = "triage"
	OrderActionUnassign      OrderAction = "unassign"
)

// EventAction is what an order event records: create, update, or the life-cycle action taken.
type EventAction string // @name EventAction

// The EventAction values.
const (
	EventActionCreate        EventAction = "create"
	EventActionUpdate        EventAction = "update"
	EventActionAccept        EventAction = "accept"
	EventActionAppointment   EventAction = "appointment"
	EventActionArrive        EventAction = "arrive"
	EventActionAssign        EventAction = "assign"
	EventActionAwaitingParts EventAction = "awaiting-parts"
	EventActionCancel        EventAction = "cancel"
	EventActionComplete      EventAction = "complete"
	EventActionFollowUps     EventAction = "follow-ups"
	EventActionRating        EventAction = "rating"
	EventActionSLABreached   EventAction = "sla.breached"
	EventActionParts         EventAction = "parts"
	EventActionDecline       EventAction = "decline"
	EventActionDepart        EventAction = "depart"
	EventActionQuote         EventAction = "quote"
	EventActionQuoteApprove  EventAction = "quote/approve"
	EventActionQuoteReject   EventAction = "quote/reject"
	EventActionReopen        EventAction = "reopen"
	EventActionStart         EventAction = "start"
	EventActionTriage        EventAction = "triage"
	EventActionUnassign      EventAction = "unassign"
)

// EventAudience is who may read an order event (SPEC §8): all (staff, the
// customer, the visit's technicians), customer (staff and the customer),
// visit (staff and the visit's technicians), staff (internal).
type EventAudience string // @name EventAudience

// The EventAudience values.
const (
	EventAudienceAll      EventAudience = "all"
	EventAudienceCustomer EventAudience = "customer"
	EventAudienceVisit    EventAudience = "visit"
	EventAudienceStaff    EventAudience = "staff"
)

// OrderType is the kind of service requested.
type OrderType string // @name OrderType

// The OrderType values.
const (
	OrderTypeInstall        OrderType = "install"
	OrderTypeRepair         OrderType = "repair"
	OrderTypeMaintenance    OrderType = "maintenance"
	OrderTypeInspection     OrderType = "inspection"
	OrderTypeReturnExchange OrderType = "return_exchange"
	OrderTypeConsultation   OrderType = "consultation"
)

// OrderChannel is where a request came in.
type OrderChannel string // @name OrderChannel

// The OrderChannel values.
const (
	OrderChannelApp        OrderChannel = "app"
	OrderChannelWeb        OrderChannel = "web"
	OrderChannelPhone      OrderChannel = "phone"
	OrderChannelWechat     OrderChannel = "wechat"
	OrderChannelEmail      OrderChannel = "email"
	OrderChannelStore      OrderChannel = "store"
	OrderChannelPartnerApi OrderChannel = "partner_api"
)

// Priority is an order's urgency: P1 emergency, P2 high, P3 normal, P4 low.
type Priority string // @name Priority

// The Priority values.
const (
	PriorityP1 Priority = "P1"
	PriorityP2 Priority = "P2"
	PriorityP3 Priority = "P3"
	PriorityP4 Priority = "P4"
)

// Role is what a user is to FieldOps.
type Role string // @name Role

// The Role values.
const (
	RoleCustomer   Role = "customer"
	RoleTechnician Role = "technician"
	RoleDispatcher Role = "dispatcher"
	RoleManager    Role = "manager"
)

// QuoteItemKind is what a quote line charges for.
type QuoteItemKind string // @name QuoteItemKind

// The QuoteItemKind values.
const (
	QuoteItemKindPart   QuoteItemKind = "part"
	QuoteItemKindLabour QuoteItemKind = "labour"
	QuoteItemKindFee    QuoteItemKind = "fee"
)

// QuoteStatus is where the order's quote stands.
type QuoteStatus string // @name QuoteStatus

// The QuoteStatus values.
const (
	QuoteStatusNone     QuoteStatus = "none"
	QuoteStatusPending  QuoteStatus = "pending"
	QuoteStatusApproved QuoteStatus = "approved"
	QuoteStatusRejected QuoteStatus = "rejected"
)

// SLAMilestone is a service-level milestone (SPEC §4).
type SLAMilestone string // @name SLAMilestone

// The SLAMilestone values.
const (
	SLAMilestoneFirstResponse SLAMilestone = "first_response"
	SLAMilestoneOnSite        SLAMilestone = "on_site"
	SLAMilestoneResolution    SLAMilestone = "resolution"
)

// Currency is the ISO 4217 currency of all amounts.
type Currency string // @name Currency

// The Currency values.
const (
	CurrencyCNY Currency = "CNY"
)

// ProviderKind is the in-house team or an authorised partner.
type ProviderKind string // @name ProviderKind

// The ProviderKind values.
const (
	ProviderKindInHouse ProviderKind = "in_house"
	ProviderKindPartner ProviderKind = "partner"
)

// NotificationKind is what an inbox entry is about.
type NotificationKind string // @name NotificationKind

// The NotificationKind values.
const (
	NotificationKindJobAssigned       NotificationKind = "job_assigned"
	NotificationKindJobReassigned     NotificationKind = "job_reassigned"
	NotificationKindJobUnassigned     NotificationKind = "job_unassigned"
	NotificationKindJobAccepted       NotificationKind = "job_accepted"
	NotificationKindJobCancelled      NotificationKind = "job_cancelled"
	NotificationKindOrderCancelled    NotificationKind = "order_cancelled"
	NotificationKindAppointmentBooked NotificationKind = "appointment_booked"
	NotificationKindAppointmentMoved  NotificationKind = "appointment_moved"
	NotificationKindTechnicianEnRoute NotificationKind = "technician_en_route"
	NotificationKindQuoteWaiting      NotificationKind = "quote_waiting"
	NotificationKindQuoteApproved     NotificationKind = "quote_approved"
	NotificationKindQuoteRejected     NotificationKind = "quote_rejected"
	NotificationKindAwaitingParts     NotificationKind = "awaiting_parts"
	NotificationKindSLABreached       NotificationKind = "sla_breached"
	NotificationKindFollowUpDue       NotificationKind = "follow_up_due"
)

// NotificationKindComplaintEscalated goes to the new level's staff (internal/complaints).
const NotificationKindComplaintEscalated NotificationKind = "complaint_escalated"

// AssetClaimStatus is where staff's review of an ownership claim stands.
type AssetClaimStatus string // @name AssetClaimStatus

// The AssetClaimStatus values.
const (
	AssetClaimStatusPending  AssetClaimStatus = "pending"
	AssetClaimStatusApproved AssetClaimStatus = "approved"
	AssetClaimStatusRejected AssetClaimStatus = "rejected"
)
