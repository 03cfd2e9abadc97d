package orders

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/outbox"
)

// TestInsertShapeRendersAsGORM: after the first intake, renderInsert sends
// intake's INSERTs from a kept shape; for orders, events and outbox events
// with every kind of value (NULL and set pointers, empty and filled lists,
// zero and set times) it renders the SQL and the arguments GORM's Create
// renders, and sets the same fields on the model.
func TestInsertShapeRendersAsGORM(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	now := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC) // GORM's NowFunc: auto-update times
	db = db.Session(&gorm.Session{NowFunc: func() time.Time { return now }})
	id, other := uuid.New(), uuid.New()
	lat, lng, minutes, fixed := 31.2, 121.5, 42, true
	ends := at.AddDate(1, 0, 0)

	bare := Order{ID: uuid.New(), Number: "FO-2026-000001", Type: "repair", Channel: "app", Priority: "P3", Status: StatusSubmitted,
		CustomerID: id, Region: "north", Address: catalog.Address{Line1: "1 Road", City: "Northport", Region: "north"}, Description: "drips",
		FirstResponseDue: at, ResolutionDue: at, QuoteStatus: "none", QuoteItems: QuoteItems{}, SLABreached: []string{}, Currency: Currency,
		VisitCount: 1, Version: 1, CreatedAt: at}
	full := bare
	full.ID, full.Number = uuid.New(), "FO-2026-000002"
	full.AssetID, full.ProductModelID, full.TechnicianID, full.ProviderID, full.IntakeProviderID = &other, &other, &other, &other, &other
	full.Address.Lat, full.Address.Lng = &lat, &lng
	full.PreferredWindows = Windows{{Start: at, End: at.Add(2 * time.Hour)}}
	full.InWarranty, full.WarrantyEndsAt, full.OnSiteDue = true, &ends, &ends
	full.SLABreached, full.QuoteItems = []string{MilestoneOnSite}, QuoteItems{}
	full.Fixed, full.LabourMinutes, full.ExternalRef, full.CreatedBy, full.APIClientID = &fixed, &minutes, "ref-1", &id, &other
	full.UpdatedAt = at
	orders := []Order{bare, full}

	events := []Event{
		{ID: uuid.New(), OrderID: id, Action: "create", ActorRole: "customer", ToStatus: StatusSubmitted, Payload: JSON{"number": "FO-2026-000001"},
			CreatedAt: at, Audience: audienceOf("create"), Visit: 1},
		{ID: uuid.New(), OrderID: id, Action: "create", ActorID: &id, ActorRole: "dispatcher", ToStatus: StatusSubmitted, Payload: JSON{},
			CreatedAt: at, Audience: audienceOf("create"), Visit: 1, TechnicianID: &other},
	}
	outboxes := []outbox.Event{
		{ID: uuid.New(), Type: outbox.OrderCreated, OrderID: &id, Data: json.RawMessage(`{"id": 1}`), CreatedAt: at},
		{ID: uuid.New(), Type: outbox.OrderCreated, OrderID: &id, ProviderID: &other, Data: json.RawMessage(`{}`), CreatedAt: at},
	}

	gormRender := func(model any, returning bool, omit ...string) (string, []any) {
		q := db.Session(&gorm.Session{DryRun: true, NewDB: true})
		if returning {
			q = q.Clauses(clause.Returning{})
		}
		if len(omit) > 0 {
			q = q.Omit(omit...)
		}
		r := q.Create(model)
		if r.Error != nil {
			t.Fatal(r.Error)
		}
		return r.Statement.SQL.String(), r.Statement.Vars
	}
	check := func(name string, mine, theirs any, returning bool, omit ...string) {
		t.Helper()
		wantSQL, wantArgs := gormRender(theirs, returning, omit...)
		gotSQL, gotArgs, err := renderInsert(ctx, db, mine, returning, omit...)
		if err != nil {
			t.Fatal(err)
		}
		if gotSQL != wantSQL {
			t.Errorf("%s: SQL\n%s\nwant (GORM)\n%s", name, gotSQL, wantSQL)
		}
		if !reflect.DeepEqual(gotArgs, wantArgs) {
			t.Errorf("%s: arguments\n%#v\nwant (GORM)\n%#v", name, gotArgs, wantArgs)
		}
		if !reflect.DeepEqual(mine, theirs) {
			t.Errorf("%s: the model after rendering\n%+v\nwant (GORM)\n%+v", name, mine, theirs)
		}
	}
	for round := range 2 { // the first renders with GORM and keeps the shape, the second uses it
		for i := range orders {
			mine, theirs := orders[i], orders[i]
			check("order", &mine, &theirs, true)
		}
		for i := range events {
			mine, theirs := events[i], events[i]
			check("event", &mine, &theirs, false)
		}
		for i := range outboxes {
			mine, theirs := outboxes[i], outboxes[i]
			check("outbox event", &mine, &theirs, false, "Seq")
		}
		if round == 0 {
			for _, k := range []shapeKey{{reflect.TypeFor[*Order](), true, ""}, {reflect.TypeFor[*Event](), false, ""},
				{reflect.TypeFor[*outbox.Event](), false, "Seq"}} {
				if v, ok := insertShapes.Load(k); !ok || v.(*insertShape) == nil {
					t.Errorf("no shape kept for %v: every intake renders it with GORM", k.model)
				}
			}
		}
	}
}
