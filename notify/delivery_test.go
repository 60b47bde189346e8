package notify_test

// End-to-end tests of delivery: a whole crewid server (servertest) on each
// storage backend, real senders, a real SMTP server and a real HTTP SMS
// receiver (notifytest). People are invited through the Settings API; what
// arrives is read at the receivers and the outbox through its API.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts/invite"
	"crewid/notify"
	"crewid/notify/notifytest"
	"crewid/notify/sms"
	"crewid/notify/smtp"
	"crewid/server/servertest"
	"crewid/store"
)

// testLogger sends a worker's log to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a running server with its receivers and API credentials.
type world struct {
	env    *servertest.Env
	auth   func(context.Context, *http.Request) error
	mail   *notifytest.SMTPServer
	texts  *notifytest.SMSReceiver
	email  *smtp.Sender
	sms    *sms.Sender
	worker *notify.Worker
}

type setup struct {
	noEmail, noSMS bool
	clock          *clock
}

func start(t *testing.T, b servertest.Backend, s setup) *world {
	t.Helper()
	w := &world{mail: notifytest.StartSMTP(t), texts: notifytest.StartSMS(t)}
	var email, text notify.Sender
	if !s.noEmail {
		var err error
		if w.email, err = smtp.New(w.mail.URL(), "https://crewid.example.com"); err != nil {
			t.Fatal(err)
		}
		email = w.email
	}
	if !s.noSMS {
		var err error
		if w.sms, err = sms.New(w.texts.URL()); err != nil {
			t.Fatal(err)
		}
		text = w.sms
	}
	opts := []servertest.Option{servertest.WithSenders(email, text)}
	if s.clock != nil {
		opts = append(opts, servertest.WithClock(s.clock.Now))
	}
	w.env = servertest.Start(t, b.Open(t), opts...)
	w.auth = w.env.Authorize(t, w.env.App)
	w.worker = w.env.Server.Notify
	if w.worker != nil {
		w.worker.Interval = 50 * time.Millisecond
		w.worker.Logger = testLogger(t)
	}
	return w
}

func (w *world) path(format string, args ...any) string {
	return fmt.Sprintf("/settings/v2/tenant/%d", w.env.Tenant.ID) + fmt.Sprintf(format, args...)
}

func (w *world) must(t *testing.T, want int, method, path string, body any) []byte {
	t.Helper()
	status, raw := w.env.Do(t, w.auth, method, path, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, raw)
	}
	return raw
}

// employee creates an office employee with an email address.
func (w *world) employee(t *testing.T, name, email, method string) int64 {
	t.Helper()
	raw := w.must(t, 200, "POST", w.path("/employees"), map[string]any{
		"name": name, "email": email, "roleIds": []int64{w.env.Roles[access.KeyOfficeStaff].ID},
		"positions": []string{}, "accountCreationMethod": method,
	})
	return decode[struct{ ID int64 }](t, raw).ID
}

// technician creates a technician with only a mobile number.
func (w *world) technician(t *testing.T, name, mobile, method string) int64 {
	t.Helper()
	raw := w.must(t, 200, "POST", w.path("/technicians"), map[string]any{
		"name": name, "phoneNumber": mobile, "roleIds": []int64{w.env.Roles[access.KeyTechnician].ID},
		"positions": []string{}, "licenseType": "ManagedTech", "accountCreationMethod": method,
	})
	return decode[struct{ ID int64 }](t, raw).ID
}

