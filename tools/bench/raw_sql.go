package main

// THE SQL OF THE RAW BASELINE SERVER, in one place.
//
// These are the statements `fieldops serve` sends for the bench's `get` and
// `intake` cases, copied from PostgreSQL's log (log_statement = all) of a
// FieldOps server on a bench copy, and the order of their parameters is
// FieldOps's. When FieldOps's statements change (internal/orders/store.go:
// getWithParties, intakeFacts, insertWithCreate, partySelect/partyJoins;
// internal/catalog: assetByID; internal/identity: current), update them here:
// TestRawServerMatchesFieldOps compares the two servers' answers and rows
// and fails while they differ.
//
// The raw server scans `o.*`, `p.*` and `RETURNING *` by column name (the
// plan is read from the table's columns when it starts), so a new column in
// orders or sla_policies does not break it; a column it needs that has gone
// does (rawServer.start refuses to serve).
const (
	// rawSQLActive is the per-request principal check (FieldOps caches its
	// answer for 2 s; the raw server asks every time, as the raw
	// server did).
	rawSQLActive = `SELECT role, provider_id FROM users WHERE id = $1 AND active`

	// rawPartySelect and rawPartyJoins read an order's parties.
	rawPartySelect = `pc.name AS customer_name, pc.phone AS customer_phone, pt.name AS technician_name, pt.phone AS technician_phone,
pa.serial_number AS asset_serial_number, pm.id AS model_id, pm.brand AS model_brand, pm.name AS model_name,
COALESCE(rg.time_zone, 'Asia/Shanghai') AS region_time_zone`
	rawPartyJoins = `
LEFT JOIN users pc ON pc.id = o.customer_id
LEFT JOIN users pt ON pt.id = o.technician_id
LEFT JOIN assets pa ON pa.id = o.asset_id
LEFT JOIN product_models pm ON pm.id = COALESCE(pa.product_model_id, o.product_model_id)
LEFT JOIN regions rg ON rg.code = o.region`

	// rawSQLGet is GET /v1/orders/{id}: the order and its parties.
	rawSQLGet = `SELECT o.*, ` + rawPartySelect + ` FROM orders o ` + rawPartyJoins + ` WHERE o.id = $1`

	// rawSQLWasAssigned is the technician scope for an order now assigned
	// to someone else (FieldOps: store.wasAssigned).
	rawSQLWasAssigned = `SELECT count(*) FROM "order_assignments" WHERE order_id = $1 AND technician_id = $2`

	// rawSQLAsset is intake's asset and model read (catalog assetByID).
	rawSQLAsset = `SELECT "assets"."id","assets"."customer_id","assets"."product_model_id","assets"."serial_number","assets"."purchase_date","assets"."address_line1","assets"."address_city","assets"."address_region","assets"."address_lat","assets"."address_lng","assets"."ownership_disputed","assets"."warranty_verified","assets"."warranty_verified_at","assets"."warranty_verified_by","assets"."created_at","assets"."updated_at","Model"."id" AS "Model__id","Model"."code" AS "Model__code","Model"."brand" AS "Model__brand","Model"."name" AS "Model__name","Model"."category" AS "Model__category","Model"."warranty_months" AS "Model__warranty_months","Model"."software_warranty_months" AS "Model__software_warranty_months","Model"."return_window_days" AS "Model__return_window_days","Model"."created_at" AS "Model__created_at","Model"."updated_at" AS "Model__updated_at" FROM "assets" LEFT JOIN "product_models" "Model" ON "assets"."product_model_id" = "Model"."id" WHERE assets.id = $1 LIMIT $2`

	// rawSQLIntakeFacts is intake's SLA policy, next number and the new
	// order's parties in one statement (orders store.intakeFacts).
	rawSQLIntakeFacts = `SELECT p.*, nextval('order_number_seq') AS seq, ` + rawPartySelect + `
FROM sla_policies p CROSS JOIN (SELECT $1::uuid AS customer_id, $2::uuid AS technician_id, $3::uuid AS asset_id, $4::uuid AS product_model_id, $5::text AS region) o` + rawPartyJoins + `
WHERE p.order_type = $6 AND p.priority = $7`

	// rawSQLIntake writes the order, its create event and its order.created
	// outbox row in one statement and returns the order as stored
	// (orders store.insertWithCreate; GORM's column order).
	rawSQLIntake = `WITH ins AS (INSERT INTO "orders" ("id","number","type","channel","priority","status","customer_id","asset_id","product_model_id","technician_id","provider_id","intake_provider_id","region","address_line1","address_city","address_region","address_lat","address_lng","description","preferred_windows","in_warranty","warranty_ends_at","first_response_due","on_site_due","resolution_due","first_responded_at","arrived_at","arrive_lat","arrive_lng","completed_at","sla_breached","appointment_start","appointment_end","quote_status","quote_items","parts_used","currency","fixed","resolution","cancel_reason","visit_count","repeat_repair","external_ref","labour_minutes","follow_up_due_at","closed_at","created_by","api_client_id","version","created_at","updated_at","sla_paused_at","follow_up_notified_at") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34,$35,$36,$37,$38,$39,$40,$41,$42,$43,$44,$45,$46,$47,$48,$49,$50,$51,$52,$53) RETURNING *), ev AS (INSERT INTO "order_events" ("id","order_id","action","actor_id","actor_role","from_status","to_status","payload","created_at","audience","visit","technician_id") VALUES ($54,$55,$56,$57,$58,$59,$60,$61,$62,$63,$64,$65)), ob AS (INSERT INTO "outbox_events" ("id","type","order_id","provider_id","data","created_at") VALUES ($66,$67,$68,$69,$70,$71)) SELECT * FROM ins`
)
