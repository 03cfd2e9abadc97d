package database

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// Row runs a query that returns at most one row on db's connection (or
// transaction) through database/sql, without GORM's statement building and
// reflection. It is for tiny queries every request makes (the active-account
// check, the delta-sync bound), where GORM's own work costs more than the
// query (BenchmarkDispatcherList, docs/PERFORMANCE.md). Placeholders are $1, $2, ….
func Row(ctx context.Context, db *gorm.DB, query string, args ...any) *sql.Row {
	return db.Statement.ConnPool.QueryRowContext(ctx, query, args...)
}

// Native runs fn on the pgx connection behind one pooled connection of db
// (not inside a transaction: it takes its own connection from the pool). It is
// for hot reads whose profile is dominated by GORM and database/sql scanning
// (BenchmarkDispatcherList: 38 % of the CPU of a page went to GORM's Scan);
// the statement is still rendered by GORM, so the SQL stays in one place.
func Native(ctx context.Context, db *gorm.DB, fn func(*pgx.Conn) error) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("database: the driver connection is %T, not pgx", dc)
		}
		return fn(c.Conn())
	})
}
