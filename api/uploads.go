package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	xslog "golang.org/x/exp/slog"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/imaging"
)

// Resumable photo uploads (tus 1.0, served by tusd). An upload is created
// with its order and photo fields in Upload-Metadata, its bytes arrive in
// PATCH requests that may break off and resume from the offset HEAD reports,
// and the request that delivers the last byte makes it a photo of the order
// (orders.Service.UploadPhoto: the checks of POST /v1/orders/{id}/photos)
// and removes it, so the bytes are kept once, in the blob store. The first
// bytes are sniffed as they arrive (checkedUpload), so an upload that is not
// an accepted image is refused and removed at its start, and a user has at
// most maxOpenUploads unfinished uploads on a replica.
//
// Unfinished uploads live in cfg.Storage.UploadDir on this process's disk
// and are locked in its memory: with several replicas, every request of an
// upload must reach the replica that created it (docs/ARCHITECTURE.md).

const (
	uploadsBase = "/v1/uploads/"
	// metaOwner is the Upload-Metadata key the server sets to the creator's
	// user id (a client's value is replaced); only the creator reaches the upload.
	metaOwner = "user_id"
	// photoIDHeader names the photo a finished upload became.
	photoIDHeader = "FieldOps-Photo-Id"
)

// uploadMetaKeys are the Upload-Metadata keys an upload takes; tus clients add
// their own (name, type, relativePath…), which are ignored.
var uploadMetaKeys = []string{"order_id", "kind", "id", "filename", "filetype", "taken_at", "lat", "lng"}

// uploadIDs are the ids filestore gives (uid.Uid: 16 random bytes, hex).
var uploadIDs = regexp.MustCompile(`^[0-9a-f]{32}$`)

// uploads serves /v1/uploads: tusd with a filestore, and the FieldOps rules
// in its callbacks.
type uploads struct {
	tus     *tusd.UnroutedHandler
	store   filestore.FileStore
	photos  *orders.Service
	timeout time.Duration // for turning a finished upload into a photo
	log     *slog.Logger
}

// newUploads configures tusd: uploads need an Upload-Length up to the photo
// limit (no deferred length, no concatenation, no download), and the
// termination extension is on. tusd reaches the filestore through
// checkedStore: at most maxOpenUploads per user, and the first bytes sniffed
// as they arrive.
func newUploads(svc *orders.Service, st config.Storage, timeout time.Duration, log *slog.Logger) *uploads {
	u := &uploads{store: filestore.New(st.UploadDir), photos: svc, timeout: timeout, log: log}
	checked := &checkedStore{files: u.store, log: log}
	composer := tusd.NewStoreComposer()
	composer.UseCore(checked)
	composer.UseTerminater(checked)
	memorylocker.New().UseIn(composer)
	h, err := tusd.NewUnroutedHandler(tusd.Config{
		StoreComposer:        composer,
		BasePath:             uploadsBase,
		MaxSize:              st.PhotoMaxBytes(),
		DisableDownload:      true,
		DisableConcatenation: true,
		// the API's CORS middleware answers preflights (router.go)
		Cors: &tusd.CorsConfig{Disable: true},
		// Location is built from the request's own Host and X-Forwarded-*/
		// Forwarded headers, so a TLS-terminating proxy's scheme is kept.
		RespectForwardedHeaders: true,
		// tusd logs each request at info; its failures reach the error
		// handler instead (serve), which logs 5xx with the request id.
		Logger:                    xslog.New(xslog.NewTextHandler(io.Discard, nil)),
		PreUploadCreateCallback:   u.beforeCreate,
		PreFinishResponseCallback: u.finish,
	})
	if err != nil { // only a malformed constant base path fails here
		panic("api: tusd: " + err.Error())
	}
	u.tus = h
	return u
}

// uploadCall carries, through tusd, the error a callback refused with, so
// that the response is the problem the photo endpoint would give.
type uploadCall struct{ err error }

type uploadCallKey struct{}

