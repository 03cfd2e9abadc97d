package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api"
	"github.com/fieldops/fieldops/api/apitest"
)

// tusClient is a minimal tus 1.0 client on net/http for one caller; every
// exchange it completes is checked against the OpenAPI document.
type tusClient struct {
	t   *testing.T
	env *apitest.Env
	tok string
}

type tusAnswer struct {
	Method string
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

// do sends a tus request to a path or to an upload's Location. Tus-Resumable
// 1.0.0 is sent unless headers set it ("" drops it); a body goes as
// application/offset+octet-stream unless headers set Content-Type.
func (c tusClient) do(method, target string, body []byte, headers ...string) tusAnswer {
	c.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = c.env.URL + target
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.tok)
	req.Header.Set("Tus-Resumable", "1.0.0")
	if body != nil {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	apitest.Verify(c.t, req, body, res, raw)
	out := tusAnswer{Method: method, Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// create starts an upload of size bytes with the given metadata pairs.
func (c tusClient) create(size int, meta ...string) tusAnswer {
	c.t.Helper()
	return c.do(http.MethodPost, "/v1/uploads", nil, "Upload-Length", strconv.Itoa(size), "Upload-Metadata", tusMetadata(meta...))
}

func (c tusClient) patch(location string, offset int, chunk []byte) tusAnswer {
	c.t.Helper()
	return c.do(http.MethodPatch, location, chunk, "Upload-Offset", strconv.Itoa(offset))
}

// offset asks the server where to resume.
func (c tusClient) offset(location string) int {
	c.t.Helper()
	a := c.do(http.MethodHead, location, nil)
	if a.Status != http.StatusOK {
		c.t.Fatalf("HEAD %s: %d", location, a.Status)
	}
	n, err := strconv.Atoi(a.Header.Get("Upload-Offset"))
	if err != nil {
		c.t.Fatalf("HEAD %s: Upload-Offset %q", location, a.Header.Get("Upload-Offset"))
	}
	return n
}

// tusMetadata encodes key/value pairs as an Upload-Metadata header.
func tusMetadata(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

func mustTus(t *testing.T, a tusAnswer, want int, what string) tusAnswer {
	t.Helper()
	if a.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, a.Status, want, a.Raw)
	}
	return a
}

// mustProblem checks an error answer: status, problem+json, and the field it
// names (HEAD answers have no body to check).
func mustProblem(t *testing.T, a tusAnswer, want int, field, what string) {
	t.Helper()
	mustTus(t, a, want, what)
	if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("%s: Content-Type %q, want application/problem+json: %s", what, ct, a.Raw)
	}
	if a.Method == http.MethodHead {
		return
	}
	if a.JSON["status"] != float64(want) || a.JSON["type"] == "" || a.JSON["title"] == "" || a.JSON["detail"] == "" {
		t.Fatalf("%s: not a complete problem: %s", what, a.Raw)
	}
	if field != "" && !strings.Contains(string(a.Raw), `"field":"`+field+`"`) {
		t.Fatalf("%s: the problem does not name %s: %s", what, field, a.Raw)
	}
}

// uploadDirEntries lists what the tus store holds.
func uploadDirEntries(t *testing.T, env *apitest.Env) []string {
	t.Helper()
	entries, err := os.ReadDir(env.UploadDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// breakingBody sends its bytes, waits for the server to take them, then
// fails: the request is cut off after them, as on a lost connection.
type breakingBody struct{ r io.Reader }

func (b *breakingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		time.Sleep(200 * time.Millisecond)
		return n, errors.New("network lost")
	}
	return n, err
}

// An upload cut off on a field network resumes from the offset the server
// reports, and the request that completes it makes the photo: stored once,
// with the original's SHA-256, and nothing left in the tus store.
func TestUploadResumesAfterACutAndBecomesThePhoto(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	img := jpegOf(t, noise(600, 400, 21))
	photoID := uuid.NewString()
	tom := tusClient{t: t, env: env, tok: c.tom}
	meta := []string{"order_id", c.id, "kind", "after", "filename", "after.jpg", "filetype", "image/jpeg", "id", photoID,
		"taken_at", "2026-06-01T10:30:00Z", "lat", "31.24", "lng", "121.49"}

	created := mustTus(t, tom.create(len(img), meta...), http.StatusCreated, "create")
	loc := created.Header.Get("Location")
	if !strings.Contains(loc, "/v1/uploads/") {
		t.Fatalf("create: Location %q", loc)
	}

	cut := len(img) * 6 / 10
	first := mustTus(t, tom.patch(loc, 0, img[:cut]), http.StatusNoContent, "the first 60 %")
	if got := first.Header.Get("Upload-Offset"); got != strconv.Itoa(cut) {
		t.Fatalf("after 60 %%: Upload-Offset %s, want %d", got, cut)
	}
	if first.Header.Get("FieldOps-Photo-Id") != "" {
		t.Fatal("an unfinished upload named a photo")
	}

	// the next PATCH promises the rest but the connection breaks after 20 %
	req, _ := http.NewRequest(http.MethodPatch, loc, &breakingBody{bytes.NewReader(img[cut : cut+len(img)/5])})
	req.ContentLength = int64(len(img) - cut)
	req.Header.Set("Authorization", "Bearer "+c.tom)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.Itoa(cut))
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the broken PATCH got an answer: %d", res.StatusCode)
	}

	off := tom.offset(loc)
	if off < cut || off >= len(img) {
		t.Fatalf("after the cut: offset %d, want between %d and %d", off, cut, len(img))
	}
	mustProblem(t, tom.patch(loc, cut/2, img[cut/2:cut/2+10]), http.StatusConflict, "", "resuming from a wrong offset")

	done := mustTus(t, tom.patch(loc, off, img[off:]), http.StatusNoContent, "resume")
	if got := done.Header.Get("FieldOps-Photo-Id"); got != photoID {
		t.Fatalf("FieldOps-Photo-Id %q, want the client's id %s", got, photoID)
	}
	if got := done.Header.Get("Upload-Offset"); got != strconv.Itoa(len(img)) {
		t.Fatalf("finished: Upload-Offset %s, want %d", got, len(img))
	}

	list := mustStatus(t, env.Do(http.MethodGet, "/v1/orders/"+c.id+"/photos", c.tom, nil), http.StatusOK, "photos").Items(t)
	if len(list) != 1 || list[0]["id"] != photoID || list[0]["sha256"] != sha(img) || list[0]["kind"] != "after" ||
		list[0]["size"] != float64(len(img)) || list[0]["lat"] != 31.24 {
		t.Fatalf("photos = %v, want one after photo %s with SHA-256 %s", list, photoID, sha(img))
	}
	if files := blobFiles(t, env); len(files) != 1 {
		t.Fatalf("blob store holds %v, want one object", files)
	}
	if left := uploadDirEntries(t, env); len(left) != 0 {
		t.Fatalf("the tus store still holds %v", left)
	}
	mustProblem(t, tom.do(http.MethodHead, loc, nil), http.StatusNotFound, "", "HEAD of a finished upload")

	// a client that lost the last answer starts again: creation-with-upload of
	// the same photo id and bytes gives the same photo, stored once
	again := tom.do(http.MethodPost, "/v1/uploads", img, "Upload-Length", strconv.Itoa(len(img)), "Upload-Metadata", tusMetadata(meta...))
	mustTus(t, again, http.StatusCreated, "the whole photo in the creating request")
	if got := again.Header.Get("FieldOps-Photo-Id"); got != photoID {
		t.Fatalf("again: FieldOps-Photo-Id %q, want %s", got, photoID)
	}
	if n, files, left := env.Count("photos"), blobFiles(t, env), uploadDirEntries(t, env); n != 1 || len(files) != 1 || len(left) != 0 {
		t.Fatalf("after the retry: %d photos, blobs %v, uploads %v", n, files, left)
	}
}

