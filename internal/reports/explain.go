package reports

import (
	"context"
	"time"
)

// Explain runs the statements of a report for q under EXPLAIN (ANALYZE,
// BUFFERS) and returns their plans (the KPI statements, then the fault-rate
// one), for docs/PERFORMANCE.md (tools/kpibench).
func (s *Service) Explain(ctx context.Context, q Query, now time.Time) ([]string, error) {
	kpi, fault, args := render(q, now)
	var plans []string
	err := s.st.readOnly(ctx, func(st store) error {
		for _, stmt := range append(kpi, fault) {
			plan, err := st.explain(ctx, stmt, args)
			if err != nil {
				return err
			}
			plans = append(plans, plan)
		}
		return nil
	})
	return plans, err
}
