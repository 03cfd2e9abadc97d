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
