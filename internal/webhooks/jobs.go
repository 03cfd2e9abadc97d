package webhooks

import (
	"context"
	"time"

	"github.com/fieldops/fieldops/internal/platform/jobs"
)

// RecoverAfter bounds how long webhooks stall after a process died while
// running their jobs (jobs.Periodic.RecoverAfter): a run longer than this
// (DeliverBatch attempts of up to 10 s, Senders at a time) may overlap the
// next, which the relay's cursor lock and the messages' SKIP LOCKED claims allow.
const RecoverAfter = 20 * time.Second

// DeliverRunClaims is how long one run of the delivery job keeps claiming
// messages; with the 10 s attempt timeout a run ends within about 70 s,
// far inside River's 5 min job timeout.
const DeliverRunClaims = time.Minute

// DeliverBatch is the most attempts one run of the delivery job makes.
const DeliverBatch = 200

// Register adds the webhook jobs to reg (River periodic jobs, once per
// interval across all processes; both are safe to run twice at once):
// webhooks.relay turns committed outbox events into messages,
// webhooks.deliver attempts the due ones, Senders at a time, and
// webhooks.purge (hourly) drops what is older than Retention.
func (s *Service) Register(reg *jobs.Registry) {
	reg.AddPeriodic(jobs.Periodic{Name: "webhooks.relay", Interval: time.Second, RecoverAfter: RecoverAfter, Run: s.RelayAll})
	reg.AddPeriodic(jobs.Periodic{Name: "webhooks.deliver", Interval: time.Second, RecoverAfter: RecoverAfter,
		Run: func(ctx context.Context) (int, error) {
			claims, cancel := context.WithTimeout(ctx, DeliverRunClaims)
			defer cancel()
			return s.deliverDue(ctx, claims, DeliverBatch)
		}})
	reg.AddPeriodic(jobs.Periodic{Name: "webhooks.purge", Interval: time.Hour, Run: s.Purge})
}

// RelayAll relays until the outbox has nothing more that can be relayed now
// (at most 20 batches per call).
func (s *Service) RelayAll(ctx context.Context) (int, error) {
	total := 0
	for range 20 {
		n, more, err := s.relay(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
	return total, nil
}

// Retention is how long finished messages and the delivery log are kept.
const Retention = 30 * 24 * time.Hour

// Purge deletes the delivery log and the finished (delivered, failed,
// cancelled) messages older than Retention; it returns how many rows went.
// Pending messages are never older than the 24 h retry window.
func (s *Service) Purge(ctx context.Context) (int, error) {
	cutoff := s.clock.Now().Add(-Retention)
	db := s.db.WithContext(ctx)
	d := db.Exec("DELETE FROM webhook_deliveries WHERE created_at < ?", cutoff)
	if d.Error != nil {
		return 0, d.Error
	}
	m := db.Exec("DELETE FROM webhook_messages WHERE status <> ? AND created_at < ?", MessagePending, cutoff)
	return int(d.RowsAffected + m.RowsAffected), m.Error
}
