package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// measurement is one case at one client count on one target.
type measurement struct {
	requests      int
	p50, p99, max time.Duration
	throughput    float64 // expected-status responses per second
	wrong         int     // other statuses and transport errors
	slow          int     // over the limit
	codes         map[int]int
	errSample     string
	bytesIn       float64
}

// attack runs c's requests reqs against the server at base with a closed
// loop of clients (each sends its next request when the previous one is
// answered) for d.
func attack(ctx context.Context, base string, reqs []request, c benchCase, clients int, d, limit time.Duration) measurement {
	a := vegeta.NewAttacker(
		vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)),
		vegeta.Connections(clients), vegeta.MaxConnections(clients),
		vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second), vegeta.Redirects(vegeta.NoFollow),
	)
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()
	m := measurement{codes: map[int]int{}}
	var lat []time.Duration
	var first, last time.Time
	var bytesIn uint64
	// A zero rate with workers = max workers is vegeta's closed loop.
	for r := range a.Attack(targeter(base, reqs), vegeta.Rate{}, d, c.name) {
		if first.IsZero() || r.Timestamp.Before(first) {
			first = r.Timestamp
		}
		if e := r.End(); e.After(last) {
			last = e
		}
		lat = append(lat, r.Latency)
		bytesIn += r.BytesIn
		m.codes[int(r.Code)]++
		if int(r.Code) != c.want {
			m.wrong++
			if m.errSample == "" {
				m.errSample = fmt.Sprintf("%s %s: %d %s %.200s", r.Method, r.URL, r.Code, r.Error, r.Body)
			}
		}
		if r.Latency > limit {
			m.slow++
		}
	}
	m.requests = len(lat)
	if m.requests == 0 {
		return m
	}
	slices.Sort(lat)
	m.p50 = quantile(lat, 0.50)
	m.p99 = quantile(lat, 0.99)
	m.max = lat[len(lat)-1]
	if secs := last.Sub(first).Seconds(); secs > 0 {
		m.throughput = float64(m.requests-m.wrong) / secs
	}
	m.bytesIn = float64(bytesIn) / float64(m.requests)
	return m
}

// quantile of sorted latencies (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

type row struct {
	c       benchCase
	clients int
	per     []measurement // by target
	raw     []measurement // by target: the raw baseline server's (-raw), else empty
}

type report struct {
	o       options
	targets []*target
	rows    []*row
}

func newReport(o options, targets []*target) *report { return &report{o: o, targets: targets} }

// add records m (the raw server's when raw) after those of the targets before.
func (r *report) add(c benchCase, clients int, raw bool, m measurement) {
	var cur *row
	for _, x := range r.rows {
		if x.c.name == c.name && x.clients == clients {
			cur = x
		}
	}
	if cur == nil {
		cur = &row{c: c, clients: clients}
		r.rows = append(r.rows, cur)
	}
	if raw {
		cur.raw = append(cur.raw, m)
	} else {
		cur.per = append(cur.per, m)
	}
}

