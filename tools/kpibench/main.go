// Command kpibench measures the KPI report (GET /v1/reports/kpis, issue 11)
// on a seeded database, for docs/PERFORMANCE.md ("KPI report").
//
// It reads the database named by -db (made with `fieldops seed --orders
// 1000000 --technicians 200 --customers 20000`), takes the newest order's
// creation as "now" and reports on the -days before it:
//
//   - the service call (reports.Service.KPIs, all its statements in one
//     read-only snapshot) -runs times, printing each and the median;
//   - with -server (a `fieldops serve` on that database), the same report
//     over HTTP as the demo manager, -runs times;
//   - with -series day|week, the time series over the same window, once;
//   - with -explain, EXPLAIN (ANALYZE, BUFFERS) of every statement (on one connection);
//   - the CPU time the PostgreSQL backends of the pool spent on each
//     service run (from /proc/<pid>/stat, so the database must run on this
//     host), which on a shared machine says more than the wall time:
//     parallel workers are extra processes, so -serial
//     (max_parallel_workers_per_gather = 0) gives the whole report's CPU in
//     the backends;
//   - -conns: the connections a report runs its statement families on at
//     once (reports.connections; 1 = one after the other, the old way).
//
// Usage:
//
//	go run ./tools/kpibench -db "$URL" [-days 90] [-runs 5] [-conns 3] [-serial] [-explain] [-server http://127.0.0.1:8080]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/clock"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/reports"
)

// managerOnly answers InHouse for the benchmark's manager principal (never asked).
type managerOnly struct{}

