package api_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
)

// TestConcurrentLargeUploadsKeepMemoryFlat checks the memory promise of the
// streaming photo upload: 20 concurrent uploads of a 15 MiB photo add less
// than 100 MiB to the process's peak RSS. The server streams each body to the
// blob store while hashing it and decodes images within a memory budget
// (storage.decode_memory, imaging.Inspector): each decode first takes its
// estimated allocation from the budget, so the server's memory follows the
// decodes in flight, not the uploads. The photo is a baseline 4:2:0 12 MP
// JPEG (17.2 MiB decoded): the default budget, 48 MiB, decodes two at once.
//
// Client and server share this process, so the client holds no photo in
// memory: the JPEG is written once to a file and each request body streams
// from it through an io.Pipe and a multipart.Writer. The peak is the kernel's
// VmHWM, reset just before the uploads (clear_refs "5"); a sampler goroutine
// also records VmRSS and the Go heap in use every 2 ms, and stands in for
// VmHWM where the reset is not permitted. The measurement is of the whole
// process, so this test must not run in parallel with others (no
// t.Parallel). See docs/PERFORMANCE.md.
func TestConcurrentLargeUploadsKeepMemoryFlat(t *testing.T) {
	env := apitest.New(t)
	photo := memWriteLargeJPEG(t, env.Config.Storage.PhotoMaxBytes())
	t.Logf("noise JPEG at quality %d", photo.quality)
	memConcurrentUploads(t, env, photo, 100<<20)
}

// TestConcurrentProgressiveUploadsKeepMemoryNearTheBudget is the same with a
// progressive 12 MP JPEG, which image/jpeg decodes with all its coefficients
// (86 MiB): more than the whole budget, so each decode takes all of it and
// runs alone, and its memory is collected as soon as it is released. The
// added peak RSS must stay under twice the budget plus 40 MiB (136 MiB with
// the default 48 MiB); with the former count of two decodes at once it was
// +373 MiB. The photo is testdata/photo_12mp_progressive.jpg, a smooth
// gradient (160 KiB): what a decode costs depends on the dimensions and the
// layout, not on the bytes.
func TestConcurrentProgressiveUploadsKeepMemoryNearTheBudget(t *testing.T) {
	env := apitest.New(t)
	photo := memFixtureJPEG(t, filepath.Join("testdata", "photo_12mp_progressive.jpg"), 4000, 3000)
	budget := env.Config.Storage.DecodeMemoryBytes()
	memConcurrentUploads(t, env, photo, 2*budget+40<<20)
}

// memConcurrentUploads makes 20 concurrent uploads of photo and checks that
// they add less than bound bytes to the peak RSS, that every one succeeded
// and is listed once, and that one exchange follows the OpenAPI contract.
func memConcurrentUploads(t *testing.T, env *apitest.Env, photo memPhoto, bound int64) {
	const uploads = 20
	orderID, tech := memUploadOrder(t, env)
	limit := env.Config.Storage.PhotoMaxBytes()
	t.Logf("photo: %d×%d JPEG, %d bytes (%.2f MiB; limit %.2f MiB), decode memory %s",
		photo.width, photo.height, photo.size, mib(photo.size), mib(limit), env.Config.Storage.DecodeMemory)

	ids := make([]string, uploads)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	url := env.URL + "/v1/orders/" + orderID + "/photos"
	results := make([]memUpload, uploads)

	w := memStartWatch(t)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Go(func() { results[i] = memStreamPhoto(url, tech, photo.path, ids[i]) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	peak := w.stop(t)

	delta := peak.peakRSS - peak.beforeRSS
	t.Logf("%d uploads in %v; RSS before %.1f MiB, peak %.1f MiB (%s): +%.1f MiB (bound %.0f MiB); sampled VmRSS max %.1f MiB over %d samples",
		uploads, elapsed.Round(time.Millisecond), mib(peak.beforeRSS), mib(peak.peakRSS), peak.source, mib(delta), mib(bound),
		mib(peak.sampledRSS), peak.samples)
	t.Logf("Go heap in use: %.1f MiB before, sampled peak %.1f MiB (+%.1f MiB)",
		mib(peak.beforeHeap), mib(peak.peakHeap), mib(peak.peakHeap-peak.beforeHeap))

	for i, r := range results {
		if r.err != nil {
			t.Fatalf("upload %d: %v", i, r.err)
		}
		if r.status != http.StatusCreated {
			t.Fatalf("upload %d: status %d, want 201: %s", i, r.status, r.body)
		}
		var got map[string]any
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatalf("upload %d: body: %v: %s", i, err, r.body)
		}
		if got["id"] != ids[i] || got["sha256"] != photo.sha256 || got["size"] != float64(photo.size) ||
			got["content_type"] != "image/jpeg" || got["width"] != float64(photo.width) || got["height"] != float64(photo.height) {
			t.Fatalf("upload %d: want id %s, sha256 %s, %d bytes, %d×%d image/jpeg; got %s",
				i, ids[i], photo.sha256, photo.size, photo.width, photo.height, r.body)
		}
	}

	// Every upload is listed once, under its own id, with the file's SHA-256.
	list := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+orderID+"/photos?limit=50", tech, nil), http.StatusOK, "list photos")
	seen := map[string]bool{}
	for _, it := range list.Items(t) {
		id, _ := it["id"].(string)
		if seen[id] {
			t.Fatalf("photo %s is listed twice", id)
		}
		seen[id] = true
		if it["sha256"] != photo.sha256 || it["size"] != float64(photo.size) {
			t.Fatalf("photo %s: sha256 %v, size %v; want %s, %d", id, it["sha256"], it["size"], photo.sha256, photo.size)
		}
	}
	for _, id := range ids {
		if !seen[id] {
			t.Fatalf("photo %s was not listed; %d listed", id, len(seen))
		}
	}
	if len(seen) != uploads {
		t.Fatalf("%d photos listed, want %d", len(seen), uploads)
	}

	// The contract of one upload exchange, checked after the measurement: its
	// body is rebuilt in memory byte for byte (same boundary and fields).
	var body bytes.Buffer
	mw := memFormWriter(&body, ids[0])
	if err := memWriteForm(mw, photo.path, ids[0]); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tech)
	apitest.Verify(t, req, body.Bytes(), results[0].res, results[0].body)

	if delta >= uint64(bound) {
		t.Errorf("%d concurrent %.1f MiB uploads added %.1f MiB to the peak RSS; the bound is %.0f MiB",
			uploads, mib(photo.size), mib(delta), mib(bound))
	}
}

