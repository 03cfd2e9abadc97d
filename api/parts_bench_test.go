package api_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"sort"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/migrations"
)

// The inventory at scale (issue 10): 1,000 parts × 300 stock locations and
// 1,000,000 ledger rows, seeded by set-based INSERT … SELECT generate_series
// into a database that is kept between runs (fo_bench_parts_<schema hash>;
// a changed migration seeds a new one). Only `go test -bench` runs this: the
// seeding lives inside the benchmarks, never in `make test`.
// docs/PERFORMANCE.md ("Inventory at 1M movements") has the figures and plans.

const (
	benchParts     = 1000
	benchLocations = 300
	benchMoves     = 1_000_000
)

// benchPartsSeed is the seed: parts, warehouses, the ledger (row i is of
// part i mod 1000, in blocks of 1000 rows j = i/1000: 4 in 5 blocks are
// receipts of 1000 into location j mod 300, 1 in 5 (j mod 5 = 1) transfers
// of 1 out of location 0, which blocks 0, 300, 600 and 900 stock), and the
// balances as the ledger's sums.
var benchPartsSeed = []string{
	fmt.Sprintf(`INSERT INTO parts (id, sku, name, unit_price, currency, genuine, reorder_point, created_at, updated_at)
SELECT overlay(overlay(md5('part' || i) placing '4' from 13) placing '8' from 17)::uuid, 'SKU-' || lpad(i::text, 5, '0'), 'Part ' || i, 100 + i, 'CNY', true, 5,
       timestamptz '2026-01-01' + i * interval '1 second', timestamptz '2026-01-01'
FROM generate_series(0, %d) AS i`, benchParts-1),
	fmt.Sprintf(`INSERT INTO stock_locations (id, kind, name, created_at)
SELECT overlay(overlay(md5('loc' || i) placing '4' from 13) placing '8' from 17)::uuid, 'warehouse', 'Warehouse ' || i, timestamptz '2026-01-01' + i * interval '1 second'
FROM generate_series(0, %d) AS i`, benchLocations-1),
	fmt.Sprintf(`INSERT INTO stock_movements (id, kind, part_id, qty, from_location_id, to_location_id, supplier_ref, created_at)
SELECT overlay(overlay(md5('mv' || i) placing '4' from 13) placing '8' from 17)::uuid,
       CASE WHEN (i / %[2]d) %% 5 = 1 THEN 'transfer' ELSE 'receive' END,
       overlay(overlay(md5('part' || (i %% %[2]d)) placing '4' from 13) placing '8' from 17)::uuid,
       CASE WHEN (i / %[2]d) %% 5 = 1 THEN 1 ELSE 1000 END,
       CASE WHEN (i / %[2]d) %% 5 = 1 THEN overlay(overlay(md5('loc0') placing '4' from 13) placing '8' from 17)::uuid END,
       CASE WHEN (i / %[2]d) %% 5 = 1 THEN overlay(overlay(md5('loc' || (1 + (i / %[2]d) %% (%[3]d - 1))) placing '4' from 13) placing '8' from 17)::uuid
            ELSE overlay(overlay(md5('loc' || ((i / %[2]d) %% %[3]d)) placing '4' from 13) placing '8' from 17)::uuid END,
       CASE WHEN (i / %[2]d) %% 5 = 1 THEN '' ELSE 'PO-' || i END,
       timestamptz '2026-01-01' + i * interval '1 second'
FROM generate_series(0, %[1]d) AS i`, benchMoves-1, benchParts, benchLocations),
	`INSERT INTO stock_balances (location_id, part_id, on_hand, reserved, low, updated_at)
SELECT loc, part_id, sum(d), 0, sum(d) < 5, timestamptz '2026-06-01'
FROM (SELECT to_location_id AS loc, part_id, qty AS d FROM stock_movements WHERE to_location_id IS NOT NULL
      UNION ALL SELECT from_location_id, part_id, -qty FROM stock_movements WHERE from_location_id IS NOT NULL) x
GROUP BY loc, part_id`,
	`ANALYZE`,
}

