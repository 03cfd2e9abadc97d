package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/evidence"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/imaging"
)

// FollowUpAfter is when, after completion, the follow-up call becomes due
// (SPEC §4: 24–72 h after completion).
const FollowUpAfter = 24 * time.Hour

// SignatureMaxSide bounds a signature image's width and height, in pixels
// (a signature pad is a few hundred; the printable sheet decodes it).
const SignatureMaxSide = 2048

// CompleteInput is the technician's close-out of a visit; the signature
// (a PNG) comes as a file.
type CompleteInput struct {
	Resolution    string
	Fixed         *bool
	LabourMinutes *int
	SignerName    string
}

func (in CompleteInput) check() error {
	var fe []errs.FieldError
	if r := strings.TrimSpace(in.Resolution); r == "" || utf8.RuneCountInString(r) > 4000 {
		fe = append(fe, errs.FieldError{Field: "resolution", Message: "is required, at most 4000 characters"})
	}
	if in.Fixed == nil {
		fe = append(fe, errs.FieldError{Field: "fixed", Message: "is required"})
	}
	if in.LabourMinutes == nil || *in.LabourMinutes < 0 || *in.LabourMinutes > 10000 {
		fe = append(fe, errs.FieldError{Field: "labour_minutes", Message: "is required, between 0 and 10000"})
	}
	if n := strings.TrimSpace(in.SignerName); n == "" || utf8.RuneCountInString(n) > 200 {
		fe = append(fe, errs.FieldError{Field: "signer_name", Message: "is required, at most 200 characters"})
	}
	return errs.Fields(fe)
}

// needsAfterPhoto are the order types whose completion needs an after photo.
var needsAfterPhoto = map[string]bool{"repair": true, "install": true}

// Complete closes the visit (the assigned technician, in progress): it
// stores the customer's signature as a signature photo, writes the signed
// completion record of the visit with its report hash, and completes the
// order — one transaction, or nothing. Repair and install need an after
// photo of this visit. From then on the record never changes.
func (s *Service) Complete(ctx context.Context, p auth.Principal, id uuid.UUID, in CompleteInput, signature FileInput) (Order, error) {
	if err := in.check(); err != nil {
		return Order{}, err
	}
	o, err := s.visible(ctx, p, id)
	if err != nil {
		return Order{}, err
	}
	if _, err := next(ActComplete, p, o); err != nil { // refuse before storing any byte
		return Order{}, err
	}
	var asset *catalog.Asset
	if o.AssetID != nil {
		a, err := s.catalog.AssetByID(ctx, *o.AssetID)
		if err != nil {
			return Order{}, err
		}
		asset = &a
	}
	sig, err := s.Stage(ctx, OrderPhotoPrefix(id), signature)
	if err != nil {
		return Order{}, fieldOf("signature", err)
	}
	if sig.Meta.Format != imaging.PNG {
		s.Discard(sig)
		return Order{}, errs.E(errs.UnsupportedMedia, "the signature must be a PNG image")
	}
	if sig.Meta.Width > SignatureMaxSide || sig.Meta.Height > SignatureMaxSide {
		s.Discard(sig)
		return Order{}, errs.Field("signature", "must be at most "+itoa(SignatureMaxSide)+"×"+itoa(SignatureMaxSide)+" pixels")
	}
	out, err := s.transition(ctx, p, id, ActComplete, func(c *change) error {
		o := c.o
		photos, err := c.st.visitPhotos(c.ctx, o.ID, o.VisitCount)
		if err != nil {
			return err
		}
		if needsAfterPhoto[o.Type] && !hasKind(photos, KindAfter) {
			return &errs.Error{Kind: errs.Conflict, Message: "a " + o.Type + " needs at least one after photo of this visit before completion",
				Extra: map[string]any{"current_status": c.from}}
		}
		at := c.now.UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it
		sp := newPhoto(p, PhotoInput{Kind: KindSignature}, sig, at)
		sp.OrderID, sp.Visit = &o.ID, &o.VisitCount
		if err := c.st.addPhoto(c.ctx, &sp); err != nil {
			return err
		}
		joined, err := c.st.partiesOf(c.ctx, *o)
		if err != nil {
			return err
		}
		o.Fixed, o.Resolution, o.LabourMinutes = in.Fixed, strings.TrimSpace(in.Resolution), in.LabourMinutes
		o.CompletedAt = &at
		due := at.Add(FollowUpAfter)
		o.FollowUpDueAt = &due
		rec := completionRecord(*o, joined, asset, photos, sp, strings.TrimSpace(in.SignerName), at)
		canonical, hash, err := evidence.Canonical(rec)
		if err != nil {
			return err
		}
		if err := c.st.addCompletion(c.ctx, &Completion{OrderID: o.ID, Visit: o.VisitCount, TechnicianID: p.UserID,
			SignaturePhotoID: sp.ID, Canonical: string(canonical), Hash: hash, CompletedAt: at}); err != nil {
			return err
		}
		c.payload = JSON{"visit": o.VisitCount, "fixed": *in.Fixed, "report_hash": hash}
		return c.notify(o.CustomerID, "order_completed", "Your request "+o.Number+" is completed",
			"Please rate the service; the signed report is in the app.")
	})
	if err != nil {
		s.Discard(sig)
	}
	return out, err
}

