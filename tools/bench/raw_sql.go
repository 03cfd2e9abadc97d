package main

// THE SQL OF THE RAW BASELINE SERVER, in one place.
//
// These are the statements `fieldops serve` sends for the bench's `get` and
// `intake` cases, byte for byte, copied from PostgreSQL's log
// (log_statement = all) of a FieldOps server on a bench copy (2026-12-01, at
// 3e65691), with FieldOps's order of parameters. A GET is one statement
// (plus the technician scope's history read when the order is now someone
// else's), an intake of a customer's own product two: the facts, then the
// write. When FieldOps's statements change (internal/orders/store.go:
// getWithPartiesSQL, intakeFactsSQL, partySelect/partyJoins/partySource,
// insertWithCreate/intakeCTE; internal/orders/list_scan.go: listFields;
// internal/identity: the active check), update them here:
// TestRawServerMatchesFieldOps compares the two servers' answers and rows,
// and TestRawServerRoundTrips counts the raw server's statements per request
// against FieldOps's (api TestRoundTripsPerRequest).
//
// The raw server scans the order (rawSQLGet's columns, rawSQLIntake's
// `RETURNING *`) by column name, from the statements' descriptions read when
// it starts: a column it needs that has gone makes rawServer.start refuse to
// serve. rawSQLIntakeFacts is scanned by position, as FieldOps does.
const (
	// rawSQLActive is the principal check, FieldOps's text (FieldOps caches
	// its answer for 2 s; the raw server asks on every request, as the
	// issue's raw server did, unless -raw-principal-ttl).
	rawSQLActive = `SELECT role, provider_id FROM users WHERE id = $1 AND active`

	// rawOrderSelect is the order's columns as FieldOps selects them
	// (orders listOrderColumns: listFields' o.* names, in their order).
	rawOrderSelect = `o.id, o.number, o.type, o.channel, o.priority, o.status, o.customer_id, o.asset_id, o.product_model_id, o.technician_id, o.provider_id, o.intake_provider_id, o.region, o.address_line1, o.address_city, o.address_region, o.address_lat, o.address_lng, o.description, o.preferred_windows, o.in_warranty, o.warranty_ends_at, o.first_response_due, o.on_site_due, o.resolution_due, o.first_responded_at, o.arrived_at, o.arrive_lat, o.arrive_lng, o.completed_at, o.sla_breached, o.appointment_start, o.appointment_end, o.quote_status, o.quote_items, o.parts_used, o.currency, o.fixed, o.resolution, o.cancel_reason, o.visit_count, o.repeat_repair, o.external_ref, o.labour_minutes, o.follow_up_due_at, o.sla_paused_at, o.follow_up_notified_at, o.closed_at, o.created_by, o.api_client_id, o.version, o.created_at, o.updated_at`

	// rawPartySelect and rawPartyJoins read an order's parties (orders
	// partySelect, partyJoins); rawPartySource stands in for an order not
	// yet written (orders partySource, its ? numbered from $3 as in
	// intakeFactsSQL).
	rawPartySelect = `pc.name AS customer_name, pc.phone AS customer_phone, pt.name AS technician_name, pt.phone AS technician_phone,
pa.serial_number AS asset_serial_number, pm.id AS model_id, pm.brand AS model_brand, pm.name AS model_name,
COALESCE(rg.time_zone, 'Asia/Shanghai') AS region_time_zone`
	rawPartyJoins = `
LEFT JOIN users pc ON pc.id = o.customer_id
LEFT JOIN users pt ON pt.id = o.technician_id
LEFT JOIN assets pa ON pa.id = o.asset_id
LEFT JOIN product_models pm ON pm.id = COALESCE(pa.product_model_id, o.product_model_id)
LEFT JOIN regions rg ON rg.code = o.region`
	rawPartySource = `(SELECT $3::uuid AS customer_id, $4::uuid AS technician_id, $5::uuid AS asset_id, $6::uuid AS product_model_id, $7::text AS region) o`

	// rawSQLGet is GET /v1/orders/{id}: the order and its parties (orders
	// getWithPartiesSQL; its first column stands for the list's bound).
	rawSQLGet = "SELECT NULL::timestamptz AS bound, " + rawOrderSelect + ", " + rawPartySelect + "\nFROM orders o" + rawPartyJoins + "\nWHERE o.id = $1"

	// rawSQLWasAssigned is the technician scope for an order now assigned
	// to someone else (FieldOps: store.wasAssigned).
	rawSQLWasAssigned = `SELECT count(*) FROM "order_assignments" WHERE order_id = $1 AND technician_id = $2`

	// rawSQLIntakeFacts is intake's first round trip (orders
	// intakeFactsSQL): the SLA policy of type × priority, the next number
	// (taken only when the asset $5 is the caller's $1/$2: seq is NULL
	// otherwise), the asset's owner, model and purchase date with the
	// model's warranty terms, and the new order's parties. Its columns, in
	// order, are rawFacts' scan (rawServer.createOrder).
	rawSQLIntakeFacts = `SELECT p.order_type, p.priority, p.first_response_minutes, p.on_site_minutes, p.resolution_minutes, p.clock, p.updated_at,
CASE WHEN $1::uuid IS NULL OR pa.customer_id = $2::uuid THEN nextval('order_number_seq') END AS seq,
pa.customer_id, pa.product_model_id, pa.purchase_date, pm.warranty_months, pm.software_warranty_months, pm.return_window_days, ` + rawPartySelect + `
FROM sla_policies p CROSS JOIN ` + rawPartySource + rawPartyJoins + `
WHERE p.order_type = $8 AND p.priority = $9`

	// rawSQLIntake is intake's second round trip: the order, its create
	// event and its order.created outbox row in one statement, returning the
	// order as stored (orders insertWithCreate/intakeCTE: GORM's rendering
	// of the three INSERTs, the outbox row without seq, and txid its column
	// DEFAULT since migration 000021).
	rawSQLIntake = `WITH ins AS (INSERT INTO "orders" ("id","number","type","channel","priority","status","customer_id","asset_id","product_model_id","technician_id","provider_id","intake_provider_id","region","address_line1","address_city","address_region","address_lat","address_lng","description","preferred_windows","in_warranty","warranty_ends_at","first_response_due","on_site_due","resolution_due","first_responded_at","arrived_at","arrive_lat","arrive_lng","completed_at","sla_breached","appointment_start","appointment_end","quote_status","quote_items","parts_used","currency","fixed","resolution","cancel_reason","visit_count","repeat_repair","external_ref","labour_minutes","follow_up_due_at","closed_at","created_by","api_client_id","version","created_at","updated_at","sla_paused_at","follow_up_notified_at") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34,$35,$36,$37,$38,$39,$40,$41,$42,$43,$44,$45,$46,$47,$48,$49,$50,$51,$52,$53) RETURNING *), ev AS (INSERT INTO "order_events" ("id","order_id","action","actor_id","actor_role","from_status","to_status","payload","created_at","audience","visit","technician_id") VALUES ($54,$55,$56,$57,$58,$59,$60,$61,$62,$63,$64,$65)), ob AS (INSERT INTO "outbox_events" ("id","type","order_id","provider_id","data","created_at") VALUES ($66,$67,$68,$69,$70,$71)) SELECT * FROM ins`
)
