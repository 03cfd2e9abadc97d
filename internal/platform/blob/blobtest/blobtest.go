// Package blobtest is the conformance suite every blob.Store backend passes:
// the local directory and S3 run the same tests, so callers can rely on the
// behaviour the Store interface documents whatever the configuration.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldops/fieldops/internal/platform/blob"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s blob.Store)
	}{
		{"put then open, stat and delete", testRoundTrip},
		{"an empty object", testEmpty},
		{"overwrite replaces the content", testOverwrite},
		{"a multi-MiB object keeps its size and SHA-256", testLarge},
		{"open seeks and reads ranges, and serves HTTP range requests", testRanges},
		{"a missing key is NotFound, and deleting it is not an error", testMissing},
		{"invalid keys are refused without reading the body", testInvalidKeys},
		{"keys using every allowed character work, and a key's prefix is another key", testValidKeys},
		{"a body failing halfway leaves nothing", testFailingBody},
		{"a body failing halfway keeps the previous object", testFailingOverwrite},
		{"a context cancelled during a put leaves nothing", testCancelDuringPut},
		{"operations on a cancelled context fail with its error", testCancelledContext},
		{"concurrent puts of different keys keep each content", testConcurrentPuts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

const mib = 1 << 20

var errBodyFailed = errors.New("blobtest: the body failed")

func testRoundTrip(t *testing.T, s blob.Store) {
	ctx := t.Context()
	key := "orders/0190a3c4-0000-7000-8000-000000000001/photos/p1.jpg"
	body := []byte("hello, blob store")
	before := time.Now()
	info := mustPut(t, s, key, bytes.NewReader(body))
	after := time.Now()
	want := sum(body)
	if info.Key != key || info.Size != int64(len(body)) || info.SHA256 != want {
		t.Errorf("Put = %+v, want key %q, size %d, sha256 %s", info, key, len(body), want)
	}
	// S3 keeps Last-Modified to the second.
	if info.ModTime.Before(before.Add(-2*time.Second)) || info.ModTime.After(after.Add(2*time.Second)) {
		t.Errorf("Put ModTime = %v, want between %v and %v", info.ModTime, before, after)
	}

	st, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.Key != key || st.Size != info.Size || !st.ModTime.Equal(info.ModTime) {
		t.Errorf("Stat = %+v, want key, size and ModTime of Put %+v", st, info)
	}

	obj, err := s.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if oi := obj.Info(); oi.Size != info.Size || !oi.ModTime.Equal(info.ModTime) || oi.Key != key {
		t.Errorf("Object.Info = %+v, want size and ModTime of Put %+v", oi, info)
	}
	if got := readAll(t, obj); !bytes.Equal(got, body) {
		t.Errorf("Open read %q, want %q", got, body)
	}
	if err := obj.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}

	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNotFound(t, s, key)
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	info := mustPut(t, s, "empty", strings.NewReader(""))
	if info.Size != 0 || info.SHA256 != sum(nil) {
		t.Errorf("Put = %+v, want size 0 and the SHA-256 of nothing %s", info, sum(nil))
	}
	if got := mustRead(t, s, "empty"); len(got) != 0 {
		t.Errorf("read %d bytes, want 0", len(got))
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	mustPut(t, s, "k", strings.NewReader("the first, longer version"))
	info := mustPut(t, s, "k", strings.NewReader("second"))
	if info.Size != 6 || info.SHA256 != sum([]byte("second")) {
		t.Errorf("second Put = %+v, want size 6", info)
	}
	if got := string(mustRead(t, s, "k")); got != "second" {
		t.Errorf("read %q, want %q", got, "second")
	}
	if st, err := s.Stat(t.Context(), "k"); err != nil || st.Size != 6 {
		t.Errorf("Stat = %+v, %v; want size 6", st, err)
	}
}

func testLarge(t *testing.T, s blob.Store) {
	const size = 12*mib + 123 // more than two 5 MiB S3 parts
	want := sumReader(t, randomBody(1, size))
	info := mustPut(t, s, "large/object.bin", randomBody(1, size))
	if info.Size != size || info.SHA256 != want {
		t.Errorf("Put = size %d sha256 %s, want %d %s", info.Size, info.SHA256, size, want)
	}
	obj, err := s.Open(t.Context(), "large/object.bin")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer obj.Close()
	if obj.Info().Size != size {
		t.Errorf("Object size %d, want %d", obj.Info().Size, size)
	}
	if got := sumReader(t, obj); got != want {
		t.Errorf("the stored bytes hash to %s, want %s", got, want)
	}
}

func testRanges(t *testing.T, s blob.Store) {
	body := readAll(t, randomBody(2, 100_000))
	mustPut(t, s, "ranges", bytes.NewReader(body))
	obj, err := s.Open(t.Context(), "ranges")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer obj.Close()
	n := int64(len(body))

	seek := func(off int64, whence int, want int64) {
		t.Helper()
		got, err := obj.Seek(off, whence)
		if err != nil || got != want {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", off, whence, got, err, want)
		}
	}
	seek(1000, io.SeekStart, 1000)
	buf := make([]byte, 100)
	if _, err := io.ReadFull(obj, buf); err != nil || !bytes.Equal(buf, body[1000:1100]) {
		t.Errorf("read after Seek(1000) = %v, want bytes 1000–1099", err)
	}
	seek(0, io.SeekCurrent, 1100)
	seek(-10, io.SeekEnd, n-10)
	if got := readAll(t, obj); !bytes.Equal(got, body[n-10:]) {
		t.Errorf("read after Seek(-10, end) = %x, want %x", got, body[n-10:])
	}
	seek(0, io.SeekEnd, n)
	if k, err := obj.Read(buf); k != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want 0, EOF", k, err)
	}
	seek(0, io.SeekStart, 0)
	if _, err := obj.ReadAt(buf[:50], 5000); err != nil || !bytes.Equal(buf[:50], body[5000:5050]) {
		t.Errorf("ReadAt(5000) = %v, want bytes 5000–5049", err)
	}

	for _, rg := range []struct {
		header     string
		from, to   int64 // inclusive
		wantHeader string
	}{
		{"bytes=2000-2999", 2000, 2999, fmt.Sprintf("bytes 2000-2999/%d", n)},
		{"bytes=-16", n - 16, n - 1, fmt.Sprintf("bytes %d-%d/%d", n-16, n-1, n)},
		{"bytes=99990-", 99990, n - 1, fmt.Sprintf("bytes 99990-%d/%d", n-1, n)},
	} {
		req := httptest.NewRequest(http.MethodGet, "/content", nil)
		req.Header.Set("Range", rg.header)
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "", obj.Info().ModTime, obj)
		if rec.Code != http.StatusPartialContent || rec.Header().Get("Content-Range") != rg.wantHeader ||
			!bytes.Equal(rec.Body.Bytes(), body[rg.from:rg.to+1]) {
			t.Errorf("ServeContent(Range %s) = %d %q, %d bytes; want 206 %q and bytes %d–%d",
				rg.header, rec.Code, rec.Header().Get("Content-Range"), rec.Body.Len(), rg.wantHeader, rg.from, rg.to)
		}
	}
}

