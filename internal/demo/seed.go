// Package demo seeds the demonstration data `make run` starts with: the
// in-house team and a partner, a manager, dispatchers, technicians over two
// regions, customers, product models and assets in and out of warranty.
// Seeding is idempotent: what exists (by its unique key) is left alone.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// Password is every demo account's password (documented in the README).
const Password = "fieldops-demo"

// Providers of the demo.
const (
	InHouse = "FieldOps In-House Service"
	Partner = "CoolFix Partners"
)

// Account is one demo login. Phone: customers and technicians have one, so
// order screens show how to reach each other (SPEC §8).
type Account struct {
	Role, Name, Email, Phone, Provider string
	Skills, Regions                    []string
}

// Accounts are the demo logins, in the order the README lists them.
var Accounts = []Account{
	{Role: identity.RoleManager, Name: "Mei Manager", Email: "manager@fieldops.test"},
	{Role: identity.RoleDispatcher, Name: "Dana Dispatcher", Email: "dispatcher@fieldops.test", Provider: InHouse},
	{Role: identity.RoleDispatcher, Name: "Pavel Partner-Dispatcher", Email: "dispatcher@coolfix.test", Provider: Partner},
	{Role: identity.RoleTechnician, Name: "Tom North", Email: "tom@fieldops.test", Phone: "+8613900100001", Provider: InHouse, Skills: []string{"repair", "aircon"}, Regions: []string{"north"}},
	{Role: identity.RoleTechnician, Name: "Nina North", Email: "nina@fieldops.test", Phone: "+8613900100002", Provider: InHouse, Skills: []string{"install", "maintenance", "inspection"}, Regions: []string{"north"}},
	{Role: identity.RoleTechnician, Name: "Sam South", Email: "sam@fieldops.test", Phone: "+8613900100003", Provider: InHouse, Skills: []string{"repair", "install", "furniture"}, Regions: []string{"south"}},
	{Role: identity.RoleTechnician, Name: "Carl CoolFix", Email: "carl@coolfix.test", Phone: "+8613900200001", Provider: Partner, Skills: []string{"aircon", "repair", "maintenance"}, Regions: []string{"south", "north"}},
	{Role: identity.RoleCustomer, Name: "Alice Customer", Email: "alice@example.com", Phone: "+8613800138001"},
	{Role: identity.RoleCustomer, Name: "Bob Customer", Email: "bob@example.com", Phone: "+8613800138002"},
}

// Seed creates whatever of the demo data is missing. now dates the purchases.
func Seed(ctx context.Context, people *identity.Service, cat *catalog.Service, now time.Time) error {
	providers := map[string]string{InHouse: identity.ProviderInHouse, Partner: identity.ProviderPartner}
	provIDs := map[string]identity.Provider{}
	for _, name := range []string{InHouse, Partner} {
		p, err := people.ProviderByName(ctx, name)
		if errs.Is(err, errs.NotFound) {
			p, err = people.CreateProvider(ctx, identity.ProviderInput{Name: name, Kind: providers[name]})
		}
		if err != nil {
			return fmt.Errorf("seed provider %s: %w", name, err)
		}
		provIDs[name] = p
	}
	users := map[string]identity.User{}
	for _, a := range Accounts {
		u, err := people.UserByEmail(ctx, a.Email)
		if errs.Is(err, errs.NotFound) {
			u, err = createAccount(ctx, people, a, provIDs)
		}
		if err != nil {
			return fmt.Errorf("seed user %s: %w", a.Email, err)
		}
		users[a.Email] = u
	}
	models := []catalog.ModelInput{
		{Code: "AC-9000", Brand: "Coolwave", Name: "Split air conditioner 9000 BTU", Category: "aircon", WarrantyMonths: ptr(12), SoftwareWarrantyMonths: ptr(3), ReturnWindowDays: ptr(180)},
		{Code: "WM-500", Brand: "Aqualine", Name: "Front-load washing machine 8 kg", Category: "appliance", WarrantyMonths: ptr(24), SoftwareWarrantyMonths: ptr(6), ReturnWindowDays: ptr(30)},
		{Code: "SOFA-3", Brand: "Nordhaven", Name: "Three-seat recliner sofa", Category: "furniture", WarrantyMonths: ptr(36), SoftwareWarrantyMonths: ptr(0), ReturnWindowDays: ptr(14)},
	}
	modelIDs := map[string]catalog.ProductModel{}
	for _, in := range models {
		m, err := cat.ModelByCode(ctx, in.Code)
		if errs.Is(err, errs.NotFound) {
			m, err = cat.CreateModel(ctx, in)
		}
		if err != nil {
			return fmt.Errorf("seed model %s: %w", in.Code, err)
		}
		modelIDs[in.Code] = m
	}
	manager := identity.PrincipalOf(users["manager@fieldops.test"])
	assets := []struct {
		customer, model, serial string
		purchasedMonthsAgo      int
		addr                    catalog.Address
	}{
		{"alice@example.com", "AC-9000", "AC9-DEMO-0001", 2, catalog.Address{Line1: "12 Harbour Road", City: "Northport", Region: "north", Lat: ptr(31.2400), Lng: ptr(121.4900)}},
		{"alice@example.com", "WM-500", "WM5-DEMO-0001", 36, catalog.Address{Line1: "12 Harbour Road", City: "Northport", Region: "north", Lat: ptr(31.2400), Lng: ptr(121.4900)}},
		{"bob@example.com", "SOFA-3", "SOF-DEMO-0001", 1, catalog.Address{Line1: "7 Garden Lane", City: "Southbay", Region: "south"}},
		{"bob@example.com", "AC-9000", "AC9-DEMO-0002", 14, catalog.Address{Line1: "7 Garden Lane", City: "Southbay", Region: "south"}},
	}
	for _, a := range assets {
		owner := users[a.customer].ID
		_, err := cat.RegisterAsset(ctx, manager, catalog.AssetInput{CustomerID: &owner, ProductModelID: modelIDs[a.model].ID,
			SerialNumber: a.serial, PurchaseDate: now.AddDate(0, -a.purchasedMonthsAgo, 0), Address: a.addr})
		if err != nil && !errs.Is(err, errs.Conflict) { // Conflict: already seeded
			return fmt.Errorf("seed asset %s: %w", a.serial, err)
		}
	}
	return nil
}

func createAccount(ctx context.Context, people *identity.Service, a Account, prov map[string]identity.Provider) (identity.User, error) {
	if a.Role == auth.RoleCustomer {
		s, err := people.Register(ctx, identity.RegisterInput{Name: a.Name, Email: a.Email, Phone: a.Phone, Password: Password})
		return s.User, err
	}
	in := identity.StaffInput{Role: a.Role, Name: a.Name, Email: a.Email, Phone: a.Phone, Password: Password, Skills: a.Skills, Regions: a.Regions}
	if p, ok := prov[a.Provider]; ok {
		in.ProviderID = &p.ID
	}
	u, err := people.CreateStaff(ctx, in)
	if err == nil && a.Role == identity.RoleTechnician {
		on := true
		u, err = people.UpdateUser(ctx, u.ID, identity.UserPatch{OnDuty: &on})
	}
	return u, err
}

func ptr[T any](v T) *T { return &v }

var pageAll = page.Request{Limit: page.MaxLimit}
