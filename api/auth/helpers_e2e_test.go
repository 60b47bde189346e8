package auth_test

// Helpers of the end-to-end tests of people's authentication: every test
// starts a real server (servertest) on each storage backend, with a fake
// clock, and talks to it over HTTP. Messages are read from the local
// outbox. Every secret a test sees (passwords, tokens, codes, hashes) is
// remembered, and when the test ends no history event may contain any.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts/password"
	"crewid/server"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/webhooks"
)

func TestMain(m *testing.M) {
	// Cheap hashes keep the tests fast; the rehash test relies on these
	// being above the minimum parameters.
	password.Current = password.Params{Memory: 9 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	os.Exit(m.Run())
}

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2031, time.March, 3, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is one running server and what a test learned from it.
type world struct {
	t     *testing.T
	env   *servertest.Env
	clock *clock

	mu      sync.Mutex
	secrets []string
	seen    map[string]int64 // recipient → newest message id read
}

// each runs fn on every backend, in parallel with other tests.
func each(t *testing.T, fn func(t *testing.T, b servertest.Backend)) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		fn(t, b)
	})
}

// start runs a server with a fake clock on a fresh store of b.
func start(t *testing.T, b servertest.Backend, opts ...servertest.Option) *world {
	t.Helper()
	c := newClock()
	env := servertest.Start(t, b.Open(t), append([]servertest.Option{servertest.WithClock(c.Now)}, opts...)...)
	w := &world{t: t, env: env, clock: c, seen: map[string]int64{}}
	t.Cleanup(w.checkHistory)
	return w
}

// serverConfig is what a servertest.Option changes.
type serverConfig = server.Config

// withRate sets the sign-in rate limit.
func withRate(perMinute int) servertest.Option {
	return func(c *server.Config) { c.SignInRate = perMinute }
}

// secret remembers values that must never appear in history.
func (w *world) secret(values ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range values {
		if len(v) >= 6 {
			w.secrets = append(w.secrets, v)
		}
	}
}

// checkHistory fails the test if any event of the tenant holds a secret
// seen during the test, or a password hash of anyone in the tenant.
func (w *world) checkHistory() {
	t := w.t
	ctx := context.Background()
	page, err := w.env.Store.People(ctx, w.env.Tenant.ID, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, PageSize: 1000}})
	if err != nil {
		t.Errorf("people: %v", err)
		return
	}
	for _, p := range page.Items {
		if h := p.Account.PasswordHash; h != "" {
			// The salt and the key, not the parameters every hash shares.
			parts := strings.Split(h, "$")
			w.secret(parts[len(parts)-2:]...)
		}
	}
	var events []crewid.Event
	after := int64(0)
	for {
		batch, err := w.env.Store.Events(ctx, w.env.Tenant.ID, store.EventQuery{AfterID: after, Limit: 500})
		if err != nil {
			t.Errorf("events: %v", err)
			return
		}
		if len(batch) == 0 {
			break
		}
		events = append(events, batch...)
		after = batch[len(batch)-1].ID
		if len(batch) < 500 {
			break
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range events {
		// A webhook may subscribe to every kind of event recorded.
		if record, _, _ := strings.Cut(e.Type, "."); !slices.Contains(webhooks.EventRecords, record) {
			t.Errorf("event type %q begins with %q, which webhooks.EventRecords lacks", e.Type, record)
		}
		doc := string(e.Before) + string(e.After) + e.Actor.Name + e.Actor.UserAgent
		for _, s := range w.secrets {
			if strings.Contains(doc, s) {
				t.Errorf("history event %d (%s) contains a secret %.12q…", e.ID, e.Type, s)
			}
		}
	}
}

// response is an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("status %d, body %s", r.status, r.body) }

// call sends a JSON request; bearer, when set, is sent as the
// Authorization header.
func (w *world) call(method, path, bearer string, body any) response {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, w.env.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "crewid-e2e/1.0")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// must fails unless the answer has status want.
func (w *world) must(want int, method, path, bearer string, body any) response {
	w.t.Helper()
	r := w.call(method, path, bearer, body)
	if r.status != want {
		w.t.Fatalf("%s %s: %v; want status %d", method, path, r, want)
	}
	return r
}

// fails checks that the answer has status want and, when field is set,
// an error on that field.
func (w *world) fails(want int, field string, method, path, bearer string, body any) problem {
	w.t.Helper()
	r := w.call(method, path, bearer, body)
	if r.status != want {
		w.t.Fatalf("%s %s: %v; want status %d", method, path, r, want)
	}
	p := decode[problem](w.t, r.body)
	if p.Status != want {
		w.t.Errorf("%s %s: problem status %d, want %d", method, path, p.Status, want)
	}
	if field != "" && len(p.Errors[field]) == 0 {
		w.t.Errorf("%s %s: no error on %q: %s", method, path, field, r.body)
	}
	return p
}

// settings calls the Settings API with the tenant application, with a
// fresh token each time (the fake clock may have moved past the last).
func (w *world) settings(method, path string, body any) (int, []byte) {
	w.t.Helper()
	return w.env.Do(w.t, w.env.Authorize(w.t, w.env.App), method, fmt.Sprintf("/settings/v2/tenant/%d", w.env.Tenant.ID)+path, body)
}

func (w *world) settingsOK(method, path string, body any) []byte {
	w.t.Helper()
	status, raw := w.settings(method, path, body)
	if status != http.StatusOK {
		w.t.Fatalf("%s %s: status %d, body %s", method, path, status, raw)
	}
	return raw
}

type problem struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	TraceID string              `json:"traceId"`
	Errors  map[string][]string `json:"errors"`
	Data    map[string]any      `json:"data"`
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T: %v; body %s", v, err, raw)
	}
	return v
}

