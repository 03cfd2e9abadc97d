package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// dateLayout is an RFC 3339 full-date.
const dateLayout = "2006-01-02"

// --- DTOs ---

// ProductModelRequest adds a product model.
type ProductModelRequest struct {
	Code                   string `json:"code" validate:"required,max=64" example:"AC-9000"`
	Name                   string `json:"name" validate:"required,max=200" example:"Split air conditioner 9000 BTU"`
	Category               string `json:"category" validate:"max=64" example:"aircon"`
	WarrantyMonths         *int   `json:"warranty_months" validate:"omitempty,gte=0,lte=240" example:"12"`
	SoftwareWarrantyMonths *int   `json:"software_warranty_months" validate:"omitempty,gte=0,lte=240" example:"3"`
	ReturnWindowDays       *int   `json:"return_window_days" validate:"omitempty,gte=0,lte=3650" example:"180"`
} // @name ProductModelRequest

// ProductModelResponse is a catalogue entry.
type ProductModelResponse struct {
	ID                     uuid.UUID `json:"id" swaggertype:"string" format:"uuid"`
	Code                   string    `json:"code" example:"AC-9000"`
	Name                   string    `json:"name" example:"Split air conditioner 9000 BTU"`
	Category               string    `json:"category" example:"aircon"`
	WarrantyMonths         int       `json:"warranty_months" example:"12"`
	SoftwareWarrantyMonths int       `json:"software_warranty_months" example:"3"`
	ReturnWindowDays       int       `json:"return_window_days" example:"180"`
	CreatedAt              time.Time `json:"created_at" format:"date-time"`
} // @name ProductModel

// ProductModelList is one page of product models.
type ProductModelList struct {
	Items      []ProductModelResponse `json:"items"`
	NextCursor string                 `json:"next_cursor" example:""`
} // @name ProductModelList

// AddressDTO is a service address; region drives dispatch.
type AddressDTO struct {
	Line1  string   `json:"line1" validate:"max=300" example:"88 Century Avenue, Apt 1203"`
	City   string   `json:"city" validate:"max=100" example:"Shanghai"`
	Region string   `json:"region" validate:"max=64" example:"north"`
	Lat    *float64 `json:"lat,omitempty" validate:"required_with=Lng,omitempty,gte=-90,lte=90" example:"31.2304"`
	Lng    *float64 `json:"lng,omitempty" validate:"required_with=Lat,omitempty,gte=-180,lte=180" example:"121.4737"`
} // @name Address

// AssetRequest registers a product.
type AssetRequest struct {
	ProductModelID string     `json:"product_model_id" validate:"required,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e11"`
	SerialNumber   string     `json:"serial_number" validate:"required,max=100" example:"SN-2026-000042"`
	PurchaseDate   string     `json:"purchase_date" validate:"required,datetime=2006-01-02" format:"date" example:"2026-03-15"`
	Address        AddressDTO `json:"address"`
	CustomerID     string     `json:"customer_id" validate:"omitempty,uuid" format:"uuid" example:"0190f1f4-7c1e-7d3a-9d1e-2f9b5c1a0e12"`
} // @name AssetRequest

// WarrantyDTO is derived from the model's terms and the purchase date.
type WarrantyDTO struct {
	InWarranty     bool   `json:"in_warranty"`
	EndsAt         string `json:"ends_at" format:"date" example:"2027-03-15"`
	SoftwareEndsAt string `json:"software_ends_at" format:"date" example:"2026-06-15"`
	ReturnUntil    string `json:"return_until" format:"date" example:"2026-09-11"`
} // @name Warranty

// AssetResponse is a registered product with its warranty.
type AssetResponse struct {
	ID             uuid.UUID   `json:"id" swaggertype:"string" format:"uuid"`
	CustomerID     uuid.UUID   `json:"customer_id" swaggertype:"string" format:"uuid"`
	ProductModelID uuid.UUID   `json:"product_model_id" swaggertype:"string" format:"uuid"`
	ProductModel   string      `json:"product_model" example:"AC-9000"`
	SerialNumber   string      `json:"serial_number" example:"SN-2026-000042"`
	PurchaseDate   string      `json:"purchase_date" format:"date" example:"2026-03-15"`
	Address        AddressDTO  `json:"address"`
	Warranty       WarrantyDTO `json:"warranty"`
	CreatedAt      time.Time   `json:"created_at" format:"date-time"`
} // @name Asset

