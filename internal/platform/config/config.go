// Package config is FieldOps' typed configuration: defaults from the embedded
// configs/config.yaml, an optional file named by FIELDOPS_CONFIG on top, then
// environment variables, then validation. Secrets come only from the environment.
package config

import (
	stdbytes "bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/labstack/gommon/bytes"
	"gopkg.in/yaml.v3"

	"github.com/fieldops/fieldops/configs"
)

// Config is the whole configuration.
type Config struct {
	Dev          bool         `yaml:"dev" env:"FIELDOPS_DEV"`
	HTTP         HTTP         `yaml:"http"`
	Database     Database     `yaml:"database"`
	Auth         Auth         `yaml:"auth"`
	Bootstrap    Bootstrap    `yaml:"bootstrap"`
	Stream       Stream       `yaml:"stream"`
	Storage      Storage      `yaml:"storage"`
	CheckIn      CheckIn      `yaml:"checkin"`
	Appointments Appointments `yaml:"appointments"`
	Jobs         Jobs         `yaml:"jobs"`
	Webhooks     Webhooks     `yaml:"webhooks"`
	Reports      Reports      `yaml:"reports"`
	Log          Log          `yaml:"log"`
	RateLimit    RateLimit    `yaml:"rate_limit"`

	// GeneratedSecret is true when dev mode made up an ephemeral JWT secret.
	GeneratedSecret bool `yaml:"-" env:"-"`
}

// Webhooks configures webhook delivery (internal/webhooks).
type Webhooks struct {
	// AllowPrivate lets webhooks target private, loopback and other internal
	// addresses, and plain http (SSRF guard off). Dev mode turns it on.
	AllowPrivate bool `yaml:"allow_private" env:"FIELDOPS_WEBHOOK_ALLOW_PRIVATE"`
	// RetryBase is the delay before the second attempt; it doubles per
	// failed attempt, for 24 h.
	RetryBase time.Duration `yaml:"retry_base" env:"FIELDOPS_WEBHOOK_RETRY_BASE"`
}

// Reports configures the KPI reports (internal/reports).
type Reports struct {
	// Connections is how many pooled connections the reports of one process
	// may hold at once: a report runs its statement families on up to that
	// many side by side, in one snapshot (1: one after the other). At most
	// half of database.max_open_conns is used.
	Connections int `yaml:"connections" env:"FIELDOPS_REPORTS_CONNECTIONS"`
}

// Jobs configures the background workers (internal/platform/jobs).
type Jobs struct {
	// Workers: `fieldops serve` also runs the workers (--no-workers overrides).
	Workers      bool          `yaml:"workers" env:"FIELDOPS_JOBS_WORKERS"`
	MaxWorkers   int           `yaml:"max_workers" env:"FIELDOPS_JOBS_MAX_WORKERS"`
	PollInterval time.Duration `yaml:"poll_interval" env:"FIELDOPS_JOBS_POLL_INTERVAL"`
}

// HTTP configures the server and its middleware.
type HTTP struct {
	Addr              string        `yaml:"addr" env:"FIELDOPS_HTTP_ADDR"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout" env:"FIELDOPS_HTTP_READ_HEADER_TIMEOUT"`
	ReadTimeout       time.Duration `yaml:"read_timeout" env:"FIELDOPS_HTTP_READ_TIMEOUT"`
	WriteTimeout      time.Duration `yaml:"write_timeout" env:"FIELDOPS_HTTP_WRITE_TIMEOUT"`
	IdleTimeout       time.Duration `yaml:"idle_timeout" env:"FIELDOPS_HTTP_IDLE_TIMEOUT"`
	RequestTimeout    time.Duration `yaml:"request_timeout" env:"FIELDOPS_HTTP_REQUEST_TIMEOUT"`
	// MaxInFlight API requests run their handlers at once; the others wait
	// in arrival order (api/admission.go). 0: two per CPU (GOMAXPROCS), at
	// least 4; -1: no bound. Never more than database.max_open_conns.
	MaxInFlight     int           `yaml:"max_in_flight" env:"FIELDOPS_HTTP_MAX_IN_FLIGHT"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" env:"FIELDOPS_HTTP_SHUTDOWN_TIMEOUT"`
	BodyLimit       string        `yaml:"body_limit" env:"FIELDOPS_HTTP_BODY_LIMIT"`
	CORSOrigins     []string      `yaml:"cors_origins" env:"FIELDOPS_HTTP_CORS_ORIGINS"`
	TrustedProxies  []string      `yaml:"trusted_proxies" env:"FIELDOPS_HTTP_TRUSTED_PROXIES"`
	HSTS            bool          `yaml:"hsts" env:"FIELDOPS_HTTP_HSTS"`
	// MetricsAddr is the listen address of /metrics, a listener of its own
	// (loopback by default, never the API port); empty serves no metrics.
	MetricsAddr string `yaml:"metrics_addr" env:"FIELDOPS_METRICS_ADDR"`
}

