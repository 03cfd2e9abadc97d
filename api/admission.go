package api

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Admission control: at most n API requests run their handlers at once; the
// others wait in arrival order until one ends, or until their deadline
// (FIELDOPS_HTTP_REQUEST_TIMEOUT) passes: 503 with Retry-After.
//
// Why (docs/PERFORMANCE.md, "Admission"): a request is mostly PostgreSQL's
// CPU and the Go server's. Without a bound, 32 clients keep 20 pooled
// connections and 20 backends busy on 2 cores: the OS shares the CPU among
// them in time slices, every request takes long, and the pool hands a freed
// connection to a random waiter (database/sql), so some wait very long. With
// a few requests at a time, each runs nearly alone and the rest wait in a
// FIFO (golang.org/x/sync/semaphore.Weighted serves waiters in order). At 32
// clients and 1M orders on 2 cores, 4 slots against none: p99 of the job
// list 26–30 ms against 51–52, of the delta sync 42–44 against 71–72, at
// the same throughput (intake's about 8 % lower: a commit's WAL flush leaves
// the CPU idle; 6 slots cost it nothing but the delta sync's p99 was 45–51).
//
// Not admitted here, because they are bounded by their own limits or wait on
// something other than this server's CPU: the notification stream, uploads
// (their bodies arrive slowly), the KPI reports (their own connection
// semaphore), a webhook test (an outbound call of up to 10 s), and the
// routes that hash passwords (the hash slots, FIELDOPS_AUTH_HASH_CONCURRENCY:
// a flood of logins waiting there must not hold every slot). The ops routes
// (/healthz, /readyz, /openapi.*, /docs) are outside /v1 and never wait.
//
// A request's body is read (within FIELDOPS_HTTP_BODY_LIMIT) before it
// queues, and its slot is given back when its response starts (the
// header is written), so a client that sends its body or reads the answer
// slowly holds no slot: a slot is the handler's work, not the transfer.
type admission struct {
	sem              *semaphore.Weighted
	running, waiting atomic.Int64
}

// admissionWait is the Retry-After of a request that waited for a slot until
// its deadline.
const admissionWait = time.Second

// AdmissionLimit is the number of requests admitted at once for a setting
// (FIELDOPS_HTTP_MAX_IN_FLIGHT) and the pool's size: -1 (or less) none, 0
// two per CPU this process may use (GOMAXPROCS), at least 4; never more
// than the pool's connections.
func AdmissionLimit(setting, maxOpenConns int) int {
	n := setting
	switch {
	case setting < 0:
		return 0
	case setting == 0:
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if maxOpenConns > 0 {
		n = min(n, maxOpenConns)
	}
	return n
}

// newAdmission bounds requests to limit at once (nil: no bound) and
// registers its gauges.
func newAdmission(limit int, reg prometheus.Registerer) *admission {
	if limit <= 0 {
		return nil
	}
	a := &admission{sem: semaphore.NewWeighted(int64(limit))}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "fieldops", Subsystem: "http", Name: "admitted_requests",
			Help: "API requests running their handlers (at most FIELDOPS_HTTP_MAX_IN_FLIGHT)"},
			func() float64 { return float64(a.running.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "fieldops", Subsystem: "http", Name: "queued_requests",
			Help: "API requests waiting for a slot, in arrival order"},
			func() float64 { return float64(a.waiting.Load()) }),
	)
	return a
}

// notAdmitted are the routes (echo paths, "METHOD /path") that never queue.
var notAdmitted = map[string]bool{
	"GET /v1/reports/kpis":            true,
	"GET /v1/reports/kpis/timeseries": true,
	"POST /v1/webhooks/:id/test":      true,
	"POST /v1/auth/register":          true,
	"POST /v1/auth/login":             true,
	"PUT /v1/me/password":             true,
	"POST /v1/users":                  true,
	"PATCH /v1/users/:id":             true, // may set a password
}

func (a *admission) skips(c echo.Context) bool {
	p := c.Path()
	return !strings.HasPrefix(p, "/v1/") || streaming[p] || largeBodies[p] || notAdmitted[c.Request().Method+" "+p]
}

// middleware runs after the body limit and the request timeout.
func (a *admission) middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if a == nil {
			return next
		}
		return func(c echo.Context) error {
			if a.skips(c) {
				return next(c)
			}
			req := c.Request()
			if req.Body != nil && req.Body != http.NoBody && req.ContentLength != 0 {
				body, err := io.ReadAll(req.Body) // bounded: the body limit's reader fails past it (413)
				if err != nil {
					return err
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			a.waiting.Add(1)
			err := a.sem.Acquire(req.Context(), 1)
			a.waiting.Add(-1)
			if err != nil {
				return &errs.Error{Kind: errs.Unavailable, RetryAfter: admissionWait, Err: err,
					Message: "the server is busy: every request slot stayed taken until this request's deadline; retry after Retry-After"}
			}
			a.running.Add(1)
			var once sync.Once
			release := func() {
				once.Do(func() {
					a.running.Add(-1)
					a.sem.Release(1)
				})
			}
			// the slot ends when the response starts: a client that reads
			// it slowly (or not at all) holds its connection, not a slot
			c.Response().Before(release)
			defer release()
			return next(c)
		}
	}
}
