package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/config"
)

// maxPrincipals is how many technicians and customers the cases rotate
// through: one per client at the largest client count.
const maxPrincipals = 32

// fixtures are the accounts and rows the cases use, read from the seeded
// data (the seed's choices are not hard-coded here).
type fixtures struct {
	orders   int64
	newest   time.Time // max(orders.updated_at)
	techs    []string  // tokens of technicians with open jobs
	dispatch string    // token of an in-house dispatcher (or a manager)
	assets   []intakeAsset
}

type intakeAsset struct {
	id                  uuid.UUID
	token               string // the owning customer's
	line1, city, region string
}

// loadFixtures picks the principals and rows and mints their access tokens
// with the server's secret, issuer and audience (logging in would measure
// password hashing, which is bounded on purpose).
func loadFixtures(ctx context.Context, db *pgx.Conn, secret string) (fixtures, error) {
	var fx fixtures
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return fx, err
	}
	iss := auth.NewIssuer(secret, cfg.Auth.Issuer, cfg.Auth.Audience, 6*time.Hour, time.Now)
	token := func(id uuid.UUID, role string, provider *uuid.UUID) (string, error) {
		return iss.Issue(auth.Principal{UserID: id, Role: role, ProviderID: provider})
	}
	if err := db.QueryRow(ctx, `SELECT count(*), max(updated_at) FROM orders`).Scan(&fx.orders, &fx.newest); err != nil {
		return fx, err
	}

	rows, err := db.Query(ctx, `SELECT u.id, u.provider_id FROM users u
WHERE u.role = 'technician' AND u.active AND EXISTS (
    SELECT 1 FROM orders o WHERE o.technician_id = u.id AND o.status IN ('assigned', 'accepted', 'scheduled'))
ORDER BY u.email, u.id LIMIT $1`, maxPrincipals)
	if err != nil {
		return fx, err
	}
	type principal struct {
		id       uuid.UUID
		provider *uuid.UUID
	}
	techs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (principal, error) {
		var p principal
		return p, r.Scan(&p.id, &p.provider)
	})
	if err != nil {
		return fx, err
	}
	for _, p := range techs {
		tok, err := token(p.id, "technician", p.provider)
		if err != nil {
			return fx, err
		}
		fx.techs = append(fx.techs, tok)
	}
	if len(fx.techs) == 0 {
		return fx, errors.New("no active technician has an assigned, accepted or scheduled order")
	}

	var staff principal
	var role string
	err = db.QueryRow(ctx, `SELECT u.id, u.provider_id, u.role FROM users u LEFT JOIN providers p ON p.id = u.provider_id
WHERE u.active AND ((u.role = 'dispatcher' AND p.kind = 'in_house') OR u.role = 'manager')
ORDER BY u.role = 'dispatcher' DESC, u.email, u.id LIMIT 1`).Scan(&staff.id, &staff.provider, &role)
	if err != nil {
		return fx, fmt.Errorf("an in-house dispatcher or a manager: %w", err)
	}
	if fx.dispatch, err = token(staff.id, role, staff.provider); err != nil {
		return fx, err
	}

	rows, err = db.Query(ctx, `SELECT a.id, a.customer_id, a.address_line1, a.address_city, a.address_region
FROM assets a JOIN users u ON u.id = a.customer_id AND u.active AND u.role = 'customer'
ORDER BY a.id LIMIT $1`, maxPrincipals)
	if err != nil {
		return fx, err
	}
	type assetRow struct {
		id, customer        uuid.UUID
		line1, city, region string
	}
	assets, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (assetRow, error) {
		var a assetRow
		return a, r.Scan(&a.id, &a.customer, &a.line1, &a.city, &a.region)
	})
	if err != nil {
		return fx, err
	}
	for _, a := range assets {
		tok, err := token(a.customer, "customer", nil)
		if err != nil {
			return fx, err
		}
		ia := intakeAsset{id: a.id, token: tok, line1: a.line1, city: a.city, region: a.region}
		if ia.line1 == "" {
			ia.line1 = "1 Bench Road"
		}
		if ia.city == "" {
			ia.city = "Benchport"
		}
		fx.assets = append(fx.assets, ia)
	}
	if len(fx.assets) == 0 {
		return fx, errors.New("no active customer has a registered asset")
	}

	return fx, nil
}