// Database configures the PostgreSQL pool.
type Database struct {
	URL          string `yaml:"url" env:"DATABASE_URL"`
	MaxOpenConns int    `yaml:"max_open_conns" env:"FIELDOPS_DB_MAX_OPEN_CONNS"`
	// MaxIdleConns 0 keeps as many idle connections as MaxOpenConns allows
	// open, so a busy pool does not close and reopen connections (issue 8).
	MaxIdleConns    int           `yaml:"max_idle_conns" env:"FIELDOPS_DB_MAX_IDLE_CONNS"`
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime" env:"FIELDOPS_DB_CONN_MAX_LIFETIME"`
	MigrateOnStart  bool          `yaml:"migrate_on_start" env:"FIELDOPS_DB_MIGRATE_ON_START"`
}

// Auth configures tokens, throttling and password hashing.
type Auth struct {
	JWTSecret          string        `yaml:"-" env:"FIELDOPS_JWT_SECRET"`
	Issuer             string        `yaml:"issuer" env:"FIELDOPS_JWT_ISSUER"`
	Audience           string        `yaml:"audience" env:"FIELDOPS_JWT_AUDIENCE"`
	AccessTTL          time.Duration `yaml:"access_ttl" env:"FIELDOPS_ACCESS_TTL"`
	RefreshTTL         time.Duration `yaml:"refresh_ttl" env:"FIELDOPS_REFRESH_TTL"`
	LoginMaxFailures   int           `yaml:"login_max_failures" env:"FIELDOPS_LOGIN_MAX_FAILURES"`
	LoginIPMaxFailures int           `yaml:"login_ip_max_failures" env:"FIELDOPS_LOGIN_IP_MAX_FAILURES"`
	LoginWindow        time.Duration `yaml:"login_window" env:"FIELDOPS_LOGIN_WINDOW"`
	LoginLockout       time.Duration `yaml:"login_lockout" env:"FIELDOPS_LOGIN_LOCKOUT"`
	// LoginAccountMaxFailures failures of one account from any addresses
	// start its exponential back-off (1 min, doubling up to LoginBackoffMax),
	// which addresses the account logged in from before are spared.
	LoginAccountMaxFailures int           `yaml:"login_account_max_failures" env:"FIELDOPS_LOGIN_ACCOUNT_MAX_FAILURES"`
	LoginBackoffMax         time.Duration `yaml:"login_backoff_max" env:"FIELDOPS_LOGIN_BACKOFF_MAX"`
	// SignupIPMax sign-ups per client address within SignupWindow.
	SignupIPMax  int           `yaml:"signup_ip_max" env:"FIELDOPS_SIGNUP_IP_MAX"`
	SignupWindow time.Duration `yaml:"signup_window" env:"FIELDOPS_SIGNUP_WINDOW"`
	// HashConcurrency bounds the password hashes running at once (each
	// takes Argon2MemoryKiB); a request that finds no slot within HashWait
	// gets 503 with Retry-After.
	HashConcurrency int           `yaml:"hash_concurrency" env:"FIELDOPS_AUTH_HASH_CONCURRENCY"`
	HashWait        time.Duration `yaml:"hash_wait" env:"FIELDOPS_AUTH_HASH_WAIT"`
	// HashIPMax password hashes (logins, sign-ups) per client address (an
	// IPv6 /64) within HashIPWindow; past it 429 with Retry-After, without
	// hashing. Logins from an address the account is known from are exempt.
	HashIPMax       int           `yaml:"hash_ip_max" env:"FIELDOPS_AUTH_HASH_IP_MAX"`
	HashIPWindow    time.Duration `yaml:"hash_ip_window" env:"FIELDOPS_AUTH_HASH_IP_WINDOW"`
	Argon2MemoryKiB uint32        `yaml:"argon2_memory_kib" env:"FIELDOPS_ARGON2_MEMORY_KIB"`
	Argon2Time      uint32        `yaml:"argon2_time" env:"FIELDOPS_ARGON2_TIME"`
	// PrincipalCacheTTL is how long a replica reuses an account's role,
	// provider and active flag (read on every request) before reading them
	// again; a change made through this replica takes effect at once, one
	// made through another within this time. 0 reads them on every request.
	PrincipalCacheTTL time.Duration `yaml:"principal_cache_ttl" env:"FIELDOPS_AUTH_PRINCIPAL_CACHE_TTL"`
}

