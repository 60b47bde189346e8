package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"crewid"
	"crewid/accounts/invite"
	"crewid/people"
	"crewid/server"
	"crewid/store"
)

// operator is the platform operator using this command line.
var operator = crewid.Actor{Type: crewid.ActorOperator, Name: "crewid command line"}

// delivery is where a one-off command's messages go: the base of their
// links, and the mail and SMS providers of the servers that send them.
type delivery struct {
	publicURL, smtpURL, smsURL string
}

// deliveryFromEnv is the delivery of the commands without delivery flags,
// as crewid serve would read it from the environment.
func deliveryFromEnv() delivery {
	return delivery{publicURL: os.Getenv("CREWID_PUBLIC_URL"), smtpURL: os.Getenv("CREWID_SMTP_URL"), smsURL: os.Getenv("CREWID_SMS_URL")}
}

// addDeliveryFlags adds the flags of serve that say where messages go.
func addDeliveryFlags(fs flagSet) func() delivery {
	publicURL := fs.str("public-url", "CREWID_PUBLIC_URL", "", "base URL of links in messages (default http://CREWID_ADDR, else http://127.0.0.1:8080)")
	smtp := fs.str("smtp", "CREWID_SMTP_URL", "", "the SMTP server of crewid serve, smtp://user:pass@host:port (unset: local outbox)")
	sms := fs.str("sms", "CREWID_SMS_URL", "", "the Twilio-compatible Messages API of crewid serve (unset: local outbox)")
	return func() delivery { return delivery{publicURL: *publicURL, smtpURL: *smtp, smsURL: *sms} }
}