func (r *report) failed() bool {
	for _, x := range r.rows {
		for _, m := range append(slices.Clip(x.per), x.raw...) {
			if m.wrong > 0 || m.slow > 0 || m.requests == 0 {
				return true
			}
		}
	}
	return false
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// print writes the report as Markdown, ready for docs/PERFORMANCE.md.
func (r *report) print(w io.Writer, took time.Duration) {
	names := make([]string, len(r.targets))
	for i, t := range r.targets {
		names[i] = t.name
	}
	fmt.Fprintf(w, "## make bench: %s orders, %s clients, %s per case and client count (+%s warm-up), %s\n\n",
		strings.Join(names, " / "), joinInts(r.o.clients), r.o.duration, r.o.warmup, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "Machine: %d CPUs (GOMAXPROCS), %s/%s, shared by the load generator, the servers and PostgreSQL; loopback only.\n\n",
		runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	for _, t := range r.targets {
		fmt.Fprintf(w, "- %s: %d orders (seed: %s orders, %d technicians, %d customers); %d technicians with open jobs, %d customers with assets; items per page on average: job list %.1f, delta sync %.1f\n",
			t.name, t.fx.orders, sizeName(t.orders), r.o.technicians, r.o.customers, len(t.fx.techs), len(t.fx.assets), t.listItems, t.syncItems)
	}
	fmt.Fprintln(w)
	seen := map[string]bool{}
	for _, x := range r.rows {
		if !seen[x.c.name] {
			seen[x.c.name] = true
			fmt.Fprintf(w, "- `%s`: %s\n", x.c.name, x.c.request)
		}
	}
	fmt.Fprintln(w)

	// Header: per target p50, p99, req/s; then the last/first ratios.
	hdr := []string{"case", "clients"}
	for _, n := range names {
		hdr = append(hdr, n+" p50", n+" p99", n+" req/s")
	}
	multi := len(r.targets) > 1
	if multi {
		last, first := names[len(names)-1], names[0]
		hdr = append(hdr, last+"/"+first+" p50", last+"/"+first+" p99", last+"/"+first+" req/s")
	}
	fmt.Fprintln(w, "| "+strings.Join(hdr, " | ")+" |")
	sep := make([]string, len(hdr))
	for i := range sep {
		sep[i] = "---:"
	}
	sep[0] = "---"
	fmt.Fprintln(w, "| "+strings.Join(sep, " | ")+" |")
	for _, x := range r.rows {
		cells := []string{x.c.name, fmt.Sprint(x.clients)}
		for _, m := range x.per {
			cells = append(cells, fmtDur(m.p50), fmtDur(m.p99), fmt.Sprintf("%.0f", m.throughput))
		}
		if multi && len(x.per) == len(r.targets) {
			a, b := x.per[len(x.per)-1], x.per[0]
			cells = append(cells, ratio(float64(a.p50), float64(b.p50)), ratio(float64(a.p99), float64(b.p99)),
				ratio(a.throughput, b.throughput))
		}
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
	fmt.Fprintln(w)

	r.printRaw(w, names)

	// Failures: any request over the limit, any unexpected status.
	fails := 0
	for _, x := range r.rows {
		type side struct {
			where string
			m     measurement
		}
		var sides []side
		for i, m := range x.per {
			sides = append(sides, side{fmt.Sprintf("%s, %d clients, %s", x.c.name, x.clients, names[i]), m})
		}
		for i, m := range x.raw {
			sides = append(sides, side{fmt.Sprintf("%s, %d clients, %s, raw server", x.c.name, x.clients, names[i]), m})
		}
		for _, sd := range sides {
			where, m := sd.where, sd.m
			if m.requests == 0 {
				fmt.Fprintf(w, "FAIL %s: no request completed\n", where)
				fails++
			}
			if m.slow > 0 {
				fmt.Fprintf(w, "FAIL %s: %d of %d requests over %s (max %s)\n", where, m.slow, m.requests, r.o.limit, fmtDur(m.max))
				fails++
			}
			if m.wrong > 0 {
				fmt.Fprintf(w, "FAIL %s: %d of %d responses not %d (statuses %s; first: %s)\n", where, m.wrong, m.requests, x.c.want, codes(m.codes), m.errSample)
				fails++
			}
		}
	}
	if fails == 0 {
		fmt.Fprintf(w, "No failures: every response had the expected status and none took over %s.\n", r.o.limit)
	}
	fmt.Fprintf(w, "\nTotal time %s (seeding or reusing, copying, serving, measuring).\n", took.Round(time.Second))
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " and ")
}

func codes(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d×%d", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// printRaw writes the FieldOps / raw table: each case the raw server serves,
// per size and client count, FieldOps and the raw server measured back to
// back on the same database copy.
func (r *report) printRaw(w io.Writer, names []string) {
	has := false
	for _, x := range r.rows {
		has = has || len(x.raw) > 0
	}
	if !has {
		return
	}
	check := "the active check on every request"
	if r.o.rawTTL > 0 {
		check = "the active check cached for " + r.o.rawTTL.String()
	}
	fmt.Fprintf(w, "FieldOps against the raw net/http + pgx server (tools/bench/raw_server.go: the same SQL and JSON, %s), "+
		"back to back on the same database copy in this run:\n", check)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| case | clients | size | FieldOps req/s | raw req/s | **FieldOps / raw req/s** | FieldOps p50 | raw p50 | FieldOps p99 | raw p99 |")
	fmt.Fprintln(w, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, x := range r.rows {
		for i, raw := range x.raw {
			if i >= len(x.per) {
				break
			}
			f := x.per[i]
			fmt.Fprintf(w, "| %s | %d | %s | %.0f | %.0f | **%s** | %s | %s | %s | %s |\n", x.c.name, x.clients, names[i],
				f.throughput, raw.throughput, ratio(f.throughput, raw.throughput), fmtDur(f.p50), fmtDur(raw.p50), fmtDur(f.p99), fmtDur(raw.p99))
		}
	}
	fmt.Fprintln(w)
}