// An upload is its creator's, on an order they may add photos to: another
// customer and a technician who is not assigned get 404 creating one for the
// order and reaching someone else's upload, as on the photo endpoints.
func TestUploadsAreScopedToTheirCreator(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	img := jpegOf(t, noise(200, 150, 22))
	tom := tusClient{t: t, env: env, tok: c.tom}
	loc := mustTus(t, tom.create(len(img), "order_id", c.id, "kind", "before", "filename", "b.jpg"), http.StatusCreated, "create").Header.Get("Location")
	mustTus(t, tom.patch(loc, 0, img[:100]), http.StatusNoContent, "first bytes")

	for _, who := range []string{"bob@example.com", "sam@fieldops.test", "alice@example.com"} {
		other := tusClient{t: t, env: env, tok: env.Token(who)}
		if who != "alice@example.com" { // alice may add fault photos to her order, not touch tom's upload
			mustProblem(t, other.create(len(img), "order_id", c.id, "kind", "fault"), http.StatusNotFound, "", who+" creates")
		}
		mustProblem(t, other.do(http.MethodHead, loc, nil), http.StatusNotFound, "", who+" HEADs tom's upload")
		mustProblem(t, other.patch(loc, 100, img[100:200]), http.StatusNotFound, "", who+" PATCHes tom's upload")
		mustProblem(t, other.do(http.MethodDelete, loc, nil), http.StatusNotFound, "", who+" DELETEs tom's upload")
	}
	alice := tusClient{t: t, env: env, tok: c.alice}
	mustProblem(t, alice.create(len(img), "order_id", c.id, "kind", "after"), http.StatusUnprocessableEntity, "kind", "a customer's after photo, refused at creation")
	disp := tusClient{t: t, env: env, tok: c.disp}
	mustProblem(t, disp.create(len(img), "order_id", c.id, "kind", "other"), http.StatusForbidden, "", "a dispatcher creates")
	mustProblem(t, disp.do(http.MethodHead, loc, nil), http.StatusForbidden, "", "a dispatcher HEADs")

	if off := tom.offset(loc); off != 100 {
		t.Fatalf("offset %d after the others' attempts, want 100", off)
	}
	mustTus(t, tom.do(http.MethodDelete, loc, nil), http.StatusNoContent, "tom abandons it")
	if left := uploadDirEntries(t, env); len(left) != 0 {
		t.Fatalf("the tus store still holds %v", left)
	}
	if n := env.Count("photos"); n != 0 {
		t.Fatalf("%d photos", n)
	}
}

