// Command bench is the reproducible load benchmark behind `make bench`
// (issue 8): it seeds (or reuses) one database per data-set size with
// `fieldops seed --orders N --technicians 200 --customers 20000`, starts the
// real server (`fieldops serve`: router, middleware, auth, services,
// PostgreSQL) on a loopback port for each, and drives the hot paths with a
// closed-loop load generator (vegeta as a library) at fixed client counts.
// It prints p50/p99 and throughput per case and the ratio of the largest data
// set to the smallest, and a FAIL line for every case with a request over
// the latency limit (1 s) or an unexpected status; then it exits 1.
//
// The sizes run interleaved, case by case (10k, then 1M, for the same case
// and client count), so a noisy neighbour on the shared machine moves both
// sides of a ratio alike.
//
// With -raw (the default), the get and intake cases also run against a raw
// baseline server (raw_server.go: net/http + pgx, the same SQL, the same
// JSON) on the same database copy, back to back with FieldOps at each client
// count, and the report adds FieldOps / raw throughput (issue 8's "≥ 0.7×").
//
// Usage (from the repository root; `make bench` builds bin/fieldops first):
//
//	DATABASE_URL=$(scripts/devdb.sh start) go run ./tools/bench -fieldops bin/fieldops -sizes 10k,1m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if os.Getenv(rawChildEnv) != "" { // the raw baseline server, started by a bench run
		os.Exit(rawChildMain())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// errFailed says the run finished but reported FAIL lines.
var errFailed = errors.New("some requests failed or took longer than the limit (FAIL lines above)")

type options struct {
	fieldops    string
	sizes       []int
	clients     []int
	duration    time.Duration
	warmup      time.Duration
	limit       time.Duration
	technicians int
	customers   int
	reseed      bool
	keepRun     bool
	raw         bool
	rawTTL      time.Duration // the raw server's principal cache (0: none)
	only        map[string]bool
	dbPrefix    string // of the seeded databases' names
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{dbPrefix: "fieldops_bench_"}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.fieldops, "fieldops", "bin/fieldops", "the fieldops binary (seed and serve)")
	sizes := fs.String("sizes", "10k,1m", "data-set sizes in orders, comma-separated (10k, 1m, 250000, ...); the ratio is last / first")
	clients := fs.String("clients", "1,32", "concurrent closed-loop clients, comma-separated")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per case, client count and size")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load per case and size before its first measurement")
	fs.DurationVar(&o.limit, "limit", time.Second, "a request slower than this is a failure")
	fs.IntVar(&o.technicians, "technicians", 200, "fieldops seed --technicians")
	fs.IntVar(&o.customers, "customers", 20000, "fieldops seed --customers")
	fs.BoolVar(&o.reseed, "reseed", false, "seed again even when a cached database matches")
	fs.BoolVar(&o.keepRun, "keep", false, "keep the per-run copies of the databases (for EXPLAIN afterwards)")
	fs.BoolVar(&o.raw, "raw", true, "also run the "+strings.Join(rawCaseNames, " and ")+" cases against the raw net/http + pgx baseline server on the same database, back to back, and report FieldOps / raw")
	fs.DurationVar(&o.rawTTL, "raw-principal-ttl", 0, "the raw server caches the active check this long (0: one query per request, as the issue's raw server; FieldOps caches for 2s)")
	cases := fs.String("cases", "", "only these cases, comma-separated ("+strings.Join(caseNames(), ", ")+")")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.sizes, err = parseCounts(*sizes, true); err != nil {
		return o, fmt.Errorf("-sizes: %w", err)
	}
	if o.clients, err = parseCounts(*clients, false); err != nil {
		return o, fmt.Errorf("-clients: %w", err)
	}
	if *cases != "" {
		o.only = map[string]bool{}
		known := map[string]bool{}
		for _, n := range caseNames() {
			known[n] = true
		}
		for _, n := range strings.Split(*cases, ",") {
			if !known[n] {
				return o, fmt.Errorf("-cases: unknown case %q", n)
			}
			o.only[n] = true
		}
	}
	if o.duration <= 0 || o.limit <= 0 || o.warmup < 0 {
		return o, errors.New("-duration and -limit must be positive, -warmup not negative")
	}
	return o, nil
}

