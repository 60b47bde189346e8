package main

// "crewid tenant create", "crewid app create" and "crewid migrate", run as
// processes of the real binary.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"crewid"
	"crewid/store"
	"crewid/store/sqlite"
)

// employee is the part of a Settings API employee these tests look at.
type employee struct {
	ID            int64   `json:"id"`
	UserID        int64   `json:"userId"`
	Name          string  `json:"name"`
	Email         *string `json:"email"`
	LoginName     *string `json:"loginName"`
	AccountStatus string  `json:"accountStatus"`
	Active        bool    `json:"active"`
	RoleIDs       []int64 `json:"roleIds"`
}

func getEmployee(t *testing.T, base string, tenant, id int64, tok, appKey string) employee {
	t.Helper()
	resp := mustAPI(t, 200, "GET", fmt.Sprintf("%s/settings/v2/tenant/%d/employees/%d", base, tenant, id), tok, appKey, nil)
	var e employee
	resp.json(t, &e)
	return e
}

var tenantCreatedJSON = regexp.MustCompile(`^\{"tenantId":[1-9][0-9]*,"userId":[1-9][0-9]*\}\n$`)

func TestTenantCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")

	// With a password: the operator's own choice, a ready account.
	res := mustCLI(t, dir, nil, "tenant", "create", "--database", db,
		"--name", "Rivera Heating & Air", "--admin-login", "mrivera",
		"--admin-email", "M.Rivera@rivera-hvac.example", "--admin-password", "Furnace-Tune-42")
	if !tenantCreatedJSON.MatchString(res.stdout) {
		t.Fatalf("tenant create printed %q, want exactly {\"tenantId\":N,\"userId\":N} and a newline", res.stdout)
	}
	var withPassword created
	decodeStrict(t, "tenant create", res.stdout, &withPassword)
	if strings.Contains(res.stderr, "invitation") {
		t.Errorf("tenant create with a password spoke of an invitation:\n%s", res.stderr)
	}

	// Without: an invitation.
	res = mustCLI(t, dir, nil, "tenant", "create", "--database", db,
		"--name", "Ortiz Plumbing", "--admin-login", "dortiz", "--admin-email", "dana@ortiz-plumbing.example",
		"--admin-name", "Dana Ortiz")
	if !tenantCreatedJSON.MatchString(res.stdout) {
		t.Fatalf("tenant create printed %q, want exactly {\"tenantId\":N,\"userId\":N} and a newline", res.stdout)
	}
	var invited created
	decodeStrict(t, "tenant create", res.stdout, &invited)
	if invited.TenantID == withPassword.TenantID || invited.UserID == withPassword.UserID {
		t.Fatalf("two tenant creates gave %+v and %+v", withPassword, invited)
	}
	// With no mail provider the invitation stays in the new company's
	// local outbox, which only the invitee could read: its link is on
	// stderr for the operator to pass on.
	addr := freeAddr(t)
	link := invitationLinkRE.FindStringSubmatch(res.stderr)
	if link == nil || !strings.Contains(res.stderr, "dana@ortiz-plumbing.example") || !strings.HasPrefix(link[0], "http://127.0.0.1:8080/") {
		t.Fatalf("tenant create without a password and without --smtp: no invitation link on stderr:\n%s", res.stderr)
	}

	appA := appCreateCmd(t, dir, db, withPassword.TenantID)
	appB := appCreateCmd(t, dir, db, invited.TenantID)

	n := start(t, "serve", dir, addr, nil, "serve", "--database", db, "--addr", addr)
	if strings.Contains(n.stdout.String(), "demo") {
		t.Errorf("serve on a database with tenants printed a demo company:\n%s", n.stdout.String())
	}

	tokA := token(t, n.base, appA).AccessToken
	admin := getEmployee(t, n.base, withPassword.TenantID, withPassword.UserID, tokA, appA.AppKey)
	if admin.LoginName == nil || *admin.LoginName != "mrivera" {
		t.Errorf("administrator loginName = %v, want mrivera", admin.LoginName)
	}
	if admin.AccountStatus != "AdminAssigned" {
		t.Errorf("administrator accountStatus = %q, want AdminAssigned (login set, not yet signed in)", admin.AccountStatus)
	}
	if admin.Email == nil || *admin.Email != "m.rivera@rivera-hvac.example" || !admin.Active || admin.UserID != withPassword.UserID {
		t.Errorf("administrator = %+v", admin)
	}
	if adminRole := roleID(t, n.base, withPassword.TenantID, tokA, appA.AppKey, "Administrator", "Employee"); !slices.Contains(admin.RoleIDs, adminRole) {
		t.Errorf("administrator roleIds = %v, want the Administrator role %d among them", admin.RoleIDs, adminRole)
	}

	tokB := token(t, n.base, appB).AccessToken
	pending := getEmployee(t, n.base, invited.TenantID, invited.UserID, tokB, appB.AppKey)
	if pending.AccountStatus != "Pending" {
		t.Errorf("invited administrator accountStatus = %q, want Pending", pending.AccountStatus)
	}
	if pending.Name != "Dana Ortiz" || pending.Email == nil || *pending.Email != "dana@ortiz-plumbing.example" {
		t.Errorf("invited administrator = %+v", pending)
	}
	if adminRole := roleID(t, n.base, invited.TenantID, tokB, appB.AppKey, "Administrator", "Employee"); !slices.Contains(pending.RoleIDs, adminRole) {
		t.Errorf("invited administrator roleIds = %v, want the Administrator role %d among them", pending.RoleIDs, adminRole)
	}

	// Each application sees its own tenant only.
	mustAPI(t, 404, "GET", fmt.Sprintf("%s/settings/v2/tenant/%d/employees/%d", n.base, invited.TenantID, invited.UserID), tokA, appA.AppKey, nil)

	// The printed link is the invitation's: the administrator accepts it.
	mustAPI(t, 200, "POST", n.base+"/auth/invitations/accept", "", "",
		map[string]string{"token": link[1], "login": "dortiz", "password": "Drain-Snake-2026"})
	if got := getEmployee(t, n.base, invited.TenantID, invited.UserID, tokB, appB.AppKey); got.AccountStatus != "Accepted" {
		t.Errorf("invited administrator after accepting the printed link: accountStatus %q, want Accepted", got.AccountStatus)
	}

	if code := n.stop(); code != 0 {
		t.Errorf("serve exit code after SIGTERM = %d, want 0\nstderr:\n%s", code, n.stderr.String())
	}
}

