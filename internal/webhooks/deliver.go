package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/outbox"
)

// Senders is how many attempts one DeliverDue call runs at once.
const Senders = 4

// claimSQL takes the most overdue pending message whose order has no earlier
// pending message for the same webhook, nor an earlier event the relay has
// not reached yet (it walks transaction ids, which can put an order's later
// event in an earlier batch) — in order per order id; messages of no order
// are independent — counts the attempt and hides it for the lease
// (so a process dying mid-attempt only delays it). SKIP LOCKED lets
// replicas claim side by side.
const claimSQL = `
UPDATE webhook_messages m SET attempts = m.attempts + 1, next_attempt_at = @lease
WHERE m.id = (
	SELECT c.id FROM webhook_messages c
	WHERE c.status = 'pending' AND c.next_attempt_at <= @now
	  AND NOT EXISTS (SELECT 1 FROM webhook_messages p
	                  WHERE p.webhook_id = c.webhook_id AND p.order_id = c.order_id
	                    AND p.status = 'pending' AND p.seq < c.seq)
	  AND NOT EXISTS (SELECT 1 FROM outbox_events e
	                  JOIN outbox_event_txids t ON t.seq = e.seq
	                  JOIN webhook_relay r ON r.id = 1
	                  WHERE c.order_id IS NOT NULL AND e.order_id = c.order_id AND e.seq < c.seq
	                    AND (t.txid, t.seq) > (r.last_txid, r.last_seq))
	ORDER BY c.next_attempt_at, c.seq
	LIMIT 1
	FOR UPDATE SKIP LOCKED)
RETURNING m.*`

// DeliverDue attempts due messages, Senders at a time, until none is due or
// max attempts were made; it returns how many it made. Failed attempts are
// not errors (they are logged as deliveries and retried later).
func (s *Service) DeliverDue(ctx context.Context, max int) (int, error) {
	var (
		mu     sync.Mutex
		done   int
		errAll error
		wg     sync.WaitGroup
	)
	for range Senders {
		wg.Go(func() {
			for {
				mu.Lock()
				if done >= max || errAll != nil || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				done++ // reserved; given back when nothing is due
				mu.Unlock()
				ok, err := s.deliverNext(ctx)
				mu.Lock()
				if !ok {
					done--
				}
				if err != nil {
					errAll = errors.Join(errAll, err)
				}
				mu.Unlock()
				if !ok || err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return done, errAll
}

// deliverNext claims one due message and attempts it; false when none is due.
func (s *Service) deliverNext(ctx context.Context) (bool, error) {
	now := s.clock.Now().UTC()
	var m Message
	res := s.db.WithContext(ctx).Raw(claimSQL, map[string]any{"now": now, "lease": now.Add(lease)}).Scan(&m)
	if res.Error != nil {
		return false, res.Error
	}
	if m.ID == uuid.Nil {
		return false, nil
	}
	return true, s.attempt(ctx, m)
}

// attempt sends a claimed message and records the outcome: delivered on a
// 2xx; otherwise another attempt after the back-off, or failed once that
// would pass the message's retry window.
func (s *Service) attempt(ctx context.Context, m Message) error {
	var w Webhook
	if err := s.db.WithContext(ctx).Where("id = ?", m.WebhookID).Take(&w).Error; err != nil {
		return err
	}
	var ev outbox.Event
	if err := s.db.WithContext(ctx).Where("id = ?", m.EventID).Take(&ev).Error; err != nil {
		return err
	}
	env := Envelope{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt.UTC(), Data: json.RawMessage(ev.Data)}
	body, err := json.Marshal(env)
	if err != nil {
		return err
	}
	var r Result
	if w.DeletedAt == nil {
		r = s.sender.Send(ctx, w.URL, w.Secret, env, body, s.clock.Now(), m.Attempts)
	}
	now := s.clock.Now().UTC()
	upd := map[string]any{}
	var next *time.Time
	switch {
	case w.DeletedAt != nil:
		upd["status"] = MessageCancelled
	case r.OK():
		upd["status"], upd["delivered_at"] = MessageDelivered, now
	default:
		at := now.Add(s.backoff(m.Attempts))
		if at.After(m.GiveUpAt) {
			upd["status"] = MessageFailed
		} else {
			upd["next_attempt_at"], next = at, &at
		}
	}
	return database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		// only if nobody re-claimed it meanwhile (a lease that ran out)
		res := tx.Model(&Message{}).Where("id = ? AND attempts = ? AND status = ?", m.ID, m.Attempts, MessagePending).Updates(upd)
		if res.Error != nil || w.DeletedAt != nil {
			return res.Error
		}
		d := newDelivery(w.ID, &m.ID, env, m.Attempts, r, next, now)
		return tx.Create(&d).Error
	})
}
