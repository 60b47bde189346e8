package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"crewid/accounts"
	"crewid/notify"
	smssender "crewid/notify/sms"
	smtpsender "crewid/notify/smtp"
	"crewid/server"
	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
	"crewid/webhooks"
)

const defaultDatabase = "sqlite:./crewid-data/crewid.db"

// dbFlags are the flags every command that opens the database shares.
type dbFlags struct {
	database *string
}

func addDBFlags(fs flagSet) dbFlags {
	return dbFlags{database: fs.str("database", "CREWID_DATABASE_URL", defaultDatabase,
		"database: sqlite:PATH or postgres://user@host:port/db")}
}

// open opens and migrates the database named by the flags.
func (f dbFlags) open(ctx context.Context) (store.Store, bool, error) {
	st, isSQLite, err := openDatabase(ctx, *f.database)
	if err != nil {
		return nil, false, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, false, fmt.Errorf("migrate: %w", err)
	}
	return st, isSQLite, nil
}

func openDatabase(ctx context.Context, dsn string) (store.Store, bool, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, false, usageError("--database sqlite: needs a file path, e.g. sqlite:./crewid-data/crewid.db")
		}
		st, err := sqlite.Open(path)
		return st, true, err
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		st, err := postgres.Open(ctx, dsn)
		return st, false, err
	}
	return nil, false, usageError("--database must be sqlite:PATH or postgres://…")
}

// serveConfig is everything serve reads from flags and the environment.
type serveConfig struct {
	addr, publicURL, environment string
	smtpURL, smsURL              string
	signinRate                   int
	lockoutThreshold             int
	lockoutDuration              time.Duration
	allowPrivateWebhooks         bool
	// hashSlots bounds the password hashes computed at once; 0 means
	// the default of package accounts (one per core).
	hashSlots int
	// messageLease and messageRetry tune message delivery; zero means the
	// defaults of package notify.
	messageLease, messageRetry time.Duration
	// webhookLease and webhookRetry tune webhook delivery likewise
	// (defaults of package webhooks).
	webhookLease, webhookRetry time.Duration
}

func parseServeFlags(args []string, stderr io.Writer) (serveConfig, dbFlags, error) {
	fs := newFlagSet("serve", stderr)
	db := addDBFlags(fs)
	addr := fs.str("addr", "CREWID_ADDR", "127.0.0.1:8080", "address to listen on")
	publicURL := fs.str("public-url", "CREWID_PUBLIC_URL", "", "base URL of links in messages (default http://ADDR)")
	smtp := fs.str("smtp", "CREWID_SMTP_URL", "", "SMTP server for email, smtp://user:pass@host:port or smtps://…; options ?from=ADDRESS&tls=starttls|required|none (unset: local outbox)")
	sms := fs.str("sms", "CREWID_SMS_URL", "", "Twilio-compatible Messages API for SMS, https://ACCOUNT_SID:AUTH_TOKEN@host[/prefix]?from=+15550001111 (unset: local outbox)")
	lease := fs.str("message-lease", "CREWID_MESSAGE_LEASE", "", "how long a node holds the messages it is sending before another may take them over (default 2m)")
	retry := fs.str("message-retry", "CREWID_MESSAGE_RETRY", "", "wait before the first retry of a failed message, doubling to 1h (default 30s)")
	hookLease := fs.str("webhook-lease", "CREWID_WEBHOOK_LEASE", "", "how long a node holds the webhook deliveries it is sending before another may take them over (default 1m)")
	hookRetry := fs.str("webhook-retry", "CREWID_WEBHOOK_RETRY", "", "wait before the first retry of a failed webhook delivery, doubling to 1h (default 30s)")
	env := fs.str("environment", "CREWID_ENVIRONMENT", "integration", "production or integration")
	rate := fs.str("signin-rate", "CREWID_SIGNIN_RATE", "60", "sign-in and reset attempts per minute per client address (0 = off)")
	threshold := fs.str("lockout-threshold", "CREWID_LOCKOUT_THRESHOLD", "10", "failed sign-ins that lock an account")
	duration := fs.str("lockout-duration", "CREWID_LOCKOUT_DURATION", "30m", "how long a lock lasts")
	private := fs.boolean("allow-private-webhooks", "CREWID_ALLOW_PRIVATE_WEBHOOKS", "false", "allow webhook URLs on loopback or private addresses")
	slots := fs.str("hash-slots", "CREWID_HASH_SLOTS", "", "password hashes computed at once, 19 MiB each (default: one per core); on SQLite a sign-in keeps its slot through its writes, on PostgreSQL it gives it back after the hash")
	if err := fs.parse(args); err != nil {
		return serveConfig{}, db, err
	}
	cfg := serveConfig{addr: *addr, publicURL: *publicURL, environment: *env, smtpURL: *smtp, smsURL: *sms}
	var problems []string
	if _, _, err := net.SplitHostPort(cfg.addr); err != nil {
		problems = append(problems, "--addr must be host:port")
	}
	if cfg.environment != "production" && cfg.environment != "integration" {
		problems = append(problems, "--environment must be production or integration")
	}
	problems = append(problems, checkDeliveryURLs(cfg)...)
	var err error
	if cfg.signinRate, err = strconv.Atoi(*rate); err != nil || cfg.signinRate < 0 {
		problems = append(problems, "--signin-rate must be a whole number, 0 or more")
	}
	if cfg.lockoutThreshold, err = strconv.Atoi(*threshold); err != nil || cfg.lockoutThreshold < 1 {
		problems = append(problems, "--lockout-threshold must be a whole number, 1 or more")
	}
	if cfg.lockoutDuration, err = time.ParseDuration(*duration); err != nil || cfg.lockoutDuration <= 0 {
		problems = append(problems, "--lockout-duration must be a duration such as 30m")
	}
	if cfg.allowPrivateWebhooks, err = strconv.ParseBool(*private); err != nil {
		problems = append(problems, "--allow-private-webhooks must be true or false")
	}
	if *slots != "" {
		if cfg.hashSlots, err = strconv.Atoi(*slots); err != nil || cfg.hashSlots < 1 || cfg.hashSlots > 1024 {
			problems = append(problems, "--hash-slots must be a whole number from 1 to 1024")
		}
	}
	if *lease != "" {
		if cfg.messageLease, err = time.ParseDuration(*lease); err != nil || cfg.messageLease < time.Second {
			problems = append(problems, "--message-lease must be a duration of 1s or more, such as 2m")
		}
	}
	if *retry != "" {
		if cfg.messageRetry, err = time.ParseDuration(*retry); err != nil || cfg.messageRetry <= 0 {
			problems = append(problems, "--message-retry must be a duration such as 30s")
		}
	}
	if *hookLease != "" {
		if cfg.webhookLease, err = time.ParseDuration(*hookLease); err != nil || cfg.webhookLease < time.Second {
			problems = append(problems, "--webhook-lease must be a duration of 1s or more, such as 1m")
		}
	}
	if *hookRetry != "" {
		if cfg.webhookRetry, err = time.ParseDuration(*hookRetry); err != nil || cfg.webhookRetry <= 0 {
			problems = append(problems, "--webhook-retry must be a duration such as 30s")
		}
	}
	if len(problems) > 0 {
		return cfg, db, usageError(strings.Join(problems, "; "))
	}
	return cfg, db, nil
}