// A file that is not an image is refused by its first bytes, with the photo
// endpoint's 415, before the rest is sent: the first PATCH of a 1 MB text
// file, a creating request that carries text, and text that follows two
// bytes that could begin a JPEG. Nothing stays: no upload, blob or row.
func TestUploadOfTextIsRefusedAtItsFirstBytes(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	text := []byte(strings.Repeat("these are my notes, not a photo\n", 1<<15)) // 1 MiB
	tom := tusClient{t: t, env: env, tok: c.tom}
	meta := []string{"order_id", c.id, "kind", "after", "filename", "notes.jpg", "filetype", "image/jpeg"}
	nothingLeft := func(what string) {
		t.Helper()
		if n, files, left := env.Count("photos"), blobFiles(t, env), uploadDirEntries(t, env); n != 0 || len(files) != 0 || len(left) != 0 {
			t.Fatalf("%s left %d photos, blobs %v, uploads %v", what, n, files, left)
		}
	}

	loc := mustTus(t, tom.create(len(text), meta...), http.StatusCreated, "create").Header.Get("Location")
	first := tom.patch(loc, 0, text[:64<<10])
	mustProblem(t, first, http.StatusUnsupportedMediaType, "", "the first 64 KiB of 1 MiB")
	if !strings.Contains(first.JSON["detail"].(string), "not a JPEG, PNG, WebP or HEIC") {
		t.Fatalf("detail %q", first.JSON["detail"])
	}
	nothingLeft("a refused first PATCH")
	mustProblem(t, tom.do(http.MethodHead, loc, nil), http.StatusNotFound, "", "HEAD of the refused upload")
	mustProblem(t, tom.patch(loc, 0, text[:64<<10]), http.StatusNotFound, "", "PATCH of the refused upload")

	post := tom.do(http.MethodPost, "/v1/uploads", text[:4096], "Upload-Length", strconv.Itoa(len(text)), "Upload-Metadata", tusMetadata(meta...))
	mustProblem(t, post, http.StatusUnsupportedMediaType, "", "creation-with-upload of text")
	if post.Header.Get("Location") != "" {
		t.Fatalf("a refused creation named an upload: %s", post.Header.Get("Location"))
	}
	nothingLeft("a refused creation-with-upload")

	// two bytes that may begin a JPEG are kept; the text after them is not
	loc = mustTus(t, tom.create(len(text), meta...), http.StatusCreated, "create again").Header.Get("Location")
	mustTus(t, tom.patch(loc, 0, []byte{0xFF, 0xD8}), http.StatusNoContent, "two bytes of a JPEG start")
	mustProblem(t, tom.patch(loc, 2, text[:1000]), http.StatusUnsupportedMediaType, "", "text after them")
	nothingLeft("text after a JPEG start")
}

