package orders

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

var closeoutConstraints = map[string]errs.FieldError{
	"photos_pkey":      {Field: "id", Message: "another photo was already uploaded with this id"},
	"completions_pkey": {Field: "visit", Message: "this visit is already completed"},
	"ratings_pkey":     {Field: "score", Message: "the order is already rated"},
}

// takeOne runs q for at most one row; found is false when there is none.
func takeOne[T any](q *gorm.DB) (row T, found bool, err error) {
	err = q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, false, nil
	}
	return row, err == nil, err
}

// photo reads one photo; found is false when there is none.
func (s store) photo(ctx context.Context, id uuid.UUID) (Photo, bool, error) {
	return takeOne[Photo](s.db.WithContext(ctx).Where("id = ?", id))
}

func (s store) addPhoto(ctx context.Context, ph *Photo) error {
	return database.Constraint(s.db.WithContext(ctx).Create(ph).Error, closeoutConstraints)
}

// keyset reads up to n rows of q after a keyset position on (created_at, id), oldest first.
func keyset[T any](q *gorm.DB, after *page.Key, n int) ([]T, error) {
	if after != nil {
		q = q.Where("(created_at, id) > (?, ?)", after.At, after.ID)
	}
	var out []T
	err := q.Order("created_at, id").Limit(n).Find(&out).Error
	return out, err
}

// photos reads up to n photos of an order after a keyset position, oldest
// first; with only set, just that technician's own and those of the visits
// they completed.
func (s store) photos(ctx context.Context, order uuid.UUID, only *uuid.UUID, after *page.Key, n int) ([]Photo, error) {
	q := s.db.WithContext(ctx).Where("order_id = ?", order)
	if only != nil {
		q = q.Where("(uploaded_by = ? OR visit IN (SELECT visit FROM completions WHERE order_id = ? AND technician_id = ?))", *only, order, *only)
	}
	return keyset[Photo](q, after, n)
}

// blobInUse reports whether a photo row references the blob key.
func (s store) blobInUse(ctx context.Context, key string) (bool, error) {
	var used bool
	err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM photos WHERE blob_key = ?)`, key).Scan(&used).Error
	return used, err
}

// workedOn reports whether a technician took photos on, or completed a
// visit of, the order.
func (s store) workedOn(ctx context.Context, order, tech uuid.UUID) (bool, error) {
	var ok bool
	err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM photos WHERE order_id = ? AND uploaded_by = ?)
		OR EXISTS (SELECT 1 FROM completions WHERE order_id = ? AND technician_id = ?)`, order, tech, order, tech).Scan(&ok).Error
	return ok, err
}

// completedVisit reports whether a technician completed that visit of the order.
func (s store) completedVisit(ctx context.Context, order uuid.UUID, visit int, tech uuid.UUID) (bool, error) {
	var ok bool
	err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM completions WHERE order_id = ? AND visit = ? AND technician_id = ?)`,
		order, visit, tech).Scan(&ok).Error
	return ok, err
}

// assetPhotos reads up to n photos of an asset after a keyset position, oldest first.
func (s store) assetPhotos(ctx context.Context, asset uuid.UUID, after *page.Key, n int) ([]Photo, error) {
	return keyset[Photo](s.db.WithContext(ctx).Where("asset_id = ?", asset), after, n)
}

// variant reads a photo's derived copy; found is false when it is not made yet.
func (s store) variant(ctx context.Context, photo uuid.UUID, name string) (PhotoVariant, bool, error) {
	return takeOne[PhotoVariant](s.db.WithContext(ctx).Where("photo_id = ? AND variant = ?", photo, name))
}

// addVariant records a derived copy; a copy recorded meanwhile by another
// request (same bytes: derivation is deterministic) wins.
func (s store) addVariant(ctx context.Context, v *PhotoVariant) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(v).Error
}

// visitPhotos reads every photo of one visit of an order, oldest first.
func (s store) visitPhotos(ctx context.Context, order uuid.UUID, visit int) ([]Photo, error) {
	var out []Photo
	err := s.db.WithContext(ctx).Where("order_id = ? AND visit = ?", order, visit).Order("created_at, id").Find(&out).Error
	return out, err
}

func (s store) addCompletion(ctx context.Context, c *Completion) error {
	return database.Constraint(s.db.WithContext(ctx).Create(c).Error, closeoutConstraints)
}

// completion reads the record of one visit (visit 0 = the latest).
func (s store) completion(ctx context.Context, order uuid.UUID, visit int) (Completion, bool, error) {
	q := s.db.WithContext(ctx).Where("order_id = ?", order)
	if visit > 0 {
		q = q.Where("visit = ?", visit)
	}
	return takeOne[Completion](q.Order("visit DESC"))
}

func (s store) addRating(ctx context.Context, r *Rating) error {
	return database.Constraint(s.db.WithContext(ctx).Create(r).Error, closeoutConstraints)
}

func (s store) rating(ctx context.Context, order uuid.UUID) (Rating, bool, error) {
	return takeOne[Rating](s.db.WithContext(ctx).Where("order_id = ?", order))
}

func (s store) addFollowUp(ctx context.Context, f *FollowUp) error {
	return s.db.WithContext(ctx).Create(f).Error
}

// followUps reads up to n follow-up calls of an order after a keyset position, oldest first.
func (s store) followUps(ctx context.Context, order uuid.UUID, after *page.Key, n int) ([]FollowUp, error) {
	return keyset[FollowUp](s.db.WithContext(ctx).Where("order_id = ?", order), after, n)
}