func (managerOnly) InHouse(context.Context, auth.Principal) (bool, error) { return true, nil }

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kpibench:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kpibench", flag.ContinueOnError)
	dbURL := fs.String("db", os.Getenv("DATABASE_URL"), "the seeded database")
	days := fs.Int("days", 90, "window length in days, ending at the newest order")
	runs := fs.Int("runs", 5, "measured runs (after one warm-up)")
	explain := fs.Bool("explain", false, "print EXPLAIN (ANALYZE, BUFFERS) of every statement")
	server := fs.String("server", "", "base URL of a fieldops serve on that database (HTTP timings)")
	serial := fs.Bool("serial", false, "no parallel workers (the backend's CPU time is then the report's)")
	series := fs.String("series", "", "also time the time series with this bucket (day or week) over the window")
	conns := fs.Int("conns", reports.DefaultConnections, "connections a report runs its statements on (1: one after the other)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	if *serial { // every connection's setting, as a startup parameter
		*dbURL += map[bool]string{true: "&", false: "?"}[strings.Contains(*dbURL, "?")] + "max_parallel_workers_per_gather=0"
	}
	// the pool holds the report's connections (twice: reports take at most
	// half the pool); their backends' CPU time is read from /proc
	db, err := database.Open(*dbURL, database.Options{MaxOpenConns: 2 * *conns})
	if err != nil {
		return err
	}
	defer database.Close(db)
	var now time.Time
	var orders int64
	if err := db.Raw(`SELECT max(created_at), count(*) FROM orders`).Row().Scan(&now, &orders); err != nil {
		return err
	}
	now = now.UTC().Truncate(time.Hour).Add(time.Hour)
	q := reports.Query{From: now.AddDate(0, 0, -*days), To: now}
	svc := reports.New(db, managerOnly{}, clock.NewFixed(now)).WithConnections(*conns)
	p := auth.Principal{Role: auth.RoleManager}
	fmt.Fprintf(out, "%d orders; window %s – %s (%d days)\n", orders, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), *days)

	var took, cpu []time.Duration
	var last reports.Report
	var pids []int // the pool's backends, known after the warm-up run
	for i := 0; i <= *runs; i++ {
		if i == 1 {
			if err := db.Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`).
				Scan(&pids).Error; err != nil {
				return err
			}
		}
		c0 := backendCPU(pids...)
		start := time.Now()
		r, err := svc.KPIs(ctx, p, q)
		if err != nil {
			return err
		}
		if i > 0 { // the first run warms the cache
			took = append(took, time.Since(start))
			cpu = append(cpu, backendCPU(pids...)-c0)
		}
		last = r
	}
	fmt.Fprintf(out, "service: %s (median %s)\n", durations(took), median(took))
	fmt.Fprintf(out, "backend CPU (%d backends): %s (median %s; serial %v, conns %d)\n", len(pids), durations(cpu), median(cpu), *serial, *conns)
	k := last.KPIs
	fmt.Fprintf(out, "  first_time_fix %v/%d, first_response %v/%d, on_time %v/%d, sla %v/%d %v/%d %v/%d, ratings %d, complaints %v, repeat %v/%d, models %d\n",
		k.FirstTimeFixRate.Numerator, k.FirstTimeFixRate.Denominator, k.AvgFirstResponseMinutes.Numerator, k.AvgFirstResponseMinutes.Denominator,
		k.OnTimeArrivalRate.Numerator, k.OnTimeArrivalRate.Denominator,
		k.SLACompliance.FirstResponse.Numerator, k.SLACompliance.FirstResponse.Denominator,
		k.SLACompliance.OnSite.Numerator, k.SLACompliance.OnSite.Denominator,
		k.SLACompliance.Resolution.Numerator, k.SLACompliance.Resolution.Denominator,
		k.CSATAvg.Denominator, k.ComplaintRate.Numerator, k.RepeatRepairRate.Numerator, k.RepeatRepairRate.Denominator, len(k.FaultRatePer100))

	if *series != "" {
		c0, start := backendCPU(pids...), time.Now()
		s, err := svc.Series(ctx, p, reports.SeriesQuery{Query: q, Bucket: *series})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "series (%d %s buckets): %s, backend CPU %s\n", len(s.Buckets), *series,
			time.Since(start).Round(time.Millisecond), (backendCPU(pids...) - c0).Round(time.Millisecond))
	}
	if *server != "" {
		took, err := overHTTP(*server, q, *runs)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "HTTP GET /v1/reports/kpis: %s (median %s)\n", durations(took), median(took))
	}
	if *explain {
		plans, err := svc.Explain(ctx, q, now)
		if err != nil {
			return err
		}
		for i, pl := range plans {
			fmt.Fprintf(out, "\n-- plan %d\n%s\n", i+1, pl)
		}
	}
	return nil
}

// overHTTP logs in as the demo manager and times the report runs times (after a warm-up).
func overHTTP(base string, q reports.Query, runs int) ([]time.Duration, error) {
	body := strings.NewReader(`{"login":"manager@fieldops.test","password":"fieldops-demo"}`)
	res, err := http.Post(base+"/v1/auth/login", "application/json", body)
	if err != nil {
		return nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("login: status %d: %v", res.StatusCode, err)
	}
	u := base + "/v1/reports/kpis?from=" + url.QueryEscape(q.From.Format(time.RFC3339)) + "&to=" + url.QueryEscape(q.To.Format(time.RFC3339))
	var took []time.Duration
	for i := 0; i <= runs; i++ {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", u, res.StatusCode)
		}
		if i > 0 {
			took = append(took, time.Since(start))
		}
	}
	return took, nil
}

// backendCPU is the user+system CPU time of local processes (PostgreSQL
// backends), summed.
func backendCPU(pids ...int) time.Duration {
	var d time.Duration
	for _, pid := range pids {
		d += processCPU(pid)
	}
	return d
}

// processCPU is the user+system CPU time of a local process from
// /proc/<pid>/stat, in clock ticks of 10 ms; 0 when unreadable.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields after the command name, from field 3 (state)
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime) // field 14
	fmt.Sscan(f[12], &stime) // field 15
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func durations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.Round(time.Millisecond).String()
	}
	return strings.Join(s, " ")
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
