package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/jobs"
)

// SLA policies (issue 11 item 1) and dev mode's test clock and job runner
// (item 5).

// handleListSLAPolicies lists the SLA policies.
//
//	@Summary		SLA policies
//	@Description	Managers: the service-level targets per order type × priority, in minutes from the order's creation: first response (the first dispatcher, manager or technician action after `create`), on site (the first `arrive`; null: by appointment, due at the booked window's end) and resolution (the first `complete`). `clock: wall` counts every minute; `working` counts only the working hours of the order region's calendar (GET /v1/regions: time zone, hours, working days, holidays). The resolution clock stands still while the order is awaiting_parts or awaiting_approval. Defaults (SPEC §4, wall clock, every type): P1 30 min / 24 h / 48 h, P2 2 h / 48 h / 72 h, P3 24 h / 72 h / 7 days, P4 24 h / by appointment / 14 days.
//	@ID				listSLAPolicies
//	@Tags			sla
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	SLAPolicyList
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem
//	@Router			/v1/sla-policies [get]
func handleListSLAPolicies(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		ps, err := svc.SLAPolicies(c.Request().Context(), principal(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toSLAPolicyList(ps))
	}
}

// handlePutSLAPolicies creates or replaces SLA policies.
//
//	@Summary		Change SLA policies
//	@Description	Managers: creates or replaces the listed type × priority policies in one change (the others stay) and returns every policy. A type × priority may appear once. New targets apply to orders created or re-prioritised afterwards; due times already stored on orders stay.
//	@ID				putSLAPolicies
//	@Tags			sla
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		SLAPoliciesRequest	true	"the policies to set"
//	@Success		200		{object}	SLAPolicyList
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/sla-policies [put]
func handlePutSLAPolicies(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var r SLAPoliciesRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		ps, err := svc.PutSLAPolicies(c.Request().Context(), principal(c), fromSLAPoliciesRequest(r))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toSLAPolicyList(ps))
	}
}

// handleSetDevClock moves the dev-mode clock forward.
//
//	@Summary		Move the test clock (dev mode)
//	@Description	Dev mode only (FIELDOPS_DEV=true; otherwise this route does not exist: 404). Managers: sets the server's clock to `now`, which must not be earlier than the clock's current time (409: time never goes back). The clock is real time plus this offset; every due time, token and event then uses it. Nothing runs by itself at the new time until the workers' next periodic run; POST /v1/dev/jobs/run runs the due jobs at once.
//	@ID				setDevClock
//	@Tags			dev
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		DevClockRequest	true	"the new time"
//	@Success		200		{object}	DevClockResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		404		{object}	Problem	"not in dev mode"
//	@Failure		409		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/dev/clock [post]
func handleSetDevClock(clk clock.Settable) echo.HandlerFunc {
	return func(c echo.Context) error {
		var r DevClockRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		if err := clk.SetForward(r.Now); errors.Is(err, clock.ErrBackwards) {
			return &errs.Error{Kind: errs.Conflict, Message: "the clock only moves forward",
				Fields: []errs.FieldError{{Field: "now", Message: "is earlier than the server's time, " + clk.Now().UTC().Format(time.RFC3339)}}}
		} else if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, DevClockResponse{Now: clk.Now().UTC()})
	}
}

// handleRunDevJobs runs every periodic job now.
//
//	@Summary		Run the periodic jobs now (dev mode)
//	@Description	Dev mode only (FIELDOPS_DEV=true; otherwise this route does not exist: 404). Managers: runs every periodic job (SLA breach sweep, follow-up reminders, complaint escalation, …) once, at the server clock's time, one after the other, and answers when all are done with what each handled. Safe next to running workers: every job marks what it handles once.
//	@ID				runDevJobs
//	@Tags			dev
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	DevJobsRunResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem
//	@Failure		404	{object}	Problem	"not in dev mode"
//	@Router			/v1/dev/jobs/run [post]
func handleRunDevJobs(reg *jobs.Registry, clk clock.Clock) echo.HandlerFunc {
	return func(c echo.Context) error {
		now := clk.Now()
		res, err := reg.RunPeriodic(c.Request().Context())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toDevJobsRunResponse(now, res))
	}
}