var invitationLinkRE = regexp.MustCompile(`\S+/invitations/accept\?token=([A-Za-z0-9_-]+)`)

// tenant create takes the delivery flags of serve: the invitation's link
// starts with --public-url, and with a mail provider it is queued for the
// servers to send, stdout keeping its exact JSON and stderr its peace.
func TestTenantCreateInvitationDelivery(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")

	res := mustCLI(t, dir, nil, "tenant", "create", "--database", db, "--name", "Acme", "--admin-login", "acme",
		"--admin-email", "ann@acme.example", "--public-url", "https://id.acme.example")
	if !tenantCreatedJSON.MatchString(res.stdout) {
		t.Fatalf("tenant create printed %q", res.stdout)
	}
	if link := invitationLinkRE.FindString(res.stderr); !strings.HasPrefix(link, "https://id.acme.example/invitations/accept?token=") {
		t.Errorf("with --public-url: link %q in\n%s", link, res.stderr)
	}
	res = mustCLI(t, dir, []string{"CREWID_PUBLIC_URL=https://env.acme.example"}, "tenant", "create", "--database", db, "--name", "Acme Env",
		"--admin-login", "acme.env", "--admin-email", "eve@acme.example")
	if link := invitationLinkRE.FindString(res.stderr); !strings.HasPrefix(link, "https://env.acme.example/invitations/accept?token=") {
		t.Errorf("with CREWID_PUBLIC_URL: link %q in\n%s", link, res.stderr)
	}

	for i, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"--smtp", nil, []string{"--smtp", "smtp://crewid:secret@mail.acme.example:587"}},
		{"CREWID_SMTP_URL", []string{"CREWID_SMTP_URL=smtp://crewid:secret@mail.acme.example:587"}, nil},
	} {
		email := fmt.Sprintf("mail%d@acme.example", i)
		res := mustCLI(t, dir, c.env, append([]string{"tenant", "create", "--database", db, "--name", "Acme " + c.name,
			"--admin-login", fmt.Sprintf("acme.mail%d", i), "--admin-email", email}, c.args...)...)
		if !tenantCreatedJSON.MatchString(res.stdout) {
			t.Fatalf("with %s: stdout %q", c.name, res.stdout)
		}
		if res.stderr != "" {
			t.Errorf("with %s the invitation is sent by the servers, yet stderr says:\n%s", c.name, res.stderr)
		}
		var ten created
		decodeStrict(t, "tenant create", res.stdout, &ten)
		if got := outboxStatus(t, filepath.Join(dir, "crewid.db"), ten.TenantID, email); got != crewid.MessagePending {
			t.Errorf("with %s: the invitation's status is %q, want pending (queued for the mail provider)", c.name, got)
		}
	}

	// An SMS provider alone does not send email: the link is printed.
	res = mustCLI(t, dir, nil, "tenant", "create", "--database", db, "--name", "Acme SMS", "--admin-login", "acme.sms",
		"--admin-email", "sam@acme.example", "--sms", "https://AC1:token@sms.acme.example?from=%2B15550001111")
	if invitationLinkRE.FindString(res.stderr) == "" {
		t.Errorf("with only --sms: no link on stderr:\n%s", res.stderr)
	}

	for _, c := range []struct{ flag, value string }{
		{"--public-url", "ftp://id.acme.example"}, {"--smtp", "http://mail.acme.example"}, {"--sms", "twilio"},
	} {
		res := cli(t, dir, nil, "tenant", "create", "--database", db, "--name", "Acme Bad", "--admin-login", "acme.bad",
			"--admin-email", "bad@acme.example", c.flag, c.value)
		if res.code != 2 || !strings.Contains(res.stderr, c.flag) || res.stdout != "" {
			t.Errorf("tenant create %s %s: want exit 2 naming the flag\n%s", c.flag, c.value, res)
		}
	}
}