func testMissing(t *testing.T, s blob.Store) {
	wantNotFound(t, s, "never/written")
	if err := s.Delete(t.Context(), "never/written"); err != nil {
		t.Errorf("Delete of a missing key = %v, want nil", err)
	}
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := t.Context()
	keys := []string{"", "/abs", "/", "../up", "a/../b", "a/./b", "..", ".", "a//b", "a/", ".hidden", "a/.tmp",
		"sp ace", "tab\t", "nul\x00", "ünï", `back\slash`, "q?x", "star*", strings.Repeat("k", blob.MaxSegmentLen+1),
		strings.Repeat(strings.Repeat("k", 99)+"/", 5) + strings.Repeat("k", 13)} // 513 bytes
	for _, key := range keys {
		body := &countingReader{r: strings.NewReader("x")}
		if _, err := s.Put(ctx, key, body); !errs.Is(err, errs.Invalid) {
			t.Errorf("Put(%q) = %v, want errs.Invalid", key, err)
		}
		if body.n != 0 {
			t.Errorf("Put(%q) read %d bytes of the body, want 0", key, body.n)
		}
		if o, err := s.Open(ctx, key); !errs.Is(err, errs.Invalid) || o != nil {
			t.Errorf("Open(%q) = %v, %v; want nil, errs.Invalid", key, o, err)
		}
		if _, err := s.Stat(ctx, key); !errs.Is(err, errs.Invalid) {
			t.Errorf("Stat(%q) = %v, want errs.Invalid", key, err)
		}
		if err := s.Delete(ctx, key); !errs.Is(err, errs.Invalid) {
			t.Errorf("Delete(%q) = %v, want errs.Invalid", key, err)
		}
		if err := blob.ValidateKey(key); !errs.Is(err, errs.Invalid) {
			t.Errorf("ValidateKey(%q) = %v, want errs.Invalid", key, err)
		}
	}
}

