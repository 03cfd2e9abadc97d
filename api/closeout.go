package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/evidence"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// Close-out: photos, completion with the signature, the signed report,
// rating and follow-up calls.

// formOverhead is what a multipart body may carry beyond its file: the
// boundaries, part headers and the small text fields.
const formOverhead = 64 << 10

// multipartForm reads a multipart/form-data body part by part, never holding
// a file in memory: text fields (UTF-8, at most 4 KiB each, names in fields) are
// collected, and the one file part named fileField is handed to file as a
// stream when it comes. Unknown parts are Invalid naming them.
func multipartForm(c echo.Context, limit int64, fileField string, fields []string, file func(p *multipart.Part) error) (map[string]string, bool, error) {
	return readForm(c, limit, fileField, fields, map[string]string{}, false, file)
}

// multipartFormUntil is multipartForm that stops after the file part: the
// fields sent before it are in values when file runs.
func multipartFormUntil(c echo.Context, limit int64, fileField string, fields []string, values map[string]string, file func(p *multipart.Part) error) (map[string]string, bool, error) {
	return readForm(c, limit, fileField, fields, values, true, file)
}

func readForm(c echo.Context, limit int64, fileField string, fields []string, values map[string]string, stopAfterFile bool, file func(p *multipart.Part) error) (map[string]string, bool, error) {
	r := c.Request()
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm || params["boundary"] == "" {
		return nil, false, errs.E(errs.UnsupportedMedia, "the body must be multipart/form-data")
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
	mr := multipart.NewReader(r.Body, params["boundary"])
	sawFile := false
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, sawFile, readError(err)
		}
		name := part.FormName()
		switch {
		case n > 32:
			return nil, sawFile, errs.E(errs.BadRequest, "the form has too many parts")
		case name == fileField:
			if sawFile {
				return nil, sawFile, errs.Field(fileField, "only one file may be sent")
			}
			sawFile = true
			if err := file(part); err != nil {
				return nil, sawFile, err
			}
			if stopAfterFile {
				return values, sawFile, nil
			}
		case slices.Contains(fields, name):
			b, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return nil, sawFile, readError(err)
			}
			if len(b) > 4096 {
				return nil, sawFile, errs.Field(name, "must be at most 4096 bytes")
			}
			if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
				return nil, sawFile, errs.Field(name, "must be UTF-8 text without NUL characters")
			}
			if _, dup := values[name]; dup {
				return nil, sawFile, errs.Field(name, "must be sent once")
			}
			values[name] = string(b)
		default:
			return nil, sawFile, errs.Field(name, "is not a field of this form")
		}
		part.Close()
	}
	return values, sawFile, nil
}

// readError maps a failure to read the form itself: over the limit 413,
// anything else (cut off, malformed) 400.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the body is larger than %d bytes", mbe.Limit)
	}
	return &errs.Error{Kind: errs.BadRequest, Message: "the multipart body could not be read", Err: err}
}

// streamError maps the error of whatever consumed a file part (staging a
// photo, completing with a signature): the body over the limit is 413, the
// body cut off 400; every other error (a refusal, or the database failing:
// 5xx, which frees an Idempotency-Key for a retry) passes unchanged.
func streamError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return errs.E(errs.TooLarge, "the body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &errs.Error{Kind: errs.BadRequest, Message: "the body ends before the form does", Err: err}
	}
	return err
}

// photoFields reads the text fields of a photo form into a PhotoInput.
func photoFields(v map[string]string) (orders.PhotoInput, error) {
	in := orders.PhotoInput{Kind: v["kind"]}
	var fe []errs.FieldError
	if s, ok := v["id"]; ok {
		if id, ok := canonicalUUID(s); !ok {
			fe = append(fe, errs.FieldError{Field: "id", Message: "must be a UUID"})
		} else {
			in.ID = &id
		}
	}
	if s, ok := v["taken_at"]; ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			fe = append(fe, errs.FieldError{Field: "taken_at", Message: "must be an RFC 3339 date-time"})
		} else {
			in.TakenAt = &t
		}
	}
	for _, f := range []struct {
		name string
		dst  **float64
	}{{"lat", &in.Lat}, {"lng", &in.Lng}} {
		if s, ok := v[f.name]; ok {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				fe = append(fe, errs.FieldError{Field: f.name, Message: "must be a number"})
			} else {
				*f.dst = &x
			}
		}
	}
	return in, errs.Fields(fe)
}

