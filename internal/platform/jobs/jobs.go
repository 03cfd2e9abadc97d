// Package jobs runs background work on PostgreSQL with River
// (github.com/riverqueue/river, chosen by issue 11: jobs live in the same
// database as the data, so a job is inserted in the very transaction of the
// change that causes it, and several processes share the work through row
// locks without a broker). River talks to the database through its
// database/sql driver (riverdatabasesql) over GORM's own *sql.DB: one pool,
// no second driver stack. That driver has no LISTEN support, so workers poll
// for new jobs (Options.PollInterval).
//
// A domain contributes work to a Registry, which cmd/fieldops wires:
//
//   - a worker: jobs.AddWorker(reg, &myWorker{}) where myWorker embeds
//     river.WorkerDefaults[MyArgs] and MyArgs has a Kind() naming it;
//   - a periodic job: reg.AddPeriodic(jobs.Periodic{Name, Interval, Run}):
//     River's elected leader enqueues it every Interval (once across all
//     processes) and one worker runs it; Run must be safe to run twice
//     concurrently anyway (guard its writes with conditional UPDATEs), and
//     reads the time from the domain's clock, never from River;
//   - a job caused by a change: jobs.InsertTx(ctx, tx, MyArgs{...}, nil)
//     inside database.WithTx: the job exists if and only if tx commits.
//
// RunPeriodic runs every periodic job synchronously (the dev route
// POST /v1/dev/jobs/run and tests use it). API tests that want real workers
// pass apitest.Workers to apitest.New (Env.Jobs is the registry, Env.Workers
// the client); `fieldops serve` runs them unless --no-workers, `fieldops
// worker` runs nothing else.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"
)

// Periodic is a job run every Interval. Run returns how many items it
// handled (for logs and the dev route).
type Periodic struct {
	Name     string
	Interval time.Duration
	Run      func(ctx context.Context) (int, error)
	// RecoverAfter, when set, bounds how long the job stays stalled after a
	// process died (SIGKILL) while running it: a run left "running" blocks
	// new ones (one pending run per job) until River rescues it, after an
	// hour; with RecoverAfter a new run is enqueued in the next window of
	// that length (River's unique-by-period), so a run slower than the
	// window may overlap the next (Run is safe to run twice anyway).
	RecoverAfter time.Duration
}

// Registry collects the workers and periodic jobs of every domain. It is
// filled before a Client is built and not changed afterwards.
type Registry struct {
	workers  *river.Workers
	periodic []Periodic
}

// NewRegistry returns a registry holding only the worker that runs periodic jobs.
func NewRegistry() *Registry {
	r := &Registry{workers: river.NewWorkers()}
	river.AddWorker(r.workers, &periodicWorker{reg: r})
	return r
}

// AddWorker registers w for its job kind. It panics on a kind registered twice
// (a wiring mistake).
func AddWorker[T river.JobArgs](r *Registry, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
}

// AddPeriodic registers p. It panics on a duplicate name, an empty Run or an
// interval under a second (wiring mistakes).
func (r *Registry) AddPeriodic(p Periodic) {
	if p.Run == nil || p.Interval < time.Second || p.Name == "" || (p.RecoverAfter != 0 && p.RecoverAfter < p.Interval) {
		panic(fmt.Sprintf("jobs: periodic job %q needs a name, a Run and an interval of at least 1s", p.Name))
	}
	if _, ok := r.find(p.Name); ok {
		panic(fmt.Sprintf("jobs: periodic job %q registered twice", p.Name))
	}
	r.periodic = append(r.periodic, p)
}

// Periodic lists the registered periodic jobs.
func (r *Registry) Periodic() []Periodic { return append([]Periodic(nil), r.periodic...) }

func (r *Registry) find(name string) (Periodic, bool) {
	for _, p := range r.periodic {
		if p.Name == name {
			return p, true
		}
	}
	return Periodic{}, false
}

// Result is what one periodic job did in RunPeriodic.
type Result struct {
	Name  string
	Count int
}

