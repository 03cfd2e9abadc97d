package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/jobs"
)

type pingArgs struct {
	Note string `json:"note"`
}

func (pingArgs) Kind() string { return "test.ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan string
}

func (w *pingWorker) Work(_ context.Context, job *river.Job[pingArgs]) error {
	w.done <- job.Args.Note
	return nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startClient(t *testing.T, db *gorm.DB, reg *jobs.Registry) *jobs.Client {
	t.Helper()
	c, err := jobs.New(db, reg, jobs.Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return c
}

func TestInsertTxFollowsTheTransaction(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	reg := jobs.NewRegistry()
	w := &pingWorker{done: make(chan string, 4)}
	jobs.AddWorker(reg, w)

	rolledBack := errors.New("roll back")
	err := database.WithTx(ctx, db, func(tx *gorm.DB) error {
		if err := jobs.InsertTx(ctx, tx, pingArgs{Note: "rolled back"}, nil); err != nil {
			return err
		}
		return rolledBack
	})
	if !errors.Is(err, rolledBack) {
		t.Fatalf("WithTx = %v", err)
	}
	if err := database.WithTx(ctx, db, func(tx *gorm.DB) error {
		return jobs.InsertTx(ctx, tx, pingArgs{Note: "committed"}, nil)
	}); err != nil {
		t.Fatalf("InsertTx in a committed transaction: %v", err)
	}
	var n int64
	if err := db.Table("river_job").Where("kind = ?", "test.ping").Count(&n).Error; err != nil || n != 1 {
		t.Fatalf("river_job has %d ping jobs (%v), want 1: the rolled-back insert must not exist", n, err)
	}
	startClient(t, db, reg)
	select {
	case note := <-w.done:
		if note != "committed" {
			t.Errorf("worked %q, want the committed job", note)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the committed job was not worked")
	}

	if err := jobs.InsertTx(ctx, db, pingArgs{}, nil); err == nil {
		t.Error("InsertTx outside a transaction succeeded, want an error")
	}
}

func TestPeriodicJobRunsOnceAcrossTwoClients(t *testing.T) {
	db, _ := dbtest.New(t)
	var runs atomic.Int32
	newReg := func() *jobs.Registry {
		reg := jobs.NewRegistry()
		reg.AddPeriodic(jobs.Periodic{Name: "count", Interval: time.Hour, Run: func(context.Context) (int, error) {
			runs.Add(1)
			return 1, nil
		}})
		return reg
	}
	startClient(t, db, newReg())
	startClient(t, db, newReg())
	// RunOnStart: the elected leader inserts one run; the other client must not
	waitFor(t, 30*time.Second, "the periodic job's first run", func() bool { return runs.Load() >= 1 })
	var n int64
	waitFor(t, 30*time.Second, "the run to complete", func() bool {
		db.Table("river_job").Where("kind = 'fieldops.periodic' AND state = 'completed'").Count(&n)
		return n >= 1
	})
	var total int64
	db.Table("river_job").Where("kind = 'fieldops.periodic'").Count(&total)
	if total != 1 || runs.Load() != 1 {
		t.Errorf("%d periodic jobs inserted, %d runs; want 1 and 1 with two clients", total, runs.Load())
	}
}

func TestRunPeriodicRunsEveryJobInNameOrder(t *testing.T) {
	reg := jobs.NewRegistry()
	var order []string
	for _, name := range []string{"b", "a"} {
		reg.AddPeriodic(jobs.Periodic{Name: name, Interval: time.Minute, Run: func(context.Context) (int, error) {
			order = append(order, name)
			return len(name), nil
		}})
	}
	res, err := reg.RunPeriodic(context.Background())
	if err != nil || len(res) != 2 || res[0].Name != "a" || res[1].Name != "b" || res[0].Count != 1 {
		t.Fatalf("RunPeriodic = %+v, %v", res, err)
	}
	if len(order) != 2 || order[0] != "a" {
		t.Errorf("ran %v, want a then b", order)
	}
	defer func() {
		if recover() == nil {
			t.Error("a duplicate periodic name was accepted")
		}
	}()
	reg.AddPeriodic(jobs.Periodic{Name: "a", Interval: time.Minute, Run: func(context.Context) (int, error) { return 0, nil }})
}
