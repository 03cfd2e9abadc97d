package webhooks

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/ids"
)

// RelayBatch is the most outbox events one Relay call reads.
const RelayBatch = 500

// relayBoundSQL is the transaction id below which every transaction has
// ended: the oldest transaction still running in the snapshot, leaving out
// those pg_stat_activity shows in another database (they never write our
// outbox; a cluster shared with other databases would otherwise hold every
// webhook back), or the snapshot's xmax when none runs. A transaction that
// ends between the snapshot and the pg_stat_activity read is matched to no
// backend and so still counts: the bound errs low, never high. The events
// are read by a later statement (a later snapshot), so every transaction
// below the bound is either visible there or rolled back.
const relayBoundSQL = `
WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s)
SELECT coalesce(
	(SELECT min(x::text::bigint) FROM snap, pg_snapshot_xip(snap.s) x
	 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
	                   WHERE a.datname <> current_database()
	                     AND a.backend_xid::text = (x::text::bigint % 4294967296)::text)),
	(SELECT pg_snapshot_xmax(s)::text::bigint FROM snap))`

// liveClientSQL keeps the webhooks of API clients that still exist: a
// deleted (revoked) client's webhooks get nothing more, as its tokens stop.
const liveClientSQL = `(webhooks.api_client_id IS NULL OR EXISTS (SELECT 1 FROM api_clients c
	WHERE c.id = webhooks.api_client_id AND c.deleted_at IS NULL))`

// relayed is an outbox event as the relay reads it.
type relayed struct {
	Txid       int64
	Seq        int64
	ID         uuid.UUID
	Type       string
	OrderID    *uuid.UUID
	ProviderID *uuid.UUID
}

// Relay turns committed outbox events into messages, one per live webhook
// subscribed to the event (type, provider), and moves its cursor past them —
// one transaction, so an event is relayed once or, if this dies, again by the
// next call (at-least-once). It reads only events whose writing transaction
// is older than every running one of this database, so an event whose seq
// was taken before a later one's but that commits after it is never passed
// over (relayBoundSQL). Concurrent calls (several replicas) queue on the cursor row. It
// returns how many messages it queued.
func (s *Service) Relay(ctx context.Context) (int, error) {
	n, _, err := s.relay(ctx)
	return n, err
}

// relay is Relay that also says whether the batch was full (more may wait).
func (s *Service) relay(ctx context.Context) (int, bool, error) {
	now := s.clock.Now().UTC()
	n, more := 0, false
	err := database.WithTx(ctx, s.db, func(tx *gorm.DB) error {
		var cur RelayCursor
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = 1").Take(&cur).Error; err != nil {
			return err
		}
		var bound int64
		if err := tx.Raw(relayBoundSQL).Scan(&bound).Error; err != nil {
			return err
		}
		var batch []relayed
		if err := tx.Raw(`
			SELECT e.txid, e.seq, e.id, e.type, e.order_id, e.provider_id
			FROM outbox_events e
			WHERE (e.txid, e.seq) > (?, ?) AND e.txid < ?
			ORDER BY e.txid, e.seq
			LIMIT ?`, cur.LastTxid, cur.LastSeq, bound, s.batch).Scan(&batch).Error; err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		var hooks []Webhook
		if err := tx.Where("deleted_at IS NULL").Where(liveClientSQL).Find(&hooks).Error; err != nil {
			return err
		}
		var msgs []Message
		for _, e := range batch {
			for _, w := range hooks {
				if w.wants(e) {
					msgs = append(msgs, Message{ID: ids.New(), WebhookID: w.ID, EventID: e.ID, Seq: e.Seq, OrderID: e.OrderID,
						Status: MessagePending, NextAttemptAt: now, GiveUpAt: now.Add(s.window), CreatedAt: now})
				}
			}
		}
		if len(msgs) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(msgs, 200).Error; err != nil {
				return err
			}
		}
		last := batch[len(batch)-1]
		n, more = len(msgs), len(batch) == s.batch
		return tx.Model(&RelayCursor{}).Where("id = 1").
			Updates(map[string]any{"last_txid": last.Txid, "last_seq": last.Seq}).Error
	})
	return n, more, err
}

// wants reports whether w subscribes to e: a type it lists (or it lists
// none), its provider's event (or it has none), and written after w existed.
func (w Webhook) wants(e relayed) bool {
	if e.Seq <= w.StartSeq {
		return false
	}
	if len(w.Events) > 0 && !slices.Contains([]string(w.Events), e.Type) {
		return false
	}
	return w.ProviderID == nil || (e.ProviderID != nil && *e.ProviderID == *w.ProviderID)
}

// backoff is the delay after the attempt-th failed attempt: base, doubling.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.base
	for i := 1; i < attempt && d < s.window; i++ {
		d *= 2
	}
	return d
}