// outboxStatus is the status of the newest message to recipient in the
// tenant's outbox of the SQLite database at path.
func outboxStatus(t *testing.T, path string, tenantID int64, recipient string) string {
	t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.Messages(context.Background(), tenantID, store.MessageQuery{Recipient: recipient, Limit: 1})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages to %s: %v (%d)", recipient, err, len(msgs))
	}
	return msgs[0].Status
}

func TestTenantCreateRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")
	tenant := func(args ...string) result {
		return cli(t, dir, nil, append([]string{"tenant", "create", "--database", db}, args...)...)
	}

	for _, c := range []struct {
		args    []string
		missing []string
	}{
		{nil, []string{"--name", "--admin-login", "--admin-email"}},
		{[]string{"--name", "Acme"}, []string{"--admin-login", "--admin-email"}},
		{[]string{"--name", "Acme", "--admin-login", "acme"}, []string{"--admin-email"}},
		{[]string{"--name", " ", "--admin-login", "acme", "--admin-email", "a@acme.example"}, []string{"--name"}},
	} {
		res := tenant(c.args...)
		if res.code != 2 {
			t.Errorf("tenant create %q: exit %d, want 2\n%s", c.args, res.code, res)
		}
		want := "missing " + strings.Join(c.missing, ", ")
		if !strings.Contains(res.stderr, want) {
			t.Errorf("tenant create %q: stderr %q, want it to say %q", c.args, res.stderr, want)
		}
		if res.stdout != "" {
			t.Errorf("tenant create %q printed %q on stdout", c.args, res.stdout)
		}
	}

	for _, c := range []struct {
		password string
		rules    []string
	}{
		{"short", []string{"at least 10 characters", "upper-case", "digit"}},
		{"alllowercase-but-long1", []string{"upper-case"}},
		{"Password123", []string{"commonly used"}},
		{"Acme-Admin", []string{"digit"}},
	} {
		res := tenant("--name", "Acme", "--admin-login", "acme.admin", "--admin-email", "admin@acme.example", "--admin-password", c.password)
		if res.code != 1 {
			t.Errorf("weak --admin-password %q: exit %d, want 1\n%s", c.password, res.code, res)
		}
		for _, rule := range c.rules {
			if !strings.Contains(res.stderr, rule) {
				t.Errorf("weak --admin-password %q: stderr %q does not state the rule %q", c.password, res.stderr, rule)
			}
		}
	}

	res := tenant("--name", "Acme", "--admin-login", "acme.admin", "--admin-email", "not-an-email", "--admin-password", "Boiler-Room-77")
	if res.code != 1 || !strings.Contains(res.stderr, "email") {
		t.Errorf("invalid --admin-email: want exit 1 naming the email\n%s", res)
	}

	// A login is unique across tenants, whatever its case.
	first := tenantCreateCmd(t, dir, db, "--name", "Acme", "--admin-login", "acme.admin",
		"--admin-email", "admin@acme.example", "--admin-password", "Boiler-Room-77")
	res = tenant("--name", "Acme Two", "--admin-login", "ACME.Admin", "--admin-email", "admin@acme-two.example", "--admin-password", "Boiler-Room-78")
	if res.code != 1 || !strings.Contains(res.stderr, "taken") {
		t.Errorf("taken --admin-login: want exit 1 saying it is taken\n%s", res)
	}

	// None of the refused commands left a company behind (without an
	// administrator): the next tenant is the first one's successor.
	next := tenantCreateCmd(t, dir, db, "--name", "Acme Three", "--admin-login", "acme3", "--admin-email", "admin@acme3.example")
	if next.TenantID != first.TenantID+1 {
		t.Errorf("tenant ids %d then %d: a refused tenant create left a tenant behind", first.TenantID, next.TenantID)
	}

	for _, args := range [][]string{
		{"--name", "Acme", "--admin-login", "x1", "--admin-email", "x@acme.example", "--frobnicate"},
		{"--name", "Acme", "--admin-login", "x1", "--admin-email", "x@acme.example", "stray"},
	} {
		if res := tenant(args...); res.code != 2 {
			t.Errorf("tenant create %q: exit %d, want 2\n%s", args, res.code, res)
		}
	}
}

