package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fieldops/fieldops/internal/platform/config"
)

// The raw baseline server (issue 8: "a hand-written net/http + pgx server that
// runs the same SQL and returns the same JSON"). It serves the bench's two
// requests, GET /v1/orders/{id} and POST /v1/orders, with net/http, a pgxpool
// of FieldOps's size, golang-jwt and encoding/json only: no echo, no GORM, no
// FieldOps package. Its SQL is raw_sql.go, its document raw_order.go.
//
// It runs as a child process of the bench binary (the bench's own executable
// with rawChildEnv set), because `fieldops serve` is a child process too: the
// two pay the same loopback, scheduling and GC-per-process costs, and the
// load generator's heap does not share a garbage collector with either.
//
// What it does not do (FieldOps does, and they cost FieldOps time): request
// ids, access logs, metrics, security headers, rate limiting, request
// timeouts, the Idempotency-Key, roles other than technician (GET) and
// customer (GET, intake), intake without an asset, preferred windows,
// working-time SLA policies, and full input validation (the bench's body
// only: the fields FieldOps checks for it).

// rawChildEnv, when set, makes the bench binary (or its test binary) serve
// as the raw server; the settings come in the rawEnv* variables.
const (
	rawChildEnv       = "FIELDOPS_BENCH_RAW_SERVE"
	rawEnvDB          = "FIELDOPS_BENCH_RAW_DATABASE_URL"
	rawEnvSecret      = "FIELDOPS_BENCH_RAW_JWT_SECRET"
	rawEnvIssuer      = "FIELDOPS_BENCH_RAW_JWT_ISSUER"
	rawEnvAudience    = "FIELDOPS_BENCH_RAW_JWT_AUDIENCE"
	rawEnvMaxConns    = "FIELDOPS_BENCH_RAW_MAX_CONNS"
	rawEnvMaxLifetime = "FIELDOPS_BENCH_RAW_CONN_MAX_LIFETIME"
	rawEnvPrincipal   = "FIELDOPS_BENCH_RAW_PRINCIPAL_TTL"
	rawBanner         = "FieldOps raw API"
)

type rawConfig struct {
	dbURL, secret, issuer, audience string
	maxConns                        int32
	maxLifetime                     time.Duration
	principalTTL                    time.Duration   // 0: the active check on every request
	tracer                          pgx.QueryTracer // tests only (TestRawServerMatchesFieldOps counts statements)
}

// rawChildMain serves until SIGTERM or SIGINT; it returns the exit code.
func rawChildMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := rawConfig{dbURL: os.Getenv(rawEnvDB), secret: os.Getenv(rawEnvSecret), issuer: os.Getenv(rawEnvIssuer),
		audience: os.Getenv(rawEnvAudience)}
	n, err := strconv.Atoi(os.Getenv(rawEnvMaxConns))
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "raw server: bad", rawEnvMaxConns)
		return 2
	}
	cfg.maxConns = int32(n)
	if cfg.maxLifetime, err = time.ParseDuration(os.Getenv(rawEnvMaxLifetime)); err != nil {
		fmt.Fprintln(os.Stderr, "raw server: bad", rawEnvMaxLifetime)
		return 2
	}
	if cfg.principalTTL, err = time.ParseDuration(os.Getenv(rawEnvPrincipal)); err != nil {
		fmt.Fprintln(os.Stderr, "raw server: bad", rawEnvPrincipal)
		return 2
	}
	if err := serveRaw(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "raw server:", err)
		return 1
	}
	return 0
}

