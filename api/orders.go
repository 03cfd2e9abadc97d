package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// --- handlers ---

// handleCreateOrder records a new service request.
//
//	@Summary		Submit a service request
//	@Description	Customers submit for themselves (own asset or a described product); dispatchers and managers on behalf of a customer (customer_id) and may set priority. The server assigns the number FO-<year>-<6 digits>, snapshots the warranty from the asset, sets priority P3 unless staff say otherwise and stores the SLA due times. return_exchange outside the model's return window is 422 with the date it ended. A client may send its own UUID as id. Retry safely with Idempotency-Key.
//	@ID				createOrder
//	@Tags			orders
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:write]
//	@Param			Idempotency-Key	header		string				false	"retry key (24 h, per caller)"
//	@Param			body			body		OrderCreateRequest	true	"request"
//	@Success		201				{object}	OrderResponse
//	@Header			201	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Header			201	{string}	Location	"the new order's URL"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		409				{object}	Problem	"id already used, or the same Idempotency-Key is in flight"
//	@Failure		422				{object}	Problem	"invalid fields, return window over, or Idempotency-Key reused with another body"
//	@Router			/v1/orders [post]
func handleCreateOrder(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req OrderCreateRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		o, err := svc.Create(c.Request().Context(), principal(c), fromOrderCreate(req))
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/orders/"+o.ID.String())
		return writeOrder(c, http.StatusCreated, o)
	}
}

// handleListOrders lists visible orders; the technician app's delta sync.
//
//	@Summary		List orders (delta sync)
//	@Description	Customers see their own orders, technicians those assigned to them now or before, partner dispatchers their provider's, in-house dispatchers and managers all. Sorted by (updated_at, id); pages are stable while orders change. Delta sync: walk every page, then use the response's synced_until as updated_since next time: no change is missed and no order appears twice in one walk.
//	@ID				listOrders
//	@Tags			orders
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			status			query		[]string	false	"statuses, separated by commas (any of them)"	collectionFormat(csv)	Enums(submitted, triaged, assigned, accepted, scheduled, en_route, on_site, awaiting_approval, in_progress, awaiting_parts, completed, closed, cancelled)
//	@Param			type			query		string		false	"order type"	Enums(install, repair, maintenance, inspection, return_exchange, consultation)
//	@Param			priority		query		string		false	"priority"	Enums(P1, P2, P3, P4)
//	@Param			technician_id	query		string		false	"assigned technician"	Format(uuid)
//	@Param			region			query		string		false	"region"	maxlength(64)
//	@Param			updated_since	query		string		false	"only orders changed at or after this time (RFC 3339)"	Format(date-time)
//	@Param			follow_up_due	query		bool		false	"true: completed orders whose follow-up call is due (24 h after completion and later), for staff's call list"
//	@Param			external_ref	query		string		false	"the caller's reference of an order (an API client: its own orders only)"	maxlength(100)
//	@Param			limit			query		int			false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200				{object}	OrderList
//	@Failure		401				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders [get]
func handleListOrders(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := page.Parse(c.QueryParam("limit"), "")
		if err != nil {
			return err
		}
		var cur *orders.Cursor
		if s := c.QueryParam("cursor"); s != "" {
			k, err := orders.DecodeCursor(s)
			if err != nil {
				return err
			}
			cur = &k
		}
		f := orders.Filter{Status: c.QueryParam("status"), Type: c.QueryParam("type"), Priority: c.QueryParam("priority"),
			Region: c.QueryParam("region")}
		if s := c.QueryParam("technician_id"); s != "" {
			if f.TechnicianID = optUUID(s); f.TechnicianID == nil {
				return errs.Field("technician_id", "must be a UUID")
			}
		}
		if s := c.QueryParam("updated_since"); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return errs.Field("updated_since", "must be an RFC 3339 time like 2026-06-01T10:00:00Z")
			}
			f.UpdatedSince = &t
		}
		due, err := boolQuery(c, "follow_up_due")
		if err != nil {
			return err
		}
		f.FollowUpDue = due != nil && *due
		f.ExternalRef = c.QueryParam("external_ref")
		pg, err := svc.List(c.Request().Context(), principal(c), f, pr.Limit, cur)
		if err != nil {
			return err
		}
		out := OrderList{Items: make([]OrderResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor), SyncedUntil: pg.SyncedUntil.UTC()}
		for _, o := range pg.Items {
			out.Items = append(out.Items, toOrderResponse(o, principal(c)))
		}
		return writeOrderList(c, &out) // c.JSON's bytes, without reflection (orders_list_encode.go)
	}
}

// handleGetOrder returns one order with its ETag.
//
//	@Summary		Get an order
//	@Description	One order with an ETag (its version) for If-Match on PATCH and If-None-Match caching. Orders the caller may not see are 404.
//	@ID				getOrder
//	@Tags			orders
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id				path		string	true	"order id"	Format(uuid)
//	@Param			If-None-Match	header		string	false	"ETag of a cached copy"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Success		304				"not modified"
//	@Header			304	{string}	ETag	"the order's version (quoted)"
//	@Failure		401				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Router			/v1/orders/{id} [get]
func handleGetOrder(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		o, err := svc.Get(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		if inm := c.Request().Header.Get("If-None-Match"); inm != "" && strings.TrimPrefix(inm, "W/") == etag(o) {
			c.Response().Header().Set("ETag", etag(o))
			return c.NoContent(http.StatusNotModified)
		}
		return writeOrder(c, http.StatusOK, o)
	}
}

