package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
)

// Every transition answers 409 with current_status and allowed_actions when
// the order is not in a state that allows it, and accepts Idempotency-Key.

// handleTriage acknowledges and classifies a request.
//
//	@Summary		Triage
//	@Description	Staff acknowledge and classify a submitted request (first response). Changing type or priority recomputes the SLA due times.
//	@ID				triageOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		TriageRequest	true	"classification"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/triage [post]
func handleTriage(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r TriageRequest) (orders.Order, error) {
		return svc.Triage(c.Request().Context(), principal(c), id, orders.TriageInput{Priority: string(r.Priority), Type: string(r.Type), Region: r.Region, Notes: r.Notes})
	})
}

// handleAssign dispatches the order.
//
//	@Summary		Assign a technician
//	@Description	{"technician_id": …} assigns (or reassigns) by hand; {"auto": true} picks among on-duty technicians of the order's region with the skill the type needs and under their daily capacity, fewest open jobs first, then nearest. The response says who and why. Partner dispatchers assign their own technicians only. Nobody qualified: 409 with the reason, and the order stays as it was.
//	@ID				assignOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		AssignRequest	true	"technician or auto"
//	@Success		200				{object}	AssignResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/assign [post]
func handleAssign(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		var req AssignRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		res, err := svc.Assign(c.Request().Context(), principal(c), id, optUUID(req.TechnicianID), req.Auto)
		if err != nil {
			return err
		}
		c.Response().Header().Set("ETag", etag(res.Order))
		return c.JSON(http.StatusOK, AssignResponse{Order: toOrderResponse(res.Order, principal(c)), TechnicianID: res.TechnicianID, Reason: res.Reason})
	}
}

// handleUnassign takes the job away from its technician.
//
//	@Summary		Unassign
//	@Description	Staff take the job away from its technician with a reason: back to triaged for dispatch; a booked visit is cancelled and the technician told.
//	@ID				unassignOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		ReasonRequest	true	"reason (required)"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/unassign [post]
func handleUnassign(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r ReasonRequest) (orders.Order, error) {
		return svc.Unassign(c.Request().Context(), principal(c), id, r.Reason)
	})
}

// handleAccept confirms the job.
//
//	@Summary		Accept the job
//	@Description	The assigned technician confirms. Of several racing calls exactly one wins; the others get 409.
//	@ID				acceptOrder
//	@Tags			order life cycle
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string	false	"retry key"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Router			/v1/orders/{id}/accept [post]
func handleAccept(svc *orders.Service) echo.HandlerFunc {
	return orderAction(func(c echo.Context, id uuid.UUID) (orders.Order, error) {
		return svc.Accept(c.Request().Context(), principal(c), id)
	})
}

// handleDecline hands the job back.
//
//	@Summary		Decline the job
//	@Description	The assigned technician declines with a reason; the order goes back to triaged for dispatch.
//	@ID				declineOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		ReasonRequest	true	"reason (required)"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/decline [post]
func handleDecline(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r ReasonRequest) (orders.Order, error) {
		return svc.Decline(c.Request().Context(), principal(c), id, r.Reason)
	})
}

// handleAppointment books or moves the visit.
//
//	@Summary		Book or move the appointment
//	@Description	The customer, staff or the assigned technician book the visit after acceptance, move it (staff must give a reason; the history is kept) or book the next visit after parts arrived. A technician's appointments never overlap: a taken slot is 409.
//	@ID				bookAppointment
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string				true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string				false	"retry key"
//	@Param			body			body		AppointmentRequest	true	"window"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem	"slot taken or wrong status"
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/appointment [post]
func handleAppointment(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r AppointmentRequest) (orders.Order, error) {
		return svc.Book(c.Request().Context(), principal(c), id, orders.Window{Start: r.Start, End: r.End}, r.Reason)
	})
}

// handleDepart says the technician is on the way.
//
//	@Summary		Depart
//	@Description	The assigned technician leaves for the appointment; the customer is told. Leaving more than 3 hours (configurable) before the appointment window needs a reason (422 naming reason without one): it is stored on the event and sent to the customer. The body is optional.
//	@ID				departOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		DepartRequest	false	"reason (required when leaving early)"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/depart [post]
func handleDepart(svc *orders.Service) echo.HandlerFunc {
	return orderAction(func(c echo.Context, id uuid.UUID) (orders.Order, error) {
		var req DepartRequest
		if c.Request().ContentLength != 0 { // the body is optional
			if err := bindJSON(c, &req); err != nil {
				return orders.Order{}, err
			}
		}
		return svc.Depart(c.Request().Context(), principal(c), id, req.Reason)
	})
}

