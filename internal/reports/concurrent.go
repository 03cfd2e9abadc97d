package reports

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
	"gorm.io/gorm"
)

// DefaultConnections is how many pooled connections the reports of one
// process may hold at once (config reports.connections): one report's KPI
// families (cohort, completions, arrivals with the fault rates) run on that
// many connections side by side, in one exported snapshot. The report is
// CPU-bound in PostgreSQL, so on a 2-core server two or three lanes halve
// its wall time (docs/PERFORMANCE.md, "KPI report at 1M orders").
const DefaultConnections = 3

// lanes admits reports to the pool. A report takes all its connections from
// a weighted semaphore before it asks the pool for the first one, so reports
// never hold some connections while waiting for more of them from each other
// (the pool deadlock of naive fan-out: N reports each holding one connection
// of an N-connection pool and waiting for a second). Capacity is kept below
// the pool's maximum, so other requests always find a connection.
//
// golang.org/x/sync (semaphore, errgroup) is already a dependency (the Go
// team's module): Acquire(n) is all-or-nothing and FIFO, which a buffered
// channel of tokens is not.
type lanes struct {
	sem *semaphore.Weighted
	n   int64
}

// newLanes sizes the lanes for db's pool: at most want, and at most half
// the pool (a pool of 1 or 2 runs reports on one connection).
func newLanes(db *gorm.DB, want int) lanes {
	n := int64(max(want, 1))
	if sqlDB, err := db.DB(); err == nil {
		if limit := sqlDB.Stats().MaxOpenConnections; limit > 0 {
			n = max(1, min(n, int64(limit/2)))
		}
	}
	return lanes{sem: semaphore.NewWeighted(n), n: n}
}

// laneSettings: no parallel workers beside the lanes. The lanes already
// keep the cores busy, and workers only compete with them: on the 2-core
// machine 3 lanes took 1.81-1.90 s with workers, 1.46-1.57 s without
// (docs/PERFORMANCE.md); the expensive part (the ordered index probes) does
// not go parallel anyway.
const laneSettings = "SET LOCAL max_parallel_workers_per_gather = 0"

// snapshotID is what pg_export_snapshot returns (e.g. 00000003-0000001B-1);
// checked before it is spliced into SET TRANSACTION SNAPSHOT, which takes
// no parameters.
var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f-]+$`)

// concurrently runs the report's statements on k connections at once, all
// in one REPEATABLE READ, READ ONLY snapshot: the first transaction exports
// its snapshot (pg_export_snapshot) and the others import it before their
// first query, so the families see exactly the rows one transaction would
// (the results are those of the single-connection path). Statements are
// taken longest first by whichever connection is free.
func (s *Service) concurrently(ctx context.Context, q Query, now time.Time) (KPIs, error) {
	kpi, fault, args := render(q, now)
	stmts := append(kpi, fault)
	k := min(int64(len(stmts)), s.lanes.n)
	if err := s.lanes.sem.Acquire(ctx, k); err != nil {
		return KPIs{}, err
	}
	defer s.lanes.sem.Release(k)
	sqlDB, err := s.db.DB()
	if err != nil {
		return KPIs{}, err
	}

	txs := make([]*gorm.DB, 0, k)
	conns := make([]*sql.Conn, 0, k)
	defer func() {
		for _, tx := range txs {
			tx.Rollback() // read only: nothing to commit
		}
		for _, c := range conns { // after the rollbacks: Close waits for the connection's transaction
			c.Close()
		}
	}()
	var snapshot string
	for i := range k {
		conn, err := sqlDB.Conn(ctx)
		if err != nil {
			return KPIs{}, err
		}
		conns = append(conns, conn)
		sqlTx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return KPIs{}, err
		}
		tx := s.db.Session(&gorm.Session{NewDB: true, Context: ctx})
		tx.Statement.ConnPool = sqlTx
		txs = append(txs, tx)
		if i == 0 {
			if err := tx.Raw("SELECT pg_export_snapshot()").Row().Scan(&snapshot); err != nil {
				return KPIs{}, err
			}
			if !snapshotID.MatchString(snapshot) {
				return KPIs{}, fmt.Errorf("reports: unexpected snapshot id %q", snapshot)
			}
		} else if err := tx.Exec("SET TRANSACTION SNAPSHOT '" + snapshot + "'").Error; err != nil {
			return KPIs{}, err
		}
		if err := tx.Exec(sessionSettings + "; " + laneSettings).Error; err != nil {
			return KPIs{}, err
		}
	}

	next := make(chan int, len(stmts))
	for i := range stmts {
		next <- i
	}
	close(next)
	rows := make([]kpiRow, len(kpi))
	var models []modelRow
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for _, tx := range txs {
		tx := tx.WithContext(gctx)
		g.Go(func() error {
			for i := range next {
				if i == len(kpi) {
					var m []modelRow
					if err := tx.Raw(stmts[i], args).Scan(&m).Error; err != nil {
						return err
					}
					mu.Lock()
					models = m
					mu.Unlock()
					continue
				}
				if err := tx.Raw(stmts[i], args).Scan(&rows[i]).Error; err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return KPIs{}, err
	}
	var r kpiRow
	for _, part := range rows {
		r.add(part)
	}
	return toKPIs(r, models), nil
}
