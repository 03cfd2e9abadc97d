package database

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// River's own tables (river_job, river_leader, …; internal/platform/jobs)
// are created by its migrator, run after ours by Migrator.Up and removed by
// Migrator.Down(all) before ours.

func riverMigrator(db *sql.DB) (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(riverdatabasesql.New(db), nil)
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	return m, nil
}

// riverLockKey serialises River's migrations across replicas starting
// together (golang-migrate's own lock is released by then).
const riverLockKey = 7_424_242

func riverUp(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("river migrations up: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", riverLockKey); err != nil {
		return fmt.Errorf("river migrations up: %w", err)
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", riverLockKey) //nolint:errcheck
	m, err := riverMigrator(db)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations up: %w", err)
	}
	return nil
}

func riverDownAll(ctx context.Context, db *sql.DB) error {
	var present bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('river_migration') IS NOT NULL`).Scan(&present); err != nil {
		return fmt.Errorf("river migrations down: %w", err)
	}
	if !present {
		return nil
	}
	m, err := riverMigrator(db)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
		return fmt.Errorf("river migrations down: %w", err)
	}
	return nil
}

// RiverSchemaHash identifies River's bundled migrations, so that test
// templates (dbtest) are rebuilt when a River upgrade brings new ones.
func RiverSchemaHash() string {
	m, err := riverMigrator(nil)
	if err != nil {
		return "none"
	}
	h := sha256.New()
	for _, v := range m.AllVersions() {
		fmt.Fprintf(h, "%d\x00%s\x00", v.Version, v.SQLUp)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
