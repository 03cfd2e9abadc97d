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

// photo reads one photo; found is false when there is none.
func (s store) photo(ctx context.Context, id uuid.UUID) (Photo, bool, error) {
	var ph Photo
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&ph).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ph, false, nil
	}
	return ph, err == nil, err
}

func (s store) addPhoto(ctx context.Context, ph *Photo) error {
	return database.Constraint(s.db.WithContext(ctx).Create(ph).Error, closeoutConstraints)
}

// photos reads up to n photos of an order after a keyset position, oldest first.
func (s store) photos(ctx context.Context, order uuid.UUID, after *page.Key, n int) ([]Photo, error) {
	q := s.db.WithContext(ctx).Where("order_id = ?", order)
	if after != nil {
		q = q.Where("(created_at, id) > (?, ?)", after.At, after.ID)
	}
	var out []Photo
	err := q.Order("created_at, id").Limit(n).Find(&out).Error
	return out, err
}

// assetPhotos reads up to n photos of an asset after a keyset position, oldest first.
func (s store) assetPhotos(ctx context.Context, asset uuid.UUID, after *page.Key, n int) ([]Photo, error) {
	q := s.db.WithContext(ctx).Where("asset_id = ?", asset)
	if after != nil {
		q = q.Where("(created_at, id) > (?, ?)", after.At, after.ID)
	}
	var out []Photo
	err := q.Order("created_at, id").Limit(n).Find(&out).Error
	return out, err
}

// variant reads a photo's derived copy; found is false when it is not made yet.
func (s store) variant(ctx context.Context, photo uuid.UUID, name string) (PhotoVariant, bool, error) {
	var v PhotoVariant
	err := s.db.WithContext(ctx).Where("photo_id = ? AND variant = ?", photo, name).Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return v, false, nil
	}
	return v, err == nil, err
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
	var c Completion
	q := s.db.WithContext(ctx).Where("order_id = ?", order)
	if visit > 0 {
		q = q.Where("visit = ?", visit)
	}
	err := q.Order("visit DESC").Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, false, nil
	}
	return c, err == nil, err
}

func (s store) addRating(ctx context.Context, r *Rating) error {
	return database.Constraint(s.db.WithContext(ctx).Create(r).Error, closeoutConstraints)
}

func (s store) rating(ctx context.Context, order uuid.UUID) (Rating, bool, error) {
	var r Rating
	err := s.db.WithContext(ctx).Where("order_id = ?", order).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, false, nil
	}
	return r, err == nil, err
}

func (s store) addComplaint(ctx context.Context, c *Complaint) error {
	return s.db.WithContext(ctx).Create(c).Error
}

func (s store) addFollowUp(ctx context.Context, f *FollowUp) error {
	return s.db.WithContext(ctx).Create(f).Error
}

// followUps reads up to n follow-up calls of an order after a keyset position, oldest first.
func (s store) followUps(ctx context.Context, order uuid.UUID, after *page.Key, n int) ([]FollowUp, error) {
	q := s.db.WithContext(ctx).Where("order_id = ?", order)
	if after != nil {
		q = q.Where("(created_at, id) > (?, ?)", after.At, after.ID)
	}
	var out []FollowUp
	err := q.Order("created_at, id").Limit(n).Find(&out).Error
	return out, err
}
