// Command fieldops is the FieldOps service binary:
//
//	fieldops serve [--migrate] [--seed] [--no-workers]
//	                                       run the HTTP API (and the background workers)
//	fieldops worker [--migrate]            run only the background workers
//	fieldops migrate up | down [N] | status
//	fieldops seed [--orders N [--technicians T] [--customers C]]
//	                                       create the demo data (idempotent), then N bulk orders
//	fieldops users create --role manager --name … --email … --password …
//
// Configuration comes from configs/config.yaml (embedded) and the environment;
// see the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // IANA zone data in the binary: region time zones work in containers without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fieldops:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  fieldops serve [--migrate] [--seed] [--no-workers]
  fieldops worker [--migrate]
  fieldops migrate up | down [N|all] | status
  fieldops seed [--orders N [--technicians T] [--customers C]]
  fieldops users create --role ROLE --name NAME (--email EMAIL | --phone PHONE) --password PASSWORD [--provider-id UUID]`

// run is the whole program, with its inputs passed in so tests can call it.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], environ, stdout, stderr)
	case "worker":
		return cmdWorker(ctx, args[1:], environ, stdout, stderr)
	case "migrate":
		return cmdMigrate(args[1:], environ, stdout)
	case "seed":
		return cmdSeed(ctx, args[1:], environ, stdout, stderr)
	case "users":
		return cmdUsers(ctx, args[1:], environ, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}
