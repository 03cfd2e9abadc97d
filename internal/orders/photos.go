package orders

import (
	"bufio"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/blob"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/imaging"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// Media is what photos need besides the database: where the bytes go, the
// decoder that checks them (bounded concurrency) and the size limit.
type Media struct {
	Blobs    blob.Store
	Images   *imaging.Inspector
	MaxBytes int64 // the largest photo accepted, in bytes
}

// PhotoInput is what the client says about a photo; the bytes come apart.
type PhotoInput struct {
	ID       *uuid.UUID // client-generated: a retried upload with the same id and bytes is stored once
	Kind     string
	TakenAt  *time.Time
	Lat, Lng *float64
}

// FileInput is an uploaded file: its bytes and what the client declared.
type FileInput struct {
	Body         io.Reader
	Filename     string // the client's file name; its extension must agree with the bytes
	DeclaredType string // the part's Content-Type; "" or application/octet-stream = not declared
}

// Staged is a file that is stored, sniffed and decoded but not yet a photo.
// Whoever holds one either makes it a photo (AddOrderPhoto, Complete) or
// discards it, so no refused upload leaves bytes in the store.
type Staged struct {
	Key  string
	Info blob.Info
	Meta imaging.Meta
}

// PhotoTarget checks, before any byte is read, that p may add photos to the
// order now: NotFound when p cannot see it or is a technician not assigned
// to it now, Forbidden for staff roles, Conflict once the order is
// completed, closed or cancelled (its evidence is final).
func (s *Service) PhotoTarget(ctx context.Context, p auth.Principal, orderID uuid.UUID) error {
	return s.PhotoTargetOf(ctx, p, orderID, "")
}

// PhotoTargetOf is PhotoTarget when the kind is known before the bytes (a
// resumable upload's metadata): a customer's non-fault photo is refused at once.
func (s *Service) PhotoTargetOf(ctx context.Context, p auth.Principal, orderID uuid.UUID, kind string) error {
	o, err := s.visible(ctx, p, orderID)
	if err != nil {
		return err
	}
	return photoRules(p, o, kind)
}

// photoRules decides whether p may add a photo of kind ("" = any kind, for
// the early check) to o.
func photoRules(p auth.Principal, o Order, kind string) error {
	switch p.Role {
	case auth.RoleCustomer:
		if o.CustomerID != p.UserID {
			return errs.NotFoundf("order")
		}
		if kind != "" && kind != KindFault {
			return errs.Field("kind", "customers add fault photos only")
		}
	case auth.RoleTechnician:
		if !assignedTo(p, o) { // a technician who declined or was taken off: as if unknown
			return errs.NotFoundf("order")
		}
	default:
		return errs.E(errs.Forbidden, "only the order's customer and its technician add photos")
	}
	if o.Status == StatusCompleted || o.Status == StatusClosed || o.Status == StatusCancelled {
		return &errs.Error{Kind: errs.Conflict, Message: "photos cannot be added to a " + o.Status + " order",
			Extra: map[string]any{"current_status": o.Status}}
	}
	return nil
}

// earliestPhoto bounds a photo's taken_at from below (no phone took one
// earlier); it may be at most a day ahead of the server's clock.
var earliestPhoto = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// checkPhotoInput names each bad field of in; kinds are the kinds accepted.
func checkPhotoInput(in PhotoInput, kinds []string, now time.Time) error {
	var fe []errs.FieldError
	if in.ID != nil && *in.ID == uuid.Nil {
		fe = append(fe, errs.FieldError{Field: "id", Message: "must not be the all-zero UUID"})
	}
	if !slices.Contains(kinds, in.Kind) {
		fe = append(fe, errs.FieldError{Field: "kind", Message: "must be one of " + strings.Join(kinds, ", ")})
	}
	if (in.Lat == nil) != (in.Lng == nil) {
		fe = append(fe, errs.FieldError{Field: "lat", Message: "lat and lng go together"})
	}
	if in.Lat != nil && !(*in.Lat >= -90 && *in.Lat <= 90) { // NaN fails every comparison
		fe = append(fe, errs.FieldError{Field: "lat", Message: "must be a number between -90 and 90"})
	}
	if in.Lng != nil && !(*in.Lng >= -180 && *in.Lng <= 180) {
		fe = append(fe, errs.FieldError{Field: "lng", Message: "must be a number between -180 and 180"})
	}
	if in.TakenAt != nil && (in.TakenAt.Before(earliestPhoto) || in.TakenAt.After(now.Add(24*time.Hour))) {
		fe = append(fe, errs.FieldError{Field: "taken_at", Message: "must be between 2000-01-01 and now"})
	}
	return errs.Fields(fe)
}

// tooLarge stops a stream after max bytes with a TooLarge error, which makes
// blob.Put keep nothing.
type tooLarge struct {
	r    io.Reader
	left int64
	max  int64
}

func (t *tooLarge) Read(b []byte) (int, error) {
	if t.left <= 0 {
		var one [1]byte
		if n, _ := t.r.Read(one[:]); n > 0 {
			return 0, errs.E(errs.TooLarge, "the file is larger than %d bytes", t.max)
		}
		return 0, io.EOF
	}
	if int64(len(b)) > t.left {
		b = b[:t.left]
	}
	n, err := t.r.Read(b)
	t.left -= int64(n)
	return n, err
}

// Stage streams a file into the store under prefix while hashing it, after
// deciding its type from its first bytes (which must agree with the declared
// type and the file name), then decodes it: UnsupportedMedia for anything
// that is not a whole JPEG, PNG, WebP or HEIC image, TooLarge over the size
// limit, Invalid for an empty file. On any error nothing is left stored.
func (s *Service) Stage(ctx context.Context, prefix string, f FileInput) (Staged, error) {
	m := s.media
	if m.Blobs == nil {
		return Staged{}, errs.E(errs.Unavailable, "photo storage is not configured")
	}
	br := bufio.NewReaderSize(f.Body, 4096)
	head, err := br.Peek(imaging.SniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Staged{}, err
	}
	if len(head) == 0 {
		return Staged{}, errs.Field("file", "is empty")
	}
	format, err := imaging.Sniff(head)
	if err != nil {
		return Staged{}, err
	}
	if err := imaging.Agrees(format, f.DeclaredType, f.Filename); err != nil {
		return Staged{}, err
	}
	key := prefix + "/" + ids.New().String()
	info, err := m.Blobs.Put(ctx, key, &tooLarge{r: br, left: m.MaxBytes, max: m.MaxBytes})
	if err != nil {
		return Staged{}, err
	}
	st := Staged{Key: key, Info: info}
	obj, err := m.Blobs.Open(ctx, key)
	if err != nil {
		s.Discard(st)
		return Staged{}, err
	}
	st.Meta, err = m.Images.Inspect(ctx, format, obj, info.Size)
	obj.Close()
	if err != nil {
		s.Discard(st)
		return Staged{}, err
	}
	return st, nil
}

// Discard removes a staged file that did not become a photo. It runs with its
// own short deadline so that a cancelled request still cleans up. When the
// database cannot say that no photo row references the file (a commit whose
// outcome is unknown), the file is kept: an orphan costs bytes, a photo
// without its bytes would break a signed record.
func (s *Service) Discard(st Staged) {
	if st.Key == "" || s.media.Blobs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if used, err := s.st.blobInUse(ctx, st.Key); err != nil || used {
		return
	}
	_ = s.media.Blobs.Delete(ctx, st.Key)
}

// OrderPhotoPrefix is where an order's photo bytes are kept.
func OrderPhotoPrefix(orderID uuid.UUID) string { return "orders/" + orderID.String() + "/photos" }

// UploadPhoto checks, stages and records a photo in one call (the caller
// knows the fields before the bytes, as in a resumable upload).
func (s *Service) UploadPhoto(ctx context.Context, p auth.Principal, orderID uuid.UUID, in PhotoInput, f FileInput) (Photo, bool, error) {
	if err := checkPhotoInput(in, UploadKinds, s.clock.Now()); err != nil {
		return Photo{}, false, err
	}
	if err := s.PhotoTarget(ctx, p, orderID); err != nil {
		return Photo{}, false, err
	}
	st, err := s.Stage(ctx, OrderPhotoPrefix(orderID), f)
	if err != nil {
		return Photo{}, false, err
	}
	return s.AddOrderPhoto(ctx, p, orderID, in, st)
}

// AddOrderPhoto makes a staged file a photo of the order's current visit. A
// retry with the photo id of an earlier upload and the same bytes returns
// that photo (created false); other bytes under that id are Conflict. The
// staged file is discarded unless it became the new photo.
func (s *Service) AddOrderPhoto(ctx context.Context, p auth.Principal, orderID uuid.UUID, in PhotoInput, st Staged) (Photo, bool, error) {
	ph, created, err := s.addOrderPhoto(ctx, p, orderID, in, st)
	if err != nil || !created {
		s.Discard(st)
	}
	return ph, created, err
}

func (s *Service) addOrderPhoto(ctx context.Context, p auth.Principal, orderID uuid.UUID, in PhotoInput, st Staged) (Photo, bool, error) {
	if err := checkPhotoInput(in, UploadKinds, s.clock.Now()); err != nil {
		return Photo{}, false, err
	}
	sc, err := s.scopeOf(ctx, p)
	if err != nil {
		return Photo{}, false, err
	}
	var out Photo
	created := false
	err = database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		stx := s.st.tx(tx)
		o, err := sc.lock(ctx, stx, orderID) // completion takes the same lock: no photo slips in after it
		if err != nil {
			return err
		}
		if prev, found, err := retried(ctx, stx, p, in, st, func(ph Photo) bool { return ph.OrderID != nil && *ph.OrderID == orderID }); err != nil || found {
			out = prev
			return err
		}
		if err := photoRules(p, o, in.Kind); err != nil {
			return err
		}
		ph := newPhoto(p, in, st, s.clock.Now())
		ph.OrderID, ph.Visit = &o.ID, &o.VisitCount
		if err := stx.addPhoto(ctx, &ph); err != nil {
			return err
		}
		out, created = ph, true
		return nil
	})
	if conflictOnID(err) {
		err = errIDTaken
	}
	return out, created, err
}