// handleAddPhoto stores a photo of an order.
//
//	@Summary		Add a photo
//	@Description	Multipart upload, streamed to the blob store while its SHA-256 is computed. The type is decided by the bytes (JPEG, PNG, WebP, HEIC): a declared type or file extension that disagrees, a file that does not decode, and any other file are 415; an empty file is 422; a file over the configured limit (default 15 MiB) is 413. Nothing is stored when refused. Send a client-generated id so that a retry is stored once: the same id and bytes give 200 with the first photo, other bytes under that id 409. The order's customer adds fault photos to their open order; the assigned technician adds any kind. After completion an order's photos are final (409).
//	@ID				addOrderPhoto
//	@Tags			close-out
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string	true	"order id"	Format(uuid)
//	@Param			file		formData	file	true	"the image (JPEG, PNG, WebP or HEIC)"
//	@Param			kind		formData	string	true	"what it shows"	Enums(fault, before, after, other)
//	@Param			id			formData	string	false	"client-generated photo id (UUID): retries are stored once"	Format(uuid)
//	@Param			taken_at	formData	string	false	"when it was taken (RFC 3339)"	Format(date-time)
//	@Param			lat			formData	number	false	"where it was taken"	minimum(-90)	maximum(90)
//	@Param			lng			formData	number	false	"where it was taken"	minimum(-180)	maximum(180)
//	@Success		201			{object}	PhotoResponse	"stored"
//	@Success		200			{object}	PhotoResponse	"a retry: the photo stored first under this id"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Router			/v1/orders/{id}/photos [post]
func handleAddPhoto(svc *orders.Service, maxBytes int64) echo.HandlerFunc {
	return photoUpload(maxBytes, "order", []string{"kind", "id", "taken_at", "lat", "lng"}, svc,
		svc.PhotoTarget, orders.OrderPhotoPrefix, svc.AddOrderPhoto)
}

// photoUpload is the multipart upload of a photo of an order or an asset:
// check the target before reading a byte, stream the file into the store
// (sniffed, decoded), then record it — or discard it.
func photoUpload(maxBytes int64, what string, fields []string, svc *orders.Service,
	target func(context.Context, auth.Principal, uuid.UUID) error, prefix func(uuid.UUID) string,
	add func(context.Context, auth.Principal, uuid.UUID, orders.PhotoInput, orders.Staged) (orders.Photo, bool, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, what)
		if err != nil {
			return err
		}
		ctx, p := c.Request().Context(), principal(c)
		if err := target(ctx, p, id); err != nil { // before reading a byte of the body
			return err
		}
		var staged *orders.Staged
		values, sawFile, err := multipartForm(c, maxBytes+formOverhead, "file", fields,
			func(part *multipart.Part) error {
				st, err := svc.Stage(ctx, prefix(id), orders.FileInput{Body: part,
					Filename: part.FileName(), DeclaredType: part.Header.Get(echo.HeaderContentType)})
				if err != nil {
					return streamError(err)
				}
				staged = &st
				return nil
			})
		if err == nil && !sawFile {
			err = errs.Field("file", "is required")
		}
		var in orders.PhotoInput
		if err == nil {
			in, err = photoFields(values)
		}
		if err != nil {
			if staged != nil {
				svc.Discard(*staged)
			}
			return err
		}
		ph, created, err := add(ctx, p, id, in, *staged)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		return c.JSON(status, toPhotoResponse(ph))
	}
}