func mib[T int64 | uint64](n T) float64 { return float64(n) / (1 << 20) }

// memUploadOrder makes an order of alice's that tom has accepted, on which he
// may upload any kind of photo, and returns its id and tom's token.
func memUploadOrder(t *testing.T, env *apitest.Env) (orderID, techToken string) {
	t.Helper()
	alice := env.Token("alice@example.com")
	disp := env.Token("dispatcher@fieldops.test")
	tom := env.Token("tom@fieldops.test")
	created := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "AC drips water", "asset_id": aliceAsset(t, env, alice),
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north", "lat": 31.24, "lng": 121.49},
	}), http.StatusCreated, "create order")
	id := created.JSON["id"].(string)
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/triage", disp, map[string]any{"priority": "P2"}), http.StatusOK, "triage")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/assign", disp,
		map[string]any{"technician_id": env.UserID("tom@fieldops.test")}), http.StatusOK, "assign")
	mustStatus(t, env.Do(http.MethodPost, "/v1/orders/"+id+"/accept", tom, nil), http.StatusOK, "accept")
	return id, tom
}

// memPhoto is the test photo, kept on disk.
type memPhoto struct {
	path                   string
	size                   int64
	sha256                 string
	width, height, quality int
}

// memFixtureJPEG describes the w×h JPEG at path.
func memFixtureJPEG(t *testing.T, path string, w, h int) memPhoto {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return memPhoto{path: path, size: int64(len(b)), sha256: hex.EncodeToString(sum[:]), width: w, height: h}
}

// memWriteLargeJPEG writes a 12 MP (4000×3000) noise JPEG of between limit
// − 1 MiB and limit bytes into a temporary file: the size of a large phone
// photo, just under the upload limit. Noise hardly compresses, so the size
// follows the quality; the noise is seeded, so the first quality tried
// normally fits (14.79 MiB at quality 93 with Go 1.26).
func memWriteLargeJPEG(t *testing.T, limit int64) memPhoto {
	t.Helper()
	const width, height = 4000, 3000
	img := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	rng := rand.NewChaCha8([32]byte{'f', 'i', 'e', 'l', 'd', 'o', 'p', 's'})
	for _, plane := range [][]byte{img.Y, img.Cb, img.Cr} {
		_, _ = rng.Read(plane)
	}
	p := memPhoto{path: filepath.Join(t.TempDir(), "photo.jpg"), width: width, height: height}
	tried := map[int]bool{}
	for q := 93; q >= 1 && q <= 100 && !tried[q]; {
		tried[q] = true
		size, err := memEncode(p.path, img, q)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case size > limit:
			q--
		case size < limit-1<<20:
			q++
		default:
			p.size, p.quality = size, q
			f, err := os.Open(p.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				t.Fatal(err)
			}
			p.sha256 = hex.EncodeToString(h.Sum(nil))
			return p
		}
	}
	t.Fatalf("no JPEG quality gives a %d×%d noise image of %d to %d bytes", width, height, limit-1<<20, limit)
	return p
}

func memEncode(path string, img image.Image, quality int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	if err := jpeg.Encode(bw, img, &jpeg.Options{Quality: quality}); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}