// ---- people ----------------------------------------------------------------

// person is someone the test created, with what it knows of their account.
type person struct {
	id       int64
	kind     crewid.Kind
	email    string
	mobile   string
	login    string
	password string
}

func (p person) path() string {
	if p.kind == crewid.KindTechnician {
		return fmt.Sprintf("/technicians/%d", p.id)
	}
	return fmt.Sprintf("/employees/%d", p.id)
}

func (p person) actionsPath() string { return p.path() + "/account-actions" }

var nameSeq struct {
	sync.Mutex
	n int
}

func uniqueName(prefix string) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	return fmt.Sprintf("%s%d", prefix, nameSeq.n)
}

// newPerson creates a person through the Settings API. method is the
// accountCreationMethod; login and pw are for AssignLoginAndPassword.
func (w *world) newPerson(kind crewid.Kind, email, mobile, method, login, pw string) person {
	w.t.Helper()
	body := map[string]any{
		"name":                  uniqueName("Person "),
		"accountCreationMethod": method,
		"positions":             []string{},
	}
	if email != "" {
		body["email"] = email
	}
	path := "/employees"
	if kind == crewid.KindTechnician {
		path = "/technicians"
		body["licenseType"] = "ManagedTech"
		body["roleIds"] = []int64{w.env.Roles[access.KeyTechnician].ID}
		if mobile != "" {
			body["phoneNumber"] = mobile
		}
	} else {
		body["roleIds"] = []int64{w.env.Roles[access.KeyOfficeStaff].ID}
		if mobile != "" {
			body["mobilePhoneNumber"] = mobile
		}
	}
	if login != "" {
		body["login"] = login
	}
	if pw != "" {
		body["password"] = pw
		w.secret(pw)
	}
	id := decode[struct {
		ID int64 `json:"id"`
	}](w.t, w.settingsOK("POST", path, body)).ID
	return person{id: id, kind: kind, email: email, mobile: mobile, login: login, password: pw}
}

// status returns the person's accountStatus and lastSignInOn.
func (w *world) status(p person) (string, *time.Time) {
	w.t.Helper()
	v := decode[struct {
		AccountStatus string     `json:"accountStatus"`
		LastSignInOn  *time.Time `json:"lastSignInOn"`
	}](w.t, w.settingsOK("GET", p.path(), nil))
	return v.AccountStatus, v.LastSignInOn
}

func (w *world) wantStatus(p person, want string) {
	w.t.Helper()
	if got, _ := w.status(p); got != want {
		w.t.Errorf("person %d: accountStatus %q, want %q", p.id, got, want)
	}
}

// action runs an account action and returns the status and body.
func (w *world) action(p person, body map[string]any) (int, []byte) {
	w.t.Helper()
	if pw, ok := body["password"].(string); ok {
		w.secret(pw)
	}
	return w.settings("POST", p.actionsPath(), body)
}

func (w *world) actionOK(p person, body map[string]any) {
	w.t.Helper()
	if status, raw := w.action(p, body); status != http.StatusOK {
		w.t.Fatalf("account action %v on %d: status %d, body %s", body["action"], p.id, status, raw)
	}
}

// ---- signing in ------------------------------------------------------------

type tokens struct {
	AccessToken    string `json:"accessToken"`
	RefreshToken   string `json:"refreshToken"`
	ExpiresIn      int    `json:"expiresIn"`
	RequiredAction string `json:"requiredAction"`
	ActionToken    string `json:"actionToken"`
}

func (w *world) remember(tk tokens) tokens {
	w.secret(tk.AccessToken, tk.RefreshToken, tk.ActionToken)
	return tk
}

// signIn signs in and returns the answer (status 200 expected).
func (w *world) signIn(login, pw string) tokens {
	w.t.Helper()
	w.secret(pw)
	r := w.must(http.StatusOK, "POST", "/auth/sign-in", "", map[string]string{"login": login, "password": pw})
	return w.remember(decode[tokens](w.t, r.body))
}

// signedIn signs in and checks that tokens (not an action) came back.
func (w *world) signedIn(login, pw string) tokens {
	w.t.Helper()
	tk := w.signIn(login, pw)
	if tk.AccessToken == "" || tk.RefreshToken == "" || tk.ExpiresIn <= 0 || tk.RequiredAction != "" {
		w.t.Fatalf("sign-in of %s: got %+v, want tokens", login, tk)
	}
	return tk
}