// handleAddAssetPhoto stores an asset's proof of purchase.
//
//	@Summary		Add a proof of purchase to an asset
//	@Description	Multipart upload of a receipt or invoice photo (kind proof_of_purchase), by the asset's customer or staff, with the same checks as order photos: the type is decided by the bytes (415 when it disagrees or does not decode), 413 over the size limit, a client id makes retries idempotent (same bytes 200, other bytes 409).
//	@ID				addAssetPhoto
//	@Tags			assets
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string	true	"asset id"	Format(uuid)
//	@Param			file		formData	file	true	"the image (JPEG, PNG, WebP or HEIC)"
//	@Param			kind		formData	string	false	"proof_of_purchase (the default)"	Enums(proof_of_purchase)
//	@Param			id			formData	string	false	"client-generated photo id (UUID): retries are stored once"	Format(uuid)
//	@Param			taken_at	formData	string	false	"when it was taken (RFC 3339)"	Format(date-time)
//	@Success		201			{object}	PhotoResponse	"stored"
//	@Success		200			{object}	PhotoResponse	"a retry: the photo stored first under this id"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Router			/v1/assets/{id}/photos [post]
func handleAddAssetPhoto(svc *orders.Service, maxBytes int64) echo.HandlerFunc {
	return photoUpload(maxBytes, "asset", []string{"kind", "id", "taken_at"}, svc,
		svc.AssetPhotoTarget, orders.AssetPhotoPrefix, svc.AddAssetPhoto)
}

// handleListAssetPhotos lists an asset's photos.
//
//	@Summary		List an asset's photos
//	@Description	Its proofs of purchase, oldest first, for whoever may see the asset.
//	@ID				listAssetPhotos
//	@Tags			assets
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"asset id"	Format(uuid)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	PhotoList
//	@Failure		401		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/assets/{id}/photos [get]
func handleListAssetPhotos(svc *orders.Service) echo.HandlerFunc {
	return photoList("asset", svc.AssetPhotos)
}

// handleListPhotos lists an order's photos.
//
//	@Summary		List an order's photos
//	@Description	Every visit's photos, the signatures included, oldest first. A customer does not see where and when a photo they did not take was taken.
//	@ID				listOrderPhotos
//	@Tags			close-out
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id		path		string	true	"order id"	Format(uuid)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	PhotoList
//	@Failure		401		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/orders/{id}/photos [get]
func handleListPhotos(svc *orders.Service) echo.HandlerFunc {
	return photoList("order", svc.Photos)
}

func photoList(what string, list func(context.Context, auth.Principal, uuid.UUID, page.Request) (orders.PhotoPage, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, what)
		if err != nil {
			return err
		}
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		pg, err := list(c.Request().Context(), principal(c), id, pr)
		if err != nil {
			return err
		}
		out := PhotoList{Items: make([]PhotoResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor)}
		for _, ph := range pg.Items {
			out.Items = append(out.Items, toPhotoResponse(ph))
		}
		return c.JSON(http.StatusOK, out)
	}
}

// handlePhotoContent serves a photo's bytes.
//
//	@Summary		A photo's bytes
//	@Description	The image with its type, ETag (its SHA-256) and range support (Range, If-Range, If-None-Match). Customers get the image without metadata (EXIF GPS, camera, XMP). size=thumb gives a JPEG thumbnail (longer side 320 px) made on first request and kept; HEIC photos have no thumbnail (422).
//	@ID				getPhotoContent
//	@Tags			close-out
//	@Produce		image/jpeg
//	@Produce		image/png
//	@Produce		image/webp
//	@Produce		image/heic
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id		path		string	true	"photo id"	Format(uuid)
//	@Param			size	query		string	false	"thumb for a thumbnail"	Enums(original, thumb)
//	@Param			Range		header		string	false	"a byte range (RFC 9110)"
//	@Param			If-None-Match	header		string	false	"ETag of a cached copy"
//	@Param			If-Range	header		string	false	"resume only if the ETag still matches"
//	@Param			If-Match	header		string	false	"serve only if the ETag matches"
//	@Success		200		{file}		binary
//	@Header			200		{string}	ETag	"the SHA-256 of the bytes served (quoted)"
//	@Success		206		{file}		binary	"the requested range"
//	@Header			206		{string}	ETag	"the SHA-256 of the bytes served (quoted)"
//	@Success		304		"not modified (If-None-Match)"
//	@Header			304		{string}	ETag	"the SHA-256 of the bytes (quoted)"
//	@Failure		401		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		412		{object}	Problem	"If-Match does not match"
//	@Failure		416		{object}	Problem	"the range is outside the image"
//	@Failure		422		{object}	Problem
//	@Router			/v1/photos/{id}/content [get]
func handlePhotoContent(svc *orders.Service) echo.HandlerFunc {
	return servePhoto(svc)
}

