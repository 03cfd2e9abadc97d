package api

import (
	"io"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Internals the external tests (package api_test) use.

// ErrorHandlerForTest is the server's error handler, logging nowhere.
func ErrorHandlerForTest() echo.HTTPErrorHandler {
	return errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// NewAdmissionForTest is the admission middleware with limit slots.
func NewAdmissionForTest(limit int) echo.MiddlewareFunc {
	return newAdmission(limit, prometheus.NewRegistry()).middleware()
}

// NotAdmittedForTest lists the routes the admission control lets through.
func NotAdmittedForTest() []string {
	out := make([]string, 0, len(notAdmitted))
	for k := range notAdmitted {
		out = append(out, k)
	}
	return out
}