var appCreatedJSON = regexp.MustCompile(`^\{"appId":[1-9][0-9]*,"appKey":"[^"]+","clientId":"[^"]+","clientSecret":"[^"]+"\}\n$`)

func TestAppCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")
	ten := tenantCreateCmd(t, dir, db, "--name", "Nguyen Electric", "--admin-login", "tnguyen",
		"--admin-email", "t.nguyen@nguyen-electric.example", "--admin-password", "Breaker-Panel-200")

	res := mustCLI(t, dir, nil, "app", "create", "--database", db, "--tenant", fmt.Sprint(ten.TenantID), "--name", "Dispatch board")
	if !appCreatedJSON.MatchString(res.stdout) {
		t.Fatalf("app create printed %q, want exactly {\"appId\",\"appKey\",\"clientId\",\"clientSecret\"}", res.stdout)
	}
	var full credentials
	decodeStrict(t, "app create", res.stdout, &full)
	readOnly := appCreateCmd(t, dir, db, ten.TenantID, "--scopes", "people.read")
	if readOnly.AppID == full.AppID || readOnly.ClientID == full.ClientID || readOnly.ClientSecret == full.ClientSecret || readOnly.AppKey == full.AppKey {
		t.Fatalf("two applications share credentials: %+v and %+v", full, readOnly)
	}

	// Refusals.
	res = cli(t, dir, nil, "app", "create", "--database", db, "--tenant", "999", "--name", "Ghost")
	if res.code == 0 || !strings.Contains(res.stderr, "tenant 999 does not exist") || res.stdout != "" {
		t.Errorf("app create for an unknown tenant: want a non-zero exit saying tenant 999 does not exist\n%s", res)
	}
	res = cli(t, dir, nil, "app", "create", "--database", db, "--tenant", fmt.Sprint(ten.TenantID), "--name", "X", "--scopes", "people.read,bogus")
	if res.code != 1 || !strings.Contains(res.stderr, `"bogus"`) {
		t.Errorf("app create with an unknown scope: want exit 1 naming it\n%s", res)
	}
	res = cli(t, dir, nil, "app", "create", "--database", db)
	if res.code != 2 || !strings.Contains(res.stderr, "missing --tenant, --name") {
		t.Errorf("app create without flags: want exit 2 naming --tenant and --name\n%s", res)
	}
	res = cli(t, dir, nil, "app", "create", "--database", db, "--tenant", "seven", "--name", "X")
	if res.code != 2 || !strings.Contains(res.stderr, "--tenant") {
		t.Errorf("app create --tenant seven: want exit 2 about --tenant\n%s", res)
	}

	addr := freeAddr(t)
	n := start(t, "serve", dir, addr, nil, "serve", "--database", db, "--addr", addr)
	base := fmt.Sprintf("%s/settings/v2/tenant/%d", n.base, ten.TenantID)

	tok := token(t, n.base, full)
	if tok.ExpiresIn != 900 {
		t.Errorf("expires_in = %d, want 900", tok.ExpiresIn)
	}
	for _, scope := range []string{"people.read", "people.write", "roles", "settings.read", "settings.write"} {
		if !slices.Contains(strings.Fields(tok.Scope), scope) {
			t.Errorf("default application token scope %q lacks %q (all scopes by default)", tok.Scope, scope)
		}
	}
	resp := mustAPI(t, 200, "GET", base+"/employees", tok.AccessToken, full.AppKey, nil)
	var page struct {
		Data []employee `json:"data"`
	}
	resp.json(t, &page)
	if len(page.Data) != 1 || page.Data[0].ID != ten.UserID {
		t.Errorf("GET employees = %s, want the administrator %d", resp.body, ten.UserID)
	}
	techRole := roleID(t, n.base, ten.TenantID, tok.AccessToken, full.AppKey, "Technician", "Technician")
	newTech := map[string]any{
		"name": "Ana Lima", "phoneNumber": "(555) 201-3344", "roleId": techRole,
		"licenseType": "ManagedTech", "accountCreationMethod": "CreateLater", "positions": []string{"Service"},
	}
	mustAPI(t, 200, "POST", base+"/technicians", tok.AccessToken, full.AppKey, newTech)

	ro := token(t, n.base, readOnly)
	if ro.Scope != "people.read" {
		t.Errorf("people.read application token scope = %q", ro.Scope)
	}
	mustAPI(t, 200, "GET", base+"/employees", ro.AccessToken, readOnly.AppKey, nil)
	mustAPI(t, 200, "GET", base+"/technicians", ro.AccessToken, readOnly.AppKey, nil)
	newTech["name"], newTech["phoneNumber"] = "Ben Cole", "(555) 201-3345"
	mustAPI(t, 403, "POST", base+"/technicians", ro.AccessToken, readOnly.AppKey, newTech)
	mustAPI(t, 403, "PATCH", fmt.Sprintf("%s/employees/%d", base, ten.UserID), ro.AccessToken, readOnly.AppKey, map[string]any{"name": "Renamed"})
	mustAPI(t, 403, "POST", base+"/business-units", ro.AccessToken, readOnly.AppKey, map[string]any{"name": "North"})

	// The application key belongs with its own client.
	mustAPI(t, 403, "GET", base+"/employees", ro.AccessToken, full.AppKey, nil)
	if resp := requestToken(t, n.base, full.ClientID, readOnly.ClientSecret); resp.status != 401 {
		t.Errorf("token with another application's secret: %d %s, want 401", resp.status, resp.body)
	}
}

