package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// demoNS makes the demo orders' ids deterministic, so seeding twice is a no-op.
var demoNS = uuid.MustParse("6f1e0d3c-2b1a-4c5d-8e7f-90a1b2c3d4e5")

// SeedOrders creates demo orders in several states (submitted, assigned,
// scheduled, awaiting approval, cancelled), going through the real life
// cycle so their timelines are complete. Orders already present are skipped.
func SeedOrders(ctx context.Context, people *identity.Service, cat *catalog.Service, ord *orders.Service, now time.Time) error {
	who := func(email string) (auth.Principal, error) {
		u, err := people.UserByEmail(ctx, email)
		return identity.PrincipalOf(u), err
	}
	actors := map[string]auth.Principal{}
	for _, a := range Accounts {
		p, err := who(a.Email)
		if err != nil {
			return fmt.Errorf("seed orders: %s: %w (run Seed first)", a.Email, err)
		}
		actors[a.Email] = p
	}
	assets, _, err := cat.ListAssets(ctx, actors["manager@fieldops.test"], nil, pageAll)
	if err != nil {
		return err
	}
	bySerial := map[string]catalog.Asset{}
	for _, a := range assets {
		bySerial[a.SerialNumber] = a
	}
	// The bookings below are tomorrow's 08–10 and 10–12 UTC: the 16:00–18:00 and 18:00–20:00
	// windows of the demo regions (Asia/Shanghai, UTC+8, 2-hour slots from 08:00; migration 000009).
	tomorrow := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	disp, partner := actors["dispatcher@fieldops.test"], actors["dispatcher@coolfix.test"]
	type step func(id uuid.UUID) error
	demos := []struct {
		name, customer, serial, typ, desc string
		steps                             []step
	}{
		{"new", "alice@example.com", "AC9-DEMO-0001", "repair", "Air conditioner drips water onto the floor.", nil},
		{"assigned", "bob@example.com", "SOF-DEMO-0001", "repair", "Recliner mechanism of the left seat is stuck.", []step{
			func(id uuid.UUID) error {
				_, err := ord.Triage(ctx, disp, id, orders.TriageInput{Priority: "P2"})
				return err
			},
			func(id uuid.UUID) error {
				sam := actors["sam@fieldops.test"].UserID
				_, err := ord.Assign(ctx, disp, id, &sam, false)
				return err
			},
		}},
		{"scheduled", "alice@example.com", "WM5-DEMO-0001", "maintenance", "Yearly maintenance of the washing machine.", []step{
			func(id uuid.UUID) error { _, err := ord.Triage(ctx, disp, id, orders.TriageInput{}); return err },
			func(id uuid.UUID) error {
				nina := actors["nina@fieldops.test"].UserID
				_, err := ord.Assign(ctx, disp, id, &nina, false)
				return err
			},
			func(id uuid.UUID) error { _, err := ord.Accept(ctx, actors["nina@fieldops.test"], id); return err },
			func(id uuid.UUID) error {
				_, err := ord.Book(ctx, actors["alice@example.com"], id, orders.Window{Start: tomorrow.Add(10 * time.Hour), End: tomorrow.Add(12 * time.Hour)}, "")
				return err
			},
		}},
		{"awaiting approval", "bob@example.com", "AC9-DEMO-0002", "repair", "Air conditioner does not cool any more.", []step{
			func(id uuid.UUID) error { _, err := ord.Triage(ctx, disp, id, orders.TriageInput{}); return err },
			func(id uuid.UUID) error {
				carl := actors["carl@coolfix.test"].UserID
				_, err := ord.Assign(ctx, disp, id, &carl, false)
				return err
			},
			func(id uuid.UUID) error { _, err := ord.Accept(ctx, actors["carl@coolfix.test"], id); return err },
			func(id uuid.UUID) error {
				_, err := ord.Book(ctx, partner, id, orders.Window{Start: tomorrow.Add(8 * time.Hour), End: tomorrow.Add(10 * time.Hour)}, "")
				return err
			},
			func(id uuid.UUID) error {
				_, err := ord.Depart(ctx, actors["carl@coolfix.test"], id, "the previous job finished early")
				return err
			},
			func(id uuid.UUID) error {
				_, err := ord.Arrive(ctx, actors["carl@coolfix.test"], id, 31.2000, 121.4500)
				return err
			},
			func(id uuid.UUID) error {
				_, err := ord.Quote(ctx, actors["carl@coolfix.test"], id, []orders.QuoteInput{
					{Kind: "part", Description: "Compressor start capacitor", Qty: 1, UnitPrice: 8900},
					{Kind: "labour", Description: "Diagnosis and replacement", Qty: 1, UnitPrice: 12000},
				})
				return err
			},
		}},
		{"cancelled", "alice@example.com", "", "consultation", "Which filter fits my air conditioner?", []step{
			func(id uuid.UUID) error {
				_, err := ord.Cancel(ctx, actors["alice@example.com"], id, "found the answer in the manual")
				return err
			},
		}},
	}
	for _, d := range demos {
		id := uuid.NewSHA1(demoNS, []byte(d.name))
		in := orders.CreateInput{ID: &id, Type: d.typ, Description: d.desc, ExternalRef: "DEMO-" + d.name,
			Address: catalog.Address{Line1: "12 Harbour Road", City: "Northport", Region: "north"}}
		if a, ok := bySerial[d.serial]; ok {
			in.AssetID, in.Address = &a.ID, a.Address
		}
		_, err := ord.Create(ctx, actors[d.customer], in)
		if errs.Is(err, errs.Conflict) { // the id exists: seeded before
			continue
		}
		if err != nil {
			return fmt.Errorf("seed order %q: %w", d.name, err)
		}
		for i, st := range d.steps {
			if err := st(id); err != nil {
				return fmt.Errorf("seed order %q step %d: %w", d.name, i+1, err)
			}
		}
	}
	return nil
}
