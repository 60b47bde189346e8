package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/history"
)

const historyUsage = `Usage:
  crewid history verify --tenant N [--database URL]
      Walk the tenant's history hash chain and report the first broken
      link. Prints "ok: N events verified" (exit 0) or the broken link
      (exit 1).
  crewid history prune --tenant N --older-than DURATION [--database URL]
      Delete the tenant's history events older than DURATION (e.g. 8760h
      or 365d), keeping the chain verifiable from the oldest kept event.
      The prune is itself recorded in the history.
`

// errHistoryBroken is the outcome of a verify that found a broken link;
// the details are on stdout.
var errHistoryBroken = errors.New("the history chain does not verify")

// historyGroup is "crewid history verify|prune".
var historyGroup = group{"history", historyUsage, map[string]subcommand{"verify": historyVerify, "prune": historyPrune}}

// tenantFlag parses --tenant.
func tenantFlag(v string) (int64, error) { return parseID("--tenant", "a tenant id", v) }

func historyVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history verify", stderr)
	db := addDBFlags(fs)
	tenant := fs.String("tenant", "", "tenant id (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := requireFlags("--tenant", *tenant); err != nil {
		return err
	}
	tenantID, err := tenantFlag(*tenant)
	if err != nil {
		return err
	}
	st, _, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	report, err := history.Verify(ctx, st, tenantID)
	if err != nil {
		if crewid.IsNotFound(err) {
			return fmt.Errorf("tenant %d does not exist", tenantID)
		}
		return fmt.Errorf("verify the history of tenant %d: %w", tenantID, err)
	}
	if !report.OK() {
		b := report.Break
		fmt.Fprintf(stdout, "broken: event %d: %s: %s\n", b.EventID, b.Problem, b.Detail)
		fmt.Fprintf(stdout, "%d events before it verified\n", report.Events)
		return errHistoryBroken
	}
	fmt.Fprintf(stdout, "ok: %d events verified\n", report.Events)
	if len(report.Head) > 0 {
		fmt.Fprintf(stdout, "head: %s\n", hex.EncodeToString(report.Head))
	}
	if report.AnchorID != 0 {
		fmt.Fprintf(stdout, "pruned up to event %d, anchor %s\n", report.AnchorID, hex.EncodeToString(report.Anchor))
	}
	return nil
}

func historyPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("history prune", stderr)
	db := addDBFlags(fs)
	tenant := fs.String("tenant", "", "tenant id (required)")
	olderThan := fs.String("older-than", "", "retention: delete events older than this, e.g. 8760h or 365d (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := requireFlags("--tenant", *tenant, "--older-than", *olderThan); err != nil {
		return err
	}
	tenantID, err := tenantFlag(*tenant)
	if err != nil {
		return err
	}
	retention, err := parseRetention(*olderThan)
	if err != nil {
		return err
	}
	st, _, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC()
	cutoff := now.Add(-retention)
	res, err := history.Prune(ctx, st, now, operator, tenantID, cutoff)
	if err != nil {
		if crewid.IsNotFound(err) {
			return fmt.Errorf("tenant %d does not exist", tenantID)
		}
		return fmt.Errorf("prune the history of tenant %d: %w", tenantID, err)
	}
	if res.Deleted == 0 {
		fmt.Fprintf(stdout, "nothing to prune: no event of tenant %d is older than %s\n", tenantID, cutoff.Format(time.RFC3339))
		return nil
	}
	fmt.Fprintf(stdout, "pruned %d events older than %s; the history now starts after event %d (anchor %s)\n",
		res.Deleted, cutoff.Format(time.RFC3339), res.AnchorID, hex.EncodeToString(res.Anchor))
	return nil
}

// parseRetention reads a positive duration: Go syntax (8760h) or a whole
// number of days (365d).
func parseRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int64
		n, err = strconv.ParseInt(days, 10, 64)
		if err == nil && (n <= 0 || n > 100*366) {
			err = errors.New("out of range")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d <= 0 {
		return 0, usageError("--older-than must be a positive duration such as 8760h or 365d, not " + strconv.Quote(v))
	}
	return d, nil
}
