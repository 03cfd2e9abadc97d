package orders

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The list statement is rendered by GORM but read with pgx directly: GORM's
// reflection and database/sql's conversions were 38 % of the CPU of a
// dispatcher page (BenchmarkDispatcherList, docs/PERFORMANCE.md). listFields
// names every column the statement selects and where its value goes, so the
// column list and the scan targets cannot drift apart;
// TestListFieldsCoverTheOrderModel checks it against the GORM model.

// listRow is a scanned row of the list statement, with holders for the
// columns pgx cannot scan straight into Order's types (nullable UUIDs).
type listRow struct {
	orderRow
	assetID, modelID, technicianID, providerID, intakeProviderID, createdBy, partyModelID pgtype.UUID
	apiClientID                                                                           pgtype.UUID
	ids                                                                                   [7]uuid.UUID // what the nullable UUID pointers point to: no allocation each
}

// idPtr points at ids[i] holding u, or is nil for NULL.
func (r *listRow) idPtr(i int, u pgtype.UUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	r.ids[i] = u.Bytes
	return &r.ids[i]
}

// listField is one selected column and its scan target.
type listField struct {
	column string // as selected, qualified for the orders columns
	target func(r *listRow) any
}

var listFields = []listField{
	{"o.id", func(r *listRow) any { return (*[16]byte)(&r.ID) }},
	{"o.number", func(r *listRow) any { return &r.Number }},
	{"o.type", func(r *listRow) any { return &r.Type }},
	{"o.channel", func(r *listRow) any { return &r.Channel }},
	{"o.priority", func(r *listRow) any { return &r.Priority }},
	{"o.status", func(r *listRow) any { return &r.Status }},
	{"o.customer_id", func(r *listRow) any { return (*[16]byte)(&r.CustomerID) }},
	{"o.asset_id", func(r *listRow) any { return &r.assetID }},
	{"o.product_model_id", func(r *listRow) any { return &r.modelID }},
	{"o.technician_id", func(r *listRow) any { return &r.technicianID }},
	{"o.provider_id", func(r *listRow) any { return &r.providerID }},
	{"o.intake_provider_id", func(r *listRow) any { return &r.intakeProviderID }},
	{"o.region", func(r *listRow) any { return &r.Region }},
	{"o.address_line1", func(r *listRow) any { return &r.Address.Line1 }},
	{"o.address_city", func(r *listRow) any { return &r.Address.City }},
	{"o.address_region", func(r *listRow) any { return &r.Address.Region }},
	{"o.address_lat", func(r *listRow) any { return &r.Address.Lat }},
	{"o.address_lng", func(r *listRow) any { return &r.Address.Lng }},
	{"o.description", func(r *listRow) any { return &r.Description }},
	{"o.preferred_windows", func(r *listRow) any { return &r.PreferredWindows }},
	{"o.in_warranty", func(r *listRow) any { return &r.InWarranty }},
	{"o.warranty_ends_at", func(r *listRow) any { return &r.WarrantyEndsAt }},
	{"o.first_response_due", func(r *listRow) any { return &r.FirstResponseDue }},
	{"o.on_site_due", func(r *listRow) any { return &r.OnSiteDue }},
	{"o.resolution_due", func(r *listRow) any { return &r.ResolutionDue }},
	{"o.first_responded_at", func(r *listRow) any { return &r.FirstRespondedAt }},
	{"o.arrived_at", func(r *listRow) any { return &r.ArrivedAt }},
	{"o.arrive_lat", func(r *listRow) any { return &r.ArriveLat }},
	{"o.arrive_lng", func(r *listRow) any { return &r.ArriveLng }},
	{"o.completed_at", func(r *listRow) any { return &r.CompletedAt }},
	{"o.sla_breached", func(r *listRow) any { return (*[]string)(&r.SLABreached) }},
	{"o.appointment_start", func(r *listRow) any { return &r.AppointmentStart }},
	{"o.appointment_end", func(r *listRow) any { return &r.AppointmentEnd }},
	{"o.quote_status", func(r *listRow) any { return &r.QuoteStatus }},
	{"o.quote_items", func(r *listRow) any { return &r.QuoteItems }},
	{"o.parts_used", func(r *listRow) any { return &r.PartsUsed }},
	{"o.currency", func(r *listRow) any { return &r.Currency }},
	{"o.fixed", func(r *listRow) any { return &r.Fixed }},
	{"o.resolution", func(r *listRow) any { return &r.Resolution }},
	{"o.cancel_reason", func(r *listRow) any { return &r.CancelReason }},
	{"o.visit_count", func(r *listRow) any { return &r.VisitCount }},
	{"o.repeat_repair", func(r *listRow) any { return &r.RepeatRepair }},
	{"o.external_ref", func(r *listRow) any { return &r.ExternalRef }},
	{"o.labour_minutes", func(r *listRow) any { return &r.LabourMinutes }},
	{"o.follow_up_due_at", func(r *listRow) any { return &r.FollowUpDueAt }},
	{"o.sla_paused_at", func(r *listRow) any { return &r.SLAPausedAt }},
	{"o.follow_up_notified_at", func(r *listRow) any { return &r.FollowUpNotifiedAt }},
	{"o.closed_at", func(r *listRow) any { return &r.ClosedAt }},
	{"o.created_by", func(r *listRow) any { return &r.createdBy }},
	{"o.api_client_id", func(r *listRow) any { return &r.apiClientID }},
	{"o.version", func(r *listRow) any { return &r.Version }},
	{"o.created_at", func(r *listRow) any { return &r.CreatedAt }},
	{"o.updated_at", func(r *listRow) any { return &r.UpdatedAt }},
	// the parties (partySelect's columns, in its order)
	{"customer_name", func(r *listRow) any { return &r.Joined.CustomerName }},
	{"customer_phone", func(r *listRow) any { return &r.Joined.CustomerPhone }},
	{"technician_name", func(r *listRow) any { return &r.Joined.TechnicianName }},
	{"technician_phone", func(r *listRow) any { return &r.Joined.TechnicianPhone }},
	{"asset_serial_number", func(r *listRow) any { return &r.Joined.AssetSerialNumber }},
	{"model_id", func(r *listRow) any { return &r.partyModelID }},
	{"model_brand", func(r *listRow) any { return &r.Joined.ModelBrand }},
	{"model_name", func(r *listRow) any { return &r.Joined.ModelName }},
	{"region_time_zone", func(r *listRow) any { return &r.Joined.RegionTimeZone }},
}