// serve runs a tusd handler; tusd's text/plain errors (and the callbacks'
// refusals) leave as problem+json through the error handler.
func (u *uploads) serve(h http.HandlerFunc) echo.HandlerFunc {
	tus := u.tus.Middleware(h)
	return func(c echo.Context) error {
		call := &uploadCall{}
		r := c.Request()
		r.Header.Del("X-HTTP-Method-Override") // each method has its own route and checks
		r = r.WithContext(context.WithValue(r.Context(), uploadCallKey{}, call))
		if id := c.Param("id"); id != "" { // tusd's handlers take the path after the base path
			url := *r.URL
			url.Path, url.RawPath = id, ""
			r.URL = &url
		}
		w := &heldErrorWriter{res: c.Response()}
		tus.ServeHTTP(w, r)
		if w.status == 0 {
			return nil
		}
		c.Response().Header().Del(echo.HeaderContentLength)
		if call.err != nil { // a refused upload is gone (or was never created)
			c.Response().Header().Del(echo.HeaderLocation)
			return call.err
		}
		return tusError(w.status, w.body.String())
	}
}

// tusError classifies one of tusd's own errors ("ERR_CODE: message").
func tusError(status int, text string) error {
	kind := kindOfStatus(status)
	_, msg, ok := strings.Cut(strings.TrimSpace(text), ": ")
	if !ok || msg == "" {
		msg = strings.ToLower(http.StatusText(status))
	}
	if kind == errs.Internal {
		return errs.Wrap(kind, errors.New("tusd: "+strings.TrimSpace(text)), msg)
	}
	return errs.E(kind, "%s", msg)
}

// refuse records err for serve and gives tusd an error with err's status.
func refuse(ctx context.Context, err error) error {
	if call, ok := ctx.Value(uploadCallKey{}).(*uploadCall); ok {
		call.err = err
	}
	return tusd.NewError("ERR_FIELDOPS", err.Error(), toProblem(err).Status)
}

// owned answers 404 unless the upload exists and the caller created it,
// before tusd (which knows nothing of callers) sees the request.
func (u *uploads) owned(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Param("id")
		if !uploadIDs.MatchString(id) {
			return errs.NotFoundf("upload")
		}
		ctx := c.Request().Context()
		up, err := u.store.GetUpload(ctx, id)
		if errors.Is(err, tusd.ErrNotFound) {
			return errs.NotFoundf("upload")
		}
		if err != nil {
			return err
		}
		info, err := up.GetInfo(ctx)
		if err != nil {
			return err
		}
		if info.MetaData[metaOwner] != principal(c).UserID.String() {
			return errs.NotFoundf("upload")
		}
		return next(c)
	}
}

// uploadFields are what an upload's metadata says about the photo.
type uploadFields struct {
	orderID            uuid.UUID
	photo              orders.PhotoInput
	filename, filetype string
}

// parseUploadMetadata decodes an Upload-Metadata header (comma-separated
// "key base64-value" pairs, tus 1.0) into the photo's fields and the
// metadata the upload keeps (the known keys). A value that is not base64,
// and a missing or bad order_id or kind, is Invalid naming the key.
func parseUploadMetadata(header string) (uploadFields, map[string]string, error) {
	values := map[string]string{}
	var fe []errs.FieldError
	for _, pair := range strings.Split(header, ",") {
		key, enc, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if !slices.Contains(uploadMetaKeys, key) {
			continue
		}
		v, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		switch {
		case err != nil:
			fe = append(fe, errs.FieldError{Field: key, Message: "must be base64-encoded (tus Upload-Metadata)"})
		case len(v) > 1024 || !utf8.Valid(v):
			fe = append(fe, errs.FieldError{Field: key, Message: "must be UTF-8 text of at most 1024 bytes"})
		default:
			values[key] = string(v)
		}
	}
	if err := errs.Fields(fe); err != nil {
		return uploadFields{}, nil, err
	}
	f, err := metadataFields(values)
	return f, values, err
}

// metadataFields reads an upload's (decoded) metadata.
func metadataFields(v map[string]string) (uploadFields, error) {
	var fe []errs.FieldError
	f := uploadFields{filename: v["filename"], filetype: v["filetype"]}
	if s, ok := v["order_id"]; !ok {
		fe = append(fe, errs.FieldError{Field: "order_id", Message: "is required"})
	} else if id, ok := canonicalUUID(s); !ok {
		fe = append(fe, errs.FieldError{Field: "order_id", Message: "must be a UUID"})
	} else {
		f.orderID = id
	}
	if s, ok := v["kind"]; !ok {
		fe = append(fe, errs.FieldError{Field: "kind", Message: "is required"})
	} else if !slices.Contains(orders.UploadKinds, s) {
		fe = append(fe, errs.FieldError{Field: "kind", Message: "must be one of " + strings.Join(orders.UploadKinds, ", ")})
	}
	in, err := photoFields(v)
	var e *errs.Error
	if errors.As(err, &e) {
		fe = append(fe, e.Fields...)
	}
	f.photo = in
	return f, errs.Fields(fe)
}

