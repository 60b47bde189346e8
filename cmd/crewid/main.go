// Command crewid runs the people-and-accounts service and administers it.
//
//	crewid [serve]       run the server (the default)
//	crewid migrate       bring the database schema up to date
//	crewid tenant create create a company and its first administrator
//	crewid app create    register an API application for a company
//	crewid person set-email  change a person's email address
//	crewid history       verify or prune a company's history
//
// Every flag can also be set by the environment variable named in its help.
// This is the only package that reads flags or the environment.
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
	"strings"
	"syscall"

	"crewid/cmd/internal/lazyfree"
)

func main() {
	if isServe(os.Args[1:]) {
		// Returns only if the process was not started again; serving
		// without MADV_FREE is slower, not wrong.
		if err := lazyfree.Exec(); err != nil {
			fmt.Fprintln(os.Stderr, "crewid: starting again with GODEBUG=madvdontneed=0:", err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "crewid:", describe(err))
		}
		os.Exit(exitCode(err))
	}
}

const usage = `crewid: the people-and-accounts service of field-service companies.

Usage:
  crewid [serve] [flags]     run the server (default)
  crewid migrate [flags]     bring the database schema up to date
  crewid tenant create --name NAME --admin-login LOGIN --admin-email EMAIL [--admin-password P]
                       [--public-url URL] [--smtp URL] [--sms URL]
  crewid app create --tenant N --name NAME [--scopes a,b]
  crewid person set-email --tenant N --id N --email EMAIL   change a person's email (operators only)
  crewid history verify --tenant N      check the tenant's history hash chain
  crewid history prune --tenant N --older-than 8760h

Run "crewid COMMAND -h" for the flags of a command.
`

const tenantUsage = `Usage:
  crewid tenant create --name NAME --admin-login LOGIN --admin-email EMAIL [flags]
      Create a company and its first administrator, and print
      {"tenantId":N,"userId":N}. With --admin-password the account is ready
      (the operator chose the password); without it the administrator is
      invited by email. With no --smtp the invitation stays in the local
      outbox, and its link is printed on stderr to pass on.

Run "crewid tenant create -h" for its flags.
`

const appUsage = `Usage:
  crewid app create --tenant N --name NAME [--scopes a,b] [--database URL]
      Register an API application for a company, and print
      {"appId":N,"appKey":"…","clientId":"…","clientSecret":"…"}; the
      client secret is shown only this once. Every scope unless --scopes
      says otherwise.
`

const personUsage = `Usage:
  crewid person set-email --tenant N --id N --email EMAIL [--database URL]
      Change a person's email address: a platform operator's change, which
      a company's administrators cannot make. The change is recorded in the
      company's history.
`

// subcommand runs one subcommand with the arguments after its name.
type subcommand func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// group is a command made of subcommands, such as "tenant create".
type group struct {
	name  string
	usage string
	subs  map[string]subcommand
}

var (
	tenantGroup = group{"tenant", tenantUsage, map[string]subcommand{"create": tenantCreate}}
	appGroup    = group{"app", appUsage, map[string]subcommand{"create": appCreate}}
	personGroup = group{"person", personUsage, map[string]subcommand{"set-email": personSetEmail}}
)

// run runs the subcommand named by args[0]. Asked for help, the group
// prints its usage on stdout; without a subcommand, or with one it does not
// know, on stderr, as a mistake.
func (g group) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, g.usage)
		names := make([]string, 0, len(g.subs))
		for name := range g.subs {
			names = append(names, name)
		}
		slices.Sort(names)
		return usageError(g.name + " needs a subcommand: " + strings.Join(names, ", "))
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, g.usage)
		return nil
	}
	if sub, ok := g.subs[args[0]]; ok {
		return sub(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, g.usage)
	return usageError("unknown command: " + g.name + " " + strings.Join(args, " "))
}

// isServe reports whether the command line runs the server, the default
// command.
func isServe(args []string) bool {
	return len(args) == 0 || strings.HasPrefix(args[0], "-") || args[0] == "serve"
}

// run dispatches to a command; it is main without the process around it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if isServe(args) {
		if len(args) > 0 && args[0] == "serve" {
			args = args[1:]
		}
		return serve(ctx, args, stdout, stderr)
	}
	switch args[0] {
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "tenant":
		return tenantGroup.run(ctx, args[1:], stdout, stderr)
	case "app":
		return appGroup.run(ctx, args[1:], stdout, stderr)
	case "person":
		return personGroup.run(ctx, args[1:], stdout, stderr)
	case "history":
		return historyGroup.run(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError("unknown command: " + strings.Join(args, " "))
}

// usageError is a mistake in the command line.
type usageError string

func (e usageError) Error() string { return string(e) }

// exitCode is 0 for -h (the help was asked for, as with the flag package's
// ExitOnError), 2 for a mistake in the command line and 1 for the rest.
func exitCode(err error) int {
	var u usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return 2
	}
	return 1
}

// describe renders an error for the terminal. The whole chain is kept: a
// *crewid.Error spells out its field errors itself, and what wraps it says
// which record or step failed ("tenant 7 was not found", "migrate: …").
func describe(err error) string {
	return err.Error()
}

// flagSet makes a FlagSet whose flags default to environment variables.
type flagSet struct {
	*flag.FlagSet
}

func newFlagSet(name string, stderr io.Writer) flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flagSet{fs}
}

// str defines a string flag with an environment variable fallback.
func (fs flagSet) str(name, env, def, help string) *string {
	if v, ok := os.LookupEnv(env); ok && env != "" {
		def = v
	}
	if env != "" {
		help += " (env " + env + ")"
	}
	return fs.String(name, def, help)
}

// boolean defines a switch with an environment variable fallback: given
// bare (--name) it means true, and --name=VALUE keeps VALUE as written for
// the caller to check, so that a wrong value is reported with the others.
func (fs flagSet) boolean(name, env, def, help string) *string {
	if v, ok := os.LookupEnv(env); ok && env != "" {
		def = v
	}
	if env != "" {
		help += " (env " + env + ")"
	}
	v := switchValue(def)
	fs.Var(&v, name, help)
	return (*string)(&v)
}

// switchValue is a flag.Value that may be given without a value.
type switchValue string

func (v *switchValue) String() string     { return string(*v) }
func (v *switchValue) Set(s string) error { *v = switchValue(s); return nil }
func (v *switchValue) IsBoolFlag() bool   { return true }

// parse parses args and refuses stray positional arguments.
func (fs flagSet) parse(args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		// The flag package has printed the problem and the flags already.
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument: " + fs.Arg(0))
	}
	return nil
}
