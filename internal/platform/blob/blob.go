// Package blob stores opaque binary objects (photos, signatures, rendered
// reports) under slash-separated keys, in a local directory or an
// S3-compatible bucket chosen by configuration. Writes stream: Put never holds
// a whole object in memory, and it computes the object's SHA-256 and size on
// the way through. Reads are seekable, so http.ServeContent can answer range
// requests straight from an Object.
//
// Errors carry internal/platform/errs kinds: errs.Invalid for a bad key,
// errs.NotFound for a missing object, errs.Unavailable when the backend cannot
// be reached; an error of the reader given to Put, or of the context, is
// returned wrapped, so errors.Is/As still find it (and its kind, if it is an
// *errs.Error). Anything else is errs.Internal.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Store is a blob store. Implementations are safe for concurrent use.
type Store interface {
	// Put streams r to key, replacing any object already there, and returns
	// its size and SHA-256. The object becomes visible only after r reached
	// io.EOF and the backend accepted everything: when r fails, ctx ends or
	// the backend fails, nothing new is left under key (a previous object
	// stays as it was). Errors: errs.Invalid (key), the reader's or the
	// context's error wrapped, errs.Conflict (local: the key runs through
	// another object's name, as "a/b" under an object "a"), errs.Unavailable,
	// errs.Internal.
	Put(ctx context.Context, key string, r io.Reader) (Info, error)

	// Open returns the object for reading and seeking; the caller closes it.
	// Errors: errs.Invalid (key), errs.NotFound, the context's error,
	// errs.Unavailable, errs.Internal.
	Open(ctx context.Context, key string) (Object, error)

	// Stat returns an object's key, size and modification time (not its
	// SHA-256: the caller keeps that from Put). Errors: as Open.
	Stat(ctx context.Context, key string) (Info, error)

	// Delete removes the object; deleting a missing key is not an error.
	// Errors: errs.Invalid (key), the context's error, errs.Unavailable,
	// errs.Internal.
	Delete(ctx context.Context, key string) error
}

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64     // bytes
	ModTime time.Time // when the object was last written, as the backend records it
	SHA256  string    // lower-case hex of the content's SHA-256; set by Put only
}

// Object is an open object. Read, Seek and ReadAt serve ranges (Seek and
// ReadAt on the S3 backend issue ranged GETs), so an Object can be handed to
// http.ServeContent with Info().ModTime. It is not safe for concurrent use.
type Object interface {
	io.ReadSeekCloser
	io.ReaderAt
	// Info is the object's key, size and modification time as of Open.
	Info() Info
}

// MaxKeyLen is the longest key accepted, in bytes; MaxSegmentLen the longest
// segment between slashes (a file name on common file systems).
const (
	MaxKeyLen     = 512
	MaxSegmentLen = 255
)

// keyPattern: slash-separated segments of ASCII letters, digits, '_', '-' and
// '.', none empty and none starting with '.' (so no ".", "..", hidden names,
// or collisions with the local backend's ".tmp" directory).
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$`)

// ValidateKey reports whether key may name an object: relative,
// slash-separated segments of [A-Za-z0-9._-] that do not start with '.', each
// at most MaxSegmentLen bytes, the key at most MaxKeyLen. Error: errs.Invalid.
func ValidateKey(key string) error {
	if len(key) == 0 || len(key) > MaxKeyLen || !keyPattern.MatchString(key) {
		return errs.E(errs.Invalid, "blob key %q: want 1–%d bytes of slash-separated segments of letters, digits, '_', '-' and '.', none empty or starting with '.'", key, MaxKeyLen)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > MaxSegmentLen {
			return errs.E(errs.Invalid, "blob key %q: a segment is longer than %d bytes", key, MaxSegmentLen)
		}
	}
	return nil
}

// New returns the store cfg.Kind names: "local" (a directory, cfg.Dir) or
// "s3" (cfg.S3Endpoint, an http:// or https:// URL, and cfg.S3Bucket). It
// opens no network connection: call (*S3).EnsureBucket at start-up to check
// (and create) the bucket.
func New(cfg config.Storage) (Store, error) {
	switch cfg.Kind {
	case "local":
		return NewLocal(cfg.Dir)
	case "s3":
		return NewS3(S3Options{
			Endpoint:  cfg.S3Endpoint,
			Bucket:    cfg.S3Bucket,
			AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey,
		})
	default:
		return nil, fmt.Errorf("blob: unknown storage kind %q (want local or s3)", cfg.Kind)
	}
}

// hashingReader passes reads through while counting and hashing them. It stops
// with the context's error once ctx ends, and remembers the source's own
// error, so a backend can tell "the body failed" from "I failed".
type hashingReader struct {
	ctx  context.Context
	r    io.Reader
	h    hash.Hash
	n    int64
	err  error // the first non-EOF error of r or ctx
	done bool  // r reached io.EOF
}

func newHashingReader(ctx context.Context, r io.Reader) *hashingReader {
	return &hashingReader{ctx: ctx, r: r, h: sha256.New()}
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	if hr.err != nil {
		return 0, hr.err
	}
	if err := hr.ctx.Err(); err != nil {
		hr.err = err
		return 0, err
	}
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	switch {
	case err == io.EOF:
		hr.done = true
	case err != nil:
		hr.err = err
	}
	return n, err
}

// sum is the hex SHA-256 of everything read so far.
func (hr *hashingReader) sum() string { return hex.EncodeToString(hr.h.Sum(nil)) }

// readerErr wraps the body's (or the context's) failure for Put's caller.
func readerErr(key string, err error) error {
	return fmt.Errorf("blob: put %q: reading the body: %w", key, err)
}