// outboxItem is one message of the outbox API.
type outboxItem struct {
	ID            int64      `json:"id"`
	Channel       string     `json:"channel"`
	Recipient     string     `json:"recipient"`
	Subject       *string    `json:"subject"`
	Body          *string    `json:"body"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     *string    `json:"lastError"`
	CreatedOn     time.Time  `json:"createdOn"`
	NextAttemptOn *time.Time `json:"nextAttemptOn"`
	SentOn        *time.Time `json:"sentOn"`
}

type outboxPage struct {
	Page       int          `json:"page"`
	PageSize   int          `json:"pageSize"`
	HasMore    bool         `json:"hasMore"`
	TotalCount *int         `json:"totalCount"`
	Data       []outboxItem `json:"data"`
}

func (w *world) outbox(t *testing.T, query string) outboxPage {
	t.Helper()
	return decode[outboxPage](t, w.must(t, 200, "GET", w.path("/outbox")+query, nil))
}

// only returns the one message of the outbox with this recipient.
func (w *world) only(t *testing.T, recipient string) outboxItem {
	t.Helper()
	page := w.outbox(t, "?recipient="+recipient)
	if len(page.Data) != 1 {
		t.Fatalf("outbox for %s: %d messages, want 1: %+v", recipient, len(page.Data), page.Data)
	}
	return page.Data[0]
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T: %v; body %s", v, err, raw)
	}
	return v
}

var tokenRE = regexp.MustCompile(`/invitations/accept\?token=([A-Za-z0-9_-]+)`)

// link finds the invitation link in a text and returns its token.
func link(t *testing.T, base, text string) string {
	t.Helper()
	if !strings.Contains(text, base+"/invitations/accept?token=") {
		t.Fatalf("no link %s/invitations/accept?token=… in:\n%s", base, text)
	}
	return tokenRE.FindStringSubmatch(text)[1]
}

func TestInvitationsDelivered(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		w := start(t, b, setup{})
		w.env.RunNotify(t)
		annID := w.employee(t, "Ann Example", "Ann@Example.com", "SendInvite")
		bobID := w.technician(t, "Bob Tech", "(555) 000-1234", "SendInvite")
		w.employee(t, "Cy Later", "cy@example.com", "CreateLater")

		mails := w.mail.WaitFor(t, 1, 10*time.Second)
		texts := w.texts.WaitFor(t, 1, 10*time.Second)
		time.Sleep(100 * time.Millisecond) // nothing else may follow
		if n := w.mail.Count(); n != 1 {
			t.Errorf("%d mails, want 1 (none for the person created later)", n)
		}
		if n := len(w.texts.Texts()); n != 1 {
			t.Errorf("%d texts, want 1", n)
		}

		// The email names the company and carries the link.
		m := mails[0]
		if len(m.To) != 1 || m.To[0] != "ann@example.com" || m.Header.Get("To") != "<ann@example.com>" {
			t.Errorf("email to %v (header %q), want ann@example.com", m.To, m.Header.Get("To"))
		}
		if !strings.Contains(m.Subject, "Acme Heating") || !strings.Contains(m.Body, "Acme Heating") || !strings.Contains(m.Body, "Ann Example") {
			t.Errorf("email does not name the company and the person:\nSubject: %s\n%s", m.Subject, m.Body)
		}
		token := link(t, w.env.URL, m.Body)
		item := w.only(t, "ann@example.com")
		if item.Status != "Sent" || item.Channel != "Email" || item.Attempts != 1 || item.SentOn == nil || item.Body != nil || item.LastError != nil {
			t.Errorf("outbox entry of the email: %+v; want Sent after 1 attempt, no body shown, no error", item)
		}
		if want := w.email.MessageID(crewid.Message{ID: item.ID, CreatedOn: item.CreatedOn}); m.MessageID != want {
			t.Errorf("Message-ID %q, want %q", m.MessageID, want)
		}

		// The SMS names the company and carries the link.
		x := texts[0]
		if x.To != "+15550001234" || x.From != notifytest.SMSFrom || !strings.Contains(x.Body, "Acme Heating") {
			t.Errorf("text %+v: want one to +15550001234 from %s naming Acme Heating", x, notifytest.SMSFrom)
		}
		smsToken := link(t, w.env.URL, x.Body)
		if item := w.only(t, "%2B15550001234"); item.Status != "Sent" || item.Channel != "Sms" || item.Attempts != 1 {
			t.Errorf("outbox entry of the text: %+v; want Sent after 1 attempt", item)
		}

		// Each token is the live invitation of its person.
		for token, person := range map[string]int64{token: annID, smsToken: bobID} {
			inv, err := w.env.Store.InvitationByTokenHash(context.Background(), invite.HashToken(token))
			if err != nil || inv.PersonID != person || !inv.UsedOn.IsZero() || !inv.VoidedOn.IsZero() {
				t.Errorf("invitation of token for person %d: %+v, %v; want a live one", person, inv, err)
			}
		}
		// And it works: Ann accepts her invitation with the emailed link.
		status, raw := w.env.Do(t, nil, "POST", "/auth/invitations/accept",
			map[string]string{"token": token, "login": "ann.example", "password": "Corr3ct-Horse-Battery"})
		if status != http.StatusOK {
			t.Errorf("accept the emailed invitation: status %d, body %s", status, raw)
		}
	})
}

func TestOneChannelConfigured(t *testing.T) {
	t.Parallel()
	b := servertest.Backends()[0]
	t.Run("email only", func(t *testing.T) {
		w := start(t, b, setup{noSMS: true})
		w.technician(t, "Bob Tech", "+15550001234", "SendInvite")
		w.employee(t, "Ann Example", "ann@example.com", "SendInvite")
		if n, err := w.worker.DrainOnce(context.Background()); n != 1 || err != nil {
			t.Fatalf("DrainOnce = %d, %v; want the email alone", n, err)
		}
		if got := w.only(t, "%2B15550001234"); got.Status != "Local" || got.Body == nil || !strings.Contains(*got.Body, w.env.URL+"/invitations/accept?token=") {
			t.Errorf("the SMS with no SMS provider: %+v; want it Local with its link readable", got)
		}
		if got := w.only(t, "ann@example.com"); got.Status != "Sent" {
			t.Errorf("the email: %+v; want Sent", got)
		}
		if len(w.texts.Texts()) != 0 || w.mail.Count() != 1 {
			t.Errorf("%d texts and %d mails, want 0 and 1", len(w.texts.Texts()), w.mail.Count())
		}
	})
	t.Run("sms only", func(t *testing.T) {
		w := start(t, b, setup{noEmail: true})
		w.technician(t, "Bob Tech", "+15550001234", "SendInvite")
		w.employee(t, "Ann Example", "ann@example.com", "SendInvite")
		if n, err := w.worker.DrainOnce(context.Background()); n != 1 || err != nil {
			t.Fatalf("DrainOnce = %d, %v; want the SMS alone", n, err)
		}
		if got := w.only(t, "ann@example.com"); got.Status != "Local" || got.Body == nil {
			t.Errorf("the email with no SMTP server: %+v; want it Local with its body", got)
		}
		if got := w.only(t, "%2B15550001234"); got.Status != "Sent" {
			t.Errorf("the SMS: %+v; want Sent", got)
		}
	})
}

func TestRetryUntilTheServerIsUp(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		clk := newClock()
		w := start(t, b, setup{clock: clk})
		w.worker.Backoff = func(attempt int) time.Duration { return time.Duration(attempt) * time.Minute }
		ctx := context.Background()
		w.mail.Stop()

		w.employee(t, "Ann Example", "ann@example.com", "SendInvite")
		drain := func(want int) {
			t.Helper()
			if n, err := w.worker.DrainOnce(ctx); n != want || err != nil {
				t.Fatalf("DrainOnce = %d, %v; want %d", n, err, want)
			}
		}
		drain(1)
		got := w.only(t, "ann@example.com")
		if got.Status != "Pending" || got.Attempts != 1 || got.LastError == nil || !strings.Contains(*got.LastError, "refused") ||
			got.NextAttemptOn == nil || !got.NextAttemptOn.Equal(clk.Now().Add(time.Minute)) {
			t.Fatalf("after a failed attempt: %+v; want Pending, 1 attempt, the error, next attempt in a minute", got)
		}
		drain(0) // not due yet
		clk.Add(59 * time.Second)
		drain(0)
		clk.Add(time.Second)
		drain(1)
		got = w.only(t, "ann@example.com")
		if got.Status != "Pending" || got.Attempts != 2 || !got.NextAttemptOn.Equal(clk.Now().Add(2*time.Minute)) {
			t.Fatalf("after a second failed attempt: %+v; want Pending, 2 attempts, next in 2 minutes", got)
		}

		w.mail.Start(t)
		clk.Add(2 * time.Minute)
		drain(1)
		got = w.only(t, "ann@example.com")
		if got.Status != "Sent" || got.Attempts != 3 || got.SentOn == nil || !got.SentOn.Equal(clk.Now()) || got.LastError == nil {
			t.Fatalf("after the server came back: %+v; want Sent on the third attempt, the last error kept", got)
		}
		if n := w.mail.Count(); n != 1 {
			t.Errorf("%d mails, want 1", n)
		}
		drain(0)
	})
}

func TestPermanentFailureIsVisible(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		w := start(t, b, setup{})
		w.texts.Respond(400, `{"code": 21211, "message": "The 'To' number +15550001234 is not a valid phone number.", "status": 400}`)
		w.technician(t, "Bob Tech", "+15550001234", "SendInvite")
		w.employee(t, "Ann Example", "ann@example.com", "SendInvite")
		if n, err := w.worker.DrainOnce(context.Background()); n != 2 || err != nil {
			t.Fatalf("DrainOnce = %d, %v; want 2", n, err)
		}
		page := w.outbox(t, "?status=Failed")
		if len(page.Data) != 1 {
			t.Fatalf("failed messages: %+v, want the SMS", page.Data)
		}
		got := page.Data[0]
		if got.Recipient != "+15550001234" || got.Attempts != 1 || got.LastError == nil ||
			!strings.Contains(*got.LastError, "21211") || !strings.Contains(*got.LastError, "400") {
			t.Errorf("failed SMS: %+v; want one attempt and the provider's error", got)
		}
		if n := len(w.texts.Texts()); n != 1 {
			t.Errorf("%d SMS requests, want 1 (a 400 is not retried)", n)
		}
		if got := w.only(t, "ann@example.com"); got.Status != "Sent" {
			t.Errorf("the email: %+v; want Sent", got)
		}
		if n, err := w.worker.DrainOnce(context.Background()); n != 0 || err != nil {
			t.Errorf("DrainOnce after the failure = %d, %v; want nothing to do", n, err)
		}
	})
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	w := start(t, servertest.Backends()[0], setup{})
	w.worker.MaxAttempts = 3
	w.worker.Backoff = func(int) time.Duration { return 0 }
	w.texts.Respond(503, `{"code": 20503, "message": "Service unavailable"}`)
	w.technician(t, "Bob Tech", "+15550001234", "SendInvite")
	if n, err := w.worker.DrainOnce(context.Background()); n != 3 || err != nil {
		t.Fatalf("DrainOnce = %d, %v; want 3 attempts", n, err)
	}
	got := w.only(t, "%2B15550001234")
	if got.Status != "Failed" || got.Attempts != 3 || got.LastError == nil || !strings.Contains(*got.LastError, "gave up after 3 attempts") || !strings.Contains(*got.LastError, "503") {
		t.Errorf("after 3 failed attempts: %+v; want Failed, naming the attempts and the last error", got)
	}
	texts := w.texts.Texts()
	if len(texts) != 3 || texts[0].Key == "" || texts[1].Key != texts[0].Key || texts[2].Key != texts[0].Key {
		t.Errorf("requests %+v: want 3 with one idempotency key", texts)
	}
}

// TestLeaseTakeover: a worker claims a message and dies; once its lease has
// ended another worker sends it, and the dead one cannot record anything.
func TestLeaseTakeover(t *testing.T) {
	t.Parallel()
	clk := newClock()
	w := start(t, servertest.Backends()[0], setup{clock: clk})
	w.employee(t, "Ann Example", "ann@example.com", "SendInvite")
	ctx := context.Background()
	st := w.env.Store
	claimed, err := st.ClaimMessages(ctx, "dead-node", clk.Now(), clk.Now().Add(time.Minute), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimMessages = %v, %v", claimed, err)
	}
	if n, _ := w.worker.DrainOnce(ctx); n != 0 {
		t.Fatalf("DrainOnce during another's lease handled %d messages", n)
	}
	clk.Add(time.Minute)
	if n, err := w.worker.DrainOnce(ctx); n != 1 || err != nil {
		t.Fatalf("DrainOnce after the lease ended = %d, %v; want 1", n, err)
	}
	if got := w.only(t, "ann@example.com"); got.Status != "Sent" || got.Attempts != 2 {
		t.Errorf("after the takeover: %+v; want Sent, 2 attempts", got)
	}
	if err := st.MarkFailed(ctx, claimed[0].ID, "dead-node", "late"); err != store.ErrLeaseLost {
		t.Errorf("the dead node's MarkFailed: %v, want ErrLeaseLost", err)
	}
	if got := w.only(t, "ann@example.com"); got.Status != "Sent" {
		t.Errorf("after the dead node's late mark: %+v; want Sent", got)
	}
}

// TestWorkersShareTheOutbox runs several workers on one database at once,
// as several nodes would, and counts at the SMTP server by Message-ID.
func TestWorkersShareTheOutbox(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		w := start(t, b, setup{noSMS: true})
		w.mail.SetDelay(2 * time.Millisecond)
		const n = 300
		now := time.Now().UTC()
		err := w.env.Store.Update(context.Background(), func(tx store.Tx) error {
			for i := range n {
				m := crewid.Message{TenantID: w.env.Tenant.ID, Channel: crewid.ChannelEmail, Recipient: fmt.Sprintf("p%03d@example.com", i),
					Subject: "s", Body: fmt.Sprintf("message %d", i), Status: crewid.MessagePending, CreatedOn: now, NextAttemptOn: now}
				if err := tx.EnqueueMessage(context.Background(), &m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := range 4 {
			worker := &notify.Worker{Store: w.env.Store, Email: w.email, Owner: fmt.Sprintf("node-%d", i),
				Batch: 3 + i*4, Concurrency: 1 + i, Interval: 10 * time.Millisecond, Logger: testLogger(t)}
			wg.Add(1)
			go func() { defer wg.Done(); worker.Run(ctx) }()
		}
		mails := w.mail.WaitFor(t, n, 60*time.Second)
		time.Sleep(200 * time.Millisecond) // a late duplicate would arrive now
		cancel()
		wg.Wait()
		mails = w.mail.Mails()
		seen := map[string]int{}
		for _, m := range mails {
			seen[m.MessageID]++
		}
		for id, count := range seen {
			if count != 1 {
				t.Errorf("Message-ID %s received %d times", id, count)
			}
		}
		if len(seen) != n || len(mails) != n {
			t.Errorf("%d mails with %d distinct Message-IDs, want %d of each", len(mails), len(seen), n)
		}
		if page := w.outbox(t, "?status=Sent&pageSize=500"); len(page.Data) != n {
			t.Errorf("%d messages sent in the outbox, want %d", len(page.Data), n)
		}
	})
}

// TestShutdownFinishesSends: stopping a worker mid-send lets the send
// finish and records it.
func TestShutdownFinishesSends(t *testing.T) {
	t.Parallel()
	w := start(t, servertest.Backends()[0], setup{})
	w.mail.SetDelay(500 * time.Millisecond)
	w.employee(t, "Ann Example", "ann@example.com", "SendInvite")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.worker.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.mail.Sessions() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if got := w.only(t, "ann@example.com"); got.Status != "Sent" || w.mail.Count() != 1 {
		t.Errorf("after stopping mid-send: %+v and %d mails; want Sent and 1", got, w.mail.Count())
	}
}

// TestSlowProviderWithinLease: when sending a batch takes longer than its
// lease allows, the worker sends what it can, gives the rest back untried
// and claims again, so everything is sent once, each at its first attempt.
func TestSlowProviderWithinLease(t *testing.T) {
	t.Parallel()
	w := start(t, servertest.Backends()[0], setup{noSMS: true})
	// A send may start in the first 750ms of a claim and must end by
	// 1125ms; each takes 150ms, one at a time: a batch of 10 sends about 5.
	w.worker.Lease = 1500 * time.Millisecond
	w.worker.Concurrency = 1
	w.worker.Batch = 10
	w.mail.SetDelay(150 * time.Millisecond)
	const n = 12
	for i := range n {
		w.employee(t, fmt.Sprintf("Person %d", i), fmt.Sprintf("p%d@example.com", i), "SendInvite")
	}
	done := make(chan struct{})
	var handled int
	var err error
	go func() {
		defer close(done)
		handled, err = w.worker.DrainOnce(context.Background())
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("DrainOnce did not return")
	}
	if handled != n || err != nil {
		t.Errorf("DrainOnce = %d, %v; want %d", handled, err, n)
	}
	if got := distinct(w.mail.Mails()); got != n || w.mail.Count() != n {
		t.Errorf("%d mails with %d distinct Message-IDs, want %d", w.mail.Count(), got, n)
	}
	for _, m := range w.outbox(t, "?pageSize=100").Data {
		if m.Status != "Sent" || m.Attempts != 1 {
			t.Errorf("message to %s: %s after %d attempts, want Sent at the first", m.Recipient, m.Status, m.Attempts)
		}
	}
}

func distinct(mails []notifytest.Mail) int {
	seen := map[string]bool{}
	for _, m := range mails {
		seen[m.MessageID] = true
	}
	return len(seen)
}
