package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ids"
	"github.com/fieldops/fieldops/internal/platform/outbox"
	"github.com/fieldops/fieldops/internal/platform/page"
)

// RetryWindow is how long a message is retried (issue 12: 24 h).
const RetryWindow = 24 * time.Hour

// lease is how long a claimed message stays invisible to other workers
// while its attempt runs; past it (the process died), it is claimed again.
const lease = AttemptTimeout + 5*time.Second

// Service manages webhooks and delivers their messages.
type Service struct {
	db     *gorm.DB
	clock  clock.Clock
	guard  Guard
	sender *Sender
	base   time.Duration
	window time.Duration
	batch  int // events per relay transaction (RelayBatch)
}

// New returns the webhook service. guard decides which targets are allowed
// (its AllowPrivate and Lookup); retryBase ≤ 0 means 30s.
func New(db *gorm.DB, clk clock.Clock, guard Guard, retryBase time.Duration) *Service {
	if retryBase <= 0 {
		retryBase = 30 * time.Second
	}
	return &Service{db: db, clock: clk, guard: guard, sender: NewSender(guard), base: retryBase, window: RetryWindow,
		batch: RelayBatch}
}

// Owner is who manages webhooks: a manager (every webhook; may bind one to
// a provider) or an API client (only its own; bound to the client's provider
// when the client is).
type Owner struct {
	UserID     *uuid.UUID
	ClientID   *uuid.UUID
	ProviderID *uuid.UUID // the API client's provider binding
}

func (o Owner) scope(q *gorm.DB) *gorm.DB {
	q = q.Where("deleted_at IS NULL")
	if o.ClientID != nil {
		q = q.Where("api_client_id = ?", *o.ClientID)
	}
	return q
}

// CreateInput is a new subscription. Events empty means every type; Secret
// empty means a generated one.
type CreateInput struct {
	URL         string
	Events      []string
	Secret      string
	Description string
	ProviderID  *uuid.UUID
}

// MaxPerClient bounds an API client's live webhooks: each one multiplies the
// relay's and the senders' work for every event, so a client with
// webhooks:manage may not register without end (409 past it). Managers are
// not counted against it.
const MaxPerClient = 20

// Secret lengths: a given secret must be 16–200 characters; a generated one
// is 32 random bytes in hex behind "whsec_".
const (
	SecretMinLen = 16
	SecretMaxLen = 200
)

// Create registers a webhook and returns it with its secret (the only time
// the secret is shown). Invalid names the field: url (scheme, host, an
// internal address when private targets are off, a host that does not
// resolve), events, secret, description, provider_id.
func (s *Service) Create(ctx context.Context, o Owner, in CreateInput) (Webhook, error) {
	var fe []errs.FieldError
	in.URL = strings.TrimSpace(in.URL)
	if len(in.URL) > 2048 {
		fe = append(fe, errs.FieldError{Field: "url", Message: "must be at most 2048 characters"})
	} else if msg, err := s.guard.CheckURL(ctx, in.URL); err != nil {
		fe = append(fe, errs.FieldError{Field: "url", Message: msg})
	}
	seen := map[string]bool{}
	events := []string{}
	for i, e := range in.Events {
		if !slices.Contains(outbox.Types, e) {
			fe = append(fe, errs.FieldError{Field: "events[" + strconv.Itoa(i) + "]", Message: "must be one of " + strings.Join(outbox.Types, ", ")})
			continue
		}
		if !seen[e] {
			seen[e] = true
			events = append(events, e)
		}
	}
	if in.Secret != "" && (utf8.RuneCountInString(in.Secret) < SecretMinLen || len(in.Secret) > SecretMaxLen) {
		fe = append(fe, errs.FieldError{Field: "secret", Message: "must be 16 to 200 characters (omit it to get a generated one)"})
	}
	if utf8.RuneCountInString(in.Description) > 200 {
		fe = append(fe, errs.FieldError{Field: "description", Message: "must be at most 200 characters"})
	}
	provider := in.ProviderID
	if o.ClientID != nil {
		if in.ProviderID != nil && (o.ProviderID == nil || *in.ProviderID != *o.ProviderID) {
			fe = append(fe, errs.FieldError{Field: "provider_id", Message: "an API client's webhooks get its own provider's events"})
		}
		provider = o.ProviderID
	}
	if len(fe) > 0 {
		return Webhook{}, errs.Fields(fe)
	}
	secret := in.Secret
	if secret == "" {
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return Webhook{}, err
		}
		secret = "whsec_" + hex.EncodeToString(buf)
	}
	w := Webhook{ID: ids.New(), URL: in.URL, Events: events, Description: strings.TrimSpace(in.Description), Secret: secret,
		ProviderID: provider, APIClientID: o.ClientID, CreatedBy: o.UserID, CreatedAt: s.clock.Now().UTC()}
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		if o.ClientID != nil { // the client's row lock serialises its registrations, so the count holds
			var live int64
			if err := tx.Exec("SELECT 1 FROM api_clients WHERE id = ? FOR UPDATE", *o.ClientID).Error; err != nil {
				return err
			}
			if err := tx.Model(&Webhook{}).Where("api_client_id = ? AND deleted_at IS NULL", *o.ClientID).Count(&live).Error; err != nil {
				return err
			}
			if live >= MaxPerClient {
				return errs.E(errs.Conflict, "an API client may have at most %d webhooks; delete one first", MaxPerClient)
			}
		}
		// events written before now are not this webhook's
		if err := tx.Raw("SELECT coalesce(max(seq), 0) FROM outbox_events").Scan(&w.StartSeq).Error; err != nil {
			return err
		}
		return database.Constraint(tx.Create(&w).Error, map[string]errs.FieldError{
			"webhooks_provider_id_fkey": {Field: "provider_id", Message: "no such provider"},
			"webhooks_created_by_fkey":  {Field: "created_by", Message: "no such user"},
		})
	})
	return w, err
}

