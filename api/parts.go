package api

import (
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/parts"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// handleCreatePart adds a part to the catalogue.
//
//	@Summary		Add a part
//	@Description	Managers only. The SKU is unique (case-insensitive). unit_price is integer minor units of currency (CNY). compatible_model_ids lists the product models the part fits (empty: every model); quote lines and parts used are checked against it. Low stock (available below reorder_point at a location) writes a stock.low event.
//	@ID				createPart
//	@Tags			inventory
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body			body		PartRequest	true	"part"
//	@Success		201				{object}	PartResponse
//	@Header			201				{string}	Location	"/v1/parts/{id}"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"not a manager"
//	@Failure		409				{object}	Problem	"SKU already used"
//	@Failure		422				{object}	Problem
//	@Router			/v1/parts [post]
func handleCreatePart(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req PartRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		p, err := svc.CreatePart(c.Request().Context(), parts.PartInput{SKU: req.SKU, Name: req.Name,
			CompatibleModelIDs: uuidsOf(req.CompatibleModelIDs), UnitPrice: req.UnitPrice, Currency: string(req.Currency),
			Genuine: req.Genuine, ReorderPoint: req.ReorderPoint, SerialTracked: req.SerialTracked})
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/parts/"+p.ID.String())
		return c.JSON(http.StatusCreated, toPartResponse(p))
	}
}

