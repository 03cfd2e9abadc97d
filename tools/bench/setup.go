package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldops/fieldops/migrations"
)

// A target is one data-set size: its seeded database (kept between runs as
// a template), the copy this run writes to, and the server serving that copy.
type target struct {
	name   string // 10k, 1m
	orders int
	admin  string // URL of the maintenance database (DATABASE_URL)
	runDB  string // the copy this run writes to
	runURL string // its URL
	db     *pgx.Conn
	srv    *server
	raw    *server // the raw baseline server on the same copy (-raw), else nil
	fx     fixtures

	reqs      map[string][]request // per case, built by its prepare
	ownOrders []request            // GETs of orders on the technicians' job lists
	syncItems float64              // mean items per delta-sync page
	listItems float64              // mean items per job-list page
}

// cacheNote is what COMMENT ON DATABASE says of a seeded template: the seed
// parameters, the schema version and a hash of the seed code. A template
// whose note differs is seeded again.
func cacheNote(o options, orders int) string {
	return fmt.Sprintf("fieldops bench seed --orders %d --technicians %d --customers %d; schema %s; seed code %s",
		orders, o.technicians, o.customers, schemaVersion(), seedCodeHash())
}

// schemaVersion is the highest migration number the binary carries.
func schemaVersion() string {
	names, _ := fs.Glob(migrations.FS, "*.up.sql")
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	v, _, _ := strings.Cut(names[len(names)-1], "_")
	return v
}

// seedCodeHash hashes internal/demo/*.go (tests excepted), the code that
// builds the data set, read from the working directory (the repository root
// under `make bench`).
func seedCodeHash() string {
	files, _ := filepath.Glob("internal/demo/*.go")
	sort.Strings(files)
	h := sha256.New()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
		n++
	}
	if n == 0 {
		return "unknown"
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// withDatabase returns base with its database name replaced.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// prepare makes sure the seeded template for n orders exists, copies it for
// this run and starts a server on the copy.
func prepare(ctx context.Context, o options, adminURL string, n int, secret string, logf func(string, ...any)) (*target, error) {
	t := &target{name: sizeName(n), orders: n, admin: adminURL, reqs: map[string][]request{}}
	tmpl := o.dbPrefix + t.name
	// a name of its own per run: two runs at once (other sessions share the
	// dev cluster) must not drop each other's copy
	suffix, err := randomHex(4)
	if err != nil {
		return nil, err
	}
	t.runDB = tmpl + "_run_" + suffix
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)

	want := cacheNote(o, n)
	var have string
	err = admin.QueryRow(ctx, `SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1`, tmpl).Scan(&have)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if have == want && !o.reseed {
		logf("%s: reusing the seeded database %s (%s)", t.name, tmpl, want)
	} else {
		if err := seed(ctx, o, admin, adminURL, tmpl, n, want, logf); err != nil {
			return nil, err
		}
	}

	start := time.Now()
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{t.runDB}.Sanitize()+` WITH (FORCE)`); err != nil {
		return nil, err
	}
	// FILE_COPY: a checkpoint and a file copy, much faster than WAL-logging
	// every page of a large template.
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{t.runDB}.Sanitize()+` TEMPLATE `+
		pgx.Identifier{tmpl}.Sanitize()+` STRATEGY FILE_COPY`); err != nil {
		return nil, fmt.Errorf("copy %s: %w", tmpl, err)
	}
	logf("%s: copied %s to %s in %s", t.name, tmpl, t.runDB, time.Since(start).Round(time.Millisecond))

	if t.runURL, err = withDatabase(adminURL, t.runDB); err != nil {
		return t, err
	}
	if t.db, err = pgx.Connect(ctx, t.runURL); err != nil {
		return t, err
	}
	if t.srv, err = startServer(ctx, o.fieldops, t.runURL, secret, t.name, logf); err != nil {
		return t, err
	}
	if t.fx, err = loadFixtures(ctx, t.db, secret); err != nil {
		return t, fmt.Errorf("fixtures: %w", err)
	}
	logf("%s: %d orders, serving on %s; %d technicians with open jobs, %d customers with assets",
		t.name, t.fx.orders, t.srv.base, len(t.fx.techs), len(t.fx.assets))
	return t, nil
}

// seed (re)creates the template database with `fieldops seed`, vacuums and
// analyses it as autovacuum would on a live system, and marks it with note.
func seed(ctx context.Context, o options, admin *pgx.Conn, adminURL, tmpl string, n int, note string, logf func(string, ...any)) error {
	logf("%s: seeding %s (%s); the next runs reuse it", sizeName(n), tmpl, note)
	start := time.Now()
	id := pgx.Identifier{tmpl}.Sanitize()
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+id+` WITH (FORCE)`); err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+id); err != nil {
		return err
	}
	dbURL, err := withDatabase(adminURL, tmpl)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, o.fieldops, "seed", "--orders", fmt.Sprint(n),
		"--technicians", fmt.Sprint(o.technicians), "--customers", fmt.Sprint(o.customers))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "FIELDOPS_DEV=true")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `VACUUM ANALYZE`)
	conn.Close(ctx)
	if err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, `COMMENT ON DATABASE `+id+` IS `+quoteLiteral(note)); err != nil {
		return err
	}
	logf("%s: seeded in %s", sizeName(n), time.Since(start).Round(time.Second))
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// close stops the servers and drops this run's copy (unless keep).
func (t *target) close(logf func(string, ...any), keep bool) {
	if t.srv != nil {
		t.srv.stop()
	}
	if t.raw != nil {
		t.raw.stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if t.db != nil {
		t.db.Close(ctx)
	}
	if keep {
		logf("%s: kept %s", t.name, t.runDB)
		return
	}
	admin, err := pgx.Connect(ctx, t.admin)
	if err != nil {
		logf("%s: cannot drop %s: %v", t.name, t.runDB, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{t.runDB}.Sanitize()+` WITH (FORCE)`); err != nil {
		logf("%s: cannot drop %s: %v", t.name, t.runDB, err)
	}
}