// RunPeriodic runs every periodic job once, one after the other, in name
// order, and returns their counts. It stops at the first error.
func (r *Registry) RunPeriodic(ctx context.Context) ([]Result, error) {
	ps := r.Periodic()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	out := make([]Result, 0, len(ps))
	for _, p := range ps {
		n, err := p.Run(ctx)
		if err != nil {
			return out, fmt.Errorf("periodic job %s: %w", p.Name, err)
		}
		out = append(out, Result{Name: p.Name, Count: n})
	}
	return out, nil
}

// periodicArgs is the job River's leader inserts for a periodic job.
type periodicArgs struct {
	Name string `json:"name"`
}

func (periodicArgs) Kind() string { return "fieldops.periodic" }

type periodicWorker struct {
	river.WorkerDefaults[periodicArgs]
	reg *Registry
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[periodicArgs]) error {
	p, ok := w.reg.find(job.Args.Name)
	if !ok {
		return river.JobCancel(fmt.Errorf("no periodic job %q in this process", job.Args.Name))
	}
	_, err := p.Run(ctx)
	return err
}

// Options tune a Client.
type Options struct {
	// MaxWorkers is how many jobs this process runs at once (default 10).
	MaxWorkers int
	// PollInterval is how often idle workers look for new jobs (default 1s).
	PollInterval time.Duration
	// ID names this client among the processes (default: River's).
	ID     string
	Logger *slog.Logger
}

// Client runs the registry's workers and periodic jobs in this process.
type Client struct {
	rc *river.Client[*sql.Tx]
}

// New builds a client on db's pool. It works nothing until Start.
func New(db *gorm.DB, reg *Registry, opt Options) (*Client, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if opt.MaxWorkers <= 0 {
		opt.MaxWorkers = 10
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = time.Second
	}
	cfg := &river.Config{
		ID:                opt.ID,
		Logger:            opt.Logger,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opt.MaxWorkers}},
		Workers:           reg.workers,
		FetchPollInterval: opt.PollInterval,
		FetchCooldown:     min(opt.PollInterval, river.FetchCooldownDefault),
		JobTimeout:        5 * time.Minute,
	}
	for _, p := range reg.periodic {
		args := periodicArgs{Name: p.Name}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(p.Interval),
			func() (river.JobArgs, *river.InsertOpts) {
				// one pending run per job: a slow run is not stacked up behind
				return args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: p.RecoverAfter,
					ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
						rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
			}, &river.PeriodicJobOpts{RunOnStart: true, ID: p.Name}))
	}
	rc, err := river.NewClient(riverdatabasesql.New(sqlDB), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Client{rc: rc}, nil
}

// Start starts working jobs; it returns at once.
func (c *Client) Start(ctx context.Context) error { return c.rc.Start(ctx) }

// Stop stops fetching new jobs and waits for the running ones until ctx
// ends; then it cancels them and waits for them to return.
func (c *Client) Stop(ctx context.Context) error {
	err := c.rc.Stop(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.rc.StopAndCancel(cctx)
}

// RunNow enqueues one extra run of the periodic job name, to run at once on
// whichever worker takes it (next to the scheduled runs: no uniqueness).
func (c *Client) RunNow(ctx context.Context, name string) error {
	if _, err := c.rc.Insert(ctx, periodicArgs{Name: name}, nil); err != nil {
		return fmt.Errorf("jobs: run %s now: %w", name, err)
	}
	return nil
}

// insertOnly inserts jobs inside callers' transactions; it needs no pool.
var insertOnly = sync.OnceValues(func() (*river.Client[*sql.Tx], error) {
	return river.NewClient(riverdatabasesql.New(nil), &river.Config{})
})

// InsertTx inserts a job in tx, the caller's GORM transaction
// (database.WithTx): the job is visible to workers if and only if tx commits.
// GORM keeps the transaction's *sql.Tx in Statement.ConnPool.
func InsertTx(ctx context.Context, tx *gorm.DB, args river.JobArgs, opts *river.InsertOpts) error {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return fmt.Errorf("jobs: InsertTx needs a GORM transaction (database.WithTx), got %T", tx.Statement.ConnPool)
	}
	rc, err := insertOnly()
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if _, err := rc.InsertTx(ctx, sqlTx, args, opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return nil
}
