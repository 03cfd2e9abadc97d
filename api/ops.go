package api

import (
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
	swaggerfiles "github.com/swaggo/files/v2"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/openapi"
)

// Health is the body of /healthz and /readyz.
type Health struct {
	Status   string `json:"status" enums:"ok" example:"ok"`
	Database string `json:"database,omitempty" enums:"ok" example:"ok"` // /readyz only
} // @name Health

// handleHealthz says the process is alive; it checks nothing else.
//
//	@Summary		Liveness
//	@Description	200 while the process serves HTTP. It does not look at the database (see /readyz).
//	@ID				getHealthz
//	@Tags			ops
//	@Produce		json
//	@Success		200	{object}	Health
//	@Router			/healthz [get]
func handleHealthz() echo.HandlerFunc {
	return func(c echo.Context) error { return c.JSON(http.StatusOK, Health{Status: "ok"}) }
}

// handleReadyz says whether the instance can serve traffic: the database answers.
//
//	@Summary		Readiness
//	@Description	200 when the database answers a ping within 2 s, 503 otherwise. The process stays up and recovers by itself.
//	@ID				getReadyz
//	@Tags			ops
//	@Produce		json
//	@Success		200	{object}	Health
//	@Failure		503	{object}	Problem
//	@Router			/readyz [get]
func handleReadyz(db *gorm.DB) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := database.Ping(c.Request().Context(), db); err != nil {
			return errs.Wrap(errs.Unavailable, err, "the database is not reachable")
		}
		return c.JSON(http.StatusOK, Health{Status: "ok", Database: "ok"})
	}
}

// handleOpenAPIJSON serves the OpenAPI 3 document.
//
//	@Summary		OpenAPI 3 description (JSON)
//	@Description	The API contract as OpenAPI 3, generated from the code's annotations.
//	@ID				getOpenAPIJSON
//	@Tags			ops
//	@Produce		json
//	@Success		200	{object}	object
//	@Router			/openapi.json [get]
func handleOpenAPIJSON() echo.HandlerFunc {
	return func(c echo.Context) error { return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openapi.JSON) }
}

// handleOpenAPIYAML serves the OpenAPI 3 document as YAML.
//
//	@Summary		OpenAPI 3 description (YAML)
//	@Description	The same OpenAPI 3 document as /openapi.json, in YAML.
//	@ID				getOpenAPIYAML
//	@Tags			ops
//	@Produce		application/yaml
//	@Success		200	{string}	string	"the document"
//	@Router			/openapi.yaml [get]
func handleOpenAPIYAML() echo.HandlerFunc {
	return func(c echo.Context) error { return c.Blob(http.StatusOK, "application/yaml", openapi.YAML) }
}

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>FieldOps API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/fieldops-init.js"></script></body></html>
`

const docsInit = `window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true});
`

// docsCSP lets Swagger UI load its own scripts, styles and the spec, nothing else.
const docsCSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"

// handleDocs serves Swagger UI on the published OpenAPI 3 document.
//
//	@Summary		Swagger UI
//	@Description	Interactive documentation; use Authorize with an access token from /v1/auth/login.
//	@ID				getDocs
//	@Tags			ops
//	@Produce		html
//	@Success		200	{string}	string	"HTML page"
//	@Router			/docs [get]
func handleDocs() echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Content-Security-Policy", docsCSP)
		return c.HTML(http.StatusOK, docsPage)
	}
}

// handleDocsAsset serves Swagger UI's static files.
//
//	@Summary		Swagger UI asset
//	@Description	Static files (scripts, styles, icons) of the Swagger UI page.
//	@ID				getDocsAsset
//	@Tags			ops
//	@Produce		text/javascript,text/css,text/html,image/png,application/json,application/octet-stream
//	@Param			file	path		string	true	"asset file name"
//	@Success		200		{string}	string	"file"
//	@Failure		404		{object}	Problem
//	@Router			/docs/{file} [get]
func handleDocsAsset() echo.HandlerFunc {
	return func(c echo.Context) error {
		name := path.Base(c.Param("file"))
		c.Response().Header().Set("Content-Security-Policy", docsCSP)
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=3600")
		if name == "fieldops-init.js" {
			return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", []byte(docsInit))
		}
		b, err := fs.ReadFile(swaggerfiles.FS, name)
		if err != nil {
			return errs.NotFoundf("file")
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = echo.MIMEOctetStream
		}
		return c.Blob(http.StatusOK, ct, b)
	}
}
