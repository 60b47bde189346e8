// Command crewid-bench seeds a large crewid database and measures the
// server against it.
//
//	crewid-bench seed --database DSN [--tenants 1000] [--per-tenant 1000]
//	crewid-bench run  --database DSN [--crewid ./crewid | --url URL --pid PID]
//	                  [--scenarios list,get,export,token] [--duration 20s] [--concurrency 8]
//
// seed creates tenants through org.Service.CreateTenant (built-in roles and
// history included) and technicians through the store interface, many per
// transaction, each with its history event. It is resumable: tenants and
// technicians already there are counted and only the missing ones added.
//
// run creates one API application per tenant it uses (apps.Service.Create
// on the same database), then drives the Settings API over keep-alive HTTP
// connections and reports, per scenario, requests, req/s and latency
// percentiles, and the peak resident memory of the server process. The
// server is this process (default), a `crewid serve` child process it
// starts (--crewid BINARY), or a running server (--url, with --pid to
// sample its memory).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
)

const usage = `crewid-bench: seed a large crewid database and measure the server.

Usage:
  crewid-bench seed --database sqlite:PATH|postgres://… [--tenants N] [--per-tenant N] [--batch N] [--workers N]
  crewid-bench run  --database sqlite:PATH|postgres://… [--crewid BINARY | --url URL [--pid PID]]
                    [--scenarios list,get,export,token] [--duration D] [--concurrency N]

Run "crewid-bench COMMAND -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "crewid-bench:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("missing command")
	}
	switch args[0] {
	case "seed":
		return seedCommand(ctx, args[1:])
	case "run":
		return runCommand(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// openStore opens and migrates the database named by dsn (sqlite:PATH or
// postgres://…). It reports whether it is SQLite.
func openStore(ctx context.Context, dsn string) (store.Store, bool, error) {
	var st store.Store
	var isSQLite bool
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, false, errors.New("--database sqlite: needs a file path")
		}
		db, err := sqlite.Open(path)
		if err != nil {
			return nil, false, err
		}
		st, isSQLite = db, true
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, false, err
		}
		st = db
	default:
		return nil, false, errors.New("--database must be sqlite:PATH or postgres://…")
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, false, fmt.Errorf("migrate: %w", err)
	}
	return st, isSQLite, nil
}
