package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/idempotency"
)

// A request whose business transaction committed is never run again under
// its Idempotency-Key, even when the process dies before the response is
// stored: the key is marked in that same transaction.
func TestIdempotencyKeyCommitsWithTheBusinessTransaction(t *testing.T) {
	db, _ := dbtest.New(t)
	if err := db.Exec("CREATE TABLE idem_probe (n integer)").Error; err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	store := idempotency.NewStore(db, 24*time.Hour, 30*time.Second, clock)

	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableErrorHandler: true, DisableStackAll: true, DisablePrintStack: true}))
	caller := auth.Principal{Role: auth.RoleManager}
	e.POST("/things", func(c echo.Context) error {
		err := database.WithTx(c.Request().Context(), db, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO idem_probe VALUES (1)").Error
		})
		if err != nil {
			return err
		}
		panic("the process dies after the commit, before the response is stored")
	}, func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { // an authenticated caller
			c.SetRequest(c.Request().WithContext(auth.WithPrincipal(c.Request().Context(), caller)))
			return next(c)
		}
	}, idempotent(store))
	srv := httptest.NewServer(e)
	defer srv.Close()

	post := func() (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/things", strings.NewReader(`{"a":1}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(IdempotencyHeader, "k-1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, _ := post(); st != http.StatusInternalServerError {
		t.Fatalf("the dying request: %d", st)
	}
	if st, body := post(); st != http.StatusConflict || !strings.Contains(body, "still being processed") {
		t.Fatalf("a retry within the lease: %d %s", st, body)
	}
	now.Add(int64(time.Minute)) // the lease is over: the first process is gone
	if st, body := post(); st != http.StatusConflict || !strings.Contains(body, "carried out") {
		t.Fatalf("a retry after the lease: %d %s", st, body)
	}
	var n int64
	if err := db.Raw("SELECT count(*) FROM idem_probe").Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("the request ran %d times (%v), want once", n, err)
	}
}
