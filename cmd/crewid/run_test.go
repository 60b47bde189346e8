package main

// The command line called in-process through run, where no process is
// needed: flag and environment parsing, exit codes, and one serve whose
// shutdown is a cancelled context.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseServeFlagsEnvironment(t *testing.T) {
	t.Setenv("CREWID_ADDR", "127.0.0.1:9191")
	t.Setenv("CREWID_DATABASE_URL", "postgres://crewid@db.internal:5432/crewid")
	t.Setenv("CREWID_PUBLIC_URL", "https://people.example.test")
	t.Setenv("CREWID_SMTP_URL", "smtp://mailer:secret@mail.example.test:587")
	t.Setenv("CREWID_SMS_URL", "https://sms.example.test/2010-04-01")
	t.Setenv("CREWID_ENVIRONMENT", "production")
	t.Setenv("CREWID_SIGNIN_RATE", "0")
	t.Setenv("CREWID_LOCKOUT_THRESHOLD", "4")
	t.Setenv("CREWID_LOCKOUT_DURATION", "90s")
	t.Setenv("CREWID_ALLOW_PRIVATE_WEBHOOKS", "true")

	cfg, db, err := parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := serveConfig{
		addr: "127.0.0.1:9191", publicURL: "https://people.example.test", environment: "production",
		smtpURL: "smtp://mailer:secret@mail.example.test:587", smsURL: "https://sms.example.test/2010-04-01",
		signinRate: 0, lockoutThreshold: 4, lockoutDuration: 90 * time.Second, allowPrivateWebhooks: true,
	}
	if cfg != want {
		t.Errorf("from the environment:\n got %+v\nwant %+v", cfg, want)
	}
	if *db.database != "postgres://crewid@db.internal:5432/crewid" {
		t.Errorf("database = %q", *db.database)
	}

	// Flags win.
	cfg, db, err = parseServeFlags([]string{
		"--addr", "127.0.0.1:9292", "--database", "sqlite:x.db", "--public-url", "http://flags.example.test",
		"--smtp", "", "--sms", "", "--environment", "integration", "--signin-rate", "30",
		"--lockout-threshold", "7", "--lockout-duration", "2h", "--allow-private-webhooks=false",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want = serveConfig{
		addr: "127.0.0.1:9292", publicURL: "http://flags.example.test", environment: "integration",
		signinRate: 30, lockoutThreshold: 7, lockoutDuration: 2 * time.Hour,
	}
	if cfg != want {
		t.Errorf("from flags:\n got %+v\nwant %+v", cfg, want)
	}
	if *db.database != "sqlite:x.db" {
		t.Errorf("database = %q", *db.database)
	}
}

// --allow-private-webhooks is a switch: given bare it means true.
func TestParseServeFlagsBareSwitch(t *testing.T) {
	unsetenv(t, "CREWID_ALLOW_PRIVATE_WEBHOOKS")
	cfg, _, err := parseServeFlags([]string{"--allow-private-webhooks", "--addr", "127.0.0.1:9393"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.allowPrivateWebhooks || cfg.addr != "127.0.0.1:9393" {
		t.Errorf("bare --allow-private-webhooks: got %+v", cfg)
	}
	t.Setenv("CREWID_ALLOW_PRIVATE_WEBHOOKS", "true")
	if cfg, _, err = parseServeFlags([]string{"--allow-private-webhooks=false"}, io.Discard); err != nil || cfg.allowPrivateWebhooks {
		t.Errorf("--allow-private-webhooks=false over the environment: %+v, %v", cfg, err)
	}
}

func TestParseServeFlagsDefaults(t *testing.T) {
	for _, env := range []string{"CREWID_ADDR", "CREWID_DATABASE_URL", "CREWID_PUBLIC_URL", "CREWID_SMTP_URL",
		"CREWID_SMS_URL", "CREWID_ENVIRONMENT", "CREWID_SIGNIN_RATE", "CREWID_LOCKOUT_THRESHOLD",
		"CREWID_LOCKOUT_DURATION", "CREWID_ALLOW_PRIVATE_WEBHOOKS"} {
		unsetenv(t, env)
	}
	cfg, db, err := parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := serveConfig{addr: "127.0.0.1:8080", environment: "integration", signinRate: 60,
		lockoutThreshold: 10, lockoutDuration: 30 * time.Minute}
	if cfg != want || *db.database != defaultDatabase {
		t.Errorf("defaults: got %+v, database %q; want %+v, %q", cfg, *db.database, want, defaultDatabase)
	}
}

// unsetenv unsets a variable for the test, restoring it afterwards.
func unsetenv(t *testing.T, name string) {
	t.Setenv(name, "") // registers the restore
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultPublicURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":8080":          "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"crewid.lan:80":  "http://crewid.lan:80",
		"[fd00::1]:8080": "http://[fd00::1]:8080",
		"localhost:8080": "http://localhost:8080",
		"10.1.2.3:4000":  "http://10.1.2.3:4000",
	} {
		if got := defaultPublicURL(addr); got != want {
			t.Errorf("defaultPublicURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")
	for _, c := range []struct {
		args []string
		code int
		want string // in the error
	}{
		{[]string{"help"}, 0, ""},
		{[]string{"-h"}, 0, ""},
		{[]string{"migrate", "--help"}, 0, ""},
		{[]string{"tenant"}, 2, "tenant needs a subcommand: create"},
		{[]string{"tenant", "--help"}, 0, ""},
		{[]string{"tenant", "-h"}, 0, ""},
		{[]string{"tenant", "delete"}, 2, "unknown command: tenant delete"},
		{[]string{"app", "--help"}, 0, ""},
		{[]string{"app", "delete"}, 2, "unknown command: app delete"},
		{[]string{"person"}, 2, "person needs a subcommand: set-email"},
		{[]string{"person", "help"}, 0, ""},
		{[]string{"history"}, 2, "history needs a subcommand: prune, verify"},
		{[]string{"history", "-h"}, 0, ""},
		{[]string{"migrate", "--database", db, "now"}, 2, "unexpected argument: now"},
		{[]string{"migrate", "--database"}, 2, "flag needs an argument"},
		{[]string{"tenant", "create", "--database", db}, 2, "missing --name, --admin-login, --admin-email"},
		{[]string{"app", "create", "--database", db, "--tenant", "0", "--name", "X"}, 2, "--tenant must be a tenant id"},
		{[]string{"app", "create", "--database", db, "--tenant", "12", "--name", "X"}, 1, "tenant 12 does not exist"},
		{[]string{"serve", "--environment", "staging", "--addr", "nohost"}, 2, "--addr must be host:port; --environment must be production or integration"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(ctx, c.args, &stdout, &stderr)
		code := 0
		if err != nil {
			code = exitCode(err)
		}
		if code != c.code {
			t.Errorf("run %q: %v, exit code %d, want %d", c.args, err, code, c.code)
		}
		if c.want != "" && (err == nil || !strings.Contains(describe(err), c.want)) {
			t.Errorf("run %q: error %v, want it to say %q", c.args, err, c.want)
		}
		if c.code == 0 && err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("run %q: %v", c.args, err)
		}
	}
}

// A command group shows its subcommands: asked for help, on stdout; run
// bare or with a subcommand it does not know, on stderr as a mistake.
func TestCommandGroupUsage(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		group, shows string
	}{
		{"tenant", "crewid tenant create --name NAME --admin-login LOGIN --admin-email EMAIL"},
		{"app", "crewid app create --tenant N --name NAME"},
		{"person", "crewid person set-email --tenant N --id N --email EMAIL"},
		{"history", "crewid history verify --tenant N"},
	} {
		for _, help := range []string{"--help", "-h", "help"} {
			var stdout, stderr bytes.Buffer
			if err := run(ctx, []string{c.group, help}, &stdout, &stderr); err != nil {
				t.Errorf("%s %s: %v", c.group, help, err)
			}
			if !strings.Contains(stdout.String(), c.shows) || stderr.Len() != 0 {
				t.Errorf("%s %s: stdout %q, stderr %q; want the usage on stdout", c.group, help, stdout.String(), stderr.String())
			}
		}
		for _, args := range [][]string{{c.group}, {c.group, "frobnicate"}} {
			var stdout, stderr bytes.Buffer
			err := run(ctx, args, &stdout, &stderr)
			if err == nil || exitCode(err) != 2 || !strings.Contains(stderr.String(), c.shows) || stdout.Len() != 0 {
				t.Errorf("%q: %v, stderr %q; want exit 2 and the usage on stderr", args, err, stderr.String())
			}
		}
	}
}

func TestRunInProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "--database", db}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"tenant", "create", "--database", db, "--name", "Acme", "--admin-login", "acme",
		"--admin-email", "a@acme.example", "--admin-password", "Acme-Boiler-9"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var ten created
	decodeStrict(t, "tenant create", out.String(), &ten)
	out.Reset()
	if err := run(ctx, []string{"app", "create", "--database", db, "--tenant", "1", "--name", "X", "--scopes", "people.read people.write"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var app credentials
	decodeStrict(t, "app create", out.String(), &app)

	// serve on port 0: the default public URL names the port chosen.
	serveCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(serveCtx, []string{"serve", "--database", db, "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	listening := regexp.MustCompile(`msg="crewid listening" addr=(\S+) public_url=(\S+)`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		m = listening.FindStringSubmatch(stderr.String())
		if m == nil && time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
	}
	if m[2] != "http://"+m[1] || strings.HasSuffix(m[1], ":0") {
		t.Errorf("listening on %s with public URL %s, want http://%s", m[1], m[2], m[1])
	}
	resp, err := http.Get("http://" + m[1] + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc discovery
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || doc.Issuer != m[2] {
		t.Errorf("issuer = %q (%v), want %q", doc.Issuer, err, m[2])
	}
	if stdout.String() != "" {
		t.Errorf("serve on a database with a tenant printed:\n%s", stdout.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after its context ended: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}
