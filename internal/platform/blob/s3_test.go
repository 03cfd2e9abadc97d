package blob_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/fieldops/fieldops/internal/platform/blob"
	"github.com/fieldops/fieldops/internal/platform/blob/blobtest"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// s3Server is an S3-compatible server (gofakes3, in memory) on a loopback
// port, reached over real HTTP by minio-go (see docs/ARCHITECTURE.md).
func s3Server(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

var bucketSeq atomic.Int64

// newS3 returns a store on a fresh bucket of the server at endpoint.
func newS3(t *testing.T, endpoint string) *blob.S3 {
	t.Helper()
	s, err := blob.NewS3(blob.S3Options{
		Endpoint:  endpoint,
		Bucket:    fmt.Sprintf("fieldops-test-%d", bucketSeq.Add(1)),
		AccessKey: "fieldops",
		SecretKey: "fieldops-secret",
	})
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	if err := s.EnsureBucket(t.Context()); err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	return s
}

func TestS3Conformance(t *testing.T) {
	endpoint := s3Server(t)
	blobtest.Run(t, func(t *testing.T) blob.Store { return newS3(t, endpoint) })
}

func TestS3(t *testing.T) {
	endpoint := s3Server(t)

	t.Run("EnsureBucket is idempotent", func(t *testing.T) {
		s := newS3(t, endpoint)
		if err := s.EnsureBucket(t.Context()); err != nil {
			t.Errorf("second EnsureBucket: %v", err)
		}
	})
	t.Run("a failed put aborts its multipart upload", func(t *testing.T) {
		bucket := fmt.Sprintf("fieldops-abort-%d", bucketSeq.Add(1))
		s, err := blob.NewS3(blob.S3Options{Endpoint: endpoint, Bucket: bucket, AccessKey: "k", SecretKey: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureBucket(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(t.Context(), "half", &failAfter{n: 6 << 20}); err == nil {
			t.Fatal("Put succeeded with a failing body")
		}
		core, err := minio.NewCore(strings.TrimPrefix(endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4("k", "s", "")})
		if err != nil {
			t.Fatal(err)
		}
		res, err := core.ListMultipartUploads(t.Context(), bucket, "", "", "", "", 100)
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		if len(res.Uploads) != 0 {
			t.Errorf("%d multipart uploads left, want 0: %+v", len(res.Uploads), res.Uploads)
		}
	})
	t.Run("a missing bucket is not NotFound", func(t *testing.T) {
		s, err := blob.NewS3(blob.S3Options{Endpoint: endpoint, Bucket: "never-created", AccessKey: "k", SecretKey: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(t.Context(), "k"); err == nil || errs.Is(err, errs.NotFound) {
			t.Errorf("Stat in a missing bucket = %v, want an error that is not NotFound", err)
		}
	})
	t.Run("an unreachable server is Unavailable", func(t *testing.T) {
		srv := httptest.NewServer(nil)
		url := srv.URL
		srv.Close()
		s, err := blob.NewS3(blob.S3Options{Endpoint: url, Bucket: "bucket", AccessKey: "k", SecretKey: "s", Region: "us-east-1", MaxRetries: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(t.Context(), "k"); !errs.Is(err, errs.Unavailable) {
			t.Errorf("Stat = %v, want errs.Unavailable", err)
		}
	})
}
