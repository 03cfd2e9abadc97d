package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
)

func cmdMigrate(args, environ []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("migrate: want up, down [N|all] or status")
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	m, err := database.NewMigrator(cfg.Database.URL)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		if err := m.Up(); err != nil {
			return err
		}
		return m.Status(stdout)
	case "down":
		n := 1
		if len(args) > 1 {
			if args[1] == "all" {
				n = 0
			} else if n, err = strconv.Atoi(args[1]); err != nil || n < 1 {
				return fmt.Errorf("migrate down: N must be a positive number or all")
			}
		}
		if err := m.Down(n); err != nil {
			return err
		}
		return m.Status(stdout)
	case "status":
		return m.Status(stdout)
	}
	return fmt.Errorf("migrate: unknown subcommand %q", args[0])
}

// cmdSeed creates the demo data; with --orders it then adds a bulk load-test
// data set (demo.SeedBulk: set-based SQL, one transaction; a second run with
// the same sizes does nothing, with other sizes it refuses).
func cmdSeed(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var size demo.BulkSize
	fs.IntVar(&size.Orders, "orders", 0, "bulk orders to generate (0: the demo data only)")
	fs.IntVar(&size.Technicians, "technicians", 200, "bulk technicians (with --orders)")
	fs.IntVar(&size.Customers, "customers", 20000, "bulk customers, one asset each (with --orders)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	if !cfg.Dev {
		return fmt.Errorf("seed creates demo accounts with a published password; it needs FIELDOPS_DEV=true")
	}
	if err := migrateUp(cfg.Database.URL); err != nil {
		return err
	}
	a, err := wire(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close()
	if err := seedDemo(ctx, a); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data present; every demo account's password is %q\n", demo.Password)
	if size.Orders == 0 {
		return nil
	}
	res, err := demo.SeedBulk(ctx, a.db, size, a.clock.Now())
	if err != nil {
		return err
	}
	if !res.Created {
		fmt.Fprintf(stdout, "bulk data present already: %d orders, %d technicians, %d customers\n", size.Orders, size.Technicians, size.Customers)
		return nil
	}
	fmt.Fprintf(stdout, "bulk data seeded in %s: %d orders, %d technicians (bulk-tech-NNNNNN@fieldops.test), %d customers (bulk-customer-NNNNNNNN@example.com), same password\n",
		res.Took.Round(time.Millisecond), size.Orders, size.Technicians, size.Customers)
	return nil
}

func cmdUsers(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("users: want create")
	}
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "technician, dispatcher or manager")
	name := fs.String("name", "", "full name")
	email := fs.String("email", "", "e-mail (login)")
	phone := fs.String("phone", "", "phone (login)")
	pw := fs.String("password", "", "initial password (8-128 characters)")
	provider := fs.String("provider-id", "", "provider UUID (technicians and dispatchers; default: in-house)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	if err := migrateUp(cfg.Database.URL); err != nil {
		return err
	}
	a, err := wire(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close()
	in := identity.StaffInput{Role: *role, Name: *name, Email: *email, Phone: *phone, Password: *pw}
	if *provider != "" {
		id, err := uuid.Parse(*provider)
		if err != nil {
			return fmt.Errorf("--provider-id: %w", err)
		}
		in.ProviderID = &id
	}
	u, err := a.identity.CreateStaff(ctx, in)
	if err != nil {
		var e *errs.Error
		if ok := asErr(err, &e); ok && len(e.Fields) > 0 {
			for _, f := range e.Fields {
				fmt.Fprintf(stderr, "  --%s: %s\n", f.Field, f.Message)
			}
		}
		return err
	}
	fmt.Fprintf(stdout, "created %s %s (%s)\n", u.Role, u.ID, u.Name)
	return nil
}

func asErr(err error, target **errs.Error) bool { return errors.As(err, target) }