// newAdminServer opens the database and builds the services for a one-off
// command. A message of a channel with a provider is queued for the
// servers' delivery (the command sends nothing itself); the others stay in
// the local outbox.
func newAdminServer(ctx context.Context, db dbFlags, d delivery) (*server.Server, func(), error) {
	cfg := serveConfig{addr: os.Getenv("CREWID_ADDR"), publicURL: d.publicURL, smtpURL: d.smtpURL, smsURL: d.smsURL}
	if cfg.addr == "" {
		cfg.addr = "127.0.0.1:8080"
	}
	if problems := checkDeliveryURLs(cfg); len(problems) > 0 {
		return nil, nil, usageError(strings.Join(problems, "; "))
	}
	email, text, err := messageSenders(cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.publicURL == "" {
		cfg.publicURL = defaultPublicURL(cfg.addr)
	}
	st, _, err := db.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	environment := os.Getenv("CREWID_ENVIRONMENT")
	if environment == "" {
		environment = "integration"
	}
	srv := server.New(server.Config{
		Store:       st,
		PublicURL:   cfg.publicURL,
		Environment: environment,
		LocalOutbox: email == nil && text == nil,
		Email:       email,
		SMS:         text,
	})
	return srv, func() { st.Close() }, nil
}

// createTenantWithAdmin creates a company and its first administrator, an
// office employee holding the Administrator role, in one transaction. With
// a password the account is ready (the operator chose it); without, an
// invitation is sent and the login is kept for its acceptance.
func createTenantWithAdmin(ctx context.Context, srv *server.Server, name, adminName, login, email, password string) (crewid.Tenant, crewid.Person, error) {
	setup := people.AccountSetup{Method: people.SendInvite, Login: login}
	if password != "" {
		setup = people.AccountSetup{Method: people.AssignLoginAndPassword, Login: login, Password: password, OwnChoice: true}
	}
	admin, err := srv.People.Prepare(crewid.Person{
		Kind: crewid.KindEmployee, Name: adminName, Email: email, Positions: []string{"Administrator"},
	}, setup)
	if err != nil {
		return crewid.Tenant{}, crewid.Person{}, err
	}
	return srv.Org.CreateTenantWithAdmin(ctx, operator, name, srv.People, admin)
}

func tenantCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tenant create", stderr)
	db := addDBFlags(fs)
	name := fs.String("name", "", "company name (required)")
	login := fs.String("admin-login", "", "the administrator's login (required)")
	email := fs.String("admin-email", "", "the administrator's email (required)")
	adminName := fs.String("admin-name", "", "the administrator's name (default: the login)")
	password := fs.String("admin-password", "", "the administrator's password; without it an invitation is sent")
	deliveryFlags := addDeliveryFlags(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := requireFlags("--name", *name, "--admin-login", *login, "--admin-email", *email); err != nil {
		return err
	}
	if *adminName == "" {
		*adminName = *login
	}
	srv, closeDB, err := newAdminServer(ctx, db, deliveryFlags())
	if err != nil {
		return err
	}
	defer closeDB()
	tenant, admin, err := createTenantWithAdmin(ctx, srv, *name, *adminName, *login, *email, *password)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(stdout).Encode(map[string]int64{"tenantId": tenant.ID, "userId": admin.UserID}); err != nil {
		return err
	}
	if *password == "" {
		noteLocalInvitation(ctx, srv.Config.Store, admin, stderr)
	}
	return nil
}

// invitationLink finds the link of an invitation in its message.
var invitationLink = regexp.MustCompile(`\S+` + regexp.QuoteMeta(invite.AcceptPath+"?token=") + `\S+`)

// noteLocalInvitation tells the operator the link of admin's invitation
// when it went to the local outbox: nothing sends it from there, and only
// the new tenant's administrators, so far only admin, could read it in the
// console. A queued invitation is the servers' to send, and needs no note.
func noteLocalInvitation(ctx context.Context, st store.Store, admin crewid.Person, stderr io.Writer) {
	msgs, err := st.Messages(ctx, admin.TenantID, store.MessageQuery{Recipient: admin.Email, Status: crewid.MessageLocal, Limit: 10})
	if err != nil {
		fmt.Fprintf(stderr, "crewid: the invitation to %s is in the local outbox, but reading its link failed: %v\n", admin.Email, err)
		return
	}
	for _, m := range msgs {
		if link := invitationLink.FindString(m.Body); link != "" {
			fmt.Fprintf(stderr, "crewid: no mail provider is configured (--smtp), so the invitation to %s was not sent.\n"+
				"Pass this link on to them to create their account (it works once):\n  %s\n", admin.Email, link)
			return
		}
	}
}

func appCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("app create", stderr)
	db := addDBFlags(fs)
	tenant := fs.String("tenant", "", "tenant id (required)")
	name := fs.String("name", "", "application name (required)")
	scopes := fs.String("scopes", "", "comma- or space-separated scopes (default: all)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := requireFlags("--tenant", *tenant, "--name", *name); err != nil {
		return err
	}
	tenantID, err := tenantFlag(*tenant)
	if err != nil {
		return err
	}
	srv, closeDB, err := newAdminServer(ctx, db, deliveryFromEnv())
	if err != nil {
		return err
	}
	defer closeDB()
	if _, err := srv.Config.Store.Tenant(ctx, tenantID); err != nil {
		if crewid.IsNotFound(err) {
			return fmt.Errorf("tenant %d does not exist; create it with \"crewid tenant create\"", tenantID)
		}
		return fmt.Errorf("tenant %d: %w", tenantID, err)
	}
	var scopeList []string // nil: all of them
	if strings.TrimSpace(*scopes) != "" {
		scopeList = strings.FieldsFunc(*scopes, func(r rune) bool { return r == ',' || r == ' ' })
	}
	app, secret, err := srv.Apps.Create(ctx, operator, tenantID, *name, scopeList)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(appCredentials{AppID: app.ID, AppKey: app.AppKey, ClientID: app.ClientID, ClientSecret: secret})
}

