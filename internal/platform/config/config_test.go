package config_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/config"
)

func load(t *testing.T, environ ...string) config.Config {
	t.Helper()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatalf("Load(%q): %v", environ, err)
	}
	return cfg
}

// writeFile writes a YAML config into a temporary directory and returns its path.
func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fieldops.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDefaults(t *testing.T) {
	cfg := load(t)
	checks := []struct {
		name      string
		got, want any
	}{
		{"http addr", cfg.HTTP.Addr, ":8080"},
		{"access ttl", cfg.Auth.AccessTTL, 15 * time.Minute},
		{"refresh ttl", cfg.Auth.RefreshTTL, 720 * time.Hour},
		{"shutdown timeout", cfg.HTTP.ShutdownTimeout, 25 * time.Second},
		{"log level", cfg.Log.Level, "info"},
		{"report connections", cfg.Reports.Connections, 3},
		{"storage", cfg.Storage.Kind, "local"},
		{"dev mode off", cfg.Dev, false},
		{"no database url", cfg.Database.URL, ""},
		{"no jwt secret", cfg.Auth.JWTSecret, ""},
		{"migrate on start", cfg.Database.MigrateOnStart, true},
		{"no cors origins", len(cfg.HTTP.CORSOrigins), 0},
		{"decode memory", cfg.Storage.DecodeMemoryBytes(), int64(48 << 20)},
		{"max pixels", cfg.Storage.MaxPixels, int64(50_000_000)},
		{"metrics on loopback, off the API port", cfg.HTTP.MetricsAddr, "127.0.0.1:9090"},
		{"customer moves per order", cfg.Appointments.CustomerMaxMoves, 3},
		{"no customer move within", cfg.Appointments.CustomerMoveCutoff, 24 * time.Hour},
		{"early departure needs a reason after", cfg.Appointments.EarlyDeparture, 3 * time.Hour},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadEnvironmentOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		check func(config.Config) (got, want any)
	}{
		{"FIELDOPS_HTTP_ADDR sets the listen address", "FIELDOPS_HTTP_ADDR=127.0.0.1:9999",
			func(c config.Config) (any, any) { return c.HTTP.Addr, "127.0.0.1:9999" }},
		{"DATABASE_URL sets the database", "DATABASE_URL=postgres://u:p@db:5432/x?sslmode=disable",
			func(c config.Config) (any, any) { return c.Database.URL, "postgres://u:p@db:5432/x?sslmode=disable" }},
		{"FIELDOPS_LOG_LEVEL sets the level", "FIELDOPS_LOG_LEVEL=debug",
			func(c config.Config) (any, any) { return c.Log.Level, "debug" }},
		{"FIELDOPS_REPORTS_CONNECTIONS sets a report's connections", "FIELDOPS_REPORTS_CONNECTIONS=1",
			func(c config.Config) (any, any) { return c.Reports.Connections, 1 }},
		{"FIELDOPS_HTTP_CORS_ORIGINS is a comma list", "FIELDOPS_HTTP_CORS_ORIGINS=https://a.example,https://b.example",
			func(c config.Config) (any, any) {
				return strings.Join(c.HTTP.CORSOrigins, " "), "https://a.example https://b.example"
			}},
		{"FIELDOPS_ACCESS_TTL takes a duration", "FIELDOPS_ACCESS_TTL=5m30s",
			func(c config.Config) (any, any) { return c.Auth.AccessTTL, 5*time.Minute + 30*time.Second }},
		{"FIELDOPS_DEV enables dev mode", "FIELDOPS_DEV=true",
			func(c config.Config) (any, any) { return c.Dev, true }},
		{"FIELDOPS_JWT_SECRET comes from the environment", "FIELDOPS_JWT_SECRET=from-env",
			func(c config.Config) (any, any) { return c.Auth.JWTSecret, "from-env" }},
		{"FIELDOPS_PHOTO_DECODE_MEMORY takes a size", "FIELDOPS_PHOTO_DECODE_MEMORY=128MiB",
			func(c config.Config) (any, any) { return c.Storage.DecodeMemoryBytes(), int64(128 << 20) }},
		{"FIELDOPS_METRICS_ADDR sets the metrics listener", "FIELDOPS_METRICS_ADDR=0.0.0.0:9100",
			func(c config.Config) (any, any) { return c.HTTP.MetricsAddr, "0.0.0.0:9100" }},
		{"FIELDOPS_APPOINTMENT_CUSTOMER_MAX_MOVES limits customer moves", "FIELDOPS_APPOINTMENT_CUSTOMER_MAX_MOVES=5",
			func(c config.Config) (any, any) { return c.Appointments.CustomerMaxMoves, 5 }},
		{"FIELDOPS_APPOINTMENT_CUSTOMER_MOVE_CUTOFF takes a duration", "FIELDOPS_APPOINTMENT_CUSTOMER_MOVE_CUTOFF=48h",
			func(c config.Config) (any, any) { return c.Appointments.CustomerMoveCutoff, 48 * time.Hour }},
		{"FIELDOPS_APPOINTMENT_EARLY_DEPARTURE takes a duration", "FIELDOPS_APPOINTMENT_EARLY_DEPARTURE=90m",
			func(c config.Config) (any, any) { return c.Appointments.EarlyDeparture, 90 * time.Minute }},
		{"a value may contain '='", "DATABASE_URL=postgres://h/db?options=-c%20a=b",
			func(c config.Config) (any, any) { return c.Database.URL, "postgres://h/db?options=-c%20a=b" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, want := tc.check(load(t, tc.env))
			if got != want {
				t.Errorf("with %s: got %v, want %v", tc.env, got, want)
			}
		})
	}
	t.Run("unrelated variables are ignored", func(t *testing.T) {
		cfg := load(t, "HOME=/root", "PATH=/bin", "NOEQUALS")
		if cfg.HTTP.Addr != ":8080" {
			t.Errorf("addr = %q", cfg.HTTP.Addr)
		}
	})
}

