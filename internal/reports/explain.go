package reports

import (
	"context"
	"strings"
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

func (s store) explain(ctx context.Context, stmt string, args map[string]any) (string, error) {
	rows, err := s.db.WithContext(ctx).Raw("EXPLAIN (ANALYZE, BUFFERS) "+stmt, args).Rows()
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", err
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n"), rows.Err()
}