// An image whose first bytes disagree with its name is refused there: a PNG
// named .jpg, with the photo endpoint's message.
func TestUploadOfAPNGNamedJPGIsRefusedAtItsFirstBytes(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	img := pngOf(t, noise(300, 200, 23))
	tom := tusClient{t: t, env: env, tok: c.tom}
	loc := mustTus(t, tom.create(len(img), "order_id", c.id, "kind", "before", "filename", "before.jpg"),
		http.StatusCreated, "create").Header.Get("Location")
	a := tom.patch(loc, 0, img[:len(img)/4])
	mustProblem(t, a, http.StatusUnsupportedMediaType, "", "the first quarter of a PNG named .jpg")
	if d := a.JSON["detail"].(string); !strings.Contains(d, "PNG") || !strings.Contains(d, ".jpg") {
		t.Fatalf("detail %q does not name both sides", d)
	}
	if n, files, left := env.Count("photos"), blobFiles(t, env), uploadDirEntries(t, env); n != 0 || len(files) != 0 || len(left) != 0 {
		t.Fatalf("a refused upload left %d photos, blobs %v, uploads %v", n, files, left)
	}

	// named .png, the same bytes become the photo
	loc = mustTus(t, tom.create(len(img), "order_id", c.id, "kind", "before", "filename", "before.png", "filetype", "image/png"),
		http.StatusCreated, "create as .png").Header.Get("Location")
	mustTus(t, tom.patch(loc, 0, img[:10]), http.StatusNoContent, "ten bytes")
	mustTus(t, tom.patch(loc, 10, img[10:len(img)/2]), http.StatusNoContent, "the first half")
	done := mustTus(t, tom.patch(loc, len(img)/2, img[len(img)/2:]), http.StatusNoContent, "the rest")
	if done.Header.Get("FieldOps-Photo-Id") == "" || env.Count("photos") != 1 {
		t.Fatalf("the PNG did not become a photo: %v", done.Header)
	}
}

