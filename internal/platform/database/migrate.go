package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/fieldops/fieldops/migrations"
)

// Migrator applies the embedded migrations with golang-migrate, which takes a
// PostgreSQL advisory lock so replicas starting together do not race.
type Migrator struct {
	db *sql.DB
	m  *migrate.Migrate
}

// NewMigrator opens its own connection to url (migrations must not share the pool).
func NewMigrator(url string) (*Migrator, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	drv, err := pgx.WithInstance(db, &pgx.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "postgres", drv)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return &Migrator{db: db, m: m}, nil
}

// Close releases the connection.
func (mg *Migrator) Close() { mg.m.Close() }

// Up applies every pending migration, then River's (river.go).
func (mg *Migrator) Up() error {
	if err := mg.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return riverUp(context.Background(), mg.db)
}

// Down rolls back n of our migrations; all (n <= 0) also removes River's
// tables first.
func (mg *Migrator) Down(n int) error {
	var err error
	if n <= 0 {
		if err := riverDownAll(context.Background(), mg.db); err != nil {
			return err
		}
		err = mg.m.Down()
	} else {
		err = mg.m.Steps(-n)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Status writes one line per migration (applied or pending) and the current version.
func (mg *Migrator) Status(w io.Writer) error {
	version, dirty, err := mg.m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return fmt.Errorf("migrate status: %w", err)
	}
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		v, _ := strconv.ParseUint(strings.SplitN(n, "_", 2)[0], 10, 64)
		state := "pending"
		if v <= uint64(version) && version > 0 {
			state = "applied"
		}
		fmt.Fprintf(w, "%-8s %s\n", state, strings.TrimSuffix(n, ".up.sql"))
	}
	fmt.Fprintf(w, "version %d, dirty %t\n", version, dirty)
	return nil
}