// beforeCreate checks a new upload: its metadata, and that the caller may
// add photos to the order now (404 when they cannot see it, as on the photo
// endpoints). It records the caller as the upload's owner.
func (u *uploads) beforeCreate(hook tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	ctx := hook.Context
	p, _ := auth.FromContext(ctx)
	f, meta, err := parseUploadMetadata(hook.HTTPRequest.Header.Get("Upload-Metadata"))
	if err == nil {
		err = u.photos.PhotoTargetOf(ctx, p, f.orderID, f.photo.Kind)
	}
	if err != nil {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, refuse(ctx, err)
	}
	meta[metaOwner] = p.UserID.String()
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{MetaData: meta}, nil
}

// finish makes a complete upload the photo (sniffed, decoded, stored and
// recorded, idempotent by the photo id) and removes the upload whatever the
// outcome. It has its own deadline: the PATCH may have streamed for longer
// than a request's.
func (u *uploads) finish(hook tusd.HookEvent) (tusd.HTTPResponse, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(hook.Context), u.timeout)
	defer cancel()
	up, err := u.store.GetUpload(ctx, hook.Upload.ID)
	if err != nil {
		return tusd.HTTPResponse{}, refuse(hook.Context, err)
	}
	defer u.remove(up, hook.Upload.ID)
	ph, err := u.photoOf(ctx, up, hook.Upload.MetaData)
	if err != nil {
		return tusd.HTTPResponse{}, refuse(hook.Context, err)
	}
	return tusd.HTTPResponse{Header: tusd.HTTPHeader{photoIDHeader: ph.ID.String()}}, nil
}

func (u *uploads) photoOf(ctx context.Context, up tusd.Upload, meta map[string]string) (orders.Photo, error) {
	p, _ := auth.FromContext(ctx)
	f, err := metadataFields(meta)
	if err != nil {
		return orders.Photo{}, err
	}
	body, err := up.GetReader(ctx)
	if err != nil {
		return orders.Photo{}, err
	}
	defer body.Close()
	ph, _, err := u.photos.UploadPhoto(ctx, p, f.orderID, f.photo, orders.FileInput{Body: body, Filename: f.filename, DeclaredType: f.filetype})
	return ph, err
}

// remove deletes a finished upload from the tus store (its lock is held).
func (u *uploads) remove(up tusd.Upload, id string) {
	if err := u.store.AsTerminatableUpload(up).Terminate(context.Background()); err != nil {
		u.log.Warn("removing a finished upload", "upload", id, "error", err)
	}
}

// maxOpenUploads is how many unfinished uploads one user may keep on a
// replica (each may hold up to the photo limit on its disk until it is
// finished, deleted or purged).
const maxOpenUploads = 10

// checkedStore is the filestore as tusd sees it: creating an upload counts
// its owner's unfinished ones, and the first bytes of an upload are sniffed
// as they arrive (checkedUpload).
type checkedStore struct {
	files filestore.FileStore
	log   *slog.Logger
	mu    sync.Mutex // counting a user's uploads and creating one are one step
}

// NewUpload creates an upload unless its owner (metaOwner, set by
// beforeCreate) already has maxOpenUploads unfinished ones: 409.
func (s *checkedStore) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := openUploads(s.files.Path, info.MetaData[metaOwner])
	if err != nil {
		return nil, err
	}
	if n >= maxOpenUploads {
		return nil, refuse(ctx, errs.E(errs.Conflict, "you have %d unfinished uploads: finish or delete one", n))
	}
	up, err := s.files.NewUpload(ctx, info)
	if err != nil {
		return nil, err
	}
	return &checkedUpload{Upload: up, store: s}, nil
}

func (s *checkedStore) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	up, err := s.files.GetUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	return &checkedUpload{Upload: up, store: s}, nil
}

func (s *checkedStore) AsTerminatableUpload(up tusd.Upload) tusd.TerminatableUpload {
	if c, ok := up.(*checkedUpload); ok {
		up = c.Upload
	}
	return s.files.AsTerminatableUpload(up)
}

