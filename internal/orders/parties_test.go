package orders

import (
	"testing"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/platform/auth"
)

// The privacy rule of SPEC §8, without HTTP: what each caller sees of the
// customer's and the technician's contact data in each status.
func TestPartiesForReducesContactDataByCallerAndStatus(t *testing.T) {
	tech, pastTech, cust := uuid.New(), uuid.New(), uuid.New()
	custPhone, techPhone := "+8613800138001", "+8613900100001"
	joined := partyRow{CustomerName: ptr("Alice Customer"), CustomerPhone: &custPhone,
		TechnicianName: ptr("Tom North"), TechnicianPhone: &techPhone}
	as := func(role string, id uuid.UUID) auth.Principal { return auth.Principal{UserID: id, Role: role} }
	assignee, past := as(auth.RoleTechnician, tech), as(auth.RoleTechnician, pastTech)
	owner := as(auth.RoleCustomer, cust)
	cases := []struct {
		name            string
		p               auth.Principal
		status          Status
		customerContact bool // customer phone and address shown
		technicianPhone bool
	}{
		{"the dispatcher sees both contacts", as(auth.RoleDispatcher, uuid.New()), StatusAssigned, true, true},
		{"a manager sees both contacts of a closed order", as(auth.RoleManager, uuid.New()), StatusClosed, true, true},
		{"the assigned technician sees the name only before accepting", assignee, StatusAssigned, false, true},
		{"the assigned technician sees the contact once accepted", assignee, StatusAccepted, true, true},
		{"the assigned technician sees the contact on site", assignee, StatusOnSite, true, true},
		{"the assigned technician sees the contact while parts are awaited", assignee, StatusAwaitingParts, true, true},
		{"the assigned technician still sees the contact when completed", assignee, StatusCompleted, true, true},
		{"the technician of a closed order sees the name only", assignee, StatusClosed, false, true},
		{"the technician of a cancelled order sees the name only", assignee, StatusCancelled, false, true},
		{"a past technician sees neither phone", past, StatusScheduled, false, false},
		{"the customer does not see the technician's phone when assigned", owner, StatusAssigned, true, false},
		{"the customer does not see the technician's phone when scheduled", owner, StatusScheduled, true, false},
		{"the customer sees the technician's phone en route", owner, StatusEnRoute, true, true},
		{"the customer sees the technician's phone awaiting approval", owner, StatusAwaitingApproval, true, true},
		{"the customer sees the technician's phone while parts are awaited", owner, StatusAwaitingParts, true, true},
		{"the customer no longer sees the technician's phone when completed", owner, StatusCompleted, true, false},
		{"another customer sees no contact", as(auth.RoleCustomer, uuid.New()), StatusEnRoute, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Order{Status: c.status, CustomerID: cust, TechnicianID: &tech, Address: catalog.Address{Line1: "12 Harbour Road"}}
			got := partiesFor(c.p, o, joined)
			if got.Customer.ID != cust || got.Customer.Name != "Alice Customer" {
				t.Errorf("customer = %+v, want id and name always", got.Customer)
			}
			if shown := got.Customer.Phone != nil && got.Customer.Address != nil; shown != c.customerContact {
				t.Errorf("customer phone %v, address %v; want shown = %v", got.Customer.Phone, got.Customer.Address, c.customerContact)
			}
			if (got.Customer.Phone == nil) != (got.Customer.Address == nil) {
				t.Errorf("customer phone and address must be shown together: %+v", got.Customer)
			}
			if got.Technician == nil || got.Technician.ID != tech || got.Technician.Name != "Tom North" {
				t.Fatalf("technician = %+v, want id and name whenever assigned", got.Technician)
			}
			if shown := got.Technician.Phone != nil; shown != c.technicianPhone {
				t.Errorf("technician phone %v, want shown = %v", got.Technician.Phone, c.technicianPhone)
			}
		})
	}
}

func TestPartiesForAssetAndModel(t *testing.T) {
	asset, model := uuid.New(), uuid.New()
	staff := auth.Principal{UserID: uuid.New(), Role: auth.RoleDispatcher}
	withModel := partyRow{ModelID: &model, ModelBrand: ptr("Coolwave"), ModelName: ptr("Split air conditioner 9000 BTU"),
		AssetSerialNumber: ptr("AC9-DEMO-0001")}
	cases := []struct {
		name      string
		o         Order
		joined    partyRow
		wantAsset bool
		wantModel bool
	}{
		{"an order for a registered product carries the asset and its model", Order{AssetID: &asset, ProductModelID: &model}, withModel, true, true},
		{"an order for a described product carries the model only", Order{ProductModelID: &model}, withModel, false, true},
		{"an order for neither carries neither", Order{}, partyRow{}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := partiesFor(staff, c.o, c.joined)
			if (got.Asset != nil) != c.wantAsset || (got.ProductModel != nil) != c.wantModel {
				t.Fatalf("asset %+v, product model %+v; want asset %v, model %v", got.Asset, got.ProductModel, c.wantAsset, c.wantModel)
			}
			if got.Asset != nil && (got.Asset.SerialNumber != "AC9-DEMO-0001" || got.Asset.Model != *got.ProductModel) {
				t.Errorf("asset = %+v, want the serial and the order's model", got.Asset)
			}
			if got.ProductModel != nil && (got.ProductModel.Brand != "Coolwave" || got.ProductModel.ID != model) {
				t.Errorf("product model = %+v", got.ProductModel)
			}
			if got.Technician != nil {
				t.Errorf("technician = %+v, want nil while nobody is assigned", got.Technician)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