// retried looks up the photo a client id already names: found with the
// photo when it is a retry of the same upload (same owner, as sameOwner
// decides, same uploader, same bytes), errIDTaken when the id names another.
func retried(ctx context.Context, s store, p auth.Principal, in PhotoInput, st Staged, sameOwner func(Photo) bool) (Photo, bool, error) {
	if in.ID == nil {
		return Photo{}, false, nil
	}
	prev, found, err := s.photo(ctx, *in.ID)
	if err != nil || !found {
		return Photo{}, false, err
	}
	if !sameOwner(prev) || prev.SHA256 != st.Info.SHA256 || prev.UploadedBy != p.UserID {
		return Photo{}, false, errIDTaken
	}
	return prev, true, nil
}

// errIDTaken: the client's photo id names another upload (other bytes).
var errIDTaken = &errs.Error{Kind: errs.Conflict, Message: "another photo was already uploaded with this id",
	Fields: []errs.FieldError{{Field: "id", Message: "names a photo with other bytes; use a new id"}}}

// conflictOnID reports a race lost on the photo id (two uploads of one id).
func conflictOnID(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Kind == errs.Conflict && len(e.Fields) == 1 && e.Fields[0].Field == "id"
}

func newPhoto(p auth.Principal, in PhotoInput, st Staged, now time.Time) Photo {
	id := ids.New()
	if in.ID != nil {
		id = *in.ID
	}
	var taken *time.Time
	if in.TakenAt != nil {
		t := in.TakenAt.UTC()
		taken = &t
	}
	return Photo{ID: id, Kind: in.Kind, ContentType: string(st.Meta.Format), Size: st.Info.Size, SHA256: st.Info.SHA256,
		Width: st.Meta.Width, Height: st.Meta.Height, TakenAt: taken, Lat: in.Lat, Lng: in.Lng,
		BlobKey: st.Key, UploadedBy: p.UserID, CreatedAt: now}
}

