package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/page"
)

var constraints = map[string]errs.FieldError{
	"product_models_code_key":              {Field: "code", Message: "is already used by another product model"},
	"assets_model_serial_key":              {Field: "serial_number", Message: "is already registered for this product model"},
	"asset_claims_claimant_key":            {Field: "serial_number", Message: "is already registered for this product model"}, // the claimant's second try
	"assets_product_model_id_fkey":         {Field: "product_model_id", Message: "does not name a product model"},
	"assets_customer_id_fkey":              {Field: "customer_id", Message: "does not name a customer"},
	"product_models_warranty_months_check": {Field: "warranty_months", Message: "must be between 0 and 240"},
}

type store struct{ db *gorm.DB }

func (s store) createModel(ctx context.Context, m *ProductModel) error {
	return database.Constraint(s.db.WithContext(ctx).Create(m).Error, constraints)
}

func (s store) modelByID(ctx context.Context, id uuid.UUID) (ProductModel, error) {
	var m ProductModel
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return m, errs.NotFoundf("product model")
	}
	return m, err
}

func (s store) listModels(ctx context.Context, category string, p page.Request) ([]ProductModel, error) {
	q := s.db.WithContext(ctx).Model(&ProductModel{})
	if category != "" {
		q = q.Where("category = ?", category)
	}
	if p.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", p.After.At, p.After.ID)
	}
	var out []ProductModel
	err := q.Order("created_at, id").Limit(p.Limit + 1).Find(&out).Error
	return out, err
}

func (s store) createAsset(ctx context.Context, a *Asset) error {
	return database.Constraint(s.db.WithContext(ctx).Omit("Model").Create(a).Error, constraints)
}

// createAssetUnlessSerialTaken inserts a (undisputed) asset unless an
// undisputed row holds its serial for the model; inserted says which. A
// concurrent insert of the same serial is waited for, so exactly one wins.
func (s store) createAssetUnlessSerialTaken(ctx context.Context, a *Asset) (inserted bool, err error) {
	res := s.db.WithContext(ctx).Omit("Model").Clauses(clause.OnConflict{
		Columns:     []clause.Column{{Name: "product_model_id"}, {Name: "serial_number"}},
		TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "NOT ownership_disputed"}}},
		DoNothing:   true,
	}).Create(a)
	if err := database.Constraint(res.Error, constraints); err != nil {
		return false, err
	}
	return res.RowsAffected == 1, nil
}

// undisputedAsset returns the asset that holds a model's serial number.
func (s store) undisputedAsset(ctx context.Context, model uuid.UUID, serial string) (Asset, error) {
	var a Asset
	err := s.db.WithContext(ctx).Where("product_model_id = ? AND serial_number = ? AND NOT ownership_disputed", model, serial).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, errs.NotFoundf("asset")
	}
	return a, err
}

func (s store) createClaim(ctx context.Context, c *AssetClaim) error {
	return database.Constraint(s.db.WithContext(ctx).Omit("Asset").Create(c).Error, constraints)
}

// verifyWarranty marks the asset's warranty verified by staff (once).
func (s store) verifyWarranty(ctx context.Context, id, by uuid.UUID, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&Asset{}).Where("id = ?", id).Where("NOT warranty_verified").
		Updates(map[string]any{"warranty_verified": true, "warranty_verified_at": at, "warranty_verified_by": by, "updated_at": at})
	if res.Error != nil || res.RowsAffected == 1 {
		return res.Error
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&Asset{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return errs.NotFoundf("asset")
	}
	return nil // already verified
}

// listClaims lists claims with the claimed asset, of one status when set.
func (s store) listClaims(ctx context.Context, status string, p page.Request) ([]AssetClaim, error) {
	q := s.db.WithContext(ctx).Model(&AssetClaim{}).Preload("Asset")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if p.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", p.After.At, p.After.ID)
	}
	var out []AssetClaim
	err := q.Order("created_at, id").Limit(p.Limit + 1).Find(&out).Error
	return out, err
}

func (s store) assetByID(ctx context.Context, id uuid.UUID) (Asset, error) {
	var a Asset
	// the model joined, not preloaded: one round trip (intake reads the
	// asset on the hot path, BenchmarkOrderIntake)
	err := s.db.WithContext(ctx).Joins("Model").Where("assets.id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, errs.NotFoundf("asset")
	}
	return a, err
}

// listAssets lists assets, of one customer when customer is set.
func (s store) listAssets(ctx context.Context, customer *uuid.UUID, p page.Request) ([]Asset, error) {
	q := s.db.WithContext(ctx).Model(&Asset{}).Preload("Model")
	if customer != nil {
		q = q.Where("customer_id = ?", *customer)
	}
	if p.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", p.After.At, p.After.ID)
	}
	var out []Asset
	err := q.Order("created_at, id").Limit(p.Limit + 1).Find(&out).Error
	return out, err
}

func (s store) modelByCode(ctx context.Context, code string) (ProductModel, error) {
	var m ProductModel
	err := s.db.WithContext(ctx).Where("code = ?", code).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return m, errs.NotFoundf("product model")
	}
	return m, err
}