// A file that begins like a JPEG but is not one passes the first-bytes check
// and is refused when its last byte arrives, with the photo endpoint's 415,
// leaving nothing: no blob, no row, no upload.
func TestUploadOfAFakeJPEGIsRefusedAtTheEndAndLeavesNothing(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	fake := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, strings.Repeat("these are my notes, not a photo\n", 200)...)
	tom := tusClient{t: t, env: env, tok: c.tom}
	loc := mustTus(t, tom.create(len(fake), "order_id", c.id, "kind", "after", "filename", "notes.jpg", "filetype", "image/jpeg"),
		http.StatusCreated, "create").Header.Get("Location")
	mustTus(t, tom.patch(loc, 0, fake[:1000]), http.StatusNoContent, "first part")
	last := tom.patch(loc, 1000, fake[1000:])
	mustProblem(t, last, http.StatusUnsupportedMediaType, "", "the last part")
	if last.Header.Get("FieldOps-Photo-Id") != "" {
		t.Fatal("a refused upload named a photo")
	}
	if n, files, left := env.Count("photos"), blobFiles(t, env), uploadDirEntries(t, env); n != 0 || len(files) != 0 || len(left) != 0 {
		t.Fatalf("a refused upload left %d photos, blobs %v, uploads %v", n, files, left)
	}
	mustProblem(t, tom.do(http.MethodHead, loc, nil), http.StatusNotFound, "", "HEAD of the refused upload")
}

// A user has at most 10 unfinished uploads: the 11th is 409 while another
// user still creates theirs, and deleting one makes room again.
func TestUnfinishedUploadsPerUserAreCapped(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	tom := tusClient{t: t, env: env, tok: c.tom}
	var locs []string
	for i := range 10 {
		a := mustTus(t, tom.create(1000, "order_id", c.id, "kind", "after"), http.StatusCreated, "upload "+strconv.Itoa(i+1))
		locs = append(locs, a.Header.Get("Location"))
	}
	eleventh := tom.create(1000, "order_id", c.id, "kind", "after")
	mustProblem(t, eleventh, http.StatusConflict, "", "the 11th unfinished upload")
	if d := eleventh.JSON["detail"]; d != "you have 10 unfinished uploads: finish or delete one" {
		t.Fatalf("detail %q", d)
	}
	if eleventh.Header.Get("Location") != "" {
		t.Fatalf("a refused creation named an upload: %s", eleventh.Header.Get("Location"))
	}
	// the whole file in the creating request is refused too, before any byte is kept
	img := jpegOf(t, noise(64, 48, 24))
	mustProblem(t, tom.do(http.MethodPost, "/v1/uploads", img, "Upload-Length", strconv.Itoa(len(img)),
		"Upload-Metadata", tusMetadata("order_id", c.id, "kind", "after")), http.StatusConflict, "", "creation-with-upload beyond the cap")
	if n := len(uploadDirEntries(t, env)); n != 20 {
		t.Fatalf("%d files in the upload dir, want 20 (data + info of ten uploads)", n)
	}

	alice := tusClient{t: t, env: env, tok: c.alice}
	mustTus(t, alice.create(1000, "order_id", c.id, "kind", "fault"), http.StatusCreated, "another user's upload")

	mustTus(t, tom.do(http.MethodDelete, locs[3], nil), http.StatusNoContent, "tom deletes one")
	mustTus(t, tom.create(1000, "order_id", c.id, "kind", "after"), http.StatusCreated, "after deleting one")
	mustProblem(t, tom.create(1000, "order_id", c.id, "kind", "after"), http.StatusConflict, "", "the 11th again")
}

