package orders

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"
)

// Intake's INSERTs (insertWithCreate) are rendered by GORM from the models,
// so their columns stay in one place. Rendering them is the same work on
// every intake, though: clause building, quoting and a reflective walk of
// some 70 fields were a sixth of intake's Go allocations
// (BenchmarkOrderIntake). An insertShape keeps what GORM rendered the first
// time (the SQL and the field behind each placeholder), and later intakes
// only read the fields' values, with GORM's own schema accessors and its
// rules for Create (zero auto-create/update times set to now). A model
// whose INSERT could render differently from one value to the next (database
// defaults, GORM valuers, expressions, slices GORM expands) gets no shape
// and is rendered by GORM every time. TestInsertShapeRendersAsGORM compares
// both renderings.

// insertShape is the INSERT GORM renders for one model (and omitted fields).
type insertShape struct {
	sql    string          // with $1… placeholders, as GORM rendered it
	fields []*schema.Field // the field of each placeholder, in order
}

// insertShapes holds the shapes by shapeKey; a nil shape: render with GORM.
var insertShapes sync.Map

type shapeKey struct {
	model     reflect.Type
	returning bool
	omit      string
}

var (
	gormValuerType   = reflect.TypeFor[gorm.Valuer]()
	driverValuerType = reflect.TypeFor[driver.Valuer]()
	expressionType   = reflect.TypeFor[clause.Expression]()
)

// renderInsert returns model's INSERT (RETURNING * when returning, without
// the omitted fields) and its arguments, as db.Create would render them
// (GORM renders them in a DryRun session the first time, and whenever the
// model has no shape).
func renderInsert(ctx context.Context, db *gorm.DB, model any, returning bool, omit ...string) (string, []any, error) {
	key := shapeKey{reflect.TypeOf(model), returning, strings.Join(omit, ",")}
	if v, ok := insertShapes.Load(key); ok {
		if sh := v.(*insertShape); sh != nil {
			if args, ok := sh.args(ctx, model, db.NowFunc()); ok {
				return sh.sql, args, nil
			}
		}
	}
	q := db.Session(&gorm.Session{DryRun: true, NewDB: true}).WithContext(ctx)
	if returning {
		q = q.Clauses(clause.Returning{})
	}
	if len(omit) > 0 {
		q = q.Omit(omit...)
	}
	r := q.Create(model)
	if r.Error != nil {
		return "", nil, r.Error
	}
	if _, ok := insertShapes.Load(key); !ok {
		insertShapes.Store(key, shapeOf(r.Statement))
	}
	return r.Statement.SQL.String(), r.Statement.Vars, nil
}

// shapeOf keeps stmt's rendering when every later Create of the model must
// render the same SQL; nil otherwise.
func shapeOf(stmt *gorm.Statement) *insertShape {
	c, ok := stmt.Clauses["VALUES"]
	if !ok || stmt.Schema == nil || len(stmt.Schema.FieldsWithDefaultDBValue) > 0 {
		return nil
	}
	vals, ok := c.Expression.(clause.Values)
	if !ok || len(vals.Values) != 1 || len(vals.Columns) != len(stmt.Vars) {
		return nil
	}
	sh := &insertShape{sql: stmt.SQL.String()}
	for _, col := range vals.Columns {
		f := stmt.Schema.FieldsByDBName[col.Name]
		if f == nil || f.DefaultValueInterface != nil || f.HasDefaultValue || f.Serializer != nil {
			return nil
		}
		t := f.FieldType
		if t.Implements(gormValuerType) || reflect.PointerTo(t).Implements(gormValuerType) ||
			t.Implements(expressionType) || reflect.PointerTo(t).Implements(expressionType) {
			return nil
		}
		if k := t.Kind(); (k == reflect.Slice || k == reflect.Array) && !t.Implements(driverValuerType) && t.Elem().Kind() != reflect.Uint8 {
			return nil // GORM writes such values as lists, not one placeholder
		}
		sh.fields = append(sh.fields, f)
	}
	return sh
}

// args reads the values of model's fields as GORM's Create does
// (callbacks.ConvertToCreateValues): a zero auto-create/update time is set
// to now first. ok is false when GORM would not bind a value as one
// placeholder (an empty byte slice: it writes NULL); render with GORM then.
func (sh *insertShape) args(ctx context.Context, model any, now time.Time) ([]any, bool) {
	rv := reflect.Indirect(reflect.ValueOf(model))
	out := make([]any, len(sh.fields))
	for i, f := range sh.fields {
		v, zero := f.ValueOf(ctx, rv)
		if zero && (f.AutoCreateTime > 0 || f.AutoUpdateTime > 0) {
			if err := f.Set(ctx, rv, now); err != nil {
				return nil, false
			}
			v, _ = f.ValueOf(ctx, rv)
		}
		if _, valuer := v.(driver.Valuer); !valuer {
			if x := reflect.ValueOf(v); x.IsValid() && (x.Kind() == reflect.Slice || x.Kind() == reflect.Array) && x.Len() == 0 {
				return nil, false
			}
		}
		out[i] = v
	}
	return out, true
}