func TestLoadConfigFile(t *testing.T) {
	path := writeFile(t, "http:\n  addr: \":9000\"\n  shutdown_timeout: 3s\nlog:\n  level: warn\n")

	t.Run("the file overrides a default", func(t *testing.T) {
		cfg := load(t, "FIELDOPS_CONFIG="+path)
		if cfg.HTTP.Addr != ":9000" || cfg.HTTP.ShutdownTimeout != 3*time.Second || cfg.Log.Level != "warn" {
			t.Errorf("addr %q, shutdown %v, level %q; want :9000, 3s, warn", cfg.HTTP.Addr, cfg.HTTP.ShutdownTimeout, cfg.Log.Level)
		}
		if cfg.Auth.AccessTTL != 15*time.Minute {
			t.Errorf("access ttl = %v: keys absent from the file must keep their defaults", cfg.Auth.AccessTTL)
		}
	})
	t.Run("the environment wins over the file", func(t *testing.T) {
		cfg := load(t, "FIELDOPS_CONFIG="+path, "FIELDOPS_HTTP_ADDR=:7000")
		if cfg.HTTP.Addr != ":7000" {
			t.Errorf("addr = %q, want :7000 from the environment", cfg.HTTP.Addr)
		}
		if cfg.Log.Level != "warn" {
			t.Errorf("level = %q, want warn from the file", cfg.Log.Level)
		}
	})
	t.Run("an empty file changes nothing", func(t *testing.T) {
		cfg := load(t, "FIELDOPS_CONFIG="+writeFile(t, ""))
		if cfg.HTTP.Addr != ":8080" {
			t.Errorf("addr = %q", cfg.HTTP.Addr)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		environ func(t *testing.T) []string
		want    []string // substrings of the error
	}{
		{"an unknown key in the file is named", func(t *testing.T) []string {
			return []string{"FIELDOPS_CONFIG=" + writeFile(t, "http:\n  adress: \":9000\"\n")}
		}, []string{"adress", "fieldops.yaml"}},
		{"an unknown top-level section is named", func(t *testing.T) []string {
			return []string{"FIELDOPS_CONFIG=" + writeFile(t, "databse:\n  url: x\n")}
		}, []string{"databse"}},
		{"a secret in the file is refused", func(t *testing.T) []string {
			return []string{"FIELDOPS_CONFIG=" + writeFile(t, "auth:\n  jwt_secret: in-a-file-is-wrong-0123456789abcdef\n")}
		}, []string{"jwt_secret"}},
		{"a missing file is an error", func(t *testing.T) []string {
			return []string{"FIELDOPS_CONFIG=" + filepath.Join(t.TempDir(), "absent.yaml")}
		}, []string{"absent.yaml"}},
		{"no report connections is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_REPORTS_CONNECTIONS=0"}
		}, []string{"FIELDOPS_REPORTS_CONNECTIONS"}},
		{"a bad log level is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_LOG_LEVEL=chatty"}
		}, []string{"FIELDOPS_LOG_LEVEL", "chatty"}},
		{"a bad duration is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_ACCESS_TTL=fifteen"}
		}, []string{"environment", "fifteen"}},
		{"a non-positive ttl is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_ACCESS_TTL=0s"}
		}, []string{"access_ttl"}},
		{"a decode memory that is not a size is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_PHOTO_DECODE_MEMORY=2"}
		}, []string{"FIELDOPS_PHOTO_DECODE_MEMORY", `"2"`}},
		{"a zero decode memory is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_PHOTO_DECODE_MEMORY=0MiB"}
		}, []string{"FIELDOPS_PHOTO_DECODE_MEMORY"}},
		{"metrics on the API address is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_HTTP_ADDR=:8080", "FIELDOPS_METRICS_ADDR=:8080"}
		}, []string{"FIELDOPS_METRICS_ADDR"}},
		{"a negative appointment limit is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_APPOINTMENT_CUSTOMER_MAX_MOVES=-1"}
		}, []string{"appointments.customer_max_moves"}},
		{"an unknown storage kind is an error", func(*testing.T) []string {
			return []string{"FIELDOPS_STORAGE=ftp"}
		}, []string{"FIELDOPS_STORAGE", "ftp"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(tc.environ(t))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRequireSecret(t *testing.T) {
	tests := []struct {
		name      string
		environ   []string
		wantErr   string // "" = no error
		generated bool
	}{
		{"missing secret outside dev mode", nil, "FIELDOPS_JWT_SECRET", false},
		{"31-byte secret is too short", []string{"FIELDOPS_JWT_SECRET=" + strings.Repeat("s", 31)}, "too short", false},
		{"dev mode replaces a weak secret", []string{"FIELDOPS_DEV=true", "FIELDOPS_JWT_SECRET=" + strings.Repeat("s", 31)}, "", true},
		{"32-byte secret is accepted", []string{"FIELDOPS_JWT_SECRET=" + strings.Repeat("s", 32)}, "", false},
		{"dev mode generates a missing secret", []string{"FIELDOPS_DEV=true"}, "", true},
		{"dev mode keeps a strong secret", []string{"FIELDOPS_DEV=true", "FIELDOPS_JWT_SECRET=" + strings.Repeat("k", 40)}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := load(t, tc.environ...)
			before := cfg.Auth.JWTSecret
			err := cfg.RequireSecret()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("RequireSecret() = %v, want an error mentioning %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), strings.Repeat("s", 31)) {
					t.Errorf("error %q reveals the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("RequireSecret() = %v", err)
			}
			if cfg.GeneratedSecret != tc.generated {
				t.Errorf("GeneratedSecret = %v, want %v", cfg.GeneratedSecret, tc.generated)
			}
			if len(cfg.Auth.JWTSecret) < config.MinSecretBytes {
				t.Errorf("secret has %d bytes, want at least %d", len(cfg.Auth.JWTSecret), config.MinSecretBytes)
			}
			if !tc.generated && cfg.Auth.JWTSecret != before {
				t.Errorf("a strong configured secret was replaced")
			}
			if tc.generated && cfg.Auth.JWTSecret == before {
				t.Errorf("dev mode kept the weak secret %q", before)
			}
		})
	}
	t.Run("generated secrets differ between calls", func(t *testing.T) {
		a, b := load(t, "FIELDOPS_DEV=true"), load(t, "FIELDOPS_DEV=true")
		if err := a.RequireSecret(); err != nil {
			t.Fatal(err)
		}
		if err := b.RequireSecret(); err != nil {
			t.Fatal(err)
		}
		if a.Auth.JWTSecret == b.Auth.JWTSecret {
			t.Errorf("two generated secrets are equal: not random")
		}
	})
}

func TestLogValueMasksSecrets(t *testing.T) {
	const (
		jwt    = "jwt-secret-0123456789-abcdefghijklmnop"
		s3     = "s3-secret-key-ZYXWVUT"
		dbPass = "db-pa55word"
	)
	tests := []struct {
		name        string
		dbURL       string
		wantVisible []string
	}{
		{"password in the URL user info", "postgres://fieldops:" + dbPass + "@db.internal:5432/fieldops?sslmode=require",
			[]string{"fieldops:***@db.internal:5432/fieldops"}},
		{"percent-encoded password with an @", "postgres://fieldops:" + dbPass + "%40x@db.internal/fieldops",
			[]string{"db.internal/fieldops"}},
		{"password as a query parameter", "postgres://fieldops@db.internal/fieldops?sslmode=require&password=" + dbPass,
			[]string{"db.internal/fieldops", "sslmode=require", "password=***"}},
		{"keyword/value connection string", "host=db.internal user=fieldops password=" + dbPass + " dbname=fieldops",
			[]string{"host=db.internal", "user=fieldops password=*** dbname=fieldops"}},
		{"keyword/value connection string with a quoted password", "host=db.internal password='" + dbPass + " x' dbname=fieldops",
			[]string{"password=*** dbname=fieldops"}},
		{"URL without a password is shown whole", "postgres://fieldops@127.0.0.1:55432/fieldops?sslmode=disable",
			[]string{"postgres://fieldops@127.0.0.1:55432/fieldops?sslmode=disable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := load(t, "DATABASE_URL="+tc.dbURL, "FIELDOPS_JWT_SECRET="+jwt, "FIELDOPS_S3_SECRET_KEY="+s3)
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", cfg)
			out := buf.String()
			for _, secret := range []string{jwt, s3, dbPass} {
				if strings.Contains(out, secret) {
					t.Errorf("log line contains the secret %q:\n%s", secret, out)
				}
			}
			for _, want := range append(tc.wantVisible, `"jwt_secret":"***"`, `"s3_secret_key":"***"`, `"http_addr":":8080"`) {
				if !strings.Contains(out, want) {
					t.Errorf("log line lacks %q:\n%s", want, out)
				}
			}
		})
	}
	t.Run("an unset secret is logged as empty, not masked", func(t *testing.T) {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", load(t))
		if !strings.Contains(buf.String(), `"jwt_secret":""`) {
			t.Errorf("log line does not show the secret as unset:\n%s", buf.String())
		}
	})
}

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want slog.Level
		ok   bool
	}{
		{"debug", slog.LevelDebug, true}, {"info", slog.LevelInfo, true}, {"warn", slog.LevelWarn, true},
		{"error", slog.LevelError, true}, {"ERROR", slog.LevelError, true}, {"loud", 0, false}, {"", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := config.ParseLevel(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseLevel(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if tc.ok && got != tc.want {
				t.Errorf("ParseLevel(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestBadBodyLimitIsAConfigError(t *testing.T) {
	_, err := config.Load([]string{"FIELDOPS_HTTP_BODY_LIMIT=lots"})
	if err == nil || !strings.Contains(err.Error(), "FIELDOPS_HTTP_BODY_LIMIT") {
		t.Fatalf("Load with a bad body limit = %v, want an error naming FIELDOPS_HTTP_BODY_LIMIT", err)
	}
}