// What tusd or the metadata check refuses is a problem too: the size limit,
// missing or malformed metadata keys (named), the protocol version, the body
// type and an offset beyond the length.
func TestUploadRefusalsAreProblems(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	tom := tusClient{t: t, env: env, tok: c.tom}

	limit := env.Config.Storage.PhotoMaxBytes()
	mustProblem(t, tom.create(int(limit)+1, "order_id", c.id, "kind", "after"), http.StatusRequestEntityTooLarge, "", "Upload-Length over the limit")

	for _, tc := range []struct {
		name, meta, field string
	}{
		{"no order_id", tusMetadata("kind", "after"), "order_id"},
		{"no kind", tusMetadata("order_id", c.id), "kind"},
		{"an unknown kind", tusMetadata("order_id", c.id, "kind", "selfie"), "kind"},
		{"order_id not a UUID", tusMetadata("order_id", "42", "kind", "after"), "order_id"},
		{"kind not base64", "order_id " + base64.StdEncoding.EncodeToString([]byte(c.id)) + ",kind ***", "kind"},
		{"a bad photo id", tusMetadata("order_id", c.id, "kind", "after", "id", "nope"), "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tom := tusClient{t: t, env: env, tok: c.tom}
			a := tom.do(http.MethodPost, "/v1/uploads", nil, "Upload-Length", "10", "Upload-Metadata", tc.meta)
			mustProblem(t, a, http.StatusUnprocessableEntity, tc.field, tc.name)
		})
	}
	if left := uploadDirEntries(t, env); len(left) != 0 {
		t.Fatalf("refused creations left %v", left)
	}

	mustProblem(t, tom.do(http.MethodPost, "/v1/uploads", nil, "Tus-Resumable", "", "Upload-Length", "10",
		"Upload-Metadata", tusMetadata("order_id", c.id, "kind", "after")), http.StatusPreconditionFailed, "", "no Tus-Resumable")
	mustProblem(t, tom.do(http.MethodPost, "/v1/uploads", nil, "Upload-Defer-Length", "1",
		"Upload-Metadata", tusMetadata("order_id", c.id, "kind", "after")), http.StatusBadRequest, "", "a deferred length")
	loc := mustTus(t, tom.create(10, "order_id", c.id, "kind", "after"), http.StatusCreated, "create").Header.Get("Location")
	mustProblem(t, tom.do(http.MethodPatch, loc, []byte("0123"), "Upload-Offset", "0", "Content-Type", "application/json"),
		http.StatusBadRequest, "", "a JSON body")
	mustProblem(t, tom.patch(loc, 0, make([]byte, 11)), http.StatusRequestEntityTooLarge, "", "more than Upload-Length")

	opts := mustTus(t, tom.do(http.MethodOptions, "/v1/uploads", nil, "Tus-Resumable", ""), http.StatusOK, "OPTIONS")
	if opts.Header.Get("Tus-Version") != "1.0.0" || opts.Header.Get("Tus-Max-Size") != strconv.FormatInt(limit, 10) ||
		!strings.Contains(opts.Header.Get("Tus-Extension"), "termination") {
		t.Fatalf("OPTIONS headers: %v", opts.Header)
	}
}

// An upload nobody writes to for a day is purged; a recent one stays.
func TestAbandonedUploadsArePurged(t *testing.T) {
	env := apitest.New(t)
	c := inProgressOrder(t, env, "repair")
	img := jpegOf(t, noise(100, 80, 31))
	tom := tusClient{t: t, env: env, tok: c.tom}
	old := mustTus(t, tom.create(len(img), "order_id", c.id, "kind", "before"), http.StatusCreated, "create old").Header.Get("Location")
	mustTus(t, tom.patch(old, 0, img[:50]), http.StatusNoContent, "old: some bytes")
	fresh := mustTus(t, tom.create(len(img), "order_id", c.id, "kind", "after"), http.StatusCreated, "create fresh").Header.Get("Location")
	if n := len(uploadDirEntries(t, env)); n != 4 {
		t.Fatalf("%d files in the upload dir, want 4 (data + info of two uploads)", n)
	}
	// the old one was last written 25 h ago
	id := old[strings.LastIndex(old, "/")+1:]
	then := time.Now().Add(-25 * time.Hour)
	for _, f := range []string{id, id + ".info"} {
		if err := os.Chtimes(filepath.Join(env.UploadDir, f), then, then); err != nil {
			t.Fatal(err)
		}
	}
	n, err := api.PurgeUploads(env.UploadDir, 24*time.Hour, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("purged %d (%v), want 1", n, err)
	}
	mustProblem(t, tom.do(http.MethodHead, old, nil), http.StatusNotFound, "", "HEAD of the purged upload")
	if off := tom.offset(fresh); off != 0 {
		t.Fatalf("the fresh upload's offset is %d", off)
	}
}