func testValidKeys(t *testing.T, s blob.Store) {
	keys := []string{"ABCxyz_019-.tar.gz", "a/b", "a/bc", "x/y/z/0190a3c4-0000-7000-8000-000000000001.thumb.jpg",
		strings.Repeat("k", blob.MaxSegmentLen), strings.Repeat("l", blob.MaxSegmentLen) + "/" + strings.Repeat("l", blob.MaxSegmentLen-1) + "/l"} // 512 bytes
	for i, key := range keys {
		mustPut(t, s, key, strings.NewReader(fmt.Sprint("content ", i)))
	}
	for i, key := range keys {
		if got := string(mustRead(t, s, key)); got != fmt.Sprint("content ", i) {
			t.Errorf("read %q = %q, want %q", key, got, fmt.Sprint("content ", i))
		}
	}
	if err := s.Delete(t.Context(), "a/b"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := string(mustRead(t, s, "a/bc")); got != "content 2" {
		t.Errorf("after deleting a/b, a/bc = %q, want it untouched", got)
	}
}

func testFailingBody(t *testing.T, s blob.Store) {
	body := io.MultiReader(randomBody(3, 7*mib), failingReader{}) // fails inside the second S3 part
	if _, err := s.Put(t.Context(), "failed/upload", body); !errors.Is(err, errBodyFailed) {
		t.Fatalf("Put = %v, want the body's error", err)
	}
	wantNotFound(t, s, "failed/upload")
}

func testFailingOverwrite(t *testing.T, s blob.Store) {
	mustPut(t, s, "kept", strings.NewReader("version 1"))
	body := io.MultiReader(strings.NewReader("version 2, cut short"), failingReader{})
	if _, err := s.Put(t.Context(), "kept", body); !errors.Is(err, errBodyFailed) {
		t.Fatalf("Put = %v, want the body's error", err)
	}
	if got := string(mustRead(t, s, "kept")); got != "version 1" {
		t.Errorf("after a failed overwrite the object is %q, want %q", got, "version 1")
	}
}

func testCancelDuringPut(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The body cancels the context after 1 MiB and then goes on; a store that
	// ignored the context would store 64 MiB and succeed.
	body := io.MultiReader(randomBody(4, mib), cancelReader{cancel}, randomBody(5, 64*mib))
	if _, err := s.Put(ctx, "cancelled", body); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want context.Canceled", err)
	}
	wantNotFound(t, s, "cancelled")
}

func testCancelledContext(t *testing.T, s blob.Store) {
	mustPut(t, s, "present", strings.NewReader("x"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Put(ctx, "late", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put = %v, want context.Canceled", err)
	}
	if _, err := s.Stat(ctx, "present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Stat = %v, want context.Canceled", err)
	}
	if _, err := s.Open(ctx, "present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Open = %v, want context.Canceled", err)
	}
	if err := s.Delete(ctx, "present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete = %v, want context.Canceled", err)
	}
	wantNotFound(t, s, "late")
	if got := string(mustRead(t, s, "present")); got != "x" {
		t.Errorf("present = %q after a cancelled Delete, want it kept", got)
	}
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const n, size = 8, 300_000
	want := make([]string, n)
	for i := range n {
		want[i] = sumReader(t, randomBody(uint64(100+i), size))
	}
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Go(func() {
			info, err := s.Put(t.Context(), fmt.Sprintf("concurrent/%d", i), randomBody(uint64(100+i), size))
			if err == nil && (info.Size != size || info.SHA256 != want[i]) {
				err = fmt.Errorf("Put = %+v, want size %d and sha256 %s", info, size, want[i])
			}
			results[i] = err
		})
	}
	wg.Wait()
	for i, err := range results {
		if err != nil {
			t.Errorf("put %d: %v", i, err)
			continue
		}
		if got := sum(mustRead(t, s, fmt.Sprintf("concurrent/%d", i))); got != want[i] {
			t.Errorf("concurrent/%d holds bytes hashing to %s, want %s", i, got, want[i])
		}
	}
}

// helpers

func mustPut(t *testing.T, s blob.Store, key string, r io.Reader) blob.Info {
	t.Helper()
	info, err := s.Put(t.Context(), key, r)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func mustRead(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	obj, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer obj.Close()
	return readAll(t, obj)
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

func wantNotFound(t *testing.T, s blob.Store, key string) {
	t.Helper()
	if info, err := s.Stat(t.Context(), key); !errs.Is(err, errs.NotFound) {
		t.Errorf("Stat(%q) = %+v, %v; want errs.NotFound", key, info, err)
	}
	obj, err := s.Open(t.Context(), key)
	if !errs.Is(err, errs.NotFound) || obj != nil {
		t.Errorf("Open(%q) = %v, %v; want nil, errs.NotFound", key, obj, err)
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func sumReader(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatalf("hash: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// randomBody is a reproducible stream of size pseudo-random bytes, generated
// as it is read.
func randomBody(seed uint64, size int64) io.Reader {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	return io.LimitReader(rand.NewChaCha8(key), size)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errBodyFailed }

// cancelReader cancels its context when read, and yields nothing.
type cancelReader struct{ cancel context.CancelFunc }

func (c cancelReader) Read([]byte) (int, error) { c.cancel(); return 0, io.EOF }

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