// checkDeliveryURLs names the mistakes in --public-url, --smtp and --sms.
func checkDeliveryURLs(cfg serveConfig) []string {
	var problems []string
	if cfg.publicURL != "" {
		if u, err := url.Parse(cfg.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, "--public-url must be an http(s) URL")
		}
	}
	if cfg.smtpURL != "" {
		if u, err := url.Parse(cfg.smtpURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			problems = append(problems, "--smtp must be smtp://user:pass@host:port")
		}
	}
	if cfg.smsURL != "" {
		if u, err := url.Parse(cfg.smsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, "--sms must be an http(s) URL")
		}
	}
	return problems
}

// serveGCPercent is the garbage collector's target while serving, unless
// GOGC says otherwise. Every password hash allocates 19 MiB; at 300 the
// collector runs a third as often as at Go's default of 100. Measured with
// MADV_FREE (package lazyfree): 2–3% more sign-ins/s for about 70 MiB more
// resident memory; the cap on hashes in flight keeps the heap bounded all
// the same (about 260 MiB at 8 or 64 concurrent sign-ins, BENCHMARKS.md).
const serveGCPercent = 300

// gcPercent is the garbage collector's target in force (-1: off).
func gcPercent() int {
	p := debug.SetGCPercent(serveGCPercent)
	debug.SetGCPercent(p)
	return p
}

// startProcs is GOMAXPROCS as the process started (one per core, or as
// the environment or the container's CPU limit sets it).
var startProcs = runtime.GOMAXPROCS(0)