// Only a platform operator changes an email address: through the API a
// tenant's administrator is refused, with the command line it is done,
// under the person's rules, and recorded in the tenant's history.
func TestPersonSetEmail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "crewid.db")
	ten := tenantCreateCmd(t, dir, db, "--name", "Okafor Plumbing", "--admin-login", "cokafor",
		"--admin-email", "c.okafor@okafor-plumbing.example", "--admin-password", "Drain-Snake-300")
	other := tenantCreateCmd(t, dir, db, "--name", "Second Pipe Co", "--admin-login", "second.pipe",
		"--admin-email", "admin@second-pipe.example", "--admin-password", "Drain-Snake-301")
	app := appCreateCmd(t, dir, db, ten.TenantID)
	tenant, admin := fmt.Sprint(ten.TenantID), fmt.Sprint(ten.UserID)

	addr := freeAddr(t)
	n := start(t, "serve", dir, addr, nil, "serve", "--database", db, "--addr", addr)
	tok := token(t, n.base, app)
	person := fmt.Sprintf("%s/settings/v2/tenant/%d/employees/%d", n.base, ten.TenantID, ten.UserID)
	mustAPI(t, 400, "PATCH", person, tok.AccessToken, app.AppKey, map[string]any{"email": "new@okafor-plumbing.example"})

	res := mustCLI(t, dir, nil, "person", "set-email", "--database", db, "--tenant", tenant, "--id", admin, "--email", " New@Okafor-Plumbing.example ")
	var got struct {
		TenantID int64  `json:"tenantId"`
		ID       int64  `json:"id"`
		Type     string `json:"type"`
		Email    string `json:"email"`
	}
	decodeStrict(t, "person set-email", res.stdout, &got)
	if got.TenantID != ten.TenantID || got.ID != ten.UserID || got.Type != "Employee" || got.Email != "new@okafor-plumbing.example" {
		t.Errorf("person set-email printed %+v", got)
	}
	var emp employee
	mustAPI(t, 200, "GET", person, tok.AccessToken, app.AppKey, nil).json(t, &emp)
	if emp.Email == nil || *emp.Email != "new@okafor-plumbing.example" {
		t.Errorf("email after set-email = %v", emp.Email)
	}
	var events struct {
		Data []struct {
			EventType string `json:"eventType"`
			Actor     struct {
				Type string `json:"type"`
			} `json:"actor"`
		} `json:"data"`
	}
	mustAPI(t, 200, "GET", fmt.Sprintf("%s/settings/v2/tenant/%d/history?recordType=Employee&recordId=%d", n.base, ten.TenantID, ten.UserID),
		tok.AccessToken, app.AppKey, nil).json(t, &events)
	if len(events.Data) == 0 || events.Data[0].EventType != "Employee.Updated" {
		t.Errorf("the tenant's history does not show the change last: %+v", events.Data)
	}

	// Refusals: the person's rules, unknown people, bad flags.
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--tenant", tenant, "--id", admin, "--email", "not-an-email"}, 1, "email"},
		{[]string{"--tenant", fmt.Sprint(other.TenantID), "--id", fmt.Sprint(other.UserID), "--email", "x@second-pipe.example"}, 0, ""},
		{[]string{"--tenant", tenant, "--id", "999", "--email", "x@okafor-plumbing.example"}, 1, "tenant " + tenant + " has no person 999"},
		{[]string{"--tenant", tenant, "--id", "one", "--email", "x@okafor-plumbing.example"}, 2, "--id"},
		{[]string{"--tenant", tenant, "--id", admin}, 2, "missing --email"},
	} {
		res := cli(t, dir, nil, append([]string{"person", "set-email", "--database", db}, c.args...)...)
		if res.code != c.code || !strings.Contains(res.stderr, c.says) {
			t.Errorf("person set-email %q: want exit %d saying %q\n%s", c.args, c.code, c.says, res)
		}
	}
	if code := n.stop(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d", code)
	}
}

func TestMigrateSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "data", "crewid.db")
	files, err := filepath.Glob(filepath.Join("..", "..", "store", "sqlite", "migrations", "*.sql"))
	if err != nil || len(files) < 2 {
		t.Fatalf("SQLite migrations: %v (%d found)", err, len(files))
	}
	for i, want := range []string{
		fmt.Sprintf("Applied %d migrations; the database schema is up to date.\n", len(files)),
		"No migration to apply; the database schema is up to date.\n",
	} {
		if res := mustCLI(t, dir, nil, "migrate", "--database", "sqlite:"+path); res.stdout != want {
			t.Errorf("migrate run %d printed %q, want %q", i+1, res.stdout, want)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("migrate did not create %s: %v", path, err)
	}

	// From the environment, and then by default into ./crewid-data.
	envPath := filepath.Join(dir, "from-env.db")
	mustCLI(t, dir, []string{"CREWID_DATABASE_URL=sqlite:" + envPath}, "migrate")
	if _, err := os.Stat(envPath); err != nil {
		t.Errorf("migrate with CREWID_DATABASE_URL did not create %s: %v", envPath, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "crewid-data")); err == nil {
		t.Errorf("migrate with CREWID_DATABASE_URL also created ./crewid-data")
	}
	mustCLI(t, dir, nil, "migrate")
	if _, err := os.Stat(filepath.Join(dir, "crewid-data", "crewid.db")); err != nil {
		t.Errorf("migrate without --database did not create ./crewid-data/crewid.db: %v", err)
	}

	// A migrated database is usable by the other commands.
	ten := tenantCreateCmd(t, dir, "sqlite:"+path, "--name", "Acme", "--admin-login", "acme", "--admin-email", "a@acme.example")
	appCreateCmd(t, dir, "sqlite:"+path, ten.TenantID)
}