// personSetEmail changes a person's email address: a platform operator's
// change, which a tenant's administrators cannot make. The person's rules
// apply as to any edit (the email's format, uniqueness per kind, an
// employee keeping one), and the change is recorded in the tenant's
// history with the operator as its actor.
func personSetEmail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("person set-email", stderr)
	db := addDBFlags(fs)
	tenant := fs.String("tenant", "", "tenant id (required)")
	id := fs.String("id", "", "the person's id (required)")
	email := fs.String("email", "", "the new email address (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := requireFlags("--tenant", *tenant, "--id", *id, "--email", *email); err != nil {
		return err
	}
	tenantID, err := tenantFlag(*tenant)
	if err != nil {
		return err
	}
	personID, err := parseID("--id", "a person's id", *id)
	if err != nil {
		return err
	}
	srv, closeDB, err := newAdminServer(ctx, db, deliveryFromEnv())
	if err != nil {
		return err
	}
	defer closeDB()
	p, err := srv.Config.Store.Person(ctx, tenantID, personID)
	if crewid.IsNotFound(err) {
		return fmt.Errorf("tenant %d has no person %d", tenantID, personID)
	}
	if err != nil {
		return err
	}
	after, err := srv.People.Update(ctx, operator, tenantID, p.Kind, personID, func(q *crewid.Person) error {
		q.Email = *email
		return nil
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(struct {
		TenantID int64  `json:"tenantId"`
		ID       int64  `json:"id"`
		Type     string `json:"type"`
		Email    string `json:"email"`
	}{after.TenantID, after.ID, string(after.Kind), after.Email})
}

// parseID reads a positive whole number given to flag.
func parseID(flag, what, value string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || n <= 0 {
		return 0, usageError(flag + " must be " + what + " (a positive whole number), not " + strconv.Quote(value))
	}
	return n, nil
}

// requireFlags takes pairs of flag name and value and names, in order,
// every flag left empty.
func requireFlags(pairs ...string) error {
	var missing []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			missing = append(missing, pairs[i])
		}
	}
	if len(missing) > 0 {
		return usageError("missing " + strings.Join(missing, ", "))
	}
	return nil
}

type appCredentials struct {
	AppID        int64  `json:"appId"`
	AppKey       string `json:"appKey"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// bootstrapDemo fills an empty database with a demo company, its
// administrator and one application, and prints how to use them. It does
// nothing once any tenant exists, so the secrets are printed only once.
func bootstrapDemo(ctx context.Context, srv *server.Server, publicURL string, stdout io.Writer) error {
	tenants, err := srv.Config.Store.Tenants(ctx)
	if err != nil || len(tenants) > 0 {
		return err
	}
	password := generatePassword()
	tenant, admin, err := createTenantWithAdmin(ctx, srv, "Demo Heating & Plumbing", "Demo Administrator", "admin", "admin@demo.example", password)
	if err != nil {
		return err
	}
	app, secret, err := srv.Apps.Create(ctx, operator, tenant.ID, "Demo integration", nil)
	if err != nil {
		return err
	}
	base := strings.TrimRight(publicURL, "/")
	fmt.Fprintf(stdout, `
crewid created a demo company (shown only this once; keep what you need):

  tenant id        %d
  administrator    login %q, password %q (user id %d)
  web console      %s/ (sign in there with that login and password)
  application      appKey %s
                   clientId %s
                   clientSecret %s

First API call:

  TOKEN=$(curl -s %s/connect/token -d grant_type=client_credentials \
      -d client_id=%s -d client_secret=%s | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -s -H "Authorization: Bearer $TOKEN" -H "ST-App-Key: %s" \
      %s/settings/v2/tenant/%d/employees

`, tenant.ID, admin.Account.Login, password, admin.UserID, base, app.AppKey, app.ClientID, secret,
		base, app.ClientID, secret, app.AppKey, base, tenant.ID)
	return nil
}

// generatePassword makes a random password that meets the password rules.
func generatePassword() string {
	const letters = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	// Four groups, and a guaranteed upper, lower and digit.
	return string(b[0:5]) + "-" + string(b[5:10]) + "-" + string(b[10:15]) + "-Qz7" + string(b[15:18])
}