// Bootstrap creates the first manager of an installation.
type Bootstrap struct {
	ManagerName     string `yaml:"manager_name" env:"FIELDOPS_BOOTSTRAP_MANAGER_NAME"`
	ManagerEmail    string `yaml:"-" env:"FIELDOPS_BOOTSTRAP_MANAGER_EMAIL"`
	ManagerPassword string `yaml:"-" env:"FIELDOPS_BOOTSTRAP_MANAGER_PASSWORD"`
}

// Storage configures the blob store for photos and signatures.
type Storage struct {
	Kind        string `yaml:"kind" env:"FIELDOPS_STORAGE"`
	Dir         string `yaml:"dir" env:"FIELDOPS_STORAGE_DIR"`
	S3Endpoint  string `yaml:"s3_endpoint" env:"FIELDOPS_S3_ENDPOINT"`
	S3Bucket    string `yaml:"s3_bucket" env:"FIELDOPS_S3_BUCKET"`
	S3AccessKey string `yaml:"-" env:"FIELDOPS_S3_ACCESS_KEY"`
	S3SecretKey string `yaml:"-" env:"FIELDOPS_S3_SECRET_KEY"`
	// PhotoMaxSize is the largest photo (or signature) accepted.
	PhotoMaxSize string `yaml:"photo_max_size" env:"FIELDOPS_PHOTO_MAX_SIZE"`
	// DecodeMemory is the memory budget of image decoding (a size like
	// 48MiB): decodes run at once while their estimated allocations fit in
	// it; one larger than the whole budget runs alone.
	DecodeMemory string `yaml:"decode_memory" env:"FIELDOPS_PHOTO_DECODE_MEMORY"`
	// MaxPixels refuses images larger than this many pixels before decoding.
	MaxPixels int64 `yaml:"max_pixels" env:"FIELDOPS_PHOTO_MAX_PIXELS"`
	// UploadDir keeps unfinished resumable uploads (tus), whatever Kind is:
	// an upload lives on the replica that created it (see docs/ARCHITECTURE.md).
	UploadDir string `yaml:"upload_dir" env:"FIELDOPS_UPLOAD_DIR"`
}

// PhotoMaxBytes is PhotoMaxSize in bytes (validated at load).
func (s Storage) PhotoMaxBytes() int64 {
	n, _ := bytes.Parse(s.PhotoMaxSize)
	return n
}

// DecodeMemoryBytes is DecodeMemory in bytes (validated at load).
func (s Storage) DecodeMemoryBytes() int64 {
	n, _ := bytes.Parse(s.DecodeMemory)
	return n
}

