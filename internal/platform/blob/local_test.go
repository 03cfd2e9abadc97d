package blob_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/internal/platform/blob"
	"github.com/fieldops/fieldops/internal/platform/blob/blobtest"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

func TestLocalConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newLocal(t, t.TempDir()) })
}

func newLocal(t *testing.T, dir string) *blob.Local {
	t.Helper()
	s, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	return s
}

type failAfter struct{ n int }

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

func TestLocalLayout(t *testing.T) {
	t.Run("an object is the file named by its key", func(t *testing.T) {
		dir := t.TempDir()
		s := newLocal(t, dir)
		if _, err := s.Put(t.Context(), "orders/o1/p.jpg", strings.NewReader("jpeg")); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "orders", "o1", "p.jpg"))
		if err != nil || string(b) != "jpeg" {
			t.Errorf("file = %q, %v; want %q", b, err, "jpeg")
		}
	})
	t.Run("failed and cancelled puts leave no temporary file", func(t *testing.T) {
		dir := t.TempDir()
		s := newLocal(t, dir)
		if _, err := s.Put(t.Context(), "a/failed", &failAfter{n: 3 << 20}); err == nil {
			t.Fatal("Put succeeded with a failing body")
		}
		if _, err := s.Put(t.Context(), "a/ok", strings.NewReader("ok")); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.ReadDir(filepath.Join(dir, ".tmp"))
		if err != nil || len(tmp) != 0 {
			t.Errorf(".tmp holds %v (%v), want nothing", tmp, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "a", "failed")); !os.IsNotExist(err) {
			t.Errorf("a/failed exists (%v), want nothing", err)
		}
	})
	t.Run("a key through another object's name is a conflict", func(t *testing.T) {
		s := newLocal(t, t.TempDir())
		if _, err := s.Put(t.Context(), "a", strings.NewReader("object a")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(t.Context(), "a/b", strings.NewReader("x")); !errs.Is(err, errs.Conflict) {
			t.Errorf("Put(a/b) under object a = %v, want errs.Conflict", err)
		}
		if _, err := s.Stat(t.Context(), "a/b"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Stat(a/b) = %v, want errs.NotFound", err)
		}
	})
	t.Run("a directory of other objects is not an object", func(t *testing.T) {
		s := newLocal(t, t.TempDir())
		if _, err := s.Put(t.Context(), "d/x", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(t.Context(), "d"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Stat(d) = %v, want errs.NotFound", err)
		}
		if _, err := s.Open(t.Context(), "d"); !errs.Is(err, errs.NotFound) {
			t.Errorf("Open(d) = %v, want errs.NotFound", err)
		}
		if err := s.Delete(t.Context(), "d"); err != nil {
			t.Errorf("Delete(d) = %v, want nil", err)
		}
		if _, err := s.Put(t.Context(), "d", strings.NewReader("y")); !errs.Is(err, errs.Conflict) {
			t.Errorf("Put(d) over a directory = %v, want errs.Conflict", err)
		}
		if _, err := s.Stat(t.Context(), "d/x"); err != nil {
			t.Errorf("Stat(d/x) = %v, want it kept", err)
		}
	})
	t.Run("a symbolic link out of the directory is not followed", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		s := newLocal(t, dir)
		if _, err := s.Open(t.Context(), "link/secret"); err == nil {
			t.Error("Open(link/secret) read a file outside the store")
		}
		if _, err := s.Put(t.Context(), "link/new", strings.NewReader("x")); err == nil {
			t.Error("Put(link/new) wrote outside the store")
		}
		if _, err := os.Stat(filepath.Join(outside, "new")); !os.IsNotExist(err) {
			t.Errorf("outside/new exists (%v)", err)
		}
	})
}

func TestNew(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "blobs")
		s, err := blob.New(config.Storage{Kind: "local", Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*blob.Local); !ok {
			t.Errorf("New(local) = %T, want *blob.Local", s)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			t.Errorf("the directory was not created: %v", err)
		}
	})
	t.Run("s3", func(t *testing.T) {
		s, err := blob.New(config.Storage{Kind: "s3", S3Endpoint: "https://s3.example.com", S3Bucket: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*blob.S3); !ok {
			t.Errorf("New(s3) = %T, want *blob.S3", s)
		}
	})
	for _, tc := range []struct {
		name string
		cfg  config.Storage
		want string
	}{
		{"an unknown kind", config.Storage{Kind: "ftp"}, "ftp"},
		{"local without a directory", config.Storage{Kind: "local"}, "FIELDOPS_STORAGE_DIR"},
		{"s3 without a scheme", config.Storage{Kind: "s3", S3Endpoint: "s3.example.com", S3Bucket: "b"}, "FIELDOPS_S3_ENDPOINT"},
		{"s3 with a path", config.Storage{Kind: "s3", S3Endpoint: "http://h:8333/x", S3Bucket: "b"}, "FIELDOPS_S3_ENDPOINT"},
		{"s3 without a bucket", config.Storage{Kind: "s3", S3Endpoint: "http://h:8333"}, "FIELDOPS_S3_BUCKET"},
	} {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			if _, err := blob.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
