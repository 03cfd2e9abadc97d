package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"gorm.io/gorm/schema"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/clients"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/parts"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/idempotency"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/platform/ratelimit"
	"github.com/fieldops/fieldops/internal/webhooks"
)

// column is one row of information_schema.columns.
type column struct {
	Table, Name, DataType, Nullable, Default string
}

// columnsOf returns the columns of the public tables, by table and column name.
func columnsOf(t *testing.T, db *sql.DB) map[string]map[string]column {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `
		SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
		FROM information_schema.columns WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatalf("query columns: %v", err)
	}
	defer rows.Close()
	out := map[string]map[string]column{}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Table, &c.Name, &c.DataType, &c.Nullable, &c.Default); err != nil {
			t.Fatal(err)
		}
		if out[c.Table] == nil {
			out[c.Table] = map[string]column{}
		}
		out[c.Table][c.Name] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// typesFor lists the column data types a GORM field type may map to.
func typesFor(f *schema.Field) []string {
	switch strings.ToLower(string(f.DataType)) {
	case "uuid":
		return []string{"uuid"}
	case "text[]", "uuid[]":
		return []string{"ARRAY"}
	case "date":
		return []string{"date"}
	case "jsonb":
		return []string{"jsonb"}
	case "tstzrange":
		return []string{"tstzrange"}
	case "time without time zone":
		return []string{"time without time zone"}
	case string(schema.Bool):
		return []string{"boolean"}
	case string(schema.Int), string(schema.Uint):
		return []string{"integer", "bigint", "smallint"}
	case string(schema.Float):
		return []string{"double precision", "real", "numeric"}
	case string(schema.String):
		return []string{"text", "character varying"}
	case string(schema.Time):
		return []string{"timestamp with time zone"}
	case string(schema.Bytes):
		return []string{"bytea"}
	}
	return nil
}

// canHoldNull reports whether scanning a NULL into the field works.
func canHoldNull(f *schema.Field) bool {
	k := f.FieldType.Kind()
	return k == reflect.Pointer || k == reflect.Slice || k == reflect.Map || k == reflect.Interface
}

func TestModelsAgreeWithMigratedSchema(t *testing.T) {
	gdb, _ := dbtest.New(t)
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}
	cols := columnsOf(t, sqlDB)

	models := []any{
		&identity.Provider{}, &identity.User{}, &identity.RefreshToken{}, &identity.LoginThrottle{},
		&clients.Client{}, &ratelimit.Bucket{},
		&catalog.ProductModel{}, &catalog.Asset{}, &catalog.AssetClaim{},
		&orders.Order{}, &orders.Event{}, &orders.Assignment{}, &orders.Appointment{}, &orders.SLAPolicy{},
		&orders.Notification{}, &idempotency.Record{},
		&orders.Photo{}, &orders.PhotoVariant{}, &orders.Completion{}, &orders.Rating{}, &orders.Complaint{}, &orders.FollowUp{},
		&orders.Region{}, &outbox.Event{},
		&webhooks.Webhook{}, &webhooks.Message{}, &webhooks.Delivery{}, &webhooks.RelayCursor{},
		&orders.RegionHoliday{}, &orders.ComplaintEvent{},
		&parts.Part{}, &parts.Location{}, &parts.Movement{}, &parts.Balance{}, &parts.Serial{},
	}
	wantTables := map[string]bool{"schema_migrations": true}
	for _, model := range models {
		s, err := schema.Parse(model, &sync.Map{}, gdb.NamingStrategy)
		if err != nil {
			t.Fatalf("parse %T: %v", model, err)
		}
		wantTables[s.Table] = true
		t.Run(s.Name, func(t *testing.T) {
			table, ok := cols[s.Table]
			if !ok {
				t.Fatalf("model %s maps to table %q, which the migrations do not create", s.Name, s.Table)
			}
			var problems []string
			fields := map[string]bool{}
			for _, f := range s.Fields {
				if f.DBName == "" { // relations such as Asset.Model, and embedded parents
					continue
				}
				fields[f.DBName] = true
				c, ok := table[f.DBName]
				if !ok {
					problems = append(problems, fmt.Sprintf("field %s.%s: no column %s.%s", s.Name, f.Name, s.Table, f.DBName))
					continue
				}
				if want := typesFor(f); want == nil {
					problems = append(problems, fmt.Sprintf("field %s.%s: GORM type %q is unknown to this test; teach typesFor", s.Name, f.Name, f.DataType))
				} else if !slices.Contains(want, c.DataType) {
					problems = append(problems, fmt.Sprintf("field %s.%s (%s): column %s.%s is %s, want one of %v",
						s.Name, f.Name, f.FieldType, s.Table, c.Name, c.DataType, want))
				}
				if c.Nullable == "YES" && !canHoldNull(f) {
					problems = append(problems, fmt.Sprintf("field %s.%s (%s) cannot hold NULL, but column %s.%s is nullable",
						s.Name, f.Name, f.FieldType, s.Table, c.Name))
				}
			}
			for name := range table {
				if !fields[name] {
					problems = append(problems, fmt.Sprintf("column %s.%s: no field in %s", s.Table, name, s.Name))
				}
			}
			if len(s.PrimaryFields) == 0 {
				problems = append(problems, fmt.Sprintf("model %s: has no primary key field", s.Name))
			}
			sort.Strings(problems)
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
	t.Run("every table has a model", func(t *testing.T) {
		for table := range cols {
			// River's tables belong to its own migrator (internal/platform/jobs)
			if !wantTables[table] && !strings.HasPrefix(table, "river_") {
				t.Errorf("table %s has no GORM model in this test: add its model", table)
			}
		}
	})
}

// snapshot describes everything the migrations create in the public schema:
// columns, constraints and indexes, one sorted line each.
func snapshot(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var out []string
	for table, cs := range columnsOf(t, db) {
		for _, c := range cs {
			out = append(out, fmt.Sprintf("column %s.%s %s null=%s default=%s", table, c.Name, c.DataType, c.Nullable, c.Default))
		}
	}
	for _, q := range []string{
		`SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
		 FROM pg_constraint WHERE connamespace = 'public'::regnamespace`,
		`SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'`,
		`SELECT 'relation ' || relname || ' ' || relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace`,
		`SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype <> 'c' AND typname NOT LIKE '\_%'`,
		`SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		rows.Close()
	}
	sort.Strings(out)
	return out
}

// objectsBesidesMigrationTable returns the snapshot lines that are not the
// golang-migrate bookkeeping table.
func objectsBesidesMigrationTable(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.Contains(l, "schema_migrations") {
			out = append(out, l)
		}
	}
	return out
}

func migrator(t *testing.T, dbURL string) *database.Migrator {
	t.Helper()
	m, err := database.NewMigrator(dbURL)
	if err != nil {
		t.Fatalf("NewMigrator: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

func TestMigrationsAreReversible(t *testing.T) {
	db, dbURL := dbtest.Empty(t)
	m := migrator(t, dbURL)

	if err := m.Up(); err != nil {
		t.Fatalf("up: %v", err)
	}
	first := snapshot(t, db)
	if len(objectsBesidesMigrationTable(first)) == 0 {
		t.Fatal("up created nothing")
	}

	if err := m.Down(0); err != nil {
		t.Fatalf("down all: %v", err)
	}
	if left := objectsBesidesMigrationTable(snapshot(t, db)); len(left) > 0 {
		t.Errorf("down all left %d objects behind:\n  %s", len(left), strings.Join(left, "\n  "))
	}

	if err := m.Up(); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	second := snapshot(t, db)
	if !slices.Equal(first, second) {
		t.Errorf("up → down → up differs from up:\n%s", diff(first, second))
	}

	t.Run("the template dbtest uses has the same schema", func(t *testing.T) {
		gdb, _ := dbtest.New(t)
		tplDB, err := gdb.DB()
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshot(t, tplDB); !slices.Equal(first, got) {
			t.Errorf("dbtest schema differs from a fresh migration:\n%s", diff(first, got))
		}
	})
}

func diff(a, b []string) string {
	var sb strings.Builder
	for _, l := range a {
		if !slices.Contains(b, l) {
			fmt.Fprintf(&sb, "  - %s\n", l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			fmt.Fprintf(&sb, "  + %s\n", l)
		}
	}
	return sb.String()
}