// handleArrive checks in on site.
//
//	@Summary		Arrive (check in)
//	@Description	The assigned technician checks in on site with the position; the distance to the address is recorded when both are known.
//	@ID				arriveOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		ArriveRequest	true	"position"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/arrive [post]
func handleArrive(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r ArriveRequest) (orders.Order, error) {
		return svc.Arrive(c.Request().Context(), principal(c), id, *r.Lat, *r.Lng)
	})
}

// handleQuote prices the work.
//
//	@Summary		Send a quote
//	@Description	The technician on site prices parts, labour and fees (integer minor units). Lines marked covered cost 0 while the order is in warranty. The customer is asked to approve.
//	@ID				quoteOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		QuoteRequest	true	"items"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/quote [post]
func handleQuote(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r QuoteRequest) (orders.Order, error) {
		lines := make([]orders.QuoteInput, 0, len(r.Items))
		for _, it := range r.Items {
			var part *uuid.UUID
			if it.PartID != nil {
				part = optUUID(*it.PartID)
			}
			lines = append(lines, orders.QuoteInput{Kind: string(it.Kind), PartID: part, Description: it.Description, Qty: it.Qty,
				UnitPrice: it.UnitPrice, Covered: it.Covered})
		}
		return svc.Quote(c.Request().Context(), principal(c), id, lines)
	})
}

// handleApproveQuote approves the quote.
//
//	@Summary		Approve the quote
//	@Description	The order's customer approves; the work may start (in_progress).
//	@ID				approveQuote
//	@Tags			order life cycle
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string	false	"retry key"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Router			/v1/orders/{id}/quote/approve [post]
func handleApproveQuote(svc *orders.Service) echo.HandlerFunc {
	return orderAction(func(c echo.Context, id uuid.UUID) (orders.Order, error) {
		return svc.ApproveQuote(c.Request().Context(), principal(c), id)
	})
}

// handleRejectQuote rejects the quote.
//
//	@Summary		Reject the quote
//	@Description	The order's customer rejects; the visit ends without repair (completed, fixed false).
//	@ID				rejectQuote
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		RejectQuoteRequest	true	"reason (optional)"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/quote/reject [post]
func handleRejectQuote(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r RejectQuoteRequest) (orders.Order, error) {
		return svc.RejectQuote(c.Request().Context(), principal(c), id, r.Reason)
	})
}

// handleStart begins the work.
//
//	@Summary		Start work
//	@Description	The assigned technician starts warranty work at no charge. Out of warranty the work starts by the customer's quote approval instead (409 here).
//	@ID				startOrder
//	@Tags			order life cycle
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string	true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string	false	"retry key"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Router			/v1/orders/{id}/start [post]
func handleStart(svc *orders.Service) echo.HandlerFunc {
	return orderAction(func(c echo.Context, id uuid.UUID) (orders.Order, error) {
		return svc.Start(c.Request().Context(), principal(c), id)
	})
}

// handleAwaitParts pauses the work for parts.
//
//	@Summary		Wait for parts
//	@Description	The assigned technician pauses the work because parts are missing; the visit ends and a new one is booked when they arrive.
//	@ID				awaitParts
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string				true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string				false	"retry key"
//	@Param			body			body		AwaitPartsRequest	true	"note"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/awaiting-parts [post]
func handleAwaitParts(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r AwaitPartsRequest) (orders.Order, error) {
		return svc.AwaitParts(c.Request().Context(), principal(c), id, r.Note)
	})
}

// handleCancel cancels the order.
//
//	@Summary		Cancel
//	@Description	With a reason. Customers may cancel their own order until it is scheduled; staff until the technician is on site.
//	@ID				cancelOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		ReasonRequest	true	"reason (required)"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/cancel [post]
func handleCancel(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r ReasonRequest) (orders.Order, error) {
		return svc.Cancel(c.Request().Context(), principal(c), id, r.Reason)
	})
}

// handleReopen reopens a completed order.
//
//	@Summary		Reopen
//	@Description	Within 30 days of completion the customer or staff reopen the order with a reason: back to triaged, flagged as a repeat repair, same number, visit count + 1.
//	@ID				reopenOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		ReasonRequest	true	"reason (required)"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/reopen [post]
func handleReopen(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r ReasonRequest) (orders.Order, error) {
		return svc.Reopen(c.Request().Context(), principal(c), id, r.Reason)
	})
}