// signInFails checks that signing in is refused with the generic 401.
func (w *world) signInFails(login, pw string) problem {
	w.t.Helper()
	w.secret(pw)
	p := w.fails(http.StatusUnauthorized, "", "POST", "/auth/sign-in", "", map[string]string{"login": login, "password": pw})
	if p.Title != "The login or password is incorrect." {
		w.t.Errorf("failed sign-in title %q", p.Title)
	}
	return p
}

// complete completes a required action and returns the tokens.
func (w *world) complete(actionToken, login, pw string) tokens {
	w.t.Helper()
	w.secret(pw)
	body := map[string]string{"actionToken": actionToken, "password": pw}
	if login != "" {
		body["login"] = login
	}
	r := w.must(http.StatusOK, "POST", "/auth/required-action", "", body)
	tk := w.remember(decode[tokens](w.t, r.body))
	if tk.AccessToken == "" || tk.RefreshToken == "" {
		w.t.Fatalf("required action: got %+v, want tokens", tk)
	}
	return tk
}

// ready makes a person with an established account: created with an
// assigned login and password, then signed in once with both changed.
func (w *world) ready(kind crewid.Kind, email, mobile string) person {
	w.t.Helper()
	tmpLogin := uniqueName("tmp.login.")
	p := w.newPerson(kind, email, mobile, "AssignLoginAndPassword", tmpLogin, "Assigned-Pass-42")
	tk := w.signIn(tmpLogin, "Assigned-Pass-42")
	if tk.RequiredAction != "ChangeLoginAndPassword" {
		w.t.Fatalf("first sign-in: %+v, want ChangeLoginAndPassword", tk)
	}
	p.login, p.password = uniqueName("user.login."), "Own-Choice-Pw-77"
	w.complete(tk.ActionToken, p.login, p.password)
	return p
}

// me calls GET /me.
func (w *world) me(access string) response {
	w.t.Helper()
	return w.call("GET", "/me", access, nil)
}

// ---- messages --------------------------------------------------------------

// message waits for the next message to recipient (newer than any read
// before) in the local outbox; reset codes are sent in the background.
func (w *world) message(recipient string) crewid.Message {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs, err := w.env.Store.Messages(context.Background(), w.env.Tenant.ID, store.MessageQuery{Recipient: recipient, Limit: 1})
		if err != nil {
			w.t.Fatalf("messages: %v", err)
		}
		if len(msgs) > 0 && msgs[0].ID > w.seen[recipient] {
			w.seen[recipient] = msgs[0].ID
			if msgs[0].Status != crewid.MessageLocal {
				w.t.Errorf("message %d has status %s, want local", msgs[0].ID, msgs[0].Status)
			}
			return msgs[0]
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no new message to %s", recipient)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noMessage checks that nothing new went to recipient (after the
// background work had time to run).
func (w *world) noMessage(recipient string) {
	w.t.Helper()
	time.Sleep(300 * time.Millisecond)
	msgs, err := w.env.Store.Messages(context.Background(), w.env.Tenant.ID, store.MessageQuery{Recipient: recipient, Limit: 1})
	if err != nil {
		w.t.Fatalf("messages: %v", err)
	}
	if len(msgs) > 0 && msgs[0].ID > w.seen[recipient] {
		w.t.Errorf("unexpected message to %s: %s", recipient, msgs[0].Body)
	}
}

var (
	tokenRE     = regexp.MustCompile(`[?&]token=([A-Za-z0-9_.\-]+)`)
	emailCodeRE = regexp.MustCompile(`\n    (\S+)\n`)
	smsCodeRE   = regexp.MustCompile(` is (\S+) \(case-sensitive\)`)
)

// linkToken returns the token of the link in a message.
func (w *world) linkToken(m crewid.Message, path string) string {
	w.t.Helper()
	if !strings.Contains(m.Body, w.env.URL+path+"?token=") {
		w.t.Fatalf("message has no %s link: %s", path, m.Body)
	}
	match := tokenRE.FindStringSubmatch(m.Body)
	w.secret(match[1])
	return match[1]
}

// code returns the verification code of a reset message.
func (w *world) code(m crewid.Message) string {
	w.t.Helper()
	re := emailCodeRE
	if m.Channel == crewid.ChannelSMS {
		re = smsCodeRE
	}
	match := re.FindStringSubmatch(m.Body)
	if match == nil {
		w.t.Fatalf("no code in message: %s", m.Body)
	}
	w.secret(match[1])
	return match[1]
}

// swapCase changes the case of every letter of s.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

// events returns the tenant's history events of a type about a record.
func (w *world) events(recordID int64, eventType string) []crewid.Event {
	w.t.Helper()
	evs, err := w.env.Store.Events(context.Background(), w.env.Tenant.ID, store.EventQuery{RecordID: recordID, EventType: eventType, Limit: 1000})
	if err != nil {
		w.t.Fatalf("events: %v", err)
	}
	return evs
}