// Appointments limits how customers move appointments and when technicians
// must say why they leave early (SPEC §8).
type Appointments struct {
	// CustomerMaxMoves is how often a customer may move an order's
	// appointment (staff moves are not limited; they need a reason).
	CustomerMaxMoves int `yaml:"customer_max_moves" env:"FIELDOPS_APPOINTMENT_CUSTOMER_MAX_MOVES"`
	// CustomerMoveCutoff: a customer may not move an appointment starting within this time.
	CustomerMoveCutoff time.Duration `yaml:"customer_move_cutoff" env:"FIELDOPS_APPOINTMENT_CUSTOMER_MOVE_CUTOFF"`
	// EarlyDeparture: departing more than this before the window needs a reason.
	EarlyDeparture time.Duration `yaml:"early_departure" env:"FIELDOPS_APPOINTMENT_EARLY_DEPARTURE"`
}

// CheckIn configures the technician's arrival (check-in) on site.
type CheckIn struct {
	// MaxDistanceM: an arrival farther than this many metres from the site's
	// coordinates is recorded with far_from_site for staff (never refused).
	MaxDistanceM int `yaml:"max_distance_m" env:"FIELDOPS_CHECKIN_MAX_DISTANCE_M"`
}

// Stream configures the live notification streams (GET /v1/notifications/stream).
type Stream struct {
	// Heartbeat: a comment line is sent this often, so proxies keep the
	// connection and a deactivated account's stream ends within it.
	Heartbeat time.Duration `yaml:"heartbeat" env:"FIELDOPS_STREAM_HEARTBEAT"`
	// MaxAge: a stream ends after this long; the client reconnects with
	// Last-Event-ID and a current access token.
	MaxAge time.Duration `yaml:"max_age" env:"FIELDOPS_STREAM_MAX_AGE"`
	// MaxPerUser and MaxTotal bound the open streams of one user and of one
	// process (then 429).
	MaxPerUser int `yaml:"max_per_user" env:"FIELDOPS_STREAM_MAX_PER_USER"`
	MaxTotal   int `yaml:"max_total" env:"FIELDOPS_STREAM_MAX_TOTAL"`
}

// RateLimit is the request rate limit per user and per API client
// (internal/platform/ratelimit): a token bucket shared by all replicas
// through PostgreSQL.
type RateLimit struct {
	// RPS tokens refill per second; 0 turns the limit off.
	RPS float64 `yaml:"rps" env:"FIELDOPS_RATE_LIMIT_RPS"`
	// Burst is the bucket's size: requests a caller may make at once.
	Burst int `yaml:"burst" env:"FIELDOPS_RATE_LIMIT_BURST"`
	// Batch tokens are claimed from the shared bucket at a time by a replica
	// (one round trip per Batch requests of a caller); 1 is exact across
	// replicas, larger may refuse a caller up to (replicas-1)*(Batch-1)
	// requests early, never late.
	Batch int `yaml:"batch" env:"FIELDOPS_RATE_LIMIT_BATCH"`
}

// Log configures structured logging.
type Log struct {
	Level string `yaml:"level" env:"FIELDOPS_LOG_LEVEL"`
}

// MinDecodeMemory is the smallest decode memory budget accepted: a bare
// number is bytes, so a smaller one is a mistake (an old concurrency count).
const MinDecodeMemory = 1 << 20

// MinSecretBytes is the shortest JWT secret accepted outside dev mode.
const MinSecretBytes = 32

// Load builds the configuration from the embedded defaults, the file named by
// FIELDOPS_CONFIG (if any) and the environment given as KEY=VALUE pairs.
func Load(environ []string) (Config, error) {
	envMap := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	var cfg Config
	if err := decodeYAML(configs.Default, &cfg); err != nil {
		return cfg, fmt.Errorf("config: embedded defaults: %w", err)
	}
	if path := envMap["FIELDOPS_CONFIG"]; path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := decodeYAML(b, &cfg); err != nil {
			return cfg, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: envMap}); err != nil {
		return cfg, fmt.Errorf("config: environment: %w", err)
	}
	return cfg, cfg.finish()
}

