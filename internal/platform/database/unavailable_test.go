package database_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// A query whose backend is terminated (what a database shutdown or restart
// does to every session) fails with an error IsUnavailable recognises, and so
// does the next use of that connection.
func TestIsUnavailableOnATerminatedSession(t *testing.T) {
	db, url := dbtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	// a query in flight: it sleeps until its backend is terminated
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SELECT pg_sleep(60)").ReadAll()
		done <- err
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var n int64
		if err := db.Raw("SELECT count(*) FROM pg_stat_activity WHERE pid = ? AND state = 'active'", conn.PID()).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the query never started")
		case <-tick.C:
		}
	}
	if err := db.Exec("SELECT pg_terminate_backend(?)", conn.PID()).Error; err != nil {
		t.Fatal(err)
	}
	var cut error
	select {
	case cut = <-done:
	case <-ctx.Done():
		t.Fatal("the query outlived its terminated backend")
	}
	var pg *pgconn.PgError
	if !errors.As(cut, &pg) || pg.Code != "57P01" {
		t.Errorf("the cut query failed with %T %v, want SQLSTATE 57P01 admin_shutdown", cut, cut)
	}
	if !database.IsUnavailable(cut) {
		t.Errorf("IsUnavailable(%T %v) = false for a query cut by a terminated backend", cut, cut)
	}
	_, next := conn.Exec(ctx, "SELECT 1").ReadAll()
	if next == nil {
		t.Fatal("a terminated connection ran a query")
	}
	if !database.IsUnavailable(next) {
		t.Errorf("IsUnavailable(%T %v) = false for the next query on the closed connection", next, next)
	}
}

func TestIsUnavailable(t *testing.T) {
	pgErr := func(code string) error { return &pgconn.PgError{Severity: "FATAL", Code: code} }
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"admin shutdown (57P01)", pgErr("57P01"), true},
		{"crash shutdown (57P02)", pgErr("57P02"), true},
		{"cannot connect now (57P03)", pgErr("57P03"), true},
		{"connection failure (08006)", pgErr("08006"), true},
		{"connection does not exist (08003)", fmt.Errorf("store: %w", pgErr("08003")), true},
		{"a closed connection", fmt.Errorf("tx: %w", pgconn.ErrConnClosed), true},
		{"database/sql's bad connection", driver.ErrBadConn, true},
		{"a dead socket", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, true},
		{"the request's deadline", context.DeadlineExceeded, true},
		{"a unique violation (23505)", pgErr("23505"), false},
		{"query canceled (57014)", pgErr("57014"), false},
		{"an errs kind", errs.E(errs.Conflict, "taken"), false},
		{"nil", nil, false},
		{"something else", io.ErrShortWrite, false},
	}
	for _, tc := range cases {
		if got := database.IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable = %t, want %t", tc.name, got, tc.want)
		}
	}
}