// hashScheduling chooses how many password hashes run at once (slots; one
// per core unless --hash-slots says) and whether a sign-in gives its slot
// back right after its hash (see accounts.Config.ReleaseSlotAfterHash).
// With SQLite the writes after the hash are CPU work in the process, so the
// slot is held through them; with PostgreSQL they are mostly waiting on
// round trips, so the slot is released and the process gets a scheduler
// thread more than slots to take the answers (BENCHMARKS.md, "Sign-in").
func hashScheduling(flagSlots int, sqlite bool) (slots int, releaseAfterHash bool) {
	slots = flagSlots
	if slots == 0 {
		slots = startProcs
	}
	return slots, !sqlite
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, db, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	slog.SetDefault(logger)
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
	email, text, err := messageSenders(cfg)
	if err != nil {
		return err
	}

	st, isSQLite, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	slots, releaseSlot := hashScheduling(cfg.hashSlots, isSQLite)
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && releaseSlot {
		prev := runtime.GOMAXPROCS(max(startProcs, slots+1))
		defer runtime.GOMAXPROCS(prev)
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.publicURL == "" {
		cfg.publicURL = defaultPublicURL(ln.Addr().String())
	}

	srv := server.New(server.Config{
		Store:        st,
		PublicURL:    cfg.publicURL,
		Environment:  cfg.environment,
		LocalOutbox:  cfg.smtpURL == "" && cfg.smsURL == "",
		Email:        email,
		SMS:          text,
		MessageLease: cfg.messageLease,
		MessageRetry: cfg.messageRetry,
		SignInRate:   cfg.signinRate,
		Accounts: accounts.Config{LockoutThreshold: cfg.lockoutThreshold, LockoutDuration: cfg.lockoutDuration,
			MaxConcurrentHashes: slots, ReleaseSlotAfterHash: releaseSlot},

		AllowPrivateWebhooks: cfg.allowPrivateWebhooks,
	})
	if isSQLite {
		if err := bootstrapDemo(ctx, srv, cfg.publicURL, stdout); err != nil {
			return fmt.Errorf("create demo tenant: %w", err)
		}
	}

	if srv.Notify != nil {
		// The worker outlives the listener: it stops after the HTTP
		// server has shut down (defers run last first), finishing the
		// sends under way.
		workerCtx, stopWorker := context.WithCancel(context.Background())
		workerDone := make(chan struct{})
		go func() {
			defer close(workerDone)
			srv.Notify.Run(workerCtx)
		}()
		defer func() {
			stopWorker()
			select {
			case <-workerDone:
			case <-time.After(30 * time.Second):
				logger.Warn("message delivery did not stop in time; messages being sent will be sent again by the next node")
			}
		}()
		logger.Info("delivering messages", "email", senderName(email), "sms", senderName(text), "worker", srv.Notify.OwnerName())
	}

	// Webhook deliveries, like messages, outlive the listener: attempts
	// under way are finished and recorded after the HTTP server stops.
	srv.WebhookWorker.Lease = cfg.webhookLease
	if cfg.webhookRetry > 0 {
		srv.WebhookWorker.Backoff = notify.ExponentialBackoff(cfg.webhookRetry, webhooks.DefaultMaxRetry)
	}
	hooksCtx, stopHooks := context.WithCancel(context.Background())
	hooksDone := make(chan struct{})
	go func() {
		defer close(hooksDone)
		srv.WebhookWorker.Run(hooksCtx)
	}()
	defer func() {
		stopHooks()
		select {
		case <-hooksDone:
		case <-time.After(30 * time.Second):
			logger.Warn("webhook delivery did not stop in time; deliveries under way will be sent again by the next node")
		}
	}()

	httpServer := &http.Server{
		Handler:           srv.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("crewid listening", "addr", ln.Addr().String(), "public_url", cfg.publicURL, "environment", cfg.environment,
		"gogc", gcPercent(), "godebug", os.Getenv("GODEBUG"),
		"gomaxprocs", runtime.GOMAXPROCS(0), "hash_slots", srv.Accounts.Settings().MaxConcurrentHashes,
		"hash_slot_release", map[bool]string{false: "after writes", true: "after hash"}[releaseSlot])
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// messageSenders builds the senders of --smtp and --sms; nil for a channel
// left unset. It runs before anything is opened, so a mistake in a URL is
// a usage error that leaves nothing behind.
func messageSenders(cfg serveConfig) (email, text notify.Sender, err error) {
	// The default From domain is the public URL's host; the listener's
	// port does not matter for it.
	publicURL := cfg.publicURL
	if publicURL == "" {
		publicURL = defaultPublicURL(cfg.addr)
	}
	if cfg.smtpURL != "" {
		s, err := smtpsender.New(cfg.smtpURL, publicURL)
		if err != nil {
			return nil, nil, usageError("--smtp: " + err.Error())
		}
		email = s
	}
	if cfg.smsURL != "" {
		s, err := smssender.New(cfg.smsURL)
		if err != nil {
			return nil, nil, usageError("--sms: " + err.Error())
		}
		text = s
	}
	return email, text, nil
}

// senderName is a sender's URL without secrets, or "local outbox".
func senderName(s notify.Sender) string {
	if str, ok := s.(fmt.Stringer); ok {
		return str.String()
	}
	return "local outbox"
}

// defaultPublicURL is the URL of the address listened on, as a client on
// this machine reaches it: "--addr :8080" or "0.0.0.0:8080" give
// http://127.0.0.1:8080 (not the unusable http://:8080), and port 0 gives
// the port actually chosen.
func defaultPublicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // Go's wildcard listeners take IPv4 too
	}
	return "http://" + net.JoinHostPort(host, port)
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	db := addDBFlags(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	st, _, err := openDatabase(ctx, *db.database)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	switch n {
	case 0:
		fmt.Fprintln(stdout, "No migration to apply; the database schema is up to date.")
	case 1:
		fmt.Fprintln(stdout, "Applied 1 migration; the database schema is up to date.")
	default:
		fmt.Fprintf(stdout, "Applied %d migrations; the database schema is up to date.\n", n)
	}
	return nil
}