func decodeYAML(b []byte, cfg *Config) error {
	dec := yaml.NewDecoder(stdbytes.NewReader(b))
	dec.KnownFields(true)                                              // a misspelt key is an error, not a silent default
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return err
	}
	return nil
}

// RequireSecret checks the JWT secret, which only the server needs: outside
// dev mode a missing or short one is an error; in dev mode an ephemeral one
// is generated (tokens then die with the process).
func (c *Config) RequireSecret() error {
	if len(c.Auth.JWTSecret) >= MinSecretBytes {
		return nil
	}
	if c.Dev {
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return err
		}
		c.Auth.JWTSecret = hex.EncodeToString(buf)
		c.GeneratedSecret = true
		return nil
	}
	if c.Auth.JWTSecret == "" {
		return errors.New("config: FIELDOPS_JWT_SECRET is not set: set a random secret of at least 32 bytes (e.g. `openssl rand -hex 32`), or FIELDOPS_DEV=true for a throw-away one")
	}
	return fmt.Errorf("config: FIELDOPS_JWT_SECRET is too short (%d bytes): at least %d bytes are required", len(c.Auth.JWTSecret), MinSecretBytes)
}

// finish validates everything but the JWT secret (see RequireSecret).
func (c *Config) finish() error {
	var problems []string
	if c.HTTP.MaxInFlight < -1 {
		problems = append(problems, "FIELDOPS_HTTP_MAX_IN_FLIGHT must be -1 (no bound), 0 (two per CPU) or a count")
	}
	if c.Auth.AccessTTL <= 0 || c.Auth.RefreshTTL <= 0 {
		problems = append(problems, "auth.access_ttl and auth.refresh_ttl must be positive")
	}
	if c.Auth.LoginMaxFailures < 1 || c.Auth.LoginIPMaxFailures < 1 {
		problems = append(problems, "auth.login_max_failures and auth.login_ip_max_failures must be at least 1")
	}
	if c.Auth.LoginAccountMaxFailures < 1 || c.Auth.SignupIPMax < 1 || c.Auth.HashConcurrency < 1 {
		problems = append(problems, "auth.login_account_max_failures, auth.signup_ip_max and auth.hash_concurrency must be at least 1")
	}
	if c.Auth.LoginBackoffMax < time.Minute || c.Auth.SignupWindow <= 0 || c.Auth.HashWait < 0 {
		problems = append(problems, "auth.login_backoff_max must be at least 1m, auth.signup_window positive and auth.hash_wait not negative")
	}
	if c.RateLimit.RPS < 0 || c.RateLimit.Burst < 0 || c.RateLimit.Batch < 1 || (c.RateLimit.RPS > 0 && c.RateLimit.Burst < 1) {
		problems = append(problems, "FIELDOPS_RATE_LIMIT_RPS and FIELDOPS_RATE_LIMIT_BURST must not be negative (burst at least 1 when rps is set), FIELDOPS_RATE_LIMIT_BATCH at least 1")
	}
	if c.Auth.PrincipalCacheTTL < 0 || c.Auth.PrincipalCacheTTL > time.Minute {
		problems = append(problems, "auth.principal_cache_ttl must be between 0 and 1m (a deactivation must reach every replica soon)")
	}
	if c.Auth.HashIPMax < 1 || c.Auth.HashIPWindow < time.Second {
		problems = append(problems, "auth.hash_ip_max must be at least 1 and auth.hash_ip_window at least 1s")
	}
	if n, err := bytes.Parse(c.Storage.PhotoMaxSize); err != nil || n < 1 {
		problems = append(problems, fmt.Sprintf("FIELDOPS_PHOTO_MAX_SIZE %q is not a size like 15MiB", c.Storage.PhotoMaxSize))
	}
	if n, err := bytes.Parse(c.Storage.DecodeMemory); err != nil || n < MinDecodeMemory {
		problems = append(problems, fmt.Sprintf("FIELDOPS_PHOTO_DECODE_MEMORY %q is not a size of at least 1MiB like 48MiB", c.Storage.DecodeMemory))
	}
	if c.CheckIn.MaxDistanceM < 1 {
		problems = append(problems, "FIELDOPS_CHECKIN_MAX_DISTANCE_M must be a positive number of metres")
	}
	if c.Stream.Heartbeat < 10*time.Millisecond || c.Stream.MaxAge < c.Stream.Heartbeat || c.Stream.MaxPerUser < 1 || c.Stream.MaxTotal < 1 {
		problems = append(problems, "stream.heartbeat must be at least 10ms, stream.max_age at least the heartbeat, stream.max_per_user and stream.max_total at least 1")
	}
	if c.Storage.MaxPixels < 1 {
		problems = append(problems, "FIELDOPS_PHOTO_MAX_PIXELS must be positive")
	}
	if c.HTTP.MetricsAddr != "" && c.HTTP.MetricsAddr == c.HTTP.Addr {
		problems = append(problems, "FIELDOPS_METRICS_ADDR must differ from FIELDOPS_HTTP_ADDR: metrics are not served on the API port")
	}
	if _, err := bytes.Parse(c.HTTP.BodyLimit); err != nil {
		problems = append(problems, fmt.Sprintf("FIELDOPS_HTTP_BODY_LIMIT %q is not a size like 1MiB or 512KiB", c.HTTP.BodyLimit))
	}
	if c.Appointments.CustomerMaxMoves < 0 || c.Appointments.CustomerMoveCutoff < 0 || c.Appointments.EarlyDeparture < 0 {
		problems = append(problems, "appointments.customer_max_moves, appointments.customer_move_cutoff and appointments.early_departure must not be negative")
	}
	if c.Storage.Kind != "local" && c.Storage.Kind != "s3" {
		problems = append(problems, fmt.Sprintf("FIELDOPS_STORAGE must be local or s3, not %q", c.Storage.Kind))
	}
	if c.Webhooks.RetryBase < time.Second || c.Webhooks.RetryBase > time.Hour {
		problems = append(problems, "FIELDOPS_WEBHOOK_RETRY_BASE must be between 1s and 1h")
	}
	if c.Dev {
		c.Webhooks.AllowPrivate = true // dev mode: receivers on this machine
	}
	if c.Reports.Connections < 1 {
		problems = append(problems, "FIELDOPS_REPORTS_CONNECTIONS must be at least 1")
	}
	if c.Jobs.MaxWorkers < 1 || c.Jobs.PollInterval < 10*time.Millisecond {
		problems = append(problems, "FIELDOPS_JOBS_MAX_WORKERS must be at least 1 and FIELDOPS_JOBS_POLL_INTERVAL at least 10ms")
	}
	if _, err := ParseLevel(c.Log.Level); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ParseLevel maps a level name to slog's.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("FIELDOPS_LOG_LEVEL %q is not one of debug, info, warn, error", s)
	}
	return l, nil
}

// LogValue masks secrets when the configuration is logged.
func (c Config) LogValue() slog.Value {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "***"
	}
	return slog.GroupValue(
		slog.Bool("dev", c.Dev),
		slog.String("http_addr", c.HTTP.Addr),
		slog.String("metrics_addr", c.HTTP.MetricsAddr),
		slog.String("database_url", maskURL(c.Database.URL)),
		slog.String("jwt_secret", mask(c.Auth.JWTSecret)),
		slog.Bool("jwt_secret_generated", c.GeneratedSecret),
		slog.String("storage", c.Storage.Kind),
		slog.String("s3_secret_key", mask(c.Storage.S3SecretKey)),
		slog.String("log_level", c.Log.Level),
	)
}

// passwordParam finds password values given as URL query parameters or in a
// keyword/value connection string (password=..., sslpassword='...').
var passwordParam = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)`)

// maskURL hides a password in a connection URL or connection string.
func maskURL(u string) string {
	u = passwordParam.ReplaceAllString(u, "${1}***")
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 {
		return u
	}
	creds := u[scheme+3 : at]
	if user, _, ok := strings.Cut(creds, ":"); ok {
		return u[:scheme+3] + user + ":***" + u[at:]
	}
	return u
}
