// Command crewid-signin-bench measures people's sign-in throughput
// (POST /auth/sign-in) against a real crewid server, next to the ceiling the
// password hash sets on the same machine.
//
//	crewid-signin-bench --database sqlite:PATH|postgres://… --crewid ./crewid
//	                    [--people 200] [--tenants 1] [--clients 8,64] [--duration 20s] [--warmup 3s]
//
// It creates --tenants tenants with --people employees spread over them,
// whose accounts are ready to sign in (through the store, all with one
// password), starts `crewid serve` on the database as a child process
// (--crewid; or uses a running server, --url with --pid for its memory),
// and drives sign-ins with each number of concurrent clients over
// keep-alive connections. Between each run's warm-up and its measured load
// it times argon2id with the parameters crewid hashes with: one hash alone
// (the run's ceiling is cores ÷ that time) and as many at once as there are
// cores. Each run reports its ceiling, requests, errors, sign-ins a second
// and their share of the ceiling, latency percentiles and the server's
// peak resident memory.
//
// Like `crewid serve`, it runs with GODEBUG=madvdontneed=0 (package
// lazyfree) unless GODEBUG sets madvdontneed, so that the ceiling is timed
// with the heap behaving as it does in the server; the server inherits the
// setting.
//
// The server is started with --signin-rate 0: every client comes from one
// address, which the per-address limit would otherwise stop.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"crewid/cmd/internal/lazyfree"
)

func main() {
	if err := lazyfree.Exec(); err != nil {
		fmt.Fprintln(os.Stderr, "crewid-signin-bench: starting again with GODEBUG=madvdontneed=0:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "crewid-signin-bench:", err)
		}
		os.Exit(1)
	}
}