// migrationCount is the number of PostgreSQL migration files.
func migrationCount(t *testing.T) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "store", "postgres", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no PostgreSQL migrations found: %v", err)
	}
	return int64(len(files))
}

func TestMigratePostgres(t *testing.T) {
	t.Parallel()
	want := migrationCount(t)
	dir := t.TempDir()

	db := pgDatabase(t)
	for i, want := range []string{
		fmt.Sprintf("Applied %d migrations; the database schema is up to date.\n", want),
		"No migration to apply; the database schema is up to date.\n",
	} {
		if res := mustCLI(t, dir, nil, "migrate", "--database", db); res.stdout != want {
			t.Errorf("migrate run %d printed %q, want %q", i+1, res.stdout, want)
		}
	}
	if got := pgQueryInt(t, db, "SELECT COUNT(*) FROM schema_migrations"); got != want {
		t.Errorf("schema_migrations has %d rows, want %d", got, want)
	}
	ten := tenantCreateCmd(t, dir, db, "--name", "Acme", "--admin-login", "acme", "--admin-email", "a@acme.example")
	appCreateCmd(t, dir, db, ten.TenantID)

	// Two migrate processes at once on an empty database, twice over to
	// give a race more chances to show.
	for round := range 2 {
		db := pgDatabase(t)
		var wg sync.WaitGroup
		results := make([]result, 2)
		errs := make([]error, 2)
		for i := range results {
			wg.Go(func() {
				results[i], errs[i] = runCrewid(dir, []string{"CREWID_DATABASE_URL=" + db}, "migrate")
			})
		}
		wg.Wait()
		for i, res := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if res.code != 0 {
				t.Errorf("round %d: concurrent migrate %d failed:\n%s", round+1, i+1, res)
			}
		}
		if got := pgQueryInt(t, db, "SELECT COUNT(*) FROM schema_migrations"); got != want {
			t.Errorf("round %d: schema_migrations has %d rows, want %d", round+1, got, want)
		}
	}
}
