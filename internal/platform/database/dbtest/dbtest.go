// Package dbtest gives each test its own fresh PostgreSQL database, created
// from a template that the real migrations built once. DATABASE_URL names the
// server (make test provisions one); its role must be allowed to create databases.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/migrations"
)

// New creates a fresh, migrated database for t, dropped when t ends, and
// returns a GORM pool on it and its URL.
func New(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with `make test`, which provisions PostgreSQL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	ctx := context.Background()
	tpl, err := template(ctx, admin, base)
	if err != nil {
		t.Fatalf("dbtest: template: %v", err)
	}
	name := "fo_test_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tpl)); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	dbURL := withDatabase(base, name)
	// few idle connections: test packages run side by side, each with many
	// databases, and idle connections count against max_connections
	db, err := database.Open(dbURL, database.Options{MaxOpenConns: 20, MaxIdleConns: 2})
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		database.Close(db)
		if a, err := sql.Open("pgx", base); err == nil {
			_, _ = a.ExecContext(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
			a.Close()
		}
	})
	return db, dbURL
}

// template returns the name of a database migrated to the current migrations,
// creating it under an advisory lock when missing. Its name carries a hash of
// the migration files, so a changed migration gets a new template.
func template(ctx context.Context, admin *sql.DB, base string) (string, error) {
	h, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "fo_tpl_" + h
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(4242)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(4242)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", building)); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s", building)); err != nil {
		return "", err
	}
	m, err := database.NewMigrator(withDatabase(base, building))
	if err != nil {
		return "", err
	}
	err = m.Up()
	m.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash() (string, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "river\x00%s", database.RiverSchemaHash()) // River's tables are in the template too
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Empty creates a database without any migration (to test migrating it),
// dropped when t ends, and returns a database/sql handle on it and its URL.
func Empty(t testing.TB) (*sql.DB, string) {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with `make test`, which provisions PostgreSQL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	name := "fo_test_" + randomHex(8)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	dbURL := withDatabase(base, name)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return db, dbURL
}