// listOrderColumns is the select list of the orders part: o.id, o.number, ….
var listOrderColumns = func() string {
	cols := make([]string, 0, len(listFields))
	for _, f := range listFields {
		if strings.HasPrefix(f.column, "o.") {
			cols = append(cols, f.column)
		}
	}
	return strings.Join(cols, ", ")
}()

// scanListRows reads every row of the list statement: the walk's bound, then
// listFields. A row whose order id is NULL is the bound alone (an empty page).
// The bound is nil when the statement could not fix it (listBoundSQL).
func scanListRows(rows pgx.Rows) ([]*orderRow, *time.Time, error) {
	defer rows.Close()
	var out []*orderRow
	var bound *time.Time
	targets := make([]any, 1+len(listFields))
	targets[0] = &bound
	for rows.Next() {
		if raw := rows.RawValues(); len(raw) > 1 && raw[1] == nil {
			if err := rows.Scan(append([]any{&bound}, make([]any, len(listFields))...)...); err != nil {
				return nil, bound, err
			}
			continue
		}
		r := &listRow{}
		for i, f := range listFields {
			targets[1+i] = f.target(r)
		}
		if err := rows.Scan(targets...); err != nil {
			return nil, bound, err
		}
		r.AssetID, r.ProductModelID = r.idPtr(0, r.assetID), r.idPtr(1, r.modelID)
		r.TechnicianID, r.ProviderID, r.CreatedBy = r.idPtr(2, r.technicianID), r.idPtr(3, r.providerID), r.idPtr(4, r.createdBy)
		r.APIClientID = r.idPtr(5, r.apiClientID)
		r.IntakeProviderID = r.idPtr(6, r.intakeProviderID)
		r.Joined.ModelID = uuidPtr(r.partyModelID)
		if r.SLABreached == nil {
			r.SLABreached = []string{}
		}
		out = append(out, &r.orderRow)
	}
	return out, bound, rows.Err()
}

func uuidPtr(u pgtype.UUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	id := uuid.UUID(u.Bytes)
	return &id
}
