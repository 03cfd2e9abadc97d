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
// webhooks.relay turns committed outbox events into messages, and
// webhooks.deliver attempts the due ones, Senders at a time.
func (s *Service) Register(reg *jobs.Registry) {
	reg.AddPeriodic(jobs.Periodic{Name: "webhooks.relay", Interval: time.Second, RecoverAfter: RecoverAfter, Run: s.RelayAll})
	reg.AddPeriodic(jobs.Periodic{Name: "webhooks.deliver", Interval: time.Second, RecoverAfter: RecoverAfter,
		Run: func(ctx context.Context) (int, error) {
			claims, cancel := context.WithTimeout(ctx, DeliverRunClaims)
			defer cancel()
			return s.deliverDue(ctx, claims, DeliverBatch)
		}})
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