// headPhotoContent documents HEAD on a photo's bytes (handlePhotoContent serves it).
//
//	@Summary		A photo's size and ETag
//	@Description	The headers GET would send (Content-Length, Content-Type, ETag, Accept-Ranges), without the bytes: for clients that resume downloads.
//	@ID				headPhotoContent
//	@Tags			close-out
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id		path		string	true	"photo id"	Format(uuid)
//	@Param			size	query		string	false	"thumb for a thumbnail"	Enums(original, thumb)
//	@Success		200		"the headers of the bytes"
//	@Header			200		{string}	ETag	"the SHA-256 of the bytes (quoted)"
//	@Failure		401		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/photos/{id}/content [head]
func headPhotoContent() {}

func servePhoto(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "photo")
		if err != nil {
			return err
		}
		variant := orders.VariantOriginal
		switch c.QueryParam("size") {
		case "", "original":
		case "thumb":
			variant = orders.VariantThumb
		default:
			return errs.Field("size", "must be original or thumb")
		}
		ct, err := svc.PhotoContent(c.Request().Context(), principal(c), id, variant)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "private, no-cache")
		return serveContent(c, ct, "inline")
	}
}

// handleComplete closes the visit with the customer's signature.
//
//	@Summary		Complete (with the customer's signature)
//	@Description	The assigned technician, in progress: resolution, fixed, labour minutes, the signer's name and the signature (a PNG; multipart file part `signature` after the text fields, or base64 in JSON; the whole request at most 4 MiB). Repair and install need an after photo of this visit (409 otherwise). The server writes the visit's completion record and its SHA-256 report hash (GET /v1/orders/{id}/report); from then on the order's work, photos and record are final: PATCH, new photos, quotes and a second completion are 409. The customer is asked to rate; the follow-up call is due 24 h later.
//	@ID				completeOrder
//	@Tags			order life cycle
//	@Accept			json
//	@Accept			multipart/form-data
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		CompleteRequest	true	"close-out (JSON; as multipart the same fields with signature as a PNG file part)"
//	@Success		200				{object}	OrderResponse
//	@Header			200	{string}	ETag	"the order's version (quoted), for If-Match and If-None-Match"
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		413				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/complete [post]
func handleComplete(svc *orders.Service, limit int64) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		ctx, p := c.Request().Context(), principal(c)
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		var o orders.Order
		if mt == echo.MIMEMultipartForm {
			o, err = completeMultipart(c, svc, id, limit)
		} else {
			c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, limit)
			var r CompleteRequest
			if err := bindJSON(c, &r); err != nil {
				return err
			}
			sig := base64.NewDecoder(base64.StdEncoding, strings.NewReader(r.Signature))
			o, err = svc.Complete(ctx, p, id, orders.CompleteInput{Resolution: r.Resolution, Fixed: r.Fixed,
				LabourMinutes: r.LabourMinutes, SignerName: r.SignerName}, orders.FileInput{Body: base64Errors{sig}, Filename: "signature.png"})
		}
		if err != nil {
			return err
		}
		return writeOrder(c, http.StatusOK, o)
	}
}

// base64Errors names the signature field when its base64 is malformed.
type base64Errors struct{ r io.Reader }

func (b base64Errors) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		return n, errs.Field("signature", "is not valid base64")
	}
	return n, err
}