// fieldOf names field on an Invalid error about the file ("file" → field).
func fieldOf(field string, err error) error {
	if e, ok := err.(*errs.Error); ok && e.Kind == errs.Invalid {
		for i := range e.Fields {
			if e.Fields[i].Field == "file" {
				e.Fields[i].Field = field
			}
		}
	}
	return err
}

func hasKind(photos []Photo, kind string) bool {
	for _, ph := range photos {
		if ph.Kind == kind {
			return true
		}
	}
	return false
}

// completionRecord is what the customer signs for: the visit, the people,
// the asset, the priced lines, the outcome, the photos by hash and the
// signature by hash.
func completionRecord(o Order, j partyRow, asset *catalog.Asset, photos []Photo, sig Photo, signer string, at time.Time) evidence.Record {
	ch := o.Charges()
	lines := make([]evidence.Line, 0, len(o.QuoteItems))
	for _, it := range o.QuoteItems {
		if it.PartID != nil {
			continue // a catalogue part is charged as used (parts_used), below
		}
		lines = append(lines, evidence.Line{Kind: it.Kind, Description: it.Description, Qty: it.Qty,
			UnitPrice: it.UnitPrice, Covered: it.Covered, Amount: it.Amount})
	}
	var used []evidence.PartUsed
	for _, l := range o.PartsUsed {
		part := l.PartID.String()
		desc := l.SKU + " " + l.Name
		if l.Kind == "return" {
			desc = "returned: " + desc
		}
		if len(l.Serials) > 0 {
			desc += " (S/N " + strings.Join(l.Serials, ", ") + ")"
		}
		lines = append(lines, evidence.Line{Kind: "part", PartID: &part, Description: desc, Qty: l.Qty,
			UnitPrice: l.UnitPrice, Covered: l.Covered, Amount: l.Amount})
		serials := l.Serials
		if serials == nil {
			serials = []string{}
		}
		used = append(used, evidence.PartUsed{MovementID: l.MovementID.String(), Kind: l.Kind, PartID: part, SKU: l.SKU, Name: l.Name,
			Qty: l.Qty, Serials: serials, UnitPrice: l.UnitPrice, Covered: l.Covered, Amount: l.Amount})
	}
	ps := make([]evidence.Photo, 0, len(photos))
	for _, ph := range photos {
		ps = append(ps, evidence.Photo{ID: ph.ID.String(), Kind: ph.Kind, SHA256: ph.SHA256})
	}
	rec := evidence.Record{
		Schema:     evidence.Schema,
		Order:      evidence.Order{ID: o.ID.String(), Number: o.Number, Type: o.Type, Visit: o.VisitCount, InWarranty: o.InWarranty},
		Customer:   evidence.Party{ID: o.CustomerID.String(), Name: deref(j.CustomerName)},
		Technician: evidence.Party{ID: sig.UploadedBy.String(), Name: deref(j.TechnicianName)},
		Charges: evidence.Charges{Items: lines, Parts: ch.Parts, Labour: ch.Labour, Fees: ch.Fees, Covered: ch.Covered,
			AmountDue: ch.AmountDue, Currency: ch.Currency},
		Resolution:    o.Resolution,
		Fixed:         o.Fixed != nil && *o.Fixed,
		LabourMinutes: derefInt(o.LabourMinutes),
		Photos:        ps,
		PartsUsed:     used,
		Signature:     evidence.Signature{PhotoID: sig.ID.String(), SHA256: sig.SHA256, SignerName: signer},
		CompletedAt:   at.UTC().Format("2006-01-02T15:04:05.000000Z"),
	}
	if asset != nil {
		rec.Asset = &evidence.Asset{ID: asset.ID.String(), SerialNumber: asset.SerialNumber,
			ProductModel: evidence.Model{ID: asset.Model.ID.String(), Code: asset.Model.Code, Brand: asset.Model.Brand, Name: asset.Model.Name}}
	}
	return rec
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// Report is the signed record of one visit as stored: the record, the exact
// canonical text that was hashed and the hash.
type Report struct {
	Record    evidence.Record
	Canonical string
	Hash      string
	Visit     int
	// SignaturePhotoID names the signature image (for the printable sheet).
	SignaturePhotoID uuid.UUID
	BlobKey          string // the signature's bytes
}

// Report returns the completion record of a visit (0 = the latest) of an
// order p may see: NotFound when the order is invisible or the visit has no
// record (not completed, or ended by a rejected quote).
func (s *Service) Report(ctx context.Context, p auth.Principal, id uuid.UUID, visit int) (Report, error) {
	if _, err := s.visible(ctx, p, id); err != nil {
		return Report{}, err
	}
	c, found, err := s.st.completion(ctx, id, visit)
	if err != nil {
		return Report{}, err
	}
	if !found {
		return Report{}, errs.NotFoundf("completion record")
	}
	var rec evidence.Record
	if err := json.Unmarshal([]byte(c.Canonical), &rec); err != nil {
		return Report{}, errs.Wrap(errs.Internal, err, "the stored record cannot be read")
	}
	sig, _, err := s.st.photo(ctx, c.SignaturePhotoID)
	if err != nil {
		return Report{}, err
	}
	return Report{Record: rec, Canonical: c.Canonical, Hash: c.Hash, Visit: c.Visit, SignaturePhotoID: c.SignaturePhotoID,
		BlobKey: sig.BlobKey}, nil
}

// ReportSheet returns the printable service sheet (PDF) of a visit (0 = the
// latest) for p, with the scope of Report. The sheet is rendered once, from
// the stored record and signature, into memory (so a failure is an error,
// never half a document) and kept in the blob store next to the photos; a
// record never changes, so neither does its sheet.
func (s *Service) ReportSheet(ctx context.Context, p auth.Principal, id uuid.UUID, visit int) (Content, Report, error) {
	rep, err := s.Report(ctx, p, id, visit)
	if err != nil {
		return Content{}, Report{}, err
	}
	if s.media.Blobs == nil {
		return Content{}, Report{}, errs.E(errs.Unavailable, "report storage is not configured")
	}
	key := "orders/" + id.String() + "/reports/visit-" + itoa(rep.Visit) + ".pdf"
	obj, err := s.media.Blobs.Open(ctx, key)
	var e *errs.Error
	if errors.As(err, &e) && e.Kind == errs.NotFound {
		if err = s.renderSheet(ctx, rep, key); err == nil {
			obj, err = s.media.Blobs.Open(ctx, key)
		}
	}
	if err != nil {
		return Content{}, Report{}, err
	}
	return Content{Object: obj, ContentType: "application/pdf", ModTime: obj.Info().ModTime}, rep, nil
}

func (s *Service) renderSheet(ctx context.Context, rep Report, key string) error {
	sig, err := s.media.Blobs.Open(ctx, rep.BlobKey)
	if err != nil {
		return err
	}
	defer sig.Close()
	var buf bytes.Buffer
	if err := evidence.RenderSheet(&buf, rep.Record, rep.Hash, sig); err != nil {
		return errs.Wrap(errs.Internal, err, "the service sheet could not be rendered")
	}
	_, err = s.media.Blobs.Put(ctx, key, &buf)
	return err
}
