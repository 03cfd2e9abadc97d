package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// dateLayout is an RFC 3339 full-date.
const dateLayout = "2006-01-02"

// --- handlers ---

// handleCreateProductModel adds a product model.
//
//	@Summary		Add a product model
//	@Description	Managers only. Warranty terms default to 12 months hardware, 3 months software and a 180-day return window.
//	@ID				createProductModel
//	@Tags			catalog
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body	body		ProductModelRequest	true	"model"
//	@Success		201		{object}	ProductModelResponse
//	@Header			201		{string}	Location	"/v1/product-models/{id}"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"not a manager"
//	@Failure		409		{object}	Problem	"code already used"
//	@Failure		422		{object}	Problem
//	@Router			/v1/product-models [post]
func handleCreateProductModel(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req ProductModelRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		m, err := svc.CreateModel(c.Request().Context(), catalog.ModelInput{Code: req.Code, Brand: req.Brand, Name: req.Name, Category: req.Category,
			WarrantyMonths: req.WarrantyMonths, SoftwareWarrantyMonths: req.SoftwareWarrantyMonths, ReturnWindowDays: req.ReturnWindowDays})
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/product-models/"+m.ID.String())
		return c.JSON(http.StatusCreated, toProductModelResponse(m))
	}
}

// handleListProductModels lists the catalogue.
//
//	@Summary		List product models
//	@Description	The catalogue with warranty terms, readable by every signed-in user.
//	@ID				listProductModels
//	@Tags			catalog
//	@Produce		json
//	@Security		BearerAuth
//	@Param			category	query		string	false	"category"
//	@Param			limit		query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor		query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200			{object}	ProductModelList
//	@Failure		401			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Router			/v1/product-models [get]
func handleListProductModels(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		rows, next, err := svc.ListModels(c.Request().Context(), c.QueryParam("category"), pr)
		if err != nil {
			return err
		}
		out := ProductModelList{Items: make([]ProductModelResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
		for _, m := range rows {
			out.Items = append(out.Items, toProductModelResponse(m))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetProductModel returns one product model.
//
//	@Summary		Get a product model
//	@Description	One catalogue entry with its warranty terms.
//	@ID				getProductModel
//	@Tags			catalog
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"product model id"	Format(uuid)
//	@Success		200	{object}	ProductModelResponse
//	@Failure		401	{object}	Problem
//	@Failure		404	{object}	Problem
//	@Router			/v1/product-models/{id} [get]
func handleGetProductModel(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "product model")
		if err != nil {
			return err
		}
		m, err := svc.GetModel(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toProductModelResponse(m))
	}
}

// handleCreateAsset registers a product.
//
//	@Summary		Register a product
//	@Description	Customers register their own products; managers and in-house dispatchers register one for a customer with customer_id (partner dispatchers: 403). The serial number is normalised (NFKC, white space and invisible characters removed, upper case; then printable ASCII only, at most 100 characters) and unique per product model among undisputed assets. A serial another customer registered first is not refused: the caller gets their own asset (201, same shape) and staff get an ownership claim to review (GET /v1/asset-claims), so the answer never tells whether someone else holds a serial. Registering a serial the same customer already holds is 409. The response carries the derived warranty, on the customer's word until staff verify it (warranty_verified false).
//	@ID				createAsset
//	@Tags			assets
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[assets:write]
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h, per caller)"	maxlength(255)
//	@Param			body	body		AssetRequest	true	"product"
//	@Success		201		{object}	AssetResponse
//	@Header			201		{string}	Location	"/v1/assets/{id}"
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"technicians and partner dispatchers"
//	@Failure		409		{object}	Problem	"this customer already registered the serial number for the model"
//	@Failure		422		{object}	Problem
//	@Router			/v1/assets [post]
func handleCreateAsset(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req AssetRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		in, err := fromAssetRequest(req)
		if err != nil {
			return err
		}
		a, err := svc.RegisterAsset(c.Request().Context(), principal(c), in)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/assets/"+a.ID.String())
		return c.JSON(http.StatusCreated, toAssetResponse(a, svc.Warranty(a)))
	}
}

