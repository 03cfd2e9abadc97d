// Package database opens the PostgreSQL pool (GORM over pgx), runs the embedded
// migrations, and offers the transaction helper and constraint-error mapping
// every store uses.
package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Options tune the pool.
type Options struct {
	MaxOpenConns int
	// MaxIdleConns 0 keeps MaxOpenConns idle connections.
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	Logger          *slog.Logger
	// Tracer sees every statement sent to PostgreSQL, BEGIN and COMMIT
	// included (tests count round trips with it); nil in production.
	Tracer pgx.QueryTracer
}

// Open connects to url. It does not fail when the database is down: the pool
// reconnects on its own, and /readyz reports the state.
func Open(url string, opt Options) (*gorm.DB, error) {
	if url == "" {
		return nil, errors.New("database: DATABASE_URL is not set (make run / make test provide a local one)")
	}
	gl := logger.Discard
	if opt.Logger != nil {
		gl = logger.NewSlogLogger(opt.Logger, logger.Config{SlowThreshold: 500 * time.Millisecond,
			LogLevel: logger.Warn, IgnoreRecordNotFoundError: true, ParameterizedQueries: true}) // no values (hashes, personal data) in logs
	}
	dial := postgres.Open(url)
	if opt.Tracer != nil {
		cc, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		cc.Tracer = opt.Tracer
		dial = postgres.New(postgres.Config{Conn: stdlib.OpenDB(*cc)})
	}
	db, err := gorm.Open(dial, &gorm.Config{
		Logger:                 gl,
		SkipDefaultTransaction: true, // services open transactions explicitly
		DisableAutomaticPing:   true, // a database that is down is not an error here (see WaitReady)
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("database: open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if opt.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opt.MaxOpenConns)
	}
	switch {
	case opt.MaxIdleConns > 0:
		sqlDB.SetMaxIdleConns(opt.MaxIdleConns)
	case opt.MaxOpenConns > 0: // idle < open closes and reopens connections under load (issue 8)
		sqlDB.SetMaxIdleConns(opt.MaxOpenConns)
	}
	if opt.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(opt.ConnMaxLifetime)
	}
	return db, nil
}

// WaitReady polls the database until it answers or ctx ends.
func WaitReady(ctx context.Context, db *gorm.DB) error {
	for {
		err := Ping(ctx, db)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("database: not reachable: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Ping checks the database with a short deadline.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return sqlDB.PingContext(ctx)
}

// Close closes the pool.
func Close(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

// WithTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise. A hook that ctx carries (WithCommitHook) runs in the
// transaction after fn, so what it writes commits with fn's changes or not at all.
func WithTx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		if hook, ok := ctx.Value(commitHookKey{}).(func(*gorm.DB) error); ok {
			return hook(tx)
		}
		return nil
	})
}

// Write runs a change that needs no transaction of its own (one statement)
// in one anyway when ctx carries a commit hook, so that the hook's write
// commits with it; otherwise it runs fn on db directly.
func Write(ctx context.Context, db *gorm.DB, fn func(db *gorm.DB) error) error {
	if _, ok := ctx.Value(commitHookKey{}).(func(*gorm.DB) error); ok {
		return WithTx(ctx, db, fn)
	}
	return fn(db)
}

type commitHookKey struct{}

// WithCommitHook returns ctx whose transactions (WithTx) also run hook, last,
// before they commit. The Idempotency-Key middleware uses it to mark its key
// in the request's business transaction.
func WithCommitHook(ctx context.Context, hook func(tx *gorm.DB) error) context.Context {
	return context.WithValue(ctx, commitHookKey{}, hook)
}

// Constraint maps a unique/foreign-key/check violation to an errs error.
// byConstraint names, for known constraint names, the field and message to
// report; unknown constraint violations become a generic Conflict. Any other
// error is returned unchanged (nil stays nil).
func Constraint(err error, byConstraint map[string]errs.FieldError) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errs.Wrap(errs.NotFound, err, "not found")
		}
		return err
	}
	if fe, ok := byConstraint[pg.ConstraintName]; ok {
		kind := errs.Conflict
		if pg.Code == "23503" || pg.Code == "23514" { // foreign key, check: the input is wrong
			kind = errs.Invalid
		}
		return &errs.Error{Kind: kind, Message: fe.Message, Fields: []errs.FieldError{fe}, Err: err}
	}
	switch pg.Code {
	case "23505":
		return errs.Wrap(errs.Conflict, err, "a record with these values already exists")
	case "23503", "23514": // a reference or a value the schema refuses: the input is wrong
		return errs.Wrap(errs.Invalid, err, "a value in the request is not acceptable")
	case "23P01":
		return errs.Wrap(errs.Conflict, err, "the change conflicts with existing data")
	}
	return err
}

// IsUnavailable reports whether err means the database cannot be reached or
// went away under the request (the API answers 503 with Retry-After): no
// connection (ConnectError, a dead socket, a closed connection), the
// server shutting down or restarting (SQLSTATE 57P01 admin_shutdown, 57P02
// crash_shutdown, 57P03 cannot_connect_now), any connection exception
// (class 08), or the request's deadline.
func IsUnavailable(err error) bool {
	var (
		connErr *pgconn.ConnectError
		pgErr   *pgconn.PgError
		netErr  net.Error
	)
	switch {
	case err == nil:
		return false
	case errors.As(err, &pgErr):
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || strings.HasPrefix(pgErr.Code, "08")
	case errors.As(err, &connErr), errors.As(err, &netErr):
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}