// openUploads counts owner's unfinished uploads in dir, whose .info files
// hold tusd's FileInfo as JSON (the metadata with metaOwner). There are few:
// finished uploads are removed, abandoned ones purged (PurgeUploads). An
// upload removed meanwhile, or without its data file, does not count.
func openUploads(dir, owner string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".info")
		if !ok || e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		var info struct{ MetaData map[string]string }
		if json.Unmarshal(data, &info) != nil || info.MetaData[metaOwner] != owner {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, id)); err == nil {
			n++
		}
	}
	return n, nil
}

// checkedUpload is an upload whose first bytes are checked as they arrive.
type checkedUpload struct {
	tusd.Upload
	store *checkedStore
}

// WriteChunk reads the first imaging.SniffLen bytes of the file (all of it
// when shorter), with those an earlier request left, before writing any of
// them: bytes that are not an accepted image agreeing with the filetype and
// filename metadata are the photo endpoint's 415, and the upload is removed
// (tusd holds its lock). While fewer have arrived, they are refused only when
// they cannot begin any accepted format; the request that completes them, or
// the last byte's check (finish), decides. The bytes read are written ahead
// of the rest of src, so tusd's offset and length accounting is unchanged.
func (up *checkedUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	info, err := up.GetInfo(ctx)
	if err != nil {
		return 0, err
	}
	window := min(int64(imaging.SniffLen), info.Size)
	if offset >= window {
		return up.Upload.WriteChunk(ctx, offset, src)
	}
	head := make([]byte, window)
	if offset > 0 {
		if err := up.readKept(ctx, head[:offset]); err != nil {
			return 0, err
		}
	}
	n, readErr := io.ReadFull(src, head[offset:])
	head = head[:offset+int64(n)]
	if err := checkHead(head, int64(len(head)) == window, info.MetaData); err != nil {
		if terr := up.store.AsTerminatableUpload(up).Terminate(context.WithoutCancel(ctx)); terr != nil {
			up.store.log.Warn("removing a refused upload", "upload", info.ID, "error", terr)
		}
		return 0, refuse(ctx, err)
	}
	if readErr != nil { // the body ended or broke within the window: keep what came
		written, err := up.Upload.WriteChunk(ctx, offset, bytes.NewReader(head[offset:]))
		if err == nil && !errors.Is(readErr, io.EOF) && !errors.Is(readErr, io.ErrUnexpectedEOF) {
			err = readErr
		}
		return written, err
	}
	return up.Upload.WriteChunk(ctx, offset, io.MultiReader(bytes.NewReader(head[offset:]), src))
}

// readKept reads the upload's first len(p) bytes, which it holds.
func (up *checkedUpload) readKept(ctx context.Context, p []byte) error {
	r, err := up.GetReader(ctx)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.ReadFull(r, p)
	return err
}

// checkHead judges an upload's first bytes: complete when they are all that
// imaging.Sniff needs (or the whole file), with the checks of the photo
// endpoint; otherwise only whether they may begin an accepted image.
func checkHead(head []byte, complete bool, meta map[string]string) error {
	if !complete {
		if imaging.MayStart(head) {
			return nil
		}
		_, err := imaging.Sniff(head)
		return err
	}
	format, err := imaging.Sniff(head)
	if err != nil {
		return err
	}
	return imaging.Agrees(format, meta["filetype"], meta["filename"])
}

