package apitest

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/fieldops/fieldops/internal/platform/config"
)

// WithS3 keeps blobs in an S3-compatible server (gofakes3, in memory) on a
// loopback port, reached over real HTTP by the S3 backend, instead of a
// local directory (docs/ARCHITECTURE.md says why gofakes3).
func WithS3(t testing.TB) Option {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return func(c *config.Config) {
		c.Storage.Kind, c.Storage.S3Endpoint, c.Storage.S3Bucket = "s3", srv.URL, "fieldops-apitest"
		c.Storage.S3AccessKey, c.Storage.S3SecretKey = "fieldops", "fieldops-secret"
	}
}