// handleListParts searches the catalogue.
//
//	@Summary		List parts
//	@Description	Managers, dispatchers, technicians and API clients with parts:read. q matches SKU or name (case-insensitive substring); model_id keeps the parts that fit a product model (listed compatible). Oldest first.
//	@ID				listParts
//	@Tags			inventory
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[parts:read]
//	@Param			q			query		string	false	"text in SKU or name"	maxlength(200)
//	@Param			model_id	query		string	false	"compatible with this product model"	Format(uuid)
//	@Param			limit		query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor		query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200			{object}	PartList
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"customers"
//	@Failure		422			{object}	Problem
//	@Router			/v1/parts [get]
func handleListParts(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		f := parts.PartFilter{Text: c.QueryParam("q")}
		if len(f.Text) > 200 {
			return errs.Field("q", "must be at most 200 characters")
		}
		if s := c.QueryParam("model_id"); s != "" {
			if f.ModelID = optUUID(s); f.ModelID == nil {
				return errs.Field("model_id", "must be a UUID")
			}
		}
		rows, next, err := svc.ListParts(c.Request().Context(), f, pr)
		if err != nil {
			return err
		}
		out := PartList{Items: make([]PartResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
		for _, p := range rows {
			out.Items = append(out.Items, toPartResponse(p))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetPart returns one part.
//
//	@Summary		Get a part
//	@Description	Managers, dispatchers, technicians and API clients with parts:read.
//	@ID				getPart
//	@Tags			inventory
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[parts:read]
//	@Param			id	path		string	true	"part id"	Format(uuid)
//	@Success		200	{object}	PartResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"customers"
//	@Failure		404	{object}	Problem
//	@Router			/v1/parts/{id} [get]
func handleGetPart(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "part")
		if err != nil {
			return err
		}
		p, err := svc.GetPart(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toPartResponse(p))
	}
}

// handlePartMovements is a part's traceability.
//
//	@Summary		Trace a part
//	@Description	Managers and in-house dispatchers (partner dispatchers: 403). Every movement of the part, oldest first: receipts (supplier reference, serials), transfers, issues to orders and returns, adjustments, each with its actor, locations, and for issues and returns the order number and customer. serial narrows it to one serial number: which receipt it came from and which order and customer it went to.
//	@ID				listPartMovements
//	@Tags			inventory
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"part id"	Format(uuid)
//	@Param			serial	query		string	false	"only movements of this serial number"	maxlength(100)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	TraceList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"technicians, customers, partner dispatchers"
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/parts/{id}/movements [get]
func handlePartMovements(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "part")
		if err != nil {
			return err
		}
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		serial := c.QueryParam("serial")
		if len(serial) > 100 {
			return errs.Field("serial", "must be at most 100 characters")
		}
		rows, next, err := svc.Movements(c.Request().Context(), principal(c), id, serial, pr)
		if err != nil {
			return err
		}
		out := TraceList{Items: make([]TraceResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
		for _, t := range rows {
			out.Items = append(out.Items, toTraceResponse(t))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleCreateStockLocation adds a warehouse or a van.
//
//	@Summary		Add a stock location
//	@Description	Managers and in-house dispatchers (partner dispatchers: 403). A warehouse needs a name; a van belongs to one technician (technician_id; one van each, a second is 409).
//	@ID				createStockLocation
//	@Tags			inventory
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string					false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body			body		StockLocationRequest	true	"location"
//	@Success		201				{object}	StockLocationResponse
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"technicians, customers, partner dispatchers"
//	@Failure		409				{object}	Problem	"the technician already has a van"
//	@Failure		422				{object}	Problem
//	@Router			/v1/stock-locations [post]
func handleCreateStockLocation(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req StockLocationRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		tech, err := optIDOf("technician_id", req.TechnicianID)
		if err != nil {
			return err
		}
		l, err := svc.CreateLocation(c.Request().Context(), principal(c), parts.LocationInput{Kind: string(req.Kind), Name: req.Name, TechnicianID: tech})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, toStockLocationResponse(l))
	}
}

// handleListStockLocations lists stock locations.
//
//	@Summary		List stock locations
//	@Description	In-house managers and dispatchers see every location; a partner's dispatchers the warehouses and the vans of their provider's technicians; technicians the warehouses and their own van. Oldest first.
//	@ID				listStockLocations
//	@Tags			inventory
//	@Produce		json
//	@Security		BearerAuth
//	@Param			kind	query		string	false	"warehouse or van"	Enums(warehouse, van)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	StockLocationList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"customers"
//	@Failure		422		{object}	Problem
//	@Router			/v1/stock-locations [get]
func handleListStockLocations(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		rows, next, err := svc.ListLocations(c.Request().Context(), principal(c), c.QueryParam("kind"), pr)
		if err != nil {
			return err
		}
		out := StockLocationList{Items: make([]StockLocationResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
		for _, l := range rows {
			out.Items = append(out.Items, toStockLocationResponse(l))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleStock lists a location's stock.
//
//	@Summary		Stock at a location
//	@Description	On hand, reserved and available (on_hand − reserved) per part at location_id, by part id. Technicians may read the warehouses and their own van, a partner's dispatchers the warehouses and their provider's vans; another van (or an unknown location) is 422 naming location_id.
//	@ID				listStock
//	@Tags			inventory
//	@Produce		json
//	@Security		BearerAuth
//	@Param			location_id	query		string	true	"stock location"	Format(uuid)
//	@Param			limit		query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor		query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200			{object}	StockList
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem	"customers"
//	@Failure		422			{object}	Problem
//	@Router			/v1/stock [get]
func handleStock(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		loc := optUUID(c.QueryParam("location_id"))
		if loc == nil {
			return errs.Field("location_id", "is required: a stock location id")
		}
		rows, next, err := svc.Stock(c.Request().Context(), principal(c), *loc, pr)
		if err != nil {
			return err
		}
		out := StockList{Items: make([]StockLineResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
		for _, l := range rows {
			out.Items = append(out.Items, toStockLineResponse(l))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleStockMovement records a staff movement.
//
//	@Summary		Record a stock movement
//	@Description	Managers and in-house dispatchers (partner dispatchers: 403). kind receive: into a warehouse (to_location_id) with supplier_ref and, for serial-tracked parts, one serial per unit. transfer: from_location_id → to_location_id (warehouse → van and back). return: unused parts from order_id back to to_location_id, taken off the order's charges (not after completion: 409). adjust: a counted difference at one location (from_location_id: fewer, to_location_id: more) with a reason. Issues to orders are POST /v1/orders/{id}/parts (kind issue here is 422). The movement and the balances change in one transaction; on hand never goes negative: too little at the source is 409 with available, and nothing is written.
//	@ID				createStockMovement
//	@Tags			inventory
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string					false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body			body		StockMovementRequest	true	"movement"
//	@Success		201				{object}	StockMovementResponse
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"technicians, customers, partner dispatchers"
//	@Failure		409				{object}	Problem	"not enough stock (available), a serial not at the source, an order that does not hold the part or is completed"
//	@Failure		422				{object}	Problem
//	@Router			/v1/stock/movements [post]
func handleStockMovement(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req StockMovementRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		part, err := idOf("part_id", req.PartID)
		if err != nil {
			return err
		}
		in := parts.MovementInput{Kind: string(req.Kind), PartID: part, Qty: req.Qty, SupplierRef: req.SupplierRef,
			Serials: req.Serials, Reason: req.Reason}
		for _, f := range []struct {
			name string
			s    *string
			dst  **uuid.UUID
		}{{"from_location_id", req.FromLocationID, &in.FromLocationID}, {"to_location_id", req.ToLocationID, &in.ToLocationID},
			{"order_id", req.OrderID, &in.OrderID}} {
			if *f.dst, err = optIDOf(f.name, f.s); err != nil {
				return err
			}
		}
		m, err := svc.Move(c.Request().Context(), principal(c), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, toStockMovementResponse(m))
	}
}

// handleStocktake records counted quantities.
//
//	@Summary		Record a stocktake
//	@Description	Managers and in-house dispatchers (partner dispatchers: 403). Counted quantities for parts at location_id: one adjust movement (reason "stocktake") per difference, all in one transaction; a part counted as on hand writes nothing. A part not in the catalogue is 422 naming counts[i].part_id, and nothing is written.
//	@ID				createStocktake
//	@Tags			inventory
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string				false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body			body		StocktakeRequest	true	"counts"
//	@Success		201				{object}	StocktakeResponse
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"technicians, customers, partner dispatchers"
//	@Failure		409				{object}	Problem	"a count below the reserved quantity"
//	@Failure		422				{object}	Problem
//	@Router			/v1/stock/counts [post]
func handleStocktake(svc *parts.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req StocktakeRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		loc, err := idOf("location_id", req.LocationID)
		if err != nil {
			return err
		}
		counts := make([]parts.Count, 0, len(req.Counts))
		for i, ct := range req.Counts {
			part, err := idOf("counts["+strconv.Itoa(i)+"].part_id", ct.PartID)
			if err != nil {
				return err
			}
			counts = append(counts, parts.Count{PartID: part, Counted: *ct.Counted})
		}
		ms, err := svc.Stocktake(c.Request().Context(), principal(c), loc, counts)
		if err != nil {
			return err
		}
		out := StocktakeResponse{LocationID: loc, Movements: make([]StockMovementResponse, 0, len(ms))}
		for _, m := range ms {
			out.Movements = append(out.Movements, toStockMovementResponse(m))
		}
		return c.JSON(http.StatusCreated, out)
	}
}

// handleUseParts records a part used on the order.
//
//	@Summary		Record a part used
//	@Description	The assigned technician, on site or in progress: the part is issued from location_id (default: the technician's van; a warehouse or their own van) and a charge line added, in one transaction with the stock ledger. In warranty and covered (the default) the line costs 0; otherwise the part must be in the approved quote and is charged at the quoted price, up to the quoted quantity (409 "quote first" when not). A part not in the catalogue or not fitting the order's product model is 422 naming part_id; too little stock is 409 with available. The order's charges include parts used, and so does the completion record.
//	@ID				useOrderParts
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string				true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string				false	"retry key"
//	@Param			body			body		PartsUsedRequest	true	"part used"
//	@Success		200				{object}	OrderResponse
//	@Header			200				{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem	"not the assigned technician"
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem	"not on site or in progress, quote first, not enough stock (available), a serial not in the van"
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/parts [post]
func handleUseParts(svc *orders.Service) echo.HandlerFunc {
	return orderActionWith(func(c echo.Context, id uuid.UUID, r PartsUsedRequest) (orders.Order, error) {
		part, err := idOf("part_id", r.PartID)
		if err != nil {
			return orders.Order{}, err
		}
		loc, err := optIDOf("location_id", r.LocationID)
		if err != nil {
			return orders.Order{}, err
		}
		return svc.UseParts(c.Request().Context(), principal(c), id, orders.PartsInput{PartID: part, Qty: r.Qty, LocationID: loc,
			Serials: r.Serials, Covered: r.Covered})
	})
}