// completeMultipart reads the completion form. The text fields come before
// the signature part: the completion runs while the signature streams in, so
// it must know them by then (the parts after the signature are not read).
func completeMultipart(c echo.Context, svc *orders.Service, id uuid.UUID, limit int64) (orders.Order, error) {
	var (
		o      orders.Order
		values = map[string]string{}
	)
	_, sawFile, err := multipartFormUntil(c, limit, "signature", []string{"resolution", "fixed", "labour_minutes", "signer_name"}, values,
		func(part *multipart.Part) error {
			in, err := completeForm(values)
			if err != nil {
				return err
			}
			o, err = svc.Complete(c.Request().Context(), principal(c), id, in, orders.FileInput{Body: part,
				Filename: part.FileName(), DeclaredType: part.Header.Get(echo.HeaderContentType)})
			return streamError(err)
		})
	if err == nil && !sawFile {
		err = errs.Field("signature", "is required (a PNG file part after the text fields)")
	}
	return o, err
}

// completeForm converts the completion form's text fields.
func completeForm(v map[string]string) (orders.CompleteInput, error) {
	in := orders.CompleteInput{Resolution: v["resolution"], SignerName: v["signer_name"]}
	var fe []errs.FieldError
	if s, ok := v["fixed"]; ok {
		b, err := strconv.ParseBool(s)
		if err != nil {
			fe = append(fe, errs.FieldError{Field: "fixed", Message: "must be true or false"})
		} else {
			in.Fixed = &b
		}
	}
	if s, ok := v["labour_minutes"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			fe = append(fe, errs.FieldError{Field: "labour_minutes", Message: "must be an integer"})
		} else {
			in.LabourMinutes = &n
		}
	}
	return in, errs.Fields(fe)
}

// handleReport returns the signed completion record of a visit.
//
//	@Summary		Service report (signed completion record)
//	@Description	The completion record of a visit with the exact canonical text that was hashed (RFC 8785 JSON Canonicalization Scheme of record) and its SHA-256. To verify: canonicalize record with RFC 8785, hash the UTF-8 bytes with SHA-256, compare with hash (lower-case hex). visit selects a visit (default: the latest). format=pdf renders a printable service sheet with the signature and the hash. 404 when the visit has no record (not completed, or ended by a rejected quote).
//	@ID				getOrderReport
//	@Tags			close-out
//	@Produce		json
//	@Produce		application/pdf
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id		path		string	true	"order id"	Format(uuid)
//	@Param			visit	query		int		false	"visit number (default: the latest completed)"	minimum(1)	maximum(10000)
//	@Param			format	query		string	false	"pdf for the printable sheet"	Enums(json, pdf)
//	@Success		200		{object}	ReportResponse
//	@Failure		401		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/orders/{id}/report [get]
func handleReport(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		visit := 0
		if s := c.QueryParam("visit"); s != "" {
			if visit, err = strconv.Atoi(s); err != nil || visit < 1 || visit > 10000 {
				return errs.Field("visit", "must be a visit number from 1")
			}
		}
		format := c.QueryParam("format")
		if format != "" && format != "json" && format != "pdf" {
			return errs.Field("format", "must be json or pdf")
		}
		ctx := c.Request().Context()
		if format == "pdf" {
			ct, rep, err := svc.ReportSheet(ctx, principal(c), id, visit)
			if err != nil {
				return err
			}
			return serveContent(c, ct, `inline; filename="report-`+rep.Record.Order.Number+`-`+strconv.Itoa(rep.Visit)+`.pdf"`)
		}
		rep, err := svc.Report(ctx, principal(c), id, visit)
		if err != nil {
			return err
		}
		var rec ReportRecord
		if err := json.Unmarshal([]byte(rep.Canonical), &rec); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, ReportResponse{Record: rec, Canonical: rep.Canonical, Hash: rep.Hash,
			Canonicalization: evidence.Canonicalization, Visit: rep.Visit})
	}
}

