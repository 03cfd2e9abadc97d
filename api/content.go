package api

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// heldErrorWriter passes a handler's successful response on and holds back
// an error response (its status and the start of its text), so that the
// caller can send it as problem+json instead: http.ServeContent and tusd
// write their errors as text/plain.
type heldErrorWriter struct {
	res    *echo.Response
	status int
	body   bytes.Buffer
}

func (w *heldErrorWriter) Header() http.Header { return w.res.Header() }

func (w *heldErrorWriter) WriteHeader(code int) {
	if code >= 400 && !w.res.Committed && w.status == 0 {
		w.status = code
		return
	}
	w.res.WriteHeader(code)
}

func (w *heldErrorWriter) Write(b []byte) (int, error) {
	if w.status != 0 {
		if w.body.Len() < 1024 {
			w.body.Write(b)
		}
		return len(b), nil
	}
	return w.res.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *heldErrorWriter) Unwrap() http.ResponseWriter { return w.res }

// serveContent sends stored bytes with http.ServeContent (Range, If-Range,
// If-None-Match, If-Match, HEAD) and closes them; its error responses (416,
// 412) leave as problems.
func serveContent(c echo.Context, ct orders.Content, disposition string) error {
	defer ct.Object.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, ct.ContentType)
	if ct.ETag != "" {
		h.Set("ETag", ct.ETag)
	}
	h.Set(echo.HeaderContentDisposition, disposition)
	w := &heldErrorWriter{res: c.Response()}
	http.ServeContent(w, c.Request(), "", ct.ModTime, ct.Object)
	if w.status == 0 {
		return nil
	}
	msg := strings.TrimSpace(w.body.String())
	if msg == "" {
		msg = strings.ToLower(http.StatusText(w.status))
	}
	return errs.E(kindOfStatus(w.status), "%s", msg)
}
