package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/complaints"
)

// BenchmarkComplaintEscalateOverdue: one sweep over 1,000 overdue open
// complaints (each its own transaction: conditional UPDATE, timeline row,
// complaint.escalated, notifications). go test ./api -run '^$' -bench ComplaintEscalate
func BenchmarkComplaintEscalateOverdue(b *testing.B) {
	env := apitest.New(b)
	ctx := context.Background()
	alice := env.UserID("alice@example.com")
	svc := complaints.New(env.DB, env.Identity, env.Clock)
	now := cmpLocal("2026-12-08 10:00")
	const n = 1000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := env.DB.Exec(`DELETE FROM complaints`).Error; err != nil {
			b.Fatal(err)
		}
		if err := env.DB.Exec(`INSERT INTO complaints (id, customer_id, source, category, severity, description, status, level, region,
reply_due_at, resolution_due_at, escalation_due_at, created_at, updated_at)
SELECT gen_random_uuid(), ?, 'customer', 'other', 'low', 'bench', 'open', 0, 'default', ?, ?, ?, ?, ? FROM generate_series(1, ?)`,
			alice, now, now.Add(48*time.Hour), now, now.Add(-24*time.Hour), now.Add(-24*time.Hour), n).Error; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		got, err := svc.EscalateOverdue(ctx, now)
		if err != nil || got != n {
			b.Fatalf("escalated %d, %v; want %d", got, err, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/escalation")
}