// handleListAssets lists assets the caller may see.
//
//	@Summary		List assets
//	@Description	Customers see their own; managers and in-house dispatchers see all (optionally of one customer_id).
//	@ID				listAssets
//	@Tags			assets
//	@Produce		json
//	@Security		BearerAuth
//	@Param			customer_id	query		string	false	"only this customer's (staff)"	Format(uuid)
//	@Param			limit		query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor		query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200			{object}	AssetList
//	@Failure		401			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Router			/v1/assets [get]
func handleListAssets(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		var customer *uuid.UUID
		if s := c.QueryParam("customer_id"); s != "" {
			if customer = optUUID(s); customer == nil {
				return errs.Field("customer_id", "must be a UUID")
			}
		}
		rows, next, err := svc.ListAssets(c.Request().Context(), principal(c), customer, pr)
		if err != nil {
			return err
		}
		out := AssetList{Items: make([]AssetResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
		for _, a := range rows {
			out.Items = append(out.Items, toAssetResponse(a, svc.Warranty(a)))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handleGetAsset returns one asset.
//
//	@Summary		Get an asset
//	@Description	Another customer's asset is 404.
//	@ID				getAsset
//	@Tags			assets
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"asset id"	Format(uuid)
//	@Success		200	{object}	AssetResponse
//	@Failure		401	{object}	Problem
//	@Failure		404	{object}	Problem
//	@Router			/v1/assets/{id} [get]
func handleGetAsset(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "asset")
		if err != nil {
			return err
		}
		a, err := svc.GetAsset(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toAssetResponse(a, svc.Warranty(a)))
	}
}

// handleVerifyWarranty records that staff verified an asset's purchase date.
//
//	@Summary		Verify an asset's warranty
//	@Description	Managers and in-house dispatchers, after checking a receipt, an invoice or the asset's proof_of_purchase photo: warranty_verified becomes true (and stays; verifying again is a no-op). A proof-of-purchase photo alone never verifies it. Partner dispatchers get 404, as for GET /v1/assets/{id}.
//	@ID				verifyAssetWarranty
//	@Tags			assets
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"asset id"	Format(uuid)
//	@Success		200	{object}	AssetResponse
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem	"customers and technicians"
//	@Failure		404	{object}	Problem
//	@Router			/v1/assets/{id}/verify-warranty [post]
func handleVerifyWarranty(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "asset")
		if err != nil {
			return err
		}
		a, err := svc.VerifyWarranty(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toAssetResponse(a, svc.Warranty(a)))
	}
}

// handleListAssetClaims lists ownership claims for staff review.
//
//	@Summary		List ownership claims
//	@Description	A claim is recorded when a customer registers a serial number another customer registered first (POST /v1/assets): both keep their asset, neither is told, staff review here, oldest first. Managers and in-house dispatchers (partner dispatchers: 403).
//	@ID				listAssetClaims
//	@Tags			assets
//	@Produce		json
//	@Security		BearerAuth
//	@Param			status	query		string	false	"only claims in this status"	Enums(pending, approved, rejected)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	AssetClaimList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"customers, technicians and partner dispatchers"
//	@Failure		422		{object}	Problem
//	@Router			/v1/asset-claims [get]
func handleListAssetClaims(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		rows, next, err := svc.ListClaims(c.Request().Context(), principal(c), c.QueryParam("status"), pr)
		if err != nil {
			return err
		}
		out := AssetClaimList{Items: make([]AssetClaimResponse, 0, len(rows)), NextCursor: nonEmpty(next)}
		for _, cl := range rows {
			out.Items = append(out.Items, toAssetClaimResponse(cl))
		}
		return c.JSON(http.StatusOK, out)
	}
}