// parseCounts reads "10k,1m,500" (k and m suffixes when sizes is true).
func parseCounts(s string, sizes bool) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		mul := 1
		if sizes {
			switch {
			case strings.HasSuffix(f, "k"):
				mul, f = 1000, strings.TrimSuffix(f, "k")
			case strings.HasSuffix(f, "m"):
				mul, f = 1_000_000, strings.TrimSuffix(f, "m")
			}
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive count", f)
		}
		out = append(out, n*mul)
	}
	return out, nil
}

// sizeName is 10k, 1m or the plain number.
func sizeName(n int) string {
	switch {
	case n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "m"
	case n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	adminURL := getenv("DATABASE_URL")
	if adminURL == "" {
		return errors.New("DATABASE_URL is not set (export DATABASE_URL=$(scripts/devdb.sh start))")
	}
	if _, err := os.Stat(o.fieldops); err != nil {
		return fmt.Errorf("the fieldops binary: %w (make bench builds it)", err)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }

	started := time.Now()
	secret, err := randomHex(32)
	if err != nil {
		return err
	}
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.close(logf, o.keepRun)
		}
	}()
	for _, n := range o.sizes {
		t, err := prepare(ctx, o, adminURL, n, secret, logf)
		if t != nil {
			targets = append(targets, t)
		}
		if err != nil {
			return fmt.Errorf("%s orders: %w", sizeName(n), err)
		}
	}
	if o.raw && slices.ContainsFunc(rawCaseNames, func(n string) bool { return o.only == nil || o.only[n] }) {
		for _, t := range targets {
			if t.raw, err = startRawServer(ctx, t.runURL, secret, o.rawTTL, t.name, logf); err != nil {
				return fmt.Errorf("%s orders: %w", t.name, err)
			}
		}
	}
	logf("setup took %s; measuring", time.Since(started).Round(time.Second))

	rep := newReport(o, targets)
	for _, c := range allCases() {
		if o.only != nil && !o.only[c.name] {
			continue
		}
		for _, t := range targets {
			reqs, err := c.prepare(ctx, t)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", c.name, t.name, err)
			}
			t.reqs[c.name] = reqs
			if c.raw && t.raw != nil {
				if err := callAt(ctx, t.raw.base, reqs[0], c.want, nil); err != nil {
					return fmt.Errorf("%s on %s, raw server: %w", c.name, t.name, err)
				}
			}
		}
		for i, clients := range o.clients {
			for _, t := range targets {
				// FieldOps and the raw server back to back on the same
				// copy; who goes first alternates with the client count
				sides := []*server{t.srv}
				if c.raw && t.raw != nil {
					sides = append(sides, t.raw)
					if i%2 == 1 {
						sides[0], sides[1] = sides[1], sides[0]
					}
				}
				for _, s := range sides {
					isRaw := s == t.raw
					if i == 0 && o.warmup > 0 {
						attack(ctx, s.base, t.reqs[c.name], c, o.clients[len(o.clients)-1], o.warmup, o.limit)
					}
					m := attack(ctx, s.base, t.reqs[c.name], c, clients, o.duration, o.limit)
					rep.add(c, clients, isRaw, m)
					name := t.name
					if isRaw {
						name += " raw"
					}
					logf("%-11s %2d clients %-8s p50 %8s  p99 %8s  %7.1f req/s", c.name, clients, name,
						fmtDur(m.p50), fmtDur(m.p99), m.throughput)
					if err := ctx.Err(); err != nil {
						return err
					}
				}
			}
		}
	}
	rep.print(stdout, time.Since(started))
	if rep.failed() {
		return errFailed
	}
	return nil
}