// handleUpdateOrder changes description, address or preferred windows.
//
//	@Summary		Update an order
//	@Description	Staff until completion; customers only before the order is assigned (409 after). Send If-Match with the ETag you read: a stale one is 412.
//	@ID				updateOrder
//	@Tags			orders
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string				true	"order id"	Format(uuid)
//	@Param			If-Match	header		string				false	"ETag of the version you edit"
//	@Param			body		body		OrderPatchRequest	true	"changes"
//	@Success		200			{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		412			{object}	Problem	"If-Match is stale"
//	@Failure		422			{object}	Problem
//	@Router			/v1/orders/{id} [patch]
func handleUpdateOrder(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, req OrderPatchRequest) (orders.Order, error) {
		version, err := ifMatchVersion(c)
		if err != nil {
			return orders.Order{}, err
		}
		in := orders.Patch{Description: req.Description}
		if req.Address != nil {
			a := fromAddressDTO(*req.Address)
			in.Address = &a
		}
		if req.PreferredWindows != nil {
			ws := fromWindows(*req.PreferredWindows)
			in.PreferredWindows = &ws
		}
		return svc.Update(c.Request().Context(), principal(c), id, version, in)
	})
}

// handleOrderEvents returns the timeline.
//
//	@Summary		Order timeline
//	@Description	Every change of the order, oldest first: action, actor (id, role, name), status before and after, time and details. Paginated like every list.
//	@ID				listOrderEvents
//	@Tags			orders
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id		path		string	true	"order id"	Format(uuid)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	EventList
//	@Failure		401		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem	"bad limit or cursor"
//	@Router			/v1/orders/{id}/events [get]
func handleOrderEvents(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		pg, err := svc.Events(c.Request().Context(), principal(c), id, pr)
		if err != nil {
			return err
		}
		out := EventList{Items: make([]EventResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor)}
		for _, e := range pg.Items {
			out.Items = append(out.Items, toEventResponse(e))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleSlots lists free appointment windows.
//
//	@Summary		Free appointment slots
//	@Description	Free windows of the assigned technician, or of the region's qualified technicians before assignment: the region's working hours in its local time (time_zone; default Asia/Shanghai 08:00-20:00) cut into its slots (default 2 hours, back to back), sent as UTC instants, from now to 90 days ahead. A booking must be exactly one of these windows. from is a local date of the region.
//	@ID				listOrderSlots
//	@Tags			orders
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id		path		string	true	"order id"	Format(uuid)
//	@Param			from	query		string	false	"first day, a local date of the order's region (YYYY-MM-DD, default today there; at most 90 days ahead)"	Format(date)
//	@Param			days	query		int		false	"number of days"	minimum(1)	maximum(31)	default(7)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	SlotList
//	@Failure		401		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/orders/{id}/slots [get]
func handleSlots(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		var from time.Time // zero: today in the region's time zone
		if s := c.QueryParam("from"); s != "" {
			if from, err = time.Parse(dateLayout, s); err != nil {
				return errs.Field("from", "must be a date like 2026-06-01")
			}
		}
		days := 7
		if s := c.QueryParam("days"); s != "" {
			if days, err = strconv.Atoi(s); err != nil {
				return errs.Field("days", "must be a number")
			}
		}
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		pg, err := svc.Slots(c.Request().Context(), principal(c), id, from, days, pr)
		if err != nil {
			return err
		}
		out := SlotList{Items: make([]SlotResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor), TimeZone: pg.TimeZone}
		for _, s := range pg.Items {
			out.Items = append(out.Items, SlotResponse{Start: s.Start, End: s.End, Technicians: s.Technicians, TechnicianID: s.TechnicianID})
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleNotifications lists the caller's inbox.
//
//	@Summary		My notifications
//	@Description	The caller's inbox, unread first and newest first: new jobs, accepted jobs, booked or moved appointments, quotes waiting for approval.
//	@ID				listNotifications
//	@Tags			notifications
//	@Produce		json
//	@Security		BearerAuth
//	@Param			unread	query		bool	false	"only unread"
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	NotificationList
//	@Failure		401		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/notifications [get]
func handleNotifications(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := page.Parse(c.QueryParam("limit"), "")
		if err != nil {
			return err
		}
		unread, err := boolQuery(c, "unread")
		if err != nil {
			return err
		}
		pg, err := svc.Notifications(c.Request().Context(), principal(c), unread != nil && *unread, pr.Limit, c.QueryParam("cursor"))
		if err != nil {
			return err
		}
		out := NotificationList{Items: make([]NotificationResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor)}
		for _, n := range pg.Items {
			out.Items = append(out.Items, toNotificationResponse(n))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleReadNotification marks one notification read.
//
//	@Summary		Mark a notification read
//	@Description	Only the caller's own notifications; others are 404.
//	@ID				readNotification
//	@Tags			notifications
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"notification id"	Format(uuid)
//	@Success		200	{object}	NotificationResponse
//	@Failure		401	{object}	Problem
//	@Failure		404	{object}	Problem
//	@Router			/v1/notifications/{id}/read [post]
func handleReadNotification(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "notification")
		if err != nil {
			return err
		}
		n, err := svc.MarkRead(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toNotificationResponse(n))
	}
}
