package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
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
	                  JOIN webhook_relay r ON r.id = 1
	                  WHERE c.order_id IS NOT NULL AND e.order_id = c.order_id AND e.seq < c.seq
	                    AND (e.txid, e.seq) > (r.last_txid, r.last_seq))
	ORDER BY c.next_attempt_at, c.seq
	LIMIT 1
	FOR UPDATE SKIP LOCKED)
RETURNING m.*`

// DeliverDue attempts due messages, Senders at a time, until none is due or
// max attempts were made; it returns how many it made. Failed attempts are
// not errors (they are logged as deliveries and retried later).
func (s *Service) DeliverDue(ctx context.Context, max int) (int, error) {
	return s.deliverDue(ctx, ctx, max)
}

// deliverDue is DeliverDue that stops claiming once claims ends (attempts
// under way finish on ctx), so a periodic run stays well inside River's job
// timeout however slow the receivers are.
func (s *Service) deliverDue(ctx, claims context.Context, max int) (int, error) {
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
				if done >= max || errAll != nil || ctx.Err() != nil || claims.Err() != nil {
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

// claimed is a claimed message with what its attempt needs, read by the
// claiming statement itself (one round trip).
type claimed struct {
	ID             uuid.UUID
	WebhookID      uuid.UUID
	EventID        uuid.UUID
	Attempts       int
	GiveUpAt       time.Time
	URL            string
	Secret         string
	DeletedAt      *time.Time
	EventType      string
	EventData      []byte
	EventCreatedAt time.Time
}

// deliverNext claims one due message and attempts it; false when none is due.
func (s *Service) deliverNext(ctx context.Context) (bool, error) {
	now := s.clock.Now().UTC()
	var m claimed
	res := s.db.WithContext(ctx).Raw(`WITH m AS (`+claimSQL+`)
		SELECT m.id, m.webhook_id, m.event_id, m.attempts, m.give_up_at, w.url, w.secret,
		       coalesce(w.deleted_at, ac.deleted_at) AS deleted_at,
		       e.type AS event_type, e.data AS event_data, e.created_at AS event_created_at
		FROM m JOIN webhooks w ON w.id = m.webhook_id JOIN outbox_events e ON e.id = m.event_id
		LEFT JOIN api_clients ac ON ac.id = w.api_client_id`,
		map[string]any{"now": now, "lease": now.Add(lease)}).Scan(&m)
	if res.Error != nil {
		return false, res.Error
	}
	if m.ID == uuid.Nil {
		return false, nil
	}
	return true, s.attempt(ctx, m)
}

// recordSQL stores an attempt's outcome in one statement: the message's new
// state, only if nobody re-claimed it meanwhile (a lease that ran out), and
// then the attempt's row.
const recordSQL = `
WITH u AS (
	UPDATE webhook_messages SET status = @status, next_attempt_at = coalesce(CAST(@next AS timestamptz), next_attempt_at),
		delivered_at = CAST(@delivered AS timestamptz)
	WHERE id = @id AND attempts = @attempts AND status = 'pending'
	RETURNING id)
INSERT INTO webhook_deliveries (id, webhook_id, message_id, event_id, event_type, attempt, status_code, error, duration_ms,
	next_retry_at, created_at)
SELECT CAST(@did AS uuid), CAST(@webhook AS uuid), u.id, CAST(@event AS uuid), CAST(@type AS text),
	CAST(@attempts AS integer), CAST(@code AS integer), CAST(@error AS text), CAST(@duration AS bigint),
	CAST(@next AS timestamptz), CAST(@at AS timestamptz)
FROM u`

// attempt sends a claimed message and records the outcome: delivered on a
// 2xx; otherwise another attempt after the back-off, or failed once that
// would pass the message's retry window.
func (s *Service) attempt(ctx context.Context, m claimed) error {
	if m.DeletedAt != nil { // the webhook, or the API client that owns it, deleted after the relay: nothing to send
		return s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND status = ?", m.ID, MessagePending).
			Update("status", MessageCancelled).Error
	}
	env := Envelope{ID: m.EventID, Type: m.EventType, CreatedAt: m.EventCreatedAt.UTC(), Data: json.RawMessage(m.EventData)}
	body, err := json.Marshal(env)
	if err != nil {
		return err
	}
	r := s.sender.Send(ctx, m.URL, m.Secret, env, body, s.clock.Now(), m.Attempts)
	now := s.clock.Now().UTC()
	status := MessagePending
	var next, delivered *time.Time
	switch {
	case r.OK():
		status, delivered = MessageDelivered, &now
	default:
		at := now.Add(s.backoff(m.Attempts))
		if at.After(m.GiveUpAt) {
			status = MessageFailed
		} else {
			next = &at
		}
	}
	d := newDelivery(m.WebhookID, &m.ID, env, m.Attempts, r, next, now)
	return s.db.WithContext(ctx).Exec(recordSQL, map[string]any{"status": status, "next": next, "delivered": delivered,
		"id": m.ID, "attempts": m.Attempts, "did": d.ID, "webhook": d.WebhookID, "event": d.EventID, "type": d.EventType,
		"code": d.StatusCode, "error": d.Error, "duration": d.DurationMS, "at": d.CreatedAt}).Error
}