// serveRaw listens on a free loopback port, prints "<rawBanner> <base>/v1"
// to out and serves until ctx ends.
func serveRaw(ctx context.Context, cfg rawConfig, out io.Writer) error {
	pc, err := pgxpool.ParseConfig(cfg.dbURL)
	if err != nil {
		return err
	}
	// FieldOps's pool: max open = max idle = cfg.maxConns, conn_max_lifetime
	// (0: forever, as in database/sql)
	pc.MaxConns, pc.MaxConnLifetime = cfg.maxConns, cfg.maxLifetime
	if cfg.maxLifetime <= 0 {
		pc.MaxConnLifetime = 100 * 365 * 24 * time.Hour
	}
	if cfg.tracer != nil {
		pc.ConnConfig.Tracer = cfg.tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer pool.Close()
	s, err := newRawServer(ctx, pool, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(out, "%s http://%s/v1\n", rawBanner, ln.Addr())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

type rawServer struct {
	pool    *pgxpool.Pool
	parser  *jwt.Parser
	key     []byte
	getPlan scanPlan[rawOrderRow] // rawSQLGet's columns
	insPlan scanPlan[rawOrderRow] // rawSQLIntake's (RETURNING *)

	// with -raw-principal-ttl, the active check's answers (uuid.UUID →
	// rawCached; no bound: the bench has 64 callers)
	ttl        time.Duration
	principals sync.Map
}

type rawCached struct {
	role  string
	until time.Time
}

// newRawServer reads the column plans of its statements (without running them).
func newRawServer(ctx context.Context, pool *pgxpool.Pool, cfg rawConfig) (*rawServer, error) {
	s := &rawServer{pool: pool, key: []byte(cfg.secret), ttl: cfg.principalTTL, parser: jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(cfg.issuer),
		jwt.WithAudience(cfg.audience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(30*time.Second))}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	describe := func(sql string) ([]pgconn.FieldDescription, error) {
		sd, err := conn.Conn().Prepare(ctx, "", sql)
		if err != nil {
			return nil, err
		}
		return sd.Fields, nil
	}
	orderNeed := []string{"id", "number", "status", "customer_id", "technician_id", "version", "created_at", "updated_at", "region_time_zone"}
	d, err := describe(rawSQLGet)
	if err != nil {
		return nil, fmt.Errorf("%w (update raw_sql.go)", err)
	}
	if s.getPlan, err = planFor(d, rawOrderColumns, orderNeed); err != nil {
		return nil, err
	}
	if d, err = describe(rawSQLIntake); err != nil {
		return nil, fmt.Errorf("%w (update raw_sql.go)", err)
	}
	if s.insPlan, err = planFor(d, rawOrderColumns, orderNeed[:len(orderNeed)-1]); err != nil {
		return nil, err
	}
	if d, err = describe(rawSQLIntakeFacts); err != nil {
		return nil, fmt.Errorf("%w (update raw_sql.go)", err)
	}
	if n := len((&rawFacts{}).dest()); len(d) != n {
		return nil, fmt.Errorf("raw server: rawSQLIntakeFacts has %d columns, its scan %d; update tools/bench/raw_sql.go", len(d), n)
	}
	return s, nil
}

func (s *rawServer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /v1/orders/{id}", s.getOrder)
	mux.HandleFunc("POST /v1/orders", s.createOrder)
	return mux
}

// rawProblem writes an error document (FieldOps's statuses; a simpler body).
func rawProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"status": status, "title": http.StatusText(status), "detail": detail})
	_, _ = w.Write(b)
}

