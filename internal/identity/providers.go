package identity

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// --- providers ---

// ProviderInput is a manager's request to add a provider.
type ProviderInput struct {
	Name  string
	Kind  string
	Phone string
	Email string
}

// CreateProvider adds the in-house team or a partner.
func (s *Service) CreateProvider(ctx context.Context, in ProviderInput) (Provider, error) {
	p := Provider{ID: ids.New(), Name: strings.TrimSpace(in.Name), Kind: in.Kind, Phone: strings.TrimSpace(in.Phone),
		Email: strings.ToLower(strings.TrimSpace(in.Email)), Active: true}
	var fe []errs.FieldError
	if p.Name == "" {
		fe = append(fe, errs.FieldError{Field: "name", Message: "is required"})
	}
	if p.Kind == "" {
		p.Kind = ProviderPartner
	}
	if p.Kind != ProviderInHouse && p.Kind != ProviderPartner {
		fe = append(fe, errs.FieldError{Field: "kind", Message: "must be in_house or partner"})
	}
	if p.Email != "" && !emailRE.MatchString(p.Email) {
		fe = append(fe, errs.FieldError{Field: "email", Message: "is not an e-mail address"})
	}
	if err := errs.Fields(fe); err != nil {
		return Provider{}, err
	}
	p.CreatedAt = s.clock.Now()
	p.UpdatedAt = p.CreatedAt
	if err := database.Write(ctx, s.db, func(db *gorm.DB) error { return s.st.tx(db).createProvider(ctx, &p) }); err != nil {
		return Provider{}, err
	}
	return p, nil
}

// GetProvider returns one provider.
func (s *Service) GetProvider(ctx context.Context, id uuid.UUID) (Provider, error) {
	return s.st.providerByID(ctx, id)
}

// ListProviders lists providers in creation order.
func (s *Service) ListProviders(ctx context.Context, pr page.Request) ([]Provider, string, error) {
	rows, err := s.st.listProviders(ctx, pr)
	if err != nil {
		return nil, "", err
	}
	items, next := page.Cut(rows, pr.Limit, func(p Provider) page.Key { return page.Key{At: p.CreatedAt, ID: p.ID} })
	return items, next, nil
}
