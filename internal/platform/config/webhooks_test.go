package config_test

import (
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/config"
)

func TestWebhookSettings(t *testing.T) {
	for _, tc := range []struct {
		name        string
		environ     []string
		private     bool
		base        time.Duration
		wantFailure bool
	}{
		{"defaults: private targets off, 30s", nil, false, 30 * time.Second, false},
		{"dev mode allows private targets", []string{"FIELDOPS_DEV=true"}, true, 30 * time.Second, false},
		{"explicitly allowed", []string{"FIELDOPS_WEBHOOK_ALLOW_PRIVATE=true"}, true, 30 * time.Second, false},
		{"tests use 1s", []string{"FIELDOPS_WEBHOOK_RETRY_BASE=1s"}, false, time.Second, false},
		{"under a second is refused", []string{"FIELDOPS_WEBHOOK_RETRY_BASE=100ms"}, false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(append([]string{"DATABASE_URL=postgres://x"}, tc.environ...))
			if tc.wantFailure {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Webhooks.AllowPrivate != tc.private || cfg.Webhooks.RetryBase != tc.base {
				t.Errorf("webhooks = %+v", cfg.Webhooks)
			}
		})
	}
}