func rawJSON(w http.ResponseWriter, status int, etag string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("ETag", etag)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type rawClaims struct {
	jwt.RegisteredClaims
	Role     string `json:"role,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// principal verifies the bearer token and checks that its user is active,
// reading the role now (as FieldOps's authenticate middleware), on every
// request unless -raw-principal-ttl (FieldOps caches the answer for 2 s).
// ok false: the error is written.
func (s *rawServer) principal(w http.ResponseWriter, r *http.Request) (user uuid.UUID, role string, ok bool) {
	scheme, tok, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		rawProblem(w, http.StatusUnauthorized, "an Authorization: Bearer <access token> header is required")
		return user, "", false
	}
	var c rawClaims
	if _, err := s.parser.ParseWithClaims(strings.TrimSpace(tok), &c, func(*jwt.Token) (any, error) { return s.key, nil }); err != nil {
		rawProblem(w, http.StatusUnauthorized, "the access token is invalid or expired")
		return user, "", false
	}
	user, err := uuid.Parse(c.Subject)
	if err != nil || c.Role == "" || c.ClientID != "" { // API clients are not served here
		rawProblem(w, http.StatusUnauthorized, "the access token is invalid or expired")
		return user, "", false
	}
	if s.ttl > 0 {
		if v, ok := s.principals.Load(user); ok && time.Now().Before(v.(rawCached).until) {
			return user, v.(rawCached).role, true
		}
	}
	var provider *uuid.UUID
	err = s.pool.QueryRow(r.Context(), rawSQLActive, user).Scan(&role, &provider)
	if errors.Is(err, pgx.ErrNoRows) {
		rawProblem(w, http.StatusUnauthorized, "the account is deactivated")
		return user, "", false
	}
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return user, "", false
	}
	if s.ttl > 0 {
		s.principals.Store(user, rawCached{role: role, until: time.Now().Add(s.ttl)})
	}
	return user, role, true
}

// getOrder is GET /v1/orders/{id} for technicians and customers.
func (s *rawServer) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		rawProblem(w, http.StatusNotFound, "no such order")
		return
	}
	user, role, ok := s.principal(w, r)
	if !ok {
		return
	}
	if role != "technician" && role != "customer" {
		rawProblem(w, http.StatusForbidden, "the raw baseline serves technicians and customers only")
		return
	}
	var o rawOrderRow
	err = s.pool.QueryRow(r.Context(), rawSQLGet, id).Scan(s.getPlan.dest(&o)...)
	if errors.Is(err, pgx.ErrNoRows) {
		rawProblem(w, http.StatusNotFound, "no such order")
		return
	}
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	// the object scope (orders scope.visible): a customer's own orders; a
	// technician's orders assigned now or before
	visible := false
	switch role {
	case "customer":
		visible = o.CustomerID == user
	case "technician":
		visible = o.TechnicianID != nil && *o.TechnicianID == user
		if !visible {
			var n int64
			if err := s.pool.QueryRow(r.Context(), rawSQLWasAssigned, id, user).Scan(&n); err != nil {
				rawProblem(w, http.StatusInternalServerError, err.Error())
				return
			}
			visible = n > 0
		}
	}
	if !visible {
		rawProblem(w, http.StatusNotFound, "no such order")
		return
	}
	etag := `"` + strconv.Itoa(o.Version) + `"`
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.TrimPrefix(inm, "W/") == etag {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	d, err := o.doc(user, role)
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	rawJSON(w, http.StatusOK, etag, d)
}

// rawIntakeBody is the part of OrderCreateRequest the raw server accepts.
type rawIntakeBody struct {
	Type        string     `json:"type"`
	Channel     string     `json:"channel"`
	Description string     `json:"description"`
	AssetID     string     `json:"asset_id"`
	Address     rawAddress `json:"address"`
}

// rawFacts is the row of rawSQLIntakeFacts: the policy, the number (nil:
// the asset is not the caller's), the asset and its model's warranty terms
// (nil: no such asset), the parties.
type rawFacts struct {
	OrderType, Priority, Clock                 string
	FirstResponse, Resolution                  int
	OnSite                                     *int
	PolicyUpdated                              time.Time
	Seq                                        *int64
	AssetOwner, Model                          *uuid.UUID
	Purchase                                   *time.Time
	WarrantyMonths, SoftwareMonths, ReturnDays *int
	Parties                                    rawOrderRow // the party columns only
}

// dest is the scan of rawSQLIntakeFacts' columns, in their order.
func (f *rawFacts) dest() []any {
	p := &f.Parties
	return []any{&f.OrderType, &f.Priority, &f.FirstResponse, &f.OnSite, &f.Resolution, &f.Clock, &f.PolicyUpdated,
		&f.Seq, &f.AssetOwner, &f.Model, &f.Purchase, &f.WarrantyMonths, &f.SoftwareMonths, &f.ReturnDays,
		&p.CustomerName, &p.CustomerPhone, &p.TechnicianName, &p.TechnicianPhone, &p.AssetSerial, &p.ModelID,
		&p.ModelBrand, &p.ModelName, &p.TimeZone}
}

// rawOrderTypes are the types the raw server takes: FieldOps's but
// return_exchange, which FieldOps reads through its catalogue (three round
// trips) rather than the facts statement.
var rawOrderTypes = []string{"install", "repair", "maintenance", "inspection", "consultation"}

// createOrder is POST /v1/orders by a customer for one of their assets.
func (s *rawServer) createOrder(w http.ResponseWriter, r *http.Request) {
	user, role, ok := s.principal(w, r)
	if !ok {
		return
	}
	if role != "customer" {
		rawProblem(w, http.StatusForbidden, "the raw baseline takes intake from customers only")
		return
	}
	var in rawIntakeBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields() // what the raw server does not implement is refused, not ignored
	if err := dec.Decode(&in); err != nil {
		rawProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	in.Description = strings.TrimSpace(in.Description)
	region := strings.TrimSpace(in.Address.Region)
	if in.Channel == "" {
		in.Channel = "app"
	}
	asset, err := uuid.Parse(in.AssetID)
	switch {
	case !slices.Contains(rawOrderTypes, in.Type), in.Channel != "app", in.Description == "", len(in.Description) > 4000,
		strings.TrimSpace(in.Address.Line1) == "", strings.TrimSpace(in.Address.City) == "", region == "",
		(in.Address.Lat == nil) != (in.Address.Lng == nil), err != nil:
		rawProblem(w, http.StatusUnprocessableEntity, "invalid fields (or not served by the raw baseline: it takes asset intake only, not return_exchange)")
		return
	}

	// the policy, the number, the asset with its model's warranty terms and
	// the parties, in one statement (FieldOps's for a customer's own
	// product). No number unless the asset is the caller's: refused like an
	// absent one, as FieldOps does after its catalogue read.
	const priority = "P3"
	var f rawFacts
	err = s.pool.QueryRow(r.Context(), rawSQLIntakeFacts, user, user, user, nil, asset, nil, region, in.Type, priority).Scan(f.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("no SLA policy for %s/%s", in.Type, priority)
	}
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	if f.Seq == nil || f.AssetOwner == nil || *f.AssetOwner != user || f.Model == nil || f.Purchase == nil || f.WarrantyMonths == nil {
		rawProblem(w, http.StatusUnprocessableEntity, "asset_id does not name one of the customer's products")
		return
	}
	if f.Clock != "wall" {
		rawProblem(w, http.StatusInternalServerError, "working-time SLA policies are not served by the raw baseline")
		return
	}
	now := time.Now().UTC()
	endsAt := rawWarrantyEnd(*f.Purchase, *f.WarrantyMonths)
	inWarranty := !rawDate(now).After(endsAt)
	number := fmt.Sprintf("FO-%d-%06d", now.Year(), *f.Seq)
	firstDue := now.Add(time.Duration(f.FirstResponse) * time.Minute)
	resolutionDue := now.Add(time.Duration(f.Resolution) * time.Minute)
	var onSiteDue *time.Time
	if f.OnSite != nil {
		t := now.Add(time.Duration(*f.OnSite) * time.Minute)
		onSiteDue = &t
	}

	// the order, its create event and its order.created outbox row
	id, eventID, outboxID := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	payload, err := json.Marshal(map[string]any{"number": number, "channel": in.Channel, "priority": priority, "in_warranty": inWarranty})
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	data, err := json.Marshal(rawCreatedData{ID: id, Number: number, Type: in.Type, Channel: in.Channel, Priority: priority,
		Status: "submitted", Action: "create", CustomerID: user, Region: region, VisitCount: 1, Version: 1, OccurredAt: now})
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	ad := in.Address
	var o rawOrderRow
	err = s.pool.QueryRow(r.Context(), rawSQLIntake,
		id, number, in.Type, in.Channel, priority, "submitted", user, asset, *f.Model, nil, nil, nil,
		region, ad.Line1, ad.City, ad.Region, ad.Lat, ad.Lng, in.Description, []byte("[]"), inWarranty, endsAt,
		firstDue, onSiteDue, resolutionDue, nil, nil, nil, nil, nil, []string{}, nil, nil,
		"none", []byte("[]"), []byte("[]"), "CNY", nil, "", "", 1, false, "", nil, nil, nil, user, nil, 1, now, now, nil, nil,
		eventID, id, "create", user, "customer", "", "submitted", payload, now, "all", 1, nil,
		outboxID, "order.created", id, nil, data, now,
	).Scan(s.insPlan.dest(&o)...)
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	p := f.Parties
	o.CustomerName, o.CustomerPhone, o.TechnicianName, o.TechnicianPhone = p.CustomerName, p.CustomerPhone, p.TechnicianName, p.TechnicianPhone
	o.AssetSerial, o.ModelID, o.ModelBrand, o.ModelName, o.TimeZone = p.AssetSerial, p.ModelID, p.ModelBrand, p.ModelName, p.TimeZone
	d, err := o.doc(user, role)
	if err != nil {
		rawProblem(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Location", "/v1/orders/"+id.String())
	rawJSON(w, http.StatusCreated, `"`+strconv.Itoa(o.Version)+`"`, d)
}

// rawCreatedData is the order.created integration event's data
// (orders.OrderEventData).
type rawCreatedData struct {
	ID             uuid.UUID  `json:"id"`
	Number         string     `json:"number"`
	Type           string     `json:"type"`
	Channel        string     `json:"channel"`
	Priority       string     `json:"priority"`
	Status         string     `json:"status"`
	PreviousStatus *string    `json:"previous_status"`
	Action         string     `json:"action"`
	CustomerID     uuid.UUID  `json:"customer_id"`
	TechnicianID   *uuid.UUID `json:"technician_id"`
	ProviderID     *uuid.UUID `json:"provider_id"`
	ExternalRef    *string    `json:"external_ref"`
	Region         string     `json:"region"`
	VisitCount     int        `json:"visit_count"`
	Version        int        `json:"version"`
	OccurredAt     time.Time  `json:"occurred_at"`
}

// rawWarrantyEnd is the warranty's end (catalog.WarrantyOn): calendar months
// from the purchase date, clamped to the month's last day.
func rawWarrantyEnd(purchase time.Time, months int) time.Time {
	p := rawDate(purchase)
	y, mo, day := p.Date()
	first := time.Date(y, mo+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	if last := first.AddDate(0, 1, -1).Day(); day > last {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, time.UTC)
}

func rawDate(t time.Time) time.Time {
	y, mo, d := t.UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

// startRawServer runs the raw server as a child process (this executable,
// with rawChildEnv set) on dbURL, with FieldOps's token settings (secret,
// issuer, audience) and pool size (FIELDOPS_DB_MAX_OPEN_CONNS, and
// conn_max_lifetime) as `fieldops serve` reads them from the same
// environment and its embedded defaults.
// principalTTL is -raw-principal-ttl.
func startRawServer(ctx context.Context, dbURL, secret string, principalTTL time.Duration, name string, logf func(string, ...any)) (*server, error) {
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	conns := cfg.Database.MaxOpenConns
	if conns <= 0 { // database/sql's 0: unlimited; pgxpool needs a number
		conns = 100
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), rawChildEnv+"=1", rawEnvDB+"="+dbURL, rawEnvSecret+"="+secret,
		rawEnvIssuer+"="+cfg.Auth.Issuer, rawEnvAudience+"="+cfg.Auth.Audience,
		rawEnvMaxConns+"="+strconv.Itoa(conns), rawEnvMaxLifetime+"="+cfg.Database.ConnMaxLifetime.String(),
		rawEnvPrincipal+"="+principalTTL.String())
	return launch(ctx, cmd, "raw server", rawBanner, name+"-raw", logf)
}
