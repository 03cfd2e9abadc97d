package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/complaints"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Complaints (SPEC §5): open → responded → resolved → closed, escalation
// levels 0–3, due times in working days of the region's calendar.

func complaintOut(c echo.Context, status int, v complaints.View) error {
	return c.JSON(status, toComplaintDetail(v, principal(c).Role == auth.RoleCustomer))
}

// handleCreateComplaint opens a complaint.
//
//	@Summary		Open a complaint
//	@Description	Customers complain for themselves (customer_id absent); order_id, when given, must be one of their orders (422 otherwise). Dispatchers and managers file on a customer's behalf: customer_id, order_id (its customer is the complainant), or both (they must agree); a partner's staff must name one of their provider's orders. The complaint opens at level 0 with reply_due_at 1 and resolution_due_at 3 working days later on the working calendar of the order's region (region `default` without an order). Not answered by its reply due time, it escalates one level, then one more every working day (up to level 3). Writes the complaint.created event.
//	@ID				createComplaint
//	@Tags			complaints
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"retry key"
//	@Param			body			body		ComplaintRequest	true	"the complaint"
//	@Success		201				{object}	ComplaintDetail
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/complaints [post]
func handleCreateComplaint(svc *complaints.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var r ComplaintRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		cust, err := optIDOf("customer_id", nonEmpty(r.CustomerID))
		if err != nil {
			return err
		}
		order, err := optIDOf("order_id", nonEmpty(r.OrderID))
		if err != nil {
			return err
		}
		v, err := svc.Create(c.Request().Context(), principal(c), complaints.CreateInput{CustomerID: cust, OrderID: order,
			Category: r.Category, Severity: r.Severity, Description: r.Description})
		if err != nil {
			return err
		}
		return complaintOut(c, http.StatusCreated, v)
	}
}

// handleListComplaints lists complaints.
//
//	@Summary		List complaints
//	@Description	Newest first. Customers: their own; in-house dispatchers and managers: all; a partner's dispatchers: the complaints about their provider's orders. Filters: status, level.
//	@ID				listComplaints
//	@Tags			complaints
//	@Produce		json
//	@Security		BearerAuth
//	@Param			status	query		string	false	"only this status"	Enums(open, responded, resolved, closed)
//	@Param			level	query		int		false	"only this escalation level"	minimum(0)	maximum(3)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	ComplaintList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/complaints [get]
func handleListComplaints(svc *complaints.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		var f complaints.Filter
		if s := c.QueryParam("status"); s != "" {
			if !slices.Contains(complaints.Statuses, s) {
				return errs.Field("status", "must be one of open, responded, resolved, closed")
			}
			f.Status = &s
		}
		if s := c.QueryParam("level"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > complaints.MaxLevel {
				return errs.Field("level", "must be an integer between 0 and 3")
			}
			f.Level = &n
		}
		cs, next, err := svc.List(c.Request().Context(), principal(c), f, pr)
		if err != nil {
			return err
		}
		out := ComplaintList{Items: make([]ComplaintResponse, 0, len(cs)), NextCursor: nonEmpty(next)}
		for _, x := range cs {
			out.Items = append(out.Items, toComplaintResponse(x))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetComplaint returns a complaint with its timeline.
//
//	@Summary		A complaint and its timeline
//	@Description	Customers get their own complaints with the public lines of the timeline (no escalations, no internal notes, no staff ids); staff get everything in their scope. Outside the caller's scope: 404.
//	@ID				getComplaint
//	@Tags			complaints
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"complaint id"	Format(uuid)
//	@Success		200	{object}	ComplaintDetail
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem
//	@Failure		404	{object}	Problem
//	@Router			/v1/complaints/{id} [get]
func handleGetComplaint(svc *complaints.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "complaint")
		if err != nil {
			return err
		}
		v, err := svc.Get(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return complaintOut(c, http.StatusOK, v)
	}
}

// handleRespondComplaint records staff's reply.
//
//	@Summary		Reply to a complaint
//	@Description	Dispatchers and managers, on an open or responded complaint (409 otherwise): the customer reads text; internal_note is staff-only. The complaint becomes responded and stops escalating by itself.
//	@ID				respondComplaint
//	@Tags			complaints
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string					true	"complaint id"	Format(uuid)
//	@Param			Idempotency-Key	header		string					false	"retry key"
//	@Param			body			body		ComplaintRespondRequest	true	"the reply"
//	@Success		200				{object}	ComplaintDetail
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/complaints/{id}/respond [post]
func handleRespondComplaint(svc *complaints.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "complaint")
		if err != nil {
			return err
		}
		var r ComplaintRespondRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		v, err := svc.Respond(c.Request().Context(), principal(c), id, complaints.Note{Text: r.Text, Internal: r.InternalNote})
		if err != nil {
			return err
		}
		return complaintOut(c, http.StatusOK, v)
	}
}