// handleCreateUpload starts a resumable photo upload.
//
//	@Summary		Start a resumable photo upload (tus 1.0)
//	@Description	tus 1.0 creation (https://tus.io/protocols/resumable-upload) for photos over unreliable networks. Upload-Length is required (at most the photo limit, default 15 MiB; larger is 413; Upload-Defer-Length is not supported). Upload-Metadata carries the photo's fields as tus key/base64-value pairs: order_id and kind (fault, before, after, other) are required; filename, filetype, id (the client's photo id, a UUID: a retried upload is stored once), taken_at, lat and lng are optional; other keys are ignored. The order is checked now: 404 when the caller cannot see it, 409 when it takes no more photos. A user may have at most 10 unfinished uploads on the server (finished and deleted ones do not count; abandoned ones are removed after 24 h): the 11th is 409. The answer's Location is the upload's URL for HEAD, PATCH and DELETE, which only its creator reaches. With creation-with-upload the body (application/offset+octet-stream) carries the first bytes. The first 64 bytes of the file (the whole file when shorter) are checked as soon as they arrive, here or in the PATCH that brings them: when they are not the start of a JPEG, PNG, WebP or HEIC image agreeing with filename and filetype, the answer is the photo endpoint's 415 and the upload is removed; fewer bytes are refused only when they cannot begin any of these formats. The request that delivers the last byte turns the upload into the photo with the checks of POST /v1/orders/{id}/photos (type from the bytes: 415 for anything but a whole JPEG, PNG, WebP or HEIC agreeing with filename and filetype; 422; 409) and says which photo in FieldOps-Photo-Id; the upload is then gone, accepted or not. OPTIONS /v1/uploads answers the server's tus capabilities (Tus-Version, Tus-Extension: creation, creation-with-upload, termination; Tus-Max-Size).
//	@ID				createUpload
//	@Tags			close-out
//	@Accept			application/offset+octet-stream
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Tus-Resumable	header		string	true	"tus protocol version"	Enums(1.0.0)
//	@Param			Upload-Length	header		integer	true	"the file's size in bytes"	minimum(0)
//	@Param			Upload-Metadata	header		string	true	"order_id, kind and optional photo fields: comma-separated 'key base64value' pairs"	maxlength(8192)
//	@Param			body			body		string	false	"creation-with-upload: the first bytes of the file"
//	@Success		201				"created"
//	@Header			201				{string}	Location			"the upload's URL"
//	@Header			201				{integer}	Upload-Offset		"bytes received so far"
//	@Header			201				{string}	Tus-Resumable		"1.0.0"
//	@Header			201				{string}	FieldOps-Photo-Id	"when the body completed the upload: the photo it became (a UUID)"
//	@Failure		400				{object}	Problem	"a missing or malformed Upload-Length, or Upload-Defer-Length"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem	"no such order, or not visible to the caller"
//	@Failure		409				{object}	Problem	"the order takes no more photos, or the caller is not its technician, or the caller has 10 unfinished uploads (finish or delete one)"
//	@Failure		412				{object}	Problem	"Tus-Resumable is missing or not 1.0.0"
//	@Failure		413				{object}	Problem	"Upload-Length over the photo limit"
//	@Failure		415				{object}	Problem	"the body's first bytes, or the whole file it completed, not an accepted image agreeing with filename and filetype (the upload is removed)"
//	@Failure		422				{object}	Problem	"a metadata key is missing or invalid (errors names it)"
//	@Router			/v1/uploads [post]
func handleCreateUpload(u *uploads) echo.HandlerFunc {
	create := u.serve(u.tus.PostFile)
	return func(c echo.Context) error {
		if c.Request().Header.Get("Upload-Defer-Length") != "" {
			return errs.E(errs.BadRequest, "Upload-Length is required: deferred length is not supported")
		}
		return create(c)
	}
}

// handleUploadOptions answers tus discovery.
//
//	@Summary		The server's tus capabilities
//	@Description	tus 1.0 discovery: the protocol versions, extensions and the largest upload accepted. Browsers' CORS preflights are answered by the CORS middleware, without a token.
//	@ID				uploadOptions
//	@Tags			close-out
//	@Security		BearerAuth
//	@Success		200	"the capabilities, in headers"
//	@Header			200	{string}	Tus-Version		"1.0.0"
//	@Header			200	{string}	Tus-Extension	"creation,creation-with-upload,termination"
//	@Header			200	{integer}	Tus-Max-Size	"the largest Upload-Length accepted, in bytes"
//	@Header			200	{string}	Tus-Resumable	"1.0.0"
//	@Failure		401	{object}	Problem
//	@Failure		403	{object}	Problem
//	@Router			/v1/uploads [options]
func handleUploadOptions(u *uploads) echo.HandlerFunc {
	return u.serve(func(http.ResponseWriter, *http.Request) {}) // tusd's middleware answers OPTIONS
}

// handleUploadOffset reports how much of an upload the server has.
//
//	@Summary		An upload's offset (resume point)
//	@Description	tus 1.0 HEAD: Upload-Offset is where to resume (the bytes of an interrupted PATCH that arrived are kept). Only the upload's creator; for anyone else, and for an upload that finished, 404.
//	@ID				getUploadOffset
//	@Tags			close-out
//	@Security		BearerAuth
//	@Param			id				path		string	true	"upload id (from Location)"	maxlength(64)
//	@Param			Tus-Resumable	header		string	false	"tus protocol version"	Enums(1.0.0)
//	@Success		200				"the upload's state, in headers"
//	@Header			200				{integer}	Upload-Offset	"bytes received so far"
//	@Header			200				{integer}	Upload-Length	"the file's size"
//	@Header			200				{string}	Upload-Metadata	"the metadata kept (tus encoding), user_id set by the server"
//	@Header			200				{string}	Tus-Resumable	"1.0.0"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Router			/v1/uploads/{id} [head]
func handleUploadOffset(u *uploads) echo.HandlerFunc {
	return u.serve(u.tus.HeadFile)
}