// memUpload is one upload's outcome (goroutines report, the test fails).
type memUpload struct {
	status int
	res    *http.Response // its body is read into body
	body   []byte
	err    error
}

// memStreamPhoto uploads the photo at path as an "after" photo with the
// client-generated id, streaming the multipart body from the file.
func memStreamPhoto(url, token, path, id string) memUpload {
	pr, pw := io.Pipe()
	mw := memFormWriter(pw, id)
	written := make(chan error, 1)
	go func() {
		err := memWriteForm(mw, path, id)
		pw.CloseWithError(err)
		written <- err
	}()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		pr.CloseWithError(err)
		<-written
		return memUpload{err: err}
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		<-written
		return memUpload{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	pr.Close() // the server may answer before reading everything (e.g. 413)
	if werr := <-written; err == nil && werr != nil && res.StatusCode < 400 {
		err = fmt.Errorf("writing the body: %w", werr)
	}
	return memUpload{status: res.StatusCode, res: res, body: body, err: err}
}

// memFormWriter is a multipart writer whose boundary is fixed by the photo
// id, so that an upload's body can be rebuilt byte for byte.
func memFormWriter(w io.Writer, id string) *multipart.Writer {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary("fieldops-memory-" + id); err != nil {
		panic(err) // a UUID makes a valid boundary
	}
	return mw
}

// memWriteForm writes the upload form (kind, id, then the file) to mw and
// closes it.
func memWriteForm(mw *multipart.Writer, path, id string) error {
	for _, f := range [][2]string{{"kind", "after"}, {"id", id}} {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="photo.jpg"`)
	h.Set("Content-Type", "image/jpeg")
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(part, f); err != nil {
		return err
	}
	return mw.Close()
}

// memWatch measures the process's memory from its start to stop.
type memWatch struct {
	beforeRSS, beforeHeap uint64
	hwmReset              bool
	quit, done            chan struct{}
	maxRSS, maxHeap       uint64
	samples               int
	sampleErr             error
}

// memPeak is what a memWatch saw.
type memPeak struct {
	beforeRSS, peakRSS   uint64
	source               string // VmHWM, or the sampled VmRSS when the peak could not be reset
	sampledRSS           uint64
	beforeHeap, peakHeap uint64
	samples              int
}

// memHeapMetrics make up MemStats.HeapInuse: bytes in in-use spans.
var memHeapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

// memStartWatch collects garbage, returns freed memory to the OS, reads
// VmRSS, resets the kernel's peak (VmHWM) and starts sampling VmRSS and the
// Go heap every 2 ms.
func memStartWatch(t *testing.T) *memWatch {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	w := &memWatch{quit: make(chan struct{}), done: make(chan struct{})}
	var err error
	if w.beforeRSS, err = memStatus("VmRSS"); err != nil {
		t.Fatal(err)
	}
	w.beforeHeap = memHeapInuse(make([]metrics.Sample, len(memHeapMetrics)))
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset VmHWM (%v): the peak is the sampled VmRSS", err)
	} else {
		w.hwmReset = true
	}
	w.maxRSS, w.maxHeap = w.beforeRSS, w.beforeHeap
	go w.sample()
	return w
}

func (w *memWatch) sample() {
	defer close(w.done)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	s := make([]metrics.Sample, len(memHeapMetrics))
	for {
		rss, err := memStatus("VmRSS")
		if err != nil {
			w.sampleErr = err
			return
		}
		w.maxRSS = max(w.maxRSS, rss)
		w.maxHeap = max(w.maxHeap, memHeapInuse(s))
		w.samples++
		select {
		case <-w.quit:
			return
		case <-tick.C:
		}
	}
}

// stop ends the sampling (after one last sample) and returns the peak.
func (w *memWatch) stop(t *testing.T) memPeak {
	t.Helper()
	close(w.quit)
	<-w.done
	if w.sampleErr != nil {
		t.Fatal(w.sampleErr)
	}
	p := memPeak{beforeRSS: w.beforeRSS, peakRSS: w.maxRSS, source: "sampled VmRSS", sampledRSS: w.maxRSS,
		beforeHeap: w.beforeHeap, peakHeap: w.maxHeap, samples: w.samples}
	if w.hwmReset {
		hwm, err := memStatus("VmHWM")
		if err != nil {
			t.Fatal(err)
		}
		p.peakRSS, p.source = max(hwm, w.maxRSS), "VmHWM"
	}
	return p
}

func memHeapInuse(s []metrics.Sample) uint64 {
	for i, name := range memHeapMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		n += v.Value.Uint64()
	}
	return n
}

// memStatus reads a "kB" field of /proc/self/status, in bytes.
func memStatus(field string) (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		v, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/self/status %s: %q: %w", field, v, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/self/status has no %s", field)
}