// handleEscalateComplaint raises a complaint's level.
//
//	@Summary		Escalate a complaint
//	@Description	Dispatchers and managers: one level up (0 agent → 1 supervisor → 2 manager → 3 director; at level 3, or when resolved or closed: 409). The reason is staff-only. An open complaint's next automatic escalation is a working day later. Notifies the new level's staff (level 1: dispatchers, 2–3: managers) and writes the complaint.escalated event.
//	@ID				escalateComplaint
//	@Tags			complaints
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string						true	"complaint id"	Format(uuid)
//	@Param			Idempotency-Key	header		string						false	"retry key"
//	@Param			body			body		ComplaintEscalateRequest	true	"why"
//	@Success		200				{object}	ComplaintDetail
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/complaints/{id}/escalate [post]
func handleEscalateComplaint(svc *complaints.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "complaint")
		if err != nil {
			return err
		}
		var r ComplaintEscalateRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		v, err := svc.Escalate(c.Request().Context(), principal(c), id, r.Reason)
		if err != nil {
			return err
		}
		return complaintOut(c, http.StatusOK, v)
	}
}

// handleResolveComplaint records the resolution.
//
//	@Summary		Resolve a complaint
//	@Description	Dispatchers and managers, on an open or responded complaint (409 otherwise): the customer reads the resolution. It closes by itself 3 working days later unless the customer rejects the resolution first.
//	@ID				resolveComplaint
//	@Tags			complaints
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string					true	"complaint id"	Format(uuid)
//	@Param			Idempotency-Key	header		string					false	"retry key"
//	@Param			body			body		ComplaintResolveRequest	true	"the resolution"
//	@Success		200				{object}	ComplaintDetail
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/complaints/{id}/resolve [post]
func handleResolveComplaint(svc *complaints.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "complaint")
		if err != nil {
			return err
		}
		var r ComplaintResolveRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		v, err := svc.Resolve(c.Request().Context(), principal(c), id, complaints.Note{Text: r.Resolution, Internal: r.InternalNote})
		if err != nil {
			return err
		}
		return complaintOut(c, http.StatusOK, v)
	}
}

// handleRejectResolution is the customer turning the resolution down.
//
//	@Summary		Reject a complaint's resolution
//	@Description	The complaint's customer, while it is resolved (409 otherwise): it goes back to open one level up (staying at 3 at the top), with a new reply due in 1 and resolution due in 3 working days. Writes the complaint.escalated event when the level rose.
//	@ID				rejectComplaintResolution
//	@Tags			complaints
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string					true	"complaint id"	Format(uuid)
//	@Param			Idempotency-Key	header		string					false	"retry key"
//	@Param			body			body		ComplaintRejectRequest	true	"why"
//	@Success		200				{object}	ComplaintDetail
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/complaints/{id}/reject-resolution [post]
func handleRejectResolution(svc *complaints.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "complaint")
		if err != nil {
			return err
		}
		var r ComplaintRejectRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		v, err := svc.RejectResolution(c.Request().Context(), principal(c), id, r.Reason)
		if err != nil {
			return err
		}
		return complaintOut(c, http.StatusOK, v)
	}
}