// handleRate records the customer's rating.
//
//	@Summary		Rate the service
//	@Description	The order's customer, once the order is completed, once per order (a second rating is 409): score, timeliness, attitude and quality 1–5 and a comment. A score of 2 or less opens a complaint linked to the order (complaint_id).
//	@ID				rateOrder
//	@Tags			close-out
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		RatingRequest	true	"rating"
//	@Success		201				{object}	RatingResponse
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/rating [post]
func handleRate(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		var r RatingRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		res, err := svc.Rate(c.Request().Context(), principal(c), id, orders.RatingInput{Score: r.Score, Timeliness: r.Timeliness,
			Attitude: r.Attitude, Quality: r.Quality, Comment: r.Comment})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, toRatingResponse(res.Rating, res.ComplaintID))
	}
}

// handleGetRating returns an order's rating.
//
//	@Summary		An order's rating
//	@Description	The customer's rating of the order, for whoever sees the order; 404 until it is rated.
//	@ID				getOrderRating
//	@Tags			close-out
//	@Produce		json
//	@Security		BearerAuth
//	@Security		OAuth2ClientCredentials[orders:read]
//	@Param			id	path		string	true	"order id"	Format(uuid)
//	@Success		200	{object}	RatingResponse
//	@Failure		401	{object}	Problem
//	@Failure		404	{object}	Problem	"no such order, or not rated"
//	@Router			/v1/orders/{id}/rating [get]
func handleGetRating(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		r, err := svc.Rating(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toRatingResponse(r, nil))
	}
}

// handleFollowUp records staff's follow-up call.
//
//	@Summary		Record a follow-up call
//	@Description	Staff, on a completed order (due 24–72 h after completion; GET /v1/orders?follow_up_due=true lists them). Reached and resolved closes the order; reached and not resolved reopens it as a repeat repair (a new visit, back to triaged); not reached records the attempt and the order stays completed and due.
//	@ID				recordFollowUp
//	@Tags			order life cycle
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id				path		string			true	"order id"	Format(uuid)
//	@Param			Idempotency-Key	header		string			false	"retry key"
//	@Param			body			body		FollowUpRequest	true	"the call"
//	@Success		201				{object}	FollowUpResult
//	@Failure		400				{object}	Problem
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Router			/v1/orders/{id}/follow-ups [post]
func handleFollowUp(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		var r FollowUpRequest
		if err := bindJSON(c, &r); err != nil {
			return err
		}
		p := principal(c)
		res, err := svc.RecordFollowUp(c.Request().Context(), p, id, orders.FollowUpInput{Reached: r.Reached,
			Satisfaction: r.Satisfaction, Resolved: r.Resolved, Notes: r.Notes})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, FollowUpResult{FollowUp: toFollowUpResponse(res.FollowUp), Order: toOrderResponse(res.Order, p)})
	}
}

// handleListFollowUps lists an order's follow-up calls.
//
//	@Summary		List an order's follow-up calls
//	@Description	Staff's follow-up calls on the order, oldest first (reached, satisfaction, resolved, notes): staff only.
//	@ID				listFollowUps
//	@Tags			close-out
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"order id"	Format(uuid)
//	@Param			limit	query		int		false	"page size"	minimum(1)	maximum(200)	default(50)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"	maxlength(200)
//	@Success		200		{object}	FollowUpList
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		404		{object}	Problem
//	@Failure		422		{object}	Problem
//	@Router			/v1/orders/{id}/follow-ups [get]
func handleListFollowUps(svc *orders.Service) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "order")
		if err != nil {
			return err
		}
		pr, err := pageOf(c)
		if err != nil {
			return err
		}
		pg, err := svc.FollowUps(c.Request().Context(), principal(c), id, pr)
		if err != nil {
			return err
		}
		out := FollowUpList{Items: make([]FollowUpResponse, 0, len(pg.Items)), NextCursor: nonEmpty(pg.NextCursor)}
		for _, f := range pg.Items {
			out.Items = append(out.Items, toFollowUpResponse(f))
		}
		return c.JSON(http.StatusOK, out)
	}
}