// benchPartsDB returns the URL of the seeded database, seeding it first when
// it does not exist yet.
func benchPartsDB(b *testing.B) string {
	b.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		b.Fatal("DATABASE_URL is not set")
	}
	names, _ := fs.Glob(migrations.FS, "*.sql")
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		data, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(data)
	}
	for _, s := range benchPartsSeed {
		h.Write([]byte(s))
	}
	name := "fo_bench_parts_" + hex.EncodeToString(h.Sum(nil))[:12]
	u, _ := url.Parse(base)
	u.Path = "/" + name
	dbURL := u.String()

	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	var ready bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ready); err != nil {
		b.Fatal(err)
	}
	if ready {
		return dbURL
	}
	building := name + "_build"
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		b.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		b.Fatal(err)
	}
	bu := *u
	bu.Path = "/" + building
	m, err := database.NewMigrator(bu.String())
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Up(); err != nil {
		b.Fatal(err)
	}
	m.Close()
	seed, err := sql.Open("pgx", bu.String())
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range benchPartsSeed {
		if _, err := seed.ExecContext(ctx, s); err != nil {
			seed.Close()
			b.Fatalf("seed: %v\n%s", err, s)
		}
	}
	seed.Close()
	if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		b.Fatal(err)
	}
	return dbURL
}

// benchInventory starts a server on the seeded database.
func benchInventory(b *testing.B) (*apitest.Env, string) {
	b.Helper()
	dbURL := benchPartsDB(b)
	db, err := database.Open(dbURL, database.Options{MaxOpenConns: 10, MaxIdleConns: 10})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { database.Close(db) })
	env := apitest.NewOn(b, db, dbURL)
	return env, env.Token("manager@fieldops.test")
}

// benchGet times GET path (status 200 required), outside the contract check.
func benchGet(b *testing.B, env *apitest.Env, tok, path string) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", path, res.StatusCode)
		}
	}
}

// BenchmarkStock: GET /v1/stock?location_id= of a location holding ~1,000
// parts, first page (50) and a full page (200) further in.
func BenchmarkStock(b *testing.B) {
	env, tok := benchInventory(b)
	var loc, mid string
	env.DB.Raw(`SELECT overlay(overlay(md5('loc7') placing '4' from 13) placing '8' from 17)::uuid::text`).Scan(&loc)
	env.DB.Raw(`SELECT part_id::text FROM stock_balances WHERE location_id = ? ORDER BY part_id OFFSET 500 LIMIT 1`, loc).Scan(&mid)
	b.Run("first page of 50", func(b *testing.B) { benchGet(b, env, tok, "/v1/stock?location_id="+loc) })
	b.Run("page of 200 mid-way", func(b *testing.B) {
		r := env.Do(http.MethodGet, "/v1/stock?location_id="+loc+"&limit=200", tok, nil)
		cur, _ := r.JSON["next_cursor"].(string)
		benchGet(b, env, tok, "/v1/stock?location_id="+loc+"&limit=200&cursor="+url.QueryEscape(cur))
	})
}

// BenchmarkPartMovements: GET /v1/parts/{id}/movements of a part with
// 1,000 ledger rows: the first page and a page after a cursor.
func BenchmarkPartMovements(b *testing.B) {
	env, tok := benchInventory(b)
	var part string
	env.DB.Raw(`SELECT overlay(overlay(md5('part421') placing '4' from 13) placing '8' from 17)::uuid::text`).Scan(&part)
	b.Run("first page of 50", func(b *testing.B) { benchGet(b, env, tok, "/v1/parts/"+part+"/movements") })
	b.Run("page of 200 after a cursor", func(b *testing.B) {
		r := env.Do(http.MethodGet, "/v1/parts/"+part+"/movements?limit=200", tok, nil)
		r = env.Do(http.MethodGet, "/v1/parts/"+part+"/movements?limit=200&cursor="+url.QueryEscape(r.JSON["next_cursor"].(string)), tok, nil)
		benchGet(b, env, tok, "/v1/parts/"+part+"/movements?limit=200&cursor="+url.QueryEscape(r.JSON["next_cursor"].(string)))
	})
}