// PhotoPage is one page of an order's photos, oldest first.
type PhotoPage struct {
	Items      []Photo
	NextCursor string
}

// Photos lists an order's photos (every visit, the signatures included).
// A customer sees where and when a photo was taken only for their own. A
// technician sees them all while assigned; afterwards only their own and
// those of the visits they completed, and a technician who did neither (who
// declined, or was taken off before working) gets NotFound.
func (s *Service) Photos(ctx context.Context, p auth.Principal, orderID uuid.UUID, pr page.Request) (PhotoPage, error) {
	o, err := s.visible(ctx, p, orderID)
	if err != nil {
		return PhotoPage{}, err
	}
	var only *uuid.UUID // a former technician: their own photos and those of visits they completed
	if p.Role == auth.RoleTechnician && !assignedTo(p, o) {
		if ok, err := s.st.workedOn(ctx, orderID, p.UserID); err != nil {
			return PhotoPage{}, err
		} else if !ok {
			return PhotoPage{}, errs.NotFoundf("order")
		}
		only = &p.UserID
	}
	rows, err := s.st.photos(ctx, orderID, only, pr.After, pr.Limit+1)
	if err != nil {
		return PhotoPage{}, err
	}
	for i := range rows {
		rows[i] = photoFor(p, rows[i])
	}
	items, next := page.Cut(rows, pr.Limit, func(ph Photo) page.Key { return page.Key{At: ph.CreatedAt, ID: ph.ID} })
	return PhotoPage{Items: items, NextCursor: next}, nil
}

