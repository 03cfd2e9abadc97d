package database

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// OneShot returns a session of db whose statements are sent as one-shot
// (unnamed) statements: PostgreSQL plans each for its actual arguments, in
// the same round trip, instead of reusing a cached prepared statement whose
// generic plan may not suit them. Use it for the few queries whose best plan
// depends on the arguments (docs/PERFORMANCE.md); a plain SET LOCAL
// plan_cache_mode needs a transaction and three more round trips.
func OneShot(db *gorm.DB) *gorm.DB {
	s := db.Session(&gorm.Session{})
	s.Statement.ConnPool = oneShotPool{s.Statement.ConnPool}
	return s
}

// oneShotPool passes pgx.QueryExecModeExec ahead of the arguments; pgx's
// database/sql driver hands it to pgx, which takes it as the query mode and
// binds the rest to $1, $2, ….
type oneShotPool struct{ gorm.ConnPool }

func (p oneShotPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.ConnPool.QueryContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (p oneShotPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.ConnPool.QueryRowContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (p oneShotPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.ConnPool.ExecContext(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
}

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
