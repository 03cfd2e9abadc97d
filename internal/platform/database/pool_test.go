package database_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// Without a max idle setting the pool keeps as many idle connections as it
// may open: connections a burst opened stay for the next one instead of
// being closed and reopened (database/sql's default keeps 2; issue 8).
func TestPoolKeepsMaxOpenIdleByDefault(t *testing.T) {
	_, url := dbtest.New(t)
	const open = 6
	db, err := database.Open(url, database.Options{MaxOpenConns: open})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conns := make([]*sql.Conn, open)
	for i := range conns {
		if conns[i], err = sqlDB.Conn(ctx); err != nil {
			t.Fatal(err)
		}
		if err := conns[i].PingContext(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	st := sqlDB.Stats()
	if st.Idle != open || st.MaxIdleClosed != 0 {
		t.Errorf("after %d connections were released: %d idle, %d closed as surplus idle; want %d idle, none closed",
			open, st.Idle, st.MaxIdleClosed, open)
	}
}