// photoFor hides where and when a photo was taken from a customer who did
// not take it (a technician's position is not the customer's business).
func photoFor(p auth.Principal, ph Photo) Photo {
	if p.Role == auth.RoleCustomer && ph.UploadedBy != p.UserID {
		ph.Lat, ph.Lng, ph.TakenAt = nil, nil, nil
	}
	return ph
}

// Content is a photo's bytes ready to serve: the open object (the caller
// closes it), its type and its entity tag.
type Content struct {
	Object      blob.Object
	ContentType string
	ETag        string // quoted; the SHA-256 of the bytes served
	ModTime     time.Time
}

// Variants of a photo's bytes.
const (
	VariantOriginal = ""
	VariantThumb    = "thumb"
)

// ThumbSide is the longer side of a thumbnail, in pixels.
const ThumbSide = 320

// PhotoContent opens a photo for p: NotFound unless p may see its order (or
// asset). Customers get the bytes without metadata (EXIF GPS, camera, XMP);
// a thumbnail (JPEG, metadata-free) is made on first request and kept in
// the store next to the original.
func (s *Service) PhotoContent(ctx context.Context, p auth.Principal, id uuid.UUID, variant string) (Content, error) {
	ph, found, err := s.st.photo(ctx, id)
	if err != nil {
		return Content{}, err
	}
	if !found {
		return Content{}, errs.NotFoundf("photo")
	}
	if err := s.mayViewPhoto(ctx, p, ph); err != nil {
		return Content{}, err
	}
	if s.media.Blobs == nil {
		return Content{}, errs.E(errs.Unavailable, "photo storage is not configured")
	}
	switch {
	case variant == VariantThumb:
		if ph.ContentType == string(imaging.HEIC) {
			return Content{}, errs.Field("size", "no thumbnail is made of HEIC photos; fetch the original")
		}
		return s.variant(ctx, ph, "thumb", "image/jpeg", func(r io.ReaderAt, w io.Writer) error {
			return s.media.Images.Thumbnail(ctx, imaging.Format(ph.ContentType), r, ph.Size, ThumbSide, w)
		})
	case p.Role == auth.RoleCustomer:
		return s.variant(ctx, ph, "clean", ph.ContentType, func(r io.ReaderAt, w io.Writer) error {
			return imaging.Strip(imaging.Format(ph.ContentType), r, ph.Size, w)
		})
	}
	obj, err := s.media.Blobs.Open(ctx, ph.BlobKey)
	if err != nil {
		return Content{}, err
	}
	return Content{Object: obj, ContentType: ph.ContentType, ETag: `"` + ph.SHA256 + `"`, ModTime: ph.CreatedAt}, nil
}

// mayViewPhoto is NotFound unless p may see the photo's order (a former
// technician: their own photo, or one of a visit they completed) or asset.
func (s *Service) mayViewPhoto(ctx context.Context, p auth.Principal, ph Photo) error {
	var err error
	switch {
	case ph.OrderID != nil:
		var o Order
		o, err = s.visible(ctx, p, *ph.OrderID)
		if err == nil && p.Role == auth.RoleTechnician && !assignedTo(p, o) && ph.UploadedBy != p.UserID {
			var ok bool
			if ok, err = s.st.completedVisit(ctx, *ph.OrderID, *ph.Visit, p.UserID); err == nil && !ok {
				err = errs.NotFoundf("photo")
			}
		}
	case ph.AssetID != nil:
		_, err = s.catalog.GetAsset(ctx, p, *ph.AssetID)
	}
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.NotFound {
		return errs.NotFoundf("photo")
	}
	return err
}

// variant opens a derived copy of a photo (key: the original's + "."+name),
// making, storing and recording it first when it is not there yet.
// Derivation is deterministic, so two requests racing to make it store the
// same bytes. Its entity tag is the SHA-256 of its bytes.
func (s *Service) variant(ctx context.Context, ph Photo, name, contentType string, derive func(io.ReaderAt, io.Writer) error) (Content, error) {
	v, found, err := s.st.variant(ctx, ph.ID, name)
	if err != nil {
		return Content{}, err
	}
	if !found {
		v = PhotoVariant{PhotoID: ph.ID, Variant: name, BlobKey: ph.BlobKey + "." + name, ContentType: contentType, CreatedAt: s.clock.Now()}
		info, err := s.makeVariant(ctx, ph, v.BlobKey, derive)
		if err != nil {
			return Content{}, err
		}
		v.Size, v.SHA256 = info.Size, info.SHA256
		if err := s.st.addVariant(ctx, &v); err != nil {
			return Content{}, err
		}
	}
	obj, err := s.media.Blobs.Open(ctx, v.BlobKey)
	if err != nil {
		return Content{}, err
	}
	return Content{Object: obj, ContentType: v.ContentType, ETag: `"` + v.SHA256 + `"`, ModTime: v.CreatedAt}, nil
}