// handleUploadChunk appends bytes to an upload.
//
//	@Summary		Send bytes of an upload
//	@Description	tus 1.0 PATCH: the body (application/offset+octet-stream) continues the file at Upload-Offset, which must equal the server's offset (409 otherwise: ask HEAD). If the body breaks off, the bytes that arrived are kept. The file's first 64 bytes are checked as they arrive (see POST /v1/uploads): 415 and the upload is removed when they are not an accepted image agreeing with filename and filetype. The request that completes the file turns it into the photo (see POST /v1/uploads): 204 with FieldOps-Photo-Id, or the photo endpoint's problem (415, 422, 409, 404); either way the upload is then gone.
//	@ID				patchUpload
//	@Tags			close-out
//	@Accept			application/offset+octet-stream
//	@Security		BearerAuth
//	@Param			id				path		string	true	"upload id (from Location)"	maxlength(64)
//	@Param			Tus-Resumable	header		string	true	"tus protocol version"	Enums(1.0.0)
//	@Param			Upload-Offset	header		integer	true	"where these bytes start"	minimum(0)
//	@Param			body			body		string	true	"the next bytes of the file"
//	@Success		204				"stored"
//	@Header			204				{integer}	Upload-Offset		"bytes received so far"
//	@Header			204				{string}	Tus-Resumable		"1.0.0"
//	@Header			204				{string}	FieldOps-Photo-Id	"when this request completed the upload: the photo it became (a UUID)"
//	@Failure		400				{object}	Problem	"Content-Type is not application/offset+octet-stream, or Upload-Offset is missing"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		409				{object}	Problem	"Upload-Offset is not the server's offset; or, on completion, the order takes no more photos or the photo id is taken"
//	@Failure		412				{object}	Problem	"Tus-Resumable is missing or not 1.0.0"
//	@Failure		413				{object}	Problem	"more bytes than Upload-Length"
//	@Failure		415				{object}	Problem	"at the first bytes or on completion: not an accepted image, or not the declared type (the upload is removed)"
//	@Failure		422				{object}	Problem	"on completion: an empty file or invalid photo fields"
//	@Router			/v1/uploads/{id} [patch]
func handleUploadChunk(u *uploads) echo.HandlerFunc {
	return u.serve(u.tus.PatchFile)
}

// handleDeleteUpload abandons an upload.
//
//	@Summary		Abandon an upload
//	@Description	tus 1.0 termination: the upload and its bytes are removed. Only the upload's creator.
//	@ID				deleteUpload
//	@Tags			close-out
//	@Security		BearerAuth
//	@Param			id				path	string	true	"upload id (from Location)"	maxlength(64)
//	@Param			Tus-Resumable	header	string	true	"tus protocol version"	Enums(1.0.0)
//	@Success		204				"removed"
//	@Header			204				{string}	Tus-Resumable	"1.0.0"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		404				{object}	Problem
//	@Failure		412				{object}	Problem	"Tus-Resumable is missing or not 1.0.0"
//	@Router			/v1/uploads/{id} [delete]
func handleDeleteUpload(u *uploads) echo.HandlerFunc {
	return u.serve(u.tus.DelFile)
}

// PurgeUploads removes resumable uploads nobody has written to for maxAge
// (tusd's filestore keeps <id> and <id>.info in dir) and returns how many.
// Every replica may run it (each purges its own directory).
func PurgeUploads(dir string, maxAge time.Duration, now time.Time) (int, error) {
	infos, err := filepath.Glob(filepath.Join(dir, "*.info"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, info := range infos {
		data := strings.TrimSuffix(info, ".info")
		last := time.Time{}
		for _, f := range []string{info, data} {
			if st, err := os.Stat(f); err == nil && st.ModTime().After(last) {
				last = st.ModTime()
			}
		}
		if now.Sub(last) < maxAge {
			continue
		}
		if err := os.Remove(data); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		if err := os.Remove(info); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		n++
	}
	return n, nil
}
