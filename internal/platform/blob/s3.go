package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// MinPartSize is the smallest S3 multipart part (the protocol's minimum for
// every part but the last) and the default part size: a Put buffers one part
// in memory, so this is the memory one running S3 Put holds. With at most
// 10,000 parts it caps an object at about 50 GiB.
const MinPartSize = 5 << 20

// S3Options configures an S3-compatible store.
type S3Options struct {
	Endpoint   string // http://host:port or https://host:port; the scheme decides TLS
	Bucket     string
	AccessKey  string
	SecretKey  string
	Region     string            // empty: asked of the server once (GetBucketLocation)
	PartSize   uint64            // bytes per multipart part; 0 or less than MinPartSize means MinPartSize
	Transport  http.RoundTripper // nil: minio-go's default transport
	MaxRetries int               // attempts per request, with backoff; 0: minio-go's default (10)
}

// S3 is a Store in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, …),
// through minio-go. Put always uses a multipart upload of PartSize parts,
// because the body's length is unknown, and aborts it when the body, the
// context or the server fails. An abort that cannot reach the server (as after
// a cancelled context) leaves an incomplete upload that is invisible to Open
// and Stat but holds storage: give the bucket a lifecycle rule that aborts
// incomplete multipart uploads after a day.
type S3 struct {
	client   *minio.Client
	bucket   string
	partSize uint64
}

var _ Store = (*S3)(nil)

// NewS3 returns an S3 store. It makes no request; see EnsureBucket.
func NewS3(o S3Options) (*S3, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("blob: the S3 endpoint (FIELDOPS_S3_ENDPOINT) must be an http:// or https:// URL with a host and no path, not %q", o.Endpoint)
	}
	if o.Bucket == "" {
		return nil, errors.New("blob: the S3 store needs a bucket (FIELDOPS_S3_BUCKET)")
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:      credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure:     u.Scheme == "https",
		Region:     o.Region,
		Transport:  o.Transport,
		MaxRetries: o.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &S3{client: client, bucket: o.Bucket, partSize: max(o.PartSize, MinPartSize)}, nil
}

// EnsureBucket creates the bucket when it does not exist; run it at start-up.
// Errors: errs.Unavailable, errs.Internal (as no permission).
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err == nil && !ok {
		err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{})
		if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
			err = nil // another replica was first
		}
	}
	if err != nil {
		return s3Err("ensure bucket", s.bucket, err)
	}
	return nil
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	hr := newHashingReader(ctx, r)
	// An empty body goes as one PUT of length 0: a multipart upload of one
	// empty part is refused by some servers (MissingContentLength).
	var first [1]byte
	n, _ := io.ReadFull(hr, first[:])
	body, size := io.MultiReader(bytes.NewReader(first[:n]), hr), int64(-1)
	if hr.done && n == 0 {
		body, size = bytes.NewReader(nil), 0
	}
	up, err := s.client.PutObject(ctx, s.bucket, key, body, size, minio.PutObjectOptions{
		PartSize:    s.partSize,
		ContentType: "application/octet-stream",
		// Parts go unsigned (UNSIGNED-PAYLOAD) but with minio-go's CRC32C
		// checksum each: we already hash the stream once, a signed
		// aws-chunked body would hash it again, and not every S3-compatible
		// server decodes signed chunks in UploadPart (gofakes3 does not).
		DisableContentSha256: true,
	})
	if hr.err != nil { // the body or the context failed: minio-go aborted the upload
		return Info{}, readerErr(key, hr.err)
	}
	if err != nil {
		return Info{}, s3Err("put", key, err)
	}
	if !hr.done || up.Size != hr.n {
		// minio-go stops at 10,000 parts without draining the body.
		_ = s.client.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{})
		return Info{}, errs.Wrap(errs.Internal, fmt.Errorf("blob: put %q: stored %d of at least %d bytes", key, up.Size, hr.n), "blob store failed")
	}
	info := Info{Key: key, Size: hr.n, ModTime: up.LastModified, SHA256: hr.sum()}
	if st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); err == nil {
		info.ModTime = st.LastModified // a multipart completion may not report it
	}
	return info, nil
}

// Open implements Store. The object's reads use ctx: cancelling it ends them.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Err("open", key, err)
	}
	st, err := obj.Stat() // GetObject is lazy: this surfaces a missing key now
	if err != nil {
		_ = obj.Close()
		return nil, s3Err("open", key, err)
	}
	return &s3Object{Object: obj, info: Info{Key: key, Size: st.Size, ModTime: st.LastModified}}, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s3Err("stat", key, err)
	}
	return Info{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// Delete implements Store. S3 answers a delete of a missing key with success.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s3Err("delete", key, err)
	}
	return nil
}

// s3Object adapts *minio.Object (Read, Seek, ReadAt, Close) to Object.
type s3Object struct {
	*minio.Object
	info Info
}

func (o *s3Object) Info() Info { return o.info }

// s3Err maps minio-go errors to kinds; context errors stay themselves.
func s3Err(op, key string, err error) error {
	wrapped := fmt.Errorf("blob: s3 %s %q: %w", op, key, err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return wrapped
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		if resp.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket") {
			return errs.Wrap(errs.NotFound, wrapped, "blob not found")
		}
		if resp.StatusCode == http.StatusServiceUnavailable || resp.Code == "SlowDown" {
			return errs.Wrap(errs.Unavailable, wrapped, "blob store unavailable")
		}
		return errs.Wrap(errs.Internal, wrapped, "blob store failed")
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return errs.Wrap(errs.Unavailable, wrapped, "blob store unavailable")
	}
	return errs.Wrap(errs.Internal, wrapped, "blob store failed")
}
