package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
)

// Regions: each region's working calendar (time zone, working hours and
// appointment windows, working weekdays, holidays).

// handleListRegions lists the configured regions.
//
//	@Summary		Regions and their working calendars
//	@Description	Every configured region, by code, with its holidays by date. A region an order names without a row here works 08:00–20:00 Monday to Friday in Asia/Shanghai with 120-minute windows and no holidays; the region `default` (when configured) is the calendar of complaints without an order. Managers and dispatchers.
//	@ID				listRegions
//	@Tags			regions
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	RegionList
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem
//	@Router			/v1/regions [get]
func handleListRegions(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		rs, err := svc.Regions(c.Request().Context())
		if err != nil {
			return err
		}
		out := RegionList{Items: make([]RegionResponse, len(rs))}
		for i, r := range rs {
			out.Items[i] = toRegionResponse(r)
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handlePutRegion creates or replaces a region's working calendar.
//
//	@Summary		Configure a region
//	@Description	Managers: creates the region or replaces its whole configuration, holidays included, in one change. time_zone is an IANA name (e.g. Europe/Berlin); work_start < work_end, HH:MM local time; working_days are weekday names; holidays are local dates (at most 500, no repeats). Due times already computed (orders, complaints) are not recomputed.
//	@ID				putRegion
//	@Tags			regions
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string			true	"region code"	minLength(1)	maxLength(64)
//	@Param			body	body		RegionRequest	true	"the region's calendar"
//	@Success		200		{object}	RegionResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/regions/{code} [put]
func handlePutRegion(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var r RegionRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		rc, err := svc.PutRegion(c.Request().Context(), principal(c), c.Param("code"), fromRegionRequest(r))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toRegionResponse(rc))
	}
}