// AssetList is one page of assets.
type AssetList struct {
	Items      []AssetResponse `json:"items"`
	NextCursor string          `json:"next_cursor" example:""`
} // @name AssetList

// --- converters ---

func toProductModelResponse(m catalog.ProductModel) ProductModelResponse {
	return ProductModelResponse{ID: m.ID, Code: m.Code, Name: m.Name, Category: m.Category, WarrantyMonths: m.WarrantyMonths,
		SoftwareWarrantyMonths: m.SoftwareWarrantyMonths, ReturnWindowDays: m.ReturnWindowDays, CreatedAt: m.CreatedAt.UTC()}
}

func toAddressDTO(a catalog.Address) AddressDTO {
	return AddressDTO{Line1: a.Line1, City: a.City, Region: a.Region, Lat: a.Lat, Lng: a.Lng}
}

func fromAddressDTO(a AddressDTO) catalog.Address {
	return catalog.Address{Line1: a.Line1, City: a.City, Region: a.Region, Lat: a.Lat, Lng: a.Lng}
}

func toAssetResponse(a catalog.Asset, w catalog.Warranty) AssetResponse {
	return AssetResponse{ID: a.ID, CustomerID: a.CustomerID, ProductModelID: a.ProductModelID, ProductModel: a.Model.Code,
		SerialNumber: a.SerialNumber, PurchaseDate: a.PurchaseDate.Format(dateLayout), Address: toAddressDTO(a.Address),
		Warranty: WarrantyDTO{InWarranty: w.InWarranty, EndsAt: w.EndsAt.Format(dateLayout),
			SoftwareEndsAt: w.SoftwareEndsAt.Format(dateLayout), ReturnUntil: w.ReturnUntil.Format(dateLayout)},
		CreatedAt: a.CreatedAt.UTC()}
}

func fromAssetRequest(r AssetRequest) (catalog.AssetInput, error) {
	d, err := time.Parse(dateLayout, r.PurchaseDate)
	if err != nil {
		return catalog.AssetInput{}, errs.Field("purchase_date", "must be a date like 2006-01-02")
	}
	return catalog.AssetInput{CustomerID: optUUID(r.CustomerID), ProductModelID: *optUUID(r.ProductModelID),
		SerialNumber: r.SerialNumber, PurchaseDate: d, Address: fromAddressDTO(r.Address)}, nil
}

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
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h)"
//	@Param			body	body		ProductModelRequest	true	"model"
//	@Success		201		{object}	ProductModelResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		409		{object}	Problem	"code already used"
//	@Failure		422		{object}	Problem
//	@Router			/v1/product-models [post]
func handleCreateProductModel(svc *catalog.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req ProductModelRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		m, err := svc.CreateModel(c.Request().Context(), catalog.ModelInput{Code: req.Code, Name: req.Name, Category: req.Category,
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
//	@Param			limit		query		int		false	"page size (1-200, default 50)"
//	@Param			cursor		query		string	false	"next_cursor of the previous page"
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
		out := ProductModelList{Items: make([]ProductModelResponse, 0, len(rows)), NextCursor: next}
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
//	@Description	Customers register their own products; managers and in-house dispatchers register one for a customer with customer_id (partner dispatchers: 403). The serial number is unique per product model. The response carries the derived warranty.
//	@ID				createAsset
//	@Tags			assets
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string	false	"retry key (24 h)"
//	@Param			body	body		AssetRequest	true	"product"
//	@Success		201		{object}	AssetResponse
//	@Failure		400		{object}	Problem
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		409		{object}	Problem	"serial number already registered for the model"
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
//	@Param			limit		query		int		false	"page size (1-200, default 50)"
//	@Param			cursor		query		string	false	"next_cursor of the previous page"
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
		out := AssetList{Items: make([]AssetResponse, 0, len(rows)), NextCursor: next}
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