func (s *Service) makeVariant(ctx context.Context, ph Photo, key string, derive func(io.ReaderAt, io.Writer) error) (blob.Info, error) {
	src, err := s.media.Blobs.Open(ctx, ph.BlobKey)
	if err != nil {
		return blob.Info{}, err
	}
	defer src.Close()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(derive(src, pw))
	}()
	info, err := s.media.Blobs.Put(ctx, key, pr)
	pr.CloseWithError(errors.New("stopped")) // unblocks derive if Put stopped early
	<-done                                   // derive reads src: wait before closing it
	return info, err
}

// AssetPhotoPrefix is where an asset's photo bytes are kept.
func AssetPhotoPrefix(assetID uuid.UUID) string { return "assets/" + assetID.String() + "/photos" }

// AssetPhotoTarget checks, before any byte is read, that p may add a proof
// of purchase to the asset: its customer, or staff who see every asset;
// NotFound for anyone else (as GET /v1/assets/{id}), Forbidden for technicians.
func (s *Service) AssetPhotoTarget(ctx context.Context, p auth.Principal, assetID uuid.UUID) error {
	if p.Role == auth.RoleTechnician {
		return errs.E(errs.Forbidden, "technicians add photos to orders, not to assets")
	}
	_, err := s.catalog.GetAsset(ctx, p, assetID)
	return err
}

// AddAssetPhoto makes a staged file the asset's proof of purchase (kind
// proof_of_purchase, the only kind an asset takes). Retries by photo id
// behave as for order photos. The staged file is discarded unless it became
// the new photo.
func (s *Service) AddAssetPhoto(ctx context.Context, p auth.Principal, assetID uuid.UUID, in PhotoInput, st Staged) (Photo, bool, error) {
	ph, created, err := s.addAssetPhoto(ctx, p, assetID, in, st)
	if err != nil || !created {
		s.Discard(st)
	}
	return ph, created, err
}

func (s *Service) addAssetPhoto(ctx context.Context, p auth.Principal, assetID uuid.UUID, in PhotoInput, st Staged) (Photo, bool, error) {
	if in.Kind == "" {
		in.Kind = KindProofOfPurchase
	}
	if err := checkPhotoInput(in, []string{KindProofOfPurchase}, s.clock.Now()); err != nil {
		return Photo{}, false, err
	}
	if err := s.AssetPhotoTarget(ctx, p, assetID); err != nil {
		return Photo{}, false, err
	}
	if prev, found, err := retried(ctx, s.st, p, in, st, func(ph Photo) bool { return ph.AssetID != nil && *ph.AssetID == assetID }); err != nil || found {
		return prev, false, err
	}
	ph := newPhoto(p, in, st, s.clock.Now())
	ph.AssetID = &assetID
	if err := s.st.addPhoto(ctx, &ph); err != nil {
		if conflictOnID(err) {
			err = errIDTaken
		}
		return Photo{}, false, err
	}
	return ph, true, nil
}

// AssetPhotos lists an asset's photos for whoever may see the asset.
func (s *Service) AssetPhotos(ctx context.Context, p auth.Principal, assetID uuid.UUID, pr page.Request) (PhotoPage, error) {
	if _, err := s.catalog.GetAsset(ctx, p, assetID); err != nil {
		return PhotoPage{}, err
	}
	rows, err := s.st.assetPhotos(ctx, assetID, pr.After, pr.Limit+1)
	if err != nil {
		return PhotoPage{}, err
	}
	items, next := page.Cut(rows, pr.Limit, func(ph Photo) page.Key { return page.Key{At: ph.CreatedAt, ID: ph.ID} })
	return PhotoPage{Items: items, NextCursor: next}, nil
}

// assignedTo reports whether p is the order's technician now.
func assignedTo(p auth.Principal, o Order) bool {
	return o.TechnicianID != nil && *o.TechnicianID == p.UserID
}
