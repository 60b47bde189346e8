package main

// "crewid serve" as a process: flags and environment, refusals, the demo
// company of a first start, and shutting down on SIGTERM.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// discovery is the part of the OpenID configuration these tests check.
type discovery struct {
	Issuer        string `json:"issuer"`
	TokenEndpoint string `json:"token_endpoint"`
	JWKSURI       string `json:"jwks_uri"`
}

func getDiscovery(t *testing.T, base string) discovery {
	t.Helper()
	resp := mustAPI(t, 200, "GET", base+"/.well-known/openid-configuration", "", "", nil)
	var d discovery
	resp.json(t, &d)
	return d
}

// demo is what the first start on an empty database prints.
type demo struct {
	tenantID, userID int64
	login, password  string
	app              credentials
	console          string // the web console's address
	walkThrough      string // the shell commands of "First API call"
}

var demoPatterns = map[string]*regexp.Regexp{
	"tenant":       regexp.MustCompile(`(?m)^\s*tenant id\s+(\d+)$`),
	"admin":        regexp.MustCompile(`(?m)^\s*administrator\s+login ("[^"]*"), password ("[^"]*") \(user id (\d+)\)$`),
	"console":      regexp.MustCompile(`(?m)^\s*web console\s+(\S+) `),
	"appKey":       regexp.MustCompile(`(?m)^\s*application\s+appKey (\S+)$`),
	"clientId":     regexp.MustCompile(`(?m)^\s*clientId (\S+)$`),
	"clientSecret": regexp.MustCompile(`(?m)^\s*clientSecret (\S+)$`),
}

const demoBanner = "crewid created a demo company"

func parseDemo(t *testing.T, out string) demo {
	t.Helper()
	if n := strings.Count(out, demoBanner); n != 1 {
		t.Fatalf("first start printed the demo company %d times, want once:\n%s", n, out)
	}
	find := func(name string) []string {
		m := demoPatterns[name].FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s in the demo output:\n%s", name, out)
		}
		return m[1:]
	}
	var d demo
	var err error
	if d.tenantID, err = strconv.ParseInt(find("tenant")[0], 10, 64); err != nil {
		t.Fatal(err)
	}
	admin := find("admin")
	if d.login, err = strconv.Unquote(admin[0]); err != nil {
		t.Fatal(err)
	}
	if d.password, err = strconv.Unquote(admin[1]); err != nil {
		t.Fatal(err)
	}
	if d.userID, err = strconv.ParseInt(admin[2], 10, 64); err != nil {
		t.Fatal(err)
	}
	d.app = credentials{AppKey: find("appKey")[0], ClientID: find("clientId")[0], ClientSecret: find("clientSecret")[0]}
	d.console = find("console")[0]
	i := strings.Index(out, "TOKEN=$(")
	if i < 0 {
		t.Fatalf("no curl walk-through in the demo output:\n%s", out)
	}
	d.walkThrough, _, _ = strings.Cut(out[i:], "\n\n")
	return d
}

func TestServeFirstStartDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freeAddr(t)
	// No arguments at all; only the address comes from the environment, so
	// that the test does not depend on port 8080 being free.
	n := start(t, "first start", dir, addr, []string{"CREWID_ADDR=" + addr})
	if _, err := os.Stat(filepath.Join(dir, "crewid-data", "crewid.db")); err != nil {
		t.Fatalf("serve with no arguments did not create ./crewid-data/crewid.db: %v", err)
	}
	out := n.stdout.String()
	d := parseDemo(t, out)
	if d.login != "admin" || d.password == "" || d.tenantID <= 0 || d.userID <= 0 {
		t.Fatalf("demo = %+v", d)
	}
	for _, want := range []string{
		"curl -s " + n.base + "/connect/token",
		n.base + fmt.Sprintf("/settings/v2/tenant/%d/employees", d.tenantID),
		"client_id=" + d.app.ClientID, "client_secret=" + d.app.ClientSecret, "ST-App-Key: " + d.app.AppKey,
	} {
		if !strings.Contains(d.walkThrough, want) {
			t.Errorf("walk-through lacks %q:\n%s", want, d.walkThrough)
		}
	}

	// The web console is named, and answers there with its sign-in page.
	if d.console != n.base+"/" {
		t.Errorf("web console printed as %q, want %q", d.console, n.base+"/")
	}
	if resp, err := http.Get(d.console); err != nil {
		t.Errorf("GET %s: %v", d.console, err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="signin-form"`) {
			t.Errorf("GET %s: %d, not the sign-in page", d.console, resp.StatusCode)
		}
	}

	// The printed values work.
	tok := token(t, n.base, d.app)
	admin := getEmployee(t, n.base, d.tenantID, d.userID, tok.AccessToken, d.app.AppKey)
	if admin.LoginName == nil || *admin.LoginName != d.login || admin.AccountStatus != "AdminAssigned" {
		t.Errorf("demo administrator = %+v, want login %q and status AdminAssigned", admin, d.login)
	}

	// And so does the walk-through itself, run as printed.
	if sh, curl := lookPath("sh"), lookPath("curl"); sh == "" || curl == "" {
		t.Logf("sh or curl not found: the printed curl commands were not run (their values were checked above)")
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sh, "-c", "set -e\n"+d.walkThrough)
		cmd.Dir = dir
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("walk-through failed: %v\n%s\n---\n%s", err, d.walkThrough, got)
		}
		var page struct {
			Data []employee `json:"data"`
		}
		if err := json.Unmarshal(got, &page); err != nil || len(page.Data) != 1 || page.Data[0].ID != d.userID {
			t.Errorf("walk-through printed %q (%v), want the employees page with the administrator %d", got, err, d.userID)
		}
	}

	if code := n.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0\nstderr:\n%s", code, n.stderr.String())
	}
	if strings.Contains(n.stderr.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", n.stderr.String())
	}

	// A second start on the same data prints nothing of the sort, and the
	// printed credentials still work.
	addr = freeAddr(t)
	again := start(t, "second start", dir, addr, []string{"CREWID_ADDR=" + addr})
	if out := again.stdout.String(); strings.Contains(out, demoBanner) || strings.Contains(out, d.password) || strings.Contains(out, d.app.ClientSecret) {
		t.Errorf("second start printed the demo company again:\n%s", out)
	}
	tok = token(t, again.base, d.app)
	mustAPI(t, 200, "GET", fmt.Sprintf("%s/settings/v2/tenant/%d/employees", again.base, d.tenantID), tok.AccessToken, d.app.AppKey, nil)
	if code := again.stop(); code != 0 {
		t.Fatalf("second start: exit code after SIGTERM = %d, want 0\nstderr:\n%s", code, again.stderr.String())
	}
}

func lookPath(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

func TestServeEnvironmentVariables(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "env.db")
	const public = "https://people.example.test/crewid"
	addr := freeAddr(t)
	env := []string{
		"CREWID_ADDR=" + addr,
		"CREWID_DATABASE_URL=" + db,
		"CREWID_PUBLIC_URL=" + public,
		"CREWID_ENVIRONMENT=production",
		"CREWID_SIGNIN_RATE=5",
		"CREWID_LOCKOUT_THRESHOLD=3",
		"CREWID_LOCKOUT_DURATION=1h",
		"CREWID_ALLOW_PRIVATE_WEBHOOKS=true",
		"CREWID_HASH_SLOTS=3",
	}
	n := start(t, "configured by environment", dir, addr, env, "serve")
	if _, err := os.Stat(filepath.Join(dir, "crewid-data")); err == nil {
		t.Errorf("serve created ./crewid-data although CREWID_DATABASE_URL names %s", db)
	}
	if _, err := os.Stat(filepath.Join(dir, "env.db")); err != nil {
		t.Errorf("serve did not use CREWID_DATABASE_URL: %v", err)
	}
	doc := getDiscovery(t, n.base)
	if doc.Issuer != public || doc.TokenEndpoint != public+"/connect/token" || doc.JWKSURI != public+"/.well-known/jwks.json" {
		t.Errorf("discovery = %+v, want issuer %s", doc, public)
	}
	d := parseDemo(t, n.stdout.String())
	if !strings.Contains(d.walkThrough, "curl -s "+public+"/connect/token") {
		t.Errorf("walk-through does not use the public URL:\n%s", d.walkThrough)
	}
	prodToken := token(t, n.base, d.app).AccessToken
	claims := jwtClaims(t, prodToken)
	if claims["env"] != "production" || claims["iss"] != public {
		t.Errorf("token claims env=%v iss=%v, want production and %s", claims["env"], claims["iss"], public)
	}
	employees := fmt.Sprintf("/settings/v2/tenant/%d/employees", d.tenantID)
	mustAPI(t, 200, "GET", n.base+employees, prodToken, d.app.AppKey, nil)
	if !strings.Contains(n.stderr.String(), "environment=production") {
		t.Errorf("the start-up log does not show the environment:\n%s", n.stderr.String())
	}
	if !strings.Contains(n.stderr.String(), "hash_slots=3") {
		t.Errorf("serve does not use CREWID_HASH_SLOTS:\n%s", n.stderr.String())
	}
	// On SQLite a sign-in keeps its slot through its writes, and the
	// scheduler threads are left as they are (hashScheduling).
	if !strings.Contains(n.stderr.String(), `hash_slot_release="after writes"`) ||
		logInt(t, n.stderr.String(), "gomaxprocs") != runtime.GOMAXPROCS(0) {
		t.Errorf("serve on SQLite: want the slot held through the writes and GOMAXPROCS unchanged:\n%s", n.stderr.String())
	}
	// The hashes' memory is kept between sign-ins (see serveGCPercent).
	if !strings.Contains(n.stderr.String(), "gogc=300") {
		t.Errorf("serve without GOGC does not set the garbage collector's target to 300:\n%s", n.stderr.String())
	}
	// Freed heap pages go back to the kernel with MADV_FREE (package lazyfree).
	if !strings.Contains(n.stderr.String(), `godebug="madvdontneed=0"`) {
		t.Errorf("serve without GODEBUG does not start again with madvdontneed=0:\n%s", n.stderr.String())
	}
	if code := n.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}

	// Flags win over the environment, whose values are then not used (an
	// invalid one included).
	addr2 := freeAddr(t)
	flagged := start(t, "flags over environment", dir, addr2,
		append(env, "CREWID_SIGNIN_RATE=lots", "GOGC=150", "GODEBUG=madvdontneed=1"),
		"serve", "--addr", addr2, "--environment", "integration", "--public-url", "http://flags.example.test",
		"--signin-rate", "10")
	if !strings.Contains(flagged.stderr.String(), "gogc=150") {
		t.Errorf("serve does not keep the GOGC the environment gives:\n%s", flagged.stderr.String())
	}
	if !strings.Contains(flagged.stderr.String(), `godebug="madvdontneed=1"`) {
		t.Errorf("serve does not keep the madvdontneed the environment gives:\n%s", flagged.stderr.String())
	}
	if doc := getDiscovery(t, flagged.base); doc.Issuer != "http://flags.example.test" {
		t.Errorf("issuer = %q, want the --public-url http://flags.example.test", doc.Issuer)
	}
	intToken := token(t, flagged.base, d.app).AccessToken
	if claims := jwtClaims(t, intToken); claims["env"] != "integration" {
		t.Errorf("token env = %v, want integration (--environment)", claims["env"])
	}
	if code := flagged.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}

	// Same issuer, other environment: the production token is refused.
	addr3 := freeAddr(t)
	other := start(t, "integration node", dir, addr3, nil,
		"serve", "--addr", addr3, "--database", db, "--public-url", public, "--environment", "integration")
	resp := mustAPI(t, 401, "GET", other.base+employees, prodToken, d.app.AppKey, nil)
	if !strings.Contains(string(resp.body), "production") {
		t.Errorf("refusal of a production token by an integration node does not say why: %s", resp.body)
	}
	mustAPI(t, 200, "GET", other.base+employees, token(t, other.base, d.app).AccessToken, d.app.AppKey, nil)
}

func TestServeRefusesBadSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  []string
		args []string
		want []string // in stderr
	}{
		{nil, []string{"serve", "--environment", "staging"}, []string{"--environment must be production or integration"}},
		{nil, []string{"--lockout-duration", "x"}, []string{"--lockout-duration must be a duration"}},
		{nil, []string{"serve", "--database", "mysql://root@127.0.0.1/crewid"}, []string{"--database must be sqlite:PATH or postgres://"}},
		{nil, []string{"serve", "--database", "sqlite:"}, []string{"--database sqlite: needs a file path"}},
		{[]string{"CREWID_ENVIRONMENT=staging"}, nil, []string{"--environment must be production or integration"}},
		{[]string{"CREWID_LOCKOUT_DURATION=soon"}, []string{"serve"}, []string{"--lockout-duration"}},
		{[]string{"CREWID_DATABASE_URL=mysql://x"}, []string{"serve"}, []string{"--database must be"}},
		{nil, []string{"serve", "--environment", "staging", "--lockout-duration", "-5m", "--signin-rate", "many"},
			[]string{"--environment", "--lockout-duration", "--signin-rate"}},
		{nil, []string{"serve", "--signin-rate", "-1"}, []string{"--signin-rate"}},
		{nil, []string{"serve", "--lockout-threshold", "0"}, []string{"--lockout-threshold"}},
		{nil, []string{"serve", "--allow-private-webhooks=perhaps"}, []string{"--allow-private-webhooks"}},
		{nil, []string{"serve", "--hash-slots", "0"}, []string{"--hash-slots must be a whole number from 1 to 1024"}},
		{[]string{"CREWID_HASH_SLOTS=lots"}, []string{"serve"}, []string{"--hash-slots"}},
		{nil, []string{"serve", "--addr", "8080"}, []string{"--addr must be host:port"}},
		{nil, []string{"serve", "--public-url", "ftp://files.example.test"}, []string{"--public-url"}},
		{nil, []string{"serve", "--smtp", "http://mail.example.test"}, []string{"--smtp"}},
		{nil, []string{"serve", "--sms", "twilio"}, []string{"--sms"}},
		{nil, []string{"serve", "--no-such-flag"}, []string{"flag provided but not defined: -no-such-flag"}},
		{nil, []string{"serve", "extra"}, []string{"unexpected argument: extra"}},
		{nil, []string{"frobnicate"}, []string{"unknown command: frobnicate"}},
		{nil, []string{"migrate", "--database", "mysql://x"}, []string{"--database must be"}},
	} {
		dir := t.TempDir()
		res := cli(t, dir, c.env, c.args...)
		if res.code != 2 {
			t.Errorf("env %q args %q: exit %d, want 2\n%s", c.env, c.args, res.code, res)
			continue
		}
		for _, want := range c.want {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("env %q args %q: stderr %q lacks %q", c.env, c.args, res.stderr, want)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("env %q args %q: a refused start left %v behind", c.env, c.args, entries)
		}
	}

	// -h is not a mistake: the flags are shown and the exit code is 0.
	res := cli(t, t.TempDir(), nil, "serve", "-h")
	if res.code != 0 || !strings.Contains(res.stderr, "CREWID_DATABASE_URL") {
		t.Errorf("serve -h: want exit 0 and the flags with their variables\n%s", res)
	}
	res = cli(t, t.TempDir(), nil, "help")
	if res.code != 0 || !strings.Contains(res.stdout, "crewid tenant create") {
		t.Errorf("help: want exit 0 and the usage\n%s", res)
	}
}

func TestServePortTaken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")
	addr := freeAddr(t)
	first := start(t, "first", dir, addr, nil, "serve", "--database", db, "--addr", addr)
	res := cli(t, dir, nil, "serve", "--database", "sqlite:"+filepath.Join(dir, "other.db"), "--addr", addr)
	if res.code != 1 || !strings.Contains(res.stderr, "address already in use") {
		t.Errorf("serve on a taken address: want exit 1 saying so\n%s", res)
	}
	if code := first.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d", code)
	}
}
