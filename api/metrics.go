package api

import (
	"net/http"
	"slices"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/config"
)

// NewMetricsRegistry is the registry of one process: Go runtime and process
// collectors; NewServer adds the HTTP request and database pool metrics to it. cmd/fieldops
// serves it with MetricsHandler on its own listener, never on the API port.
func NewMetricsRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// dbPoolMetrics exposes the connection pool's statistics (go_sql_* series,
// db_name="fieldops": open, in use and idle connections, waits, and
// connections closed for being idle too long or too many), so pool churn
// (issue 8: 430-470 new connections per 10 s with idle < open) is visible.
func dbPoolMetrics(reg prometheus.Registerer, db *gorm.DB) {
	if db == nil {
		return
	}
	sqlDB, err := db.DB()
	if err != nil {
		return
	}
	_ = reg.Register(collectors.NewDBStatsCollector(sqlDB, "fieldops")) // already registered: one pool, one series
}

// metricMethods are the request methods a label may name; any other method
// (a client may send any token) is counted as "other".
var metricMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions}

// httpMetrics counts requests by route template, method and status: every
// label value comes from a closed set, so no caller can grow the series.
//   - url: the route template; unknown paths (404) share the empty template;
//   - method: one of metricMethods or "other";
//   - code: the status the error handler will send (its own table);
//   - host: echoprometheus always has this label and fills it with the Host
//     header, which the caller chooses: it is blanked (one value).
func httpMetrics(reg prometheus.Registerer) echo.MiddlewareFunc {
	return echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
		Namespace: "fieldops", Subsystem: "http", Registerer: reg, DoNotUseRequestPathFor404: true,
		StatusCodeResolver: func(c echo.Context, err error) int {
			if err != nil {
				return toProblem(err).Status
			}
			return c.Response().Status
		},
		LabelFuncs: map[string]echoprometheus.LabelValueFunc{
			"host": func(echo.Context, error) string { return "" },
			"method": func(c echo.Context, _ error) string {
				if m := c.Request().Method; slices.Contains(metricMethods, m) {
					return m
				}
				return "other"
			},
		},
	})
}

// MetricsHandler serves the registry in the Prometheus text format at
// /metrics (GET and HEAD); any other path is 404.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}

// MetricsServer is the http.Server of the metrics listener (cfg.MetricsAddr),
// with the API's header and idle timeouts.
func MetricsServer(g prometheus.Gatherer, cfg config.HTTP) *http.Server {
	return &http.Server{
		Addr:              cfg.MetricsAddr,
		Handler:           MetricsHandler(g),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
	}
}