// Page is one page of webhooks, oldest first.
type Page struct {
	Items      []Webhook
	NextCursor string
}

// List lists the webhooks o manages.
func (s *Service) List(ctx context.Context, o Owner, pr page.Request) (Page, error) {
	q := o.scope(s.db.WithContext(ctx).Model(&Webhook{}))
	if pr.After != nil {
		q = q.Where("(created_at, id) > (?, ?)", pr.After.At, pr.After.ID)
	}
	var rows []Webhook
	if err := q.Order("created_at, id").Limit(pr.Limit + 1).Find(&rows).Error; err != nil {
		return Page{}, err
	}
	items, next := page.Cut(rows, pr.Limit, func(w Webhook) page.Key { return page.Key{At: w.CreatedAt, ID: w.ID} })
	return Page{Items: items, NextCursor: next}, nil
}

// Get returns a webhook o manages (NotFound otherwise, and once deleted).
func (s *Service) Get(ctx context.Context, o Owner, id uuid.UUID) (Webhook, error) {
	var w Webhook
	err := o.scope(s.db.WithContext(ctx)).Where("id = ?", id).Take(&w).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return w, errs.NotFoundf("webhook")
	}
	return w, err
}

// Delete removes a webhook: it gets nothing more, its pending messages are
// cancelled; its delivery log stays readable to nobody (NotFound from now).
func (s *Service) Delete(ctx context.Context, o Owner, id uuid.UUID) error {
	now := s.clock.Now().UTC()
	return database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		res := o.scope(tx.Model(&Webhook{})).Where("id = ?", id).Update("deleted_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.NotFoundf("webhook")
		}
		return tx.Model(&Message{}).Where("webhook_id = ? AND status = ?", id, MessagePending).
			Update("status", MessageCancelled).Error
	})
}

// DeliveryPage is one page of a webhook's attempts, newest first.
type DeliveryPage struct {
	Items      []Delivery
	NextCursor string
}

// Deliveries lists the attempts (and test pings) of a webhook o manages.
func (s *Service) Deliveries(ctx context.Context, o Owner, id uuid.UUID, pr page.Request) (DeliveryPage, error) {
	if _, err := s.Get(ctx, o, id); err != nil {
		return DeliveryPage{}, err
	}
	q := s.db.WithContext(ctx).Where("webhook_id = ?", id)
	if pr.After != nil {
		q = q.Where("(created_at, id) < (?, ?)", pr.After.At, pr.After.ID)
	}
	var rows []Delivery
	if err := q.Order("created_at DESC, id DESC").Limit(pr.Limit + 1).Find(&rows).Error; err != nil {
		return DeliveryPage{}, err
	}
	items, next := page.Cut(rows, pr.Limit, func(d Delivery) page.Key { return page.Key{At: d.CreatedAt, ID: d.ID} })
	return DeliveryPage{Items: items, NextCursor: next}, nil
}

// TestData is the data of a webhook.test ping.
type TestData struct {
	WebhookID uuid.UUID `json:"webhook_id"`
	Message   string    `json:"message"`
}

// Test sends a webhook.test event to a webhook o manages, now, through the
// same signer, guard and sender as real deliveries, once (no retries), and
// logs the attempt. It returns the attempt; a failed one is not an error.
func (s *Service) Test(ctx context.Context, o Owner, id uuid.UUID) (Delivery, error) {
	w, err := s.Get(ctx, o, id)
	if err != nil {
		return Delivery{}, err
	}
	now := s.clock.Now().UTC()
	data, err := json.Marshal(TestData{WebhookID: w.ID, Message: "Test event from FieldOps: the signature verifies with your secret."})
	if err != nil {
		return Delivery{}, err
	}
	env := Envelope{ID: ids.New(), Type: TestEventType, CreatedAt: now, Data: data}
	body, err := json.Marshal(env)
	if err != nil {
		return Delivery{}, err
	}
	r := s.sender.Send(ctx, w.URL, w.Secret, env, body, now, 1)
	d := newDelivery(w.ID, nil, env, 1, r, nil, now)
	return d, s.db.WithContext(ctx).Create(&d).Error
}

func newDelivery(webhook uuid.UUID, msg *uuid.UUID, env Envelope, attempt int, r Result, next *time.Time, at time.Time) Delivery {
	d := Delivery{ID: ids.New(), WebhookID: webhook, MessageID: msg, EventID: env.ID, EventType: env.Type, Attempt: attempt,
		Error: r.Err, DurationMS: r.Duration.Milliseconds(), NextRetryAt: next, CreatedAt: at}
	if r.StatusCode != 0 {
		code := r.StatusCode
		d.StatusCode = &code
	}
	return d
}
