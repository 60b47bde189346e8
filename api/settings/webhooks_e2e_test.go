package settings_test

// End-to-end tests of webhooks: subscriptions over the Settings API, and
// deliveries to real HTTP receivers on 127.0.0.1 that check every
// signature as the contract describes it (HMAC-SHA256 keyed by the secret
// over TIMESTAMP + "." + BODY), written here without crewid's own code.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"crewid"
	"crewid/api/settings"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/webhooks"
)

// hookReceiver is an HTTP receiver of deliveries.
type hookReceiver struct {
	srv    *httptest.Server
	status atomic.Int32 // the answer; 200 unless set
	// failType, when set, is an event type answered 400 (a receiver that
	// cannot take one kind of event).
	failType atomic.Value
	mu       sync.Mutex
	got      []hookDelivery
}

type hookDelivery struct {
	path, eventID, eventType, signature string
	body                                []byte
	status                              int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{}
	r.status.Store(http.StatusOK)
	r.failType.Store("")
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		status := int(r.status.Load())
		if ft := r.failType.Load().(string); ft != "" && req.Header.Get("Crewid-Event-Type") == ft {
			status = http.StatusBadRequest
		}
		if req.URL.Path == "/moved" {
			http.Redirect(w, req, "/elsewhere", http.StatusFound)
			status = http.StatusFound
		}
		r.mu.Lock()
		r.got = append(r.got, hookDelivery{path: req.URL.Path, eventID: req.Header.Get("Crewid-Event-Id"),
			eventType: req.Header.Get("Crewid-Event-Type"), signature: req.Header.Get("Crewid-Signature"), body: body, status: status})
		r.mu.Unlock()
		if status == http.StatusFound {
			return
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "receiver says %d", status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// deliveries returns what reached path.
func (r *hookReceiver) deliveries(path string) []hookDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hookDelivery
	for _, d := range r.got {
		if d.path == path {
			out = append(out, d)
		}
	}
	return out
}

// acceptedIDs are the distinct event ids answered 2xx at path.
func (r *hookReceiver) acceptedIDs(path string) []int64 {
	var ids []int64
	for _, d := range r.deliveries(path) {
		id, _ := strconv.ParseInt(d.eventID, 10, 64)
		if d.status < 300 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// verifySignature checks a delivery as a receiver following the contract
// would: Crewid-Signature is t=TIMESTAMP,v1=HEX with HEX the HMAC-SHA256,
// keyed by the secret, of TIMESTAMP + "." + BODY, and TIMESTAMP near now
// (not checked when now is zero: a test clock signed it).
func verifySignature(t *testing.T, secret string, d hookDelivery, now time.Time) {
	t.Helper()
	var ts, sig string
	for _, part := range strings.Split(d.signature, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		t.Fatalf("event %s: Crewid-Signature %q is not t=TIMESTAMP,v1=HEX", d.eventID, d.signature)
	}
	if skew := now.Sub(time.Unix(unix, 0)).Abs(); !now.IsZero() && skew > 5*time.Minute {
		t.Errorf("event %s: signature timestamp %d is %v from the clock", d.eventID, unix, skew)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(d.body)))
	if want := hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(sig)) {
		t.Errorf("event %s: signature %s does not verify (want %s)", d.eventID, sig, want)
	}
	// A forged body does not verify.
	forged := hmac.New(sha256.New, []byte(secret))
	forged.Write([]byte(ts + "." + string(d.body) + " "))
	if hex.EncodeToString(forged.Sum(nil)) == sig {
		t.Errorf("event %s: the signature does not depend on the body", d.eventID)
	}
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type hookEnv struct {
	*h
	clock *testClock
}

// startHooks starts a server that allows loopback receivers; with a test
// clock when clock is not nil.
// eachHookBackend runs fn, in parallel, on every backend with a server on
// a test clock (x.clock) and a receiver of its own.
func eachHookBackend(t *testing.T, fn func(t *testing.T, x *hookEnv, rcv *hookReceiver)) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		fn(t, startHooks(t, b, newTestClock()), newHookReceiver(t))
	})
}

func startHooks(t *testing.T, b servertest.Backend, clock *testClock) *hookEnv {
	t.Helper()
	opts := []servertest.Option{servertest.WithPrivateWebhooks()}
	if clock != nil {
		opts = append(opts, servertest.WithClock(clock.Now))
	}
	env := servertest.Start(t, b.Open(t), opts...)
	auth := env.Authorize(t, env.App)
	if clock != nil {
		// Tokens last 15 minutes of the test clock: take a fresh one for
		// each call.
		auth = func(ctx context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+env.Token(t, env.App))
			req.Header.Set("ST-App-Key", env.App.AppKey)
			return nil
		}
	}
	return &hookEnv{h: &h{env: env, auth: auth, tid: env.Tenant.ID, ctx: context.Background()}, clock: clock}
}

type webhookWire struct {
	ID                  int64    `json:"id"`
	URL                 string   `json:"url"`
	Events              []string `json:"events"`
	Active              bool     `json:"active"`
	DisabledReason      *string  `json:"disabledReason"`
	ConsecutiveFailures int      `json:"consecutiveFailures"`
	FailingSince        *string  `json:"failingSince"`
	Secret              *string  `json:"secret"`
	ModifiedOn          string   `json:"modifiedOn"`
}

type deliveryWire struct {
	ID             int64   `json:"id"`
	EventID        int64   `json:"eventId"`
	EventType      *string `json:"eventType"`
	Status         string  `json:"status"`
	Attempts       int     `json:"attempts"`
	NextAttemptOn  *string `json:"nextAttemptOn"`
	LastStatusCode *int    `json:"lastStatusCode"`
	LastError      *string `json:"lastError"`
	DeliveredOn    *string `json:"deliveredOn"`
}

type deliveryPage struct {
	HasMore    bool           `json:"hasMore"`
	TotalCount *int           `json:"totalCount"`
	Data       []deliveryWire `json:"data"`
}

func (x *hookEnv) subscribe(t *testing.T, url string, events ...string) (webhookWire, string) {
	t.Helper()
	w := decode[webhookWire](t, x.must(t, 200, "POST", x.sp("/webhooks"), map[string]any{"url": url, "events": events}))
	if w.ID == 0 || w.Secret == nil || len(*w.Secret) < 32 || !w.Active {
		t.Fatalf("POST webhooks: %+v", w)
	}
	return w, *w.Secret
}

func (x *hookEnv) hook(t *testing.T, id int64) webhookWire {
	t.Helper()
	w := decode[webhookWire](t, x.must(t, 200, "GET", x.sp("/webhooks/%d", id), nil))
	if w.Secret != nil {
		t.Errorf("GET webhooks/%d shows the secret", id)
	}
	return w
}

func (x *hookEnv) deliveryLog(t *testing.T, id int64, query string) []deliveryWire {
	t.Helper()
	return decode[deliveryPage](t, x.must(t, 200, "GET", x.sp("/webhooks/%d/deliveries?pageSize=500&%s", id, query), nil)).Data
}

// drain runs the server's delivery worker once, at the test clock's time.
func (x *hookEnv) drain(t *testing.T) int {
	t.Helper()
	n, err := x.env.Server.WebhookWorker.DrainOnce(context.Background())
	if err != nil {
		t.Fatalf("DrainOnce: %v", err)
	}
	return n
}

// eventIDs are the ids of the tenant's events from the event first on.
func (x *hookEnv) eventIDs(t *testing.T, first int64, eventType string) []int64 {
	t.Helper()
	page := decode[struct {
		Data []struct {
			ID        int64  `json:"id"`
			EventType string `json:"eventType"`
		} `json:"data"`
	}](t, x.must(t, 200, "GET", x.sp("/history?pageSize=5000&sort=%%2BId"), nil))
	var ids []int64
	for _, e := range page.Data {
		if e.ID >= first && (eventType == "" || strings.HasPrefix(e.EventType, eventType)) {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// createdEventID is the id of the Webhook.Created event of a subscription.
func (x *hookEnv) createdEventID(t *testing.T, hookID int64) int64 {
	t.Helper()
	page := decode[struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}](t, x.must(t, 200, "GET", x.sp("/history?recordType=Webhook&recordId=%d&eventType=Webhook.Created", hookID), nil))
	if len(page.Data) != 1 {
		t.Fatalf("Webhook.Created events of %d: %d", hookID, len(page.Data))
	}
	return page.Data[0].ID
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhookSignedDeliveries(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := startHooks(t, b, nil)
		rcv := newHookReceiver(t)
		all, allSecret := x.subscribe(t, rcv.srv.URL+"/all", "*")
		units, unitsSecret := x.subscribe(t, rcv.srv.URL+"/units", "BusinessUnit.*", "TagType.Created")
		if allSecret == unitsSecret {
			t.Fatal("two subscriptions got the same secret")
		}
		first := x.createdEventID(t, all.ID)
		x.env.RunWebhooks(t, 50*time.Millisecond)

		bu := x.mustID(t, "POST", x.sp("/business-units"), map[string]any{"name": "North Branch"})
		x.must(t, 200, "PATCH", x.sp("/business-units/%d", bu), map[string]any{"name": "North Branch HVAC"})
		x.mustID(t, "POST", x.sp("/tag-types"), map[string]any{"name": "VIP"})
		x.mustID(t, "POST", x.dp("/teams"), map[string]any{"name": "Night Shift", "active": true})

		want := x.eventIDs(t, first, "")
		wantUnits := append(x.eventIDs(t, first, "BusinessUnit."), x.eventIDs(t, first, "TagType.Created")...)
		slices.Sort(wantUnits)
		if len(want) != 6 || len(wantUnits) != 3 {
			t.Fatalf("events since the subscription: %v (of which for /units %v)", want, wantUnits)
		}
		waitFor(t, "every event at /all", func() bool { return slices.Equal(rcv.acceptedIDs("/all"), want) })
		waitFor(t, "the filtered events at /units", func() bool { return slices.Equal(rcv.acceptedIDs("/units"), wantUnits) })

		// Each body is the event as GET history shows it.
		history := decode[struct {
			Data []json.RawMessage `json:"data"`
		}](t, x.must(t, 200, "GET", x.sp("/history?pageSize=100"), nil))
		shown := map[string]any{}
		for _, raw := range history.Data {
			var e map[string]any
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			shown[strconv.FormatInt(int64(e["id"].(float64)), 10)] = e
		}
		for path, secret := range map[string]string{"/all": allSecret, "/units": unitsSecret} {
			for _, d := range rcv.deliveries(path) {
				verifySignature(t, secret, d, time.Now())
				var body map[string]any
				if err := json.Unmarshal(d.body, &body); err != nil {
					t.Fatalf("delivery body is not JSON: %s", d.body)
				}
				if !reflect.DeepEqual(body, shown[d.eventID]) {
					t.Errorf("%s: body of event %s differs from GET history:\n%s\n%v", path, d.eventID, d.body, shown[d.eventID])
				}
				if body["eventType"] != d.eventType {
					t.Errorf("Crewid-Event-Type %q, body eventType %v", d.eventType, body["eventType"])
				}
			}
		}
		// The other subscription's secret does not verify.
		if d := rcv.deliveries("/units"); len(d) > 0 {
			mac := hmac.New(sha256.New, []byte(allSecret))
			ts, _, _ := strings.Cut(strings.TrimPrefix(d[0].signature, "t="), ",")
			mac.Write([]byte(ts + "." + string(d[0].body)))
			if strings.HasSuffix(d[0].signature, hex.EncodeToString(mac.Sum(nil))) {
				t.Errorf("a delivery verifies with another subscription's secret")
			}
		}

		// The delivery log shows every delivery done, with its answer (a
		// result is recorded just after the receiver answers).
		waitFor(t, "the results recorded", func() bool {
			return len(x.deliveryLog(t, all.ID, "status=Pending")) == 0 && len(x.deliveryLog(t, units.ID, "status=Pending")) == 0
		})
		log := x.deliveryLog(t, all.ID, "")
		if len(log) != len(want) {
			t.Errorf("delivery log of /all: %d entries, want %d", len(log), len(want))
		}
		for _, d := range log {
			if d.Status != "Delivered" || d.Attempts != 1 || d.LastStatusCode == nil || *d.LastStatusCode != 200 ||
				d.DeliveredOn == nil || d.NextAttemptOn != nil || d.EventType == nil {
				t.Errorf("log entry %+v, want Delivered once with 200", d)
			}
		}
		if got := x.deliveryLog(t, units.ID, "status=Pending"); len(got) != 0 {
			t.Errorf("pending deliveries of /units: %+v", got)
		}
		if got := x.deliveryLog(t, units.ID, fmt.Sprintf("eventId=%d", wantUnits[0])); len(got) != 1 || got[0].EventID != wantUnits[0] {
			t.Errorf("log filtered by eventId: %+v", got)
		}

		// List, get and change.
		list := decode[struct {
			Data []webhookWire `json:"data"`
		}](t, x.must(t, 200, "GET", x.sp("/webhooks?includeTotal=true"), nil))
		if len(list.Data) != 2 || list.Data[0].ID != all.ID || list.Data[0].Secret != nil {
			t.Errorf("GET webhooks: %+v", list.Data)
		}
		changed := decode[webhookWire](t, x.must(t, 200, "PATCH", x.sp("/webhooks/%d", units.ID),
			map[string]any{"events": []string{"Team.*", "BusinessUnit.Created", "Team.*"}}))
		if !slices.Equal(changed.Events, []string{"BusinessUnit.Created", "Team.*"}) || changed.URL != units.URL || changed.Secret != nil {
			t.Errorf("PATCH events: %+v", changed)
		}
		// The same events again change nothing: modifiedOn stays.
		again := decode[webhookWire](t, x.must(t, 200, "PATCH", x.sp("/webhooks/%d", units.ID),
			map[string]any{"events": []string{"Team.*", "BusinessUnit.Created"}}))
		if again.ModifiedOn != changed.ModifiedOn {
			t.Errorf("a PATCH that changed nothing moved modifiedOn %v → %v", changed.ModifiedOn, again.ModifiedOn)
		}
		x.must(t, 200, "DELETE", x.sp("/webhooks/%d", units.ID), nil)
		x.must(t, 404, "GET", x.sp("/webhooks/%d", units.ID), nil)
		x.must(t, 404, "GET", x.sp("/webhooks/%d/deliveries", units.ID), nil)
	})
}

func TestWebhookReceiverRecovers(t *testing.T) {
	eachHookBackend(t, func(t *testing.T, x *hookEnv, rcv *hookReceiver) {
		clock := x.clock
		rcv.status.Store(http.StatusInternalServerError)
		hook, secret := x.subscribe(t, rcv.srv.URL+"/hook", "*")
		moved, _ := x.subscribe(t, rcv.srv.URL+"/moved", "BusinessUnit.Created")
		first := x.createdEventID(t, hook.ID)
		for i := range 4 {
			clock.Advance(time.Second)
			x.mustID(t, "POST", x.sp("/business-units"), map[string]any{"name": fmt.Sprintf("Branch %d", i)})
		}
		want := x.eventIDs(t, first, "")

		// Down: every attempt fails and is logged.
		x.drain(t)
		for _, d := range x.deliveryLog(t, hook.ID, "") {
			if d.Status != "Pending" || d.Attempts != 1 || d.LastStatusCode == nil || *d.LastStatusCode != 500 ||
				d.LastError == nil || !strings.Contains(*d.LastError, "receiver says 500") || d.NextAttemptOn == nil {
				t.Errorf("after a failed attempt: %+v", d)
			}
		}
		if h := x.hook(t, hook.ID); h.ConsecutiveFailures != len(want) || h.FailingSince == nil || !h.Active {
			t.Errorf("subscription after failures: %+v", h)
		}
		// Redirects are not followed: a 3xx is a failure.
		for _, d := range x.deliveryLog(t, moved.ID, "") {
			if d.Status != "Pending" || d.LastStatusCode == nil || *d.LastStatusCode != 302 || !strings.Contains(*d.LastError, "redirect") {
				t.Errorf("a delivery answered 302: %+v", d)
			}
		}
		if got := rcv.deliveries("/elsewhere"); len(got) != 0 {
			t.Errorf("a redirect was followed: %d requests to its target", len(got))
		}

		// Not due again before the backoff (about 30s).
		clock.Advance(10 * time.Second)
		if n := x.drain(t); n != 0 {
			t.Errorf("%d deliveries attempted 10s after the failure", n)
		}
		clock.Advance(2 * time.Minute)
		x.drain(t) // fails again: two attempts each
		rcv.status.Store(http.StatusNoContent)
		clock.Advance(5 * time.Minute)
		x.drain(t)

		if got := rcv.acceptedIDs("/hook"); !slices.Equal(got, want) {
			t.Errorf("events accepted after recovery: %v, want every one of %v", got, want)
		}
		for _, d := range x.deliveryLog(t, hook.ID, "") {
			if d.Status != "Delivered" || d.Attempts != 3 || *d.LastStatusCode != 204 {
				t.Errorf("after recovery: %+v, want delivered at the third attempt", d)
			}
		}
		for _, d := range rcv.deliveries("/hook") {
			verifySignature(t, secret, d, time.Time{})
		}
		if h := x.hook(t, hook.ID); h.ConsecutiveFailures != 0 || h.FailingSince != nil || !h.Active {
			t.Errorf("subscription after recovery: %+v", h)
		}
	})
}

func TestWebhookDisabledAfterADayOfFailures(t *testing.T) {
	eachHookBackend(t, func(t *testing.T, x *hookEnv, rcv *hookReceiver) {
		clock := x.clock
		rcv.status.Store(http.StatusServiceUnavailable)
		hook, secret := x.subscribe(t, rcv.srv.URL+"/hook", "*")
		first := x.createdEventID(t, hook.ID)
		x.mustID(t, "POST", x.sp("/business-units"), map[string]any{"name": "Down Branch"})
		began := clock.Now()

		var h webhookWire
		for h = x.hook(t, hook.ID); h.Active; h = x.hook(t, hook.ID) {
			if clock.Now().Sub(began) > 30*time.Hour {
				t.Fatalf("still active after 30 hours of failures: %+v", h)
			}
			x.drain(t)
			clock.Advance(20 * time.Minute)
		}
		failedFor := clock.Now().Sub(began)
		if failedFor < 24*time.Hour || failedFor > 26*time.Hour {
			t.Errorf("made inactive after %v of failures, want about a day", failedFor)
		}
		if h.DisabledReason == nil || !strings.Contains(*h.DisabledReason, "failed") || !strings.Contains(*h.DisabledReason, "503") {
			t.Errorf("disabledReason %v, want it to say the deliveries failed, with the last error", h.DisabledReason)
		}
		// Shown by default only with active=False or Any.
		list := decode[struct {
			Data []webhookWire `json:"data"`
		}](t, x.must(t, 200, "GET", x.sp("/webhooks?active=False"), nil))
		if len(list.Data) != 1 || list.Data[0].ID != hook.ID {
			t.Errorf("inactive subscriptions: %+v", list.Data)
		}
		// History says so, without the secret.
		raw := x.must(t, 200, "GET", x.sp("/history?eventType=Webhook.Disabled&recordId=%d", hook.ID), nil)
		if !strings.Contains(string(raw), `"type":"System"`) || !strings.Contains(string(raw), `"active":false`) {
			t.Errorf("history of the disabling: %s", raw)
		}
		if strings.Contains(string(raw), secret) {
			t.Errorf("history shows the secret: %s", raw)
		}
		// Its deliveries wait, parked; no new ones are queued.
		parked := x.deliveryLog(t, hook.ID, "")
		for _, d := range parked {
			if d.Status != "Pending" || d.NextAttemptOn != nil {
				t.Errorf("delivery of an inactive subscription: %+v, want pending with no next attempt", d)
			}
		}
		attemptsBefore := len(rcv.deliveries("/hook"))
		x.mustID(t, "POST", x.sp("/business-units"), map[string]any{"name": "While Off"})
		clock.Advance(48 * time.Hour)
		x.drain(t)
		if n := len(rcv.deliveries("/hook")); n != attemptsBefore {
			t.Errorf("%d attempts made while the subscription was inactive", n-attemptsBefore)
		}
		if got := x.deliveryLog(t, hook.ID, ""); len(got) != len(parked) {
			t.Errorf("a change queued a delivery to an inactive subscription: %d entries, had %d", len(got), len(parked))
		}

		// Fixed and made active again: the parked deliveries go out.
		rcv.status.Store(http.StatusOK)
		on := decode[webhookWire](t, x.must(t, 200, "PATCH", x.sp("/webhooks/%d", hook.ID), map[string]any{"active": true}))
		if !on.Active || on.DisabledReason != nil || on.ConsecutiveFailures != 0 || on.FailingSince != nil {
			t.Errorf("after PATCH active=true: %+v", on)
		}
		x.drain(t)
		var want []int64
		for _, d := range parked {
			want = append(want, d.EventID)
		}
		if len(want) != 2 || !slices.Contains(want, first) {
			t.Errorf("parked deliveries of events %v, want two from %d", want, first)
		}
		// The reactivation is an event too, delivered with them.
		want = append(want, x.eventIDs(t, first, "Webhook.Updated")...)
		slices.Sort(want)
		if got := rcv.acceptedIDs("/hook"); !slices.Equal(got, want) {
			t.Errorf("delivered after reactivation: %v, want the parked events and the reactivation %v", got, want)
		}
	})
}

func TestWebhookDeliveryGivesUpAfterADay(t *testing.T) {
	eachHookBackend(t, func(t *testing.T, x *hookEnv, rcv *hookReceiver) {
		clock := x.clock
		rcv.failType.Store("TagType.Created") // the receiver refuses one kind of event
		hook, _ := x.subscribe(t, rcv.srv.URL+"/hook", "*")
		x.mustID(t, "POST", x.sp("/tag-types"), map[string]any{"name": "Refused"})
		began := clock.Now()
		for clock.Now().Sub(began) < 25*time.Hour {
			// The subscription keeps succeeding with other events.
			x.mustID(t, "POST", x.sp("/business-units"), map[string]any{"name": "Branch " + clock.Now().Format(time.RFC3339)})
			x.drain(t)
			clock.Advance(time.Hour)
		}
		x.drain(t)
		failed := x.deliveryLog(t, hook.ID, "status=Failed")
		if len(failed) != 1 || failed[0].EventType == nil || *failed[0].EventType != "TagType.Created" ||
			!strings.Contains(*failed[0].LastError, "Gave up") || *failed[0].LastStatusCode != 400 || failed[0].Attempts < 10 {
			t.Fatalf("failed deliveries: %+v, want the refused event given up on after many attempts", failed)
		}
		if h := x.hook(t, hook.ID); !h.Active {
			t.Errorf("a subscription with successes was made inactive: %+v", h)
		}
		if pending := x.deliveryLog(t, hook.ID, "status=Pending"); len(pending) != 0 {
			t.Errorf("pending deliveries left: %+v", pending)
		}
	})
}

func TestWebhookRedelivery(t *testing.T) {
	eachHookBackend(t, func(t *testing.T, x *hookEnv, rcv *hookReceiver) {
		clock := x.clock
		hook, secret := x.subscribe(t, rcv.srv.URL+"/hook", "BusinessUnit.*")
		var times []time.Time
		for i := range 4 {
			clock.Advance(time.Minute)
			times = append(times, clock.Now())
			x.mustID(t, "POST", x.sp("/business-units"), map[string]any{"name": fmt.Sprintf("Unit %d", i)})
		}
		events := x.eventIDs(t, 0, "BusinessUnit.")
		if len(events) != 4 {
			t.Fatalf("events: %v", events)
		}
		x.drain(t)
		count := func(id int64) int {
			n := 0
			for _, d := range rcv.deliveries("/hook") {
				if d.eventID == strconv.FormatInt(id, 10) {
					n++
				}
			}
			return n
		}
		for _, id := range events {
			if count(id) != 1 {
				t.Fatalf("event %d delivered %d times before any redelivery", id, count(id))
			}
		}

		clock.Advance(time.Minute)
		got := decode[struct{ Queued int }](t, x.must(t, 200, "POST", x.sp("/webhooks/%d/redeliver", hook.ID), map[string]any{"eventId": events[1]}))
		if got.Queued != 1 {
			t.Errorf("redeliver one event: queued %d", got.Queued)
		}
		x.drain(t)
		if count(events[1]) != 2 || count(events[0]) != 1 {
			t.Errorf("after redelivering event %d: delivered %d times (event %d: %d)", events[1], count(events[1]), events[0], count(events[0]))
		}
		// A range: the events of units 2 and 3.
		got = decode[struct{ Queued int }](t, x.must(t, 200, "POST", x.sp("/webhooks/%d/redeliver", hook.ID), map[string]any{
			"occurredOnOrAfter": times[2].Format(time.RFC3339Nano), "occurredBefore": times[3].Add(time.Second).Format(time.RFC3339Nano)}))
		if got.Queued != 2 {
			t.Errorf("redeliver a range: queued %d, want 2", got.Queued)
		}
		x.drain(t)
		for i, want := range []int{1, 2, 2, 2} {
			if count(events[i]) != want {
				t.Errorf("event %d delivered %d times, want %d", events[i], count(events[i]), want)
			}
		}
		for _, d := range rcv.deliveries("/hook") {
			verifySignature(t, secret, d, time.Time{})
		}
		// The log keeps one entry per event, with its attempts since the
		// last redelivery.
		if log := x.deliveryLog(t, hook.ID, "includeTotal=true"); len(log) != 4 {
			t.Errorf("log entries: %d, want 4", len(log))
		}
		raw := x.must(t, 200, "GET", x.sp("/history?eventType=Webhook.RedeliveryQueued&recordId=%d&sort=%%2BId", hook.ID), nil)
		if !strings.Contains(string(raw), fmt.Sprintf(`"eventId":%d`, events[1])) || !strings.Contains(string(raw), `"queued":2`) {
			t.Errorf("history of the redeliveries: %s", raw)
		}

		for _, tc := range []struct {
			body  any
			want  int
			field string
		}{
			{map[string]any{}, 400, "eventId"},
			{map[string]any{"eventId": events[0], "occurredBefore": "2024-01-01"}, 400, "eventId"},
			{map[string]any{"occurredOnOrAfter": "yesterday"}, 400, "occurredOnOrAfter"},
			{map[string]any{"occurredOnOrAfter": "2024-02-01", "occurredBefore": "2024-01-01"}, 400, "occurredBefore"},
			{map[string]any{"eventId": "x"}, 400, "eventId"},
			{map[string]any{"eventId": 1 << 50}, 404, ""},
		} {
			status, raw := x.do(t, "POST", x.sp("/webhooks/%d/redeliver", hook.ID), tc.body)
			if status != tc.want || (tc.field != "" && !strings.Contains(string(raw), `"`+tc.field+`":[`)) {
				t.Errorf("redeliver %v: %d %s, want %d naming %q", tc.body, status, raw, tc.want, tc.field)
			}
		}
		x.must(t, 404, "POST", x.sp("/webhooks/%d/redeliver", 1<<50), map[string]any{"eventId": events[0]})
	})
}

func TestWebhookValidationAndIsolation(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		// Without --allow-private-webhooks.
		env := servertest.Start(t, b.Open(t))
		x := &hookEnv{h: &h{env: env, auth: env.Authorize(t, env.App), tid: env.Tenant.ID, ctx: context.Background()}}
		rcv := newHookReceiver(t)
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"url": rcv.srv.URL + "/hook", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "http://localhost:9/hook", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "http://10.20.30.40/hook", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "http://192.168.1.1/hook", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "http://[::1]:8080/hook", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "http://169.254.169.254/latest/meta-data", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "http://[::ffff:127.0.0.1]/hook", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "http://0.0.0.0:8080/", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "ftp://203.0.113.9/hook", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "/relative", "events": []string{"*"}}, "url"},
			{map[string]any{"url": "", "events": []string{"*"}}, "url"},
			{map[string]any{"events": []string{"*"}}, "url"},
			{map[string]any{"url": "https://203.0.113.9/hook", "events": []string{}}, "events"},
			{map[string]any{"url": "https://203.0.113.9/hook"}, "events"},
			{map[string]any{"url": "https://203.0.113.9/hook", "events": []string{"Technician"}}, "events"},
			{map[string]any{"url": "https://203.0.113.9/hook", "events": []string{"Technician.Created", "bad type%"}}, "events"},
			{map[string]any{"url": "https://203.0.113.9/hook", "events": "*"}, "events"},
			{map[string]any{"url": "https://203.0.113.9/hook", "events": []string{"*"}, "active": false}, "active"},
		} {
			status, raw := x.do(t, "POST", x.sp("/webhooks"), tc.body)
			if status != 400 || !strings.Contains(string(raw), `"`+tc.field+`":[`) {
				t.Errorf("POST webhooks %v: %d %s, want 400 naming %q", tc.body, status, raw, tc.field)
			}
		}
		if n := len(rcv.deliveries("/hook")); n != 0 {
			t.Errorf("the receiver got %d requests", n)
		}

		// A public address is accepted (nothing is sent: no worker runs).
		hook, _ := x.subscribe(t, "https://203.0.113.9/hooks/crewid?source=crewid", "Technician.*", "*")
		if !slices.Equal(hook.Events, []string{"*"}) {
			t.Errorf("events with \"*\" among others: %v, want [\"*\"]", hook.Events)
		}
		status, raw := x.do(t, "PATCH", x.sp("/webhooks/%d", hook.ID), map[string]any{"url": "http://127.0.0.1:1/"})
		if status != 400 || !strings.Contains(string(raw), `"url":[`) {
			t.Errorf("PATCH to a loopback URL: %d %s", status, raw)
		}
		x.must(t, 400, "PATCH", x.sp("/webhooks/%d", hook.ID), map[string]any{"active": nil})
		x.must(t, 400, "GET", x.sp("/webhooks/%d/deliveries?status=Lost", hook.ID), nil)
		x.must(t, 400, "GET", x.sp("/webhooks/abc"), nil)

		// Another tenant's subscription does not exist for this one.
		_, _, other := env.NewTenant(t, "Other Plumbing")
		otherAuth := env.Authorize(t, other)
		var otherTID int64
		for _, tn := range mustTenants(t, env) {
			if tn.Name == "Other Plumbing" {
				otherTID = tn.ID
			}
		}
		base := fmt.Sprintf("/settings/v2/tenant/%d/webhooks/%d", otherTID, hook.ID)
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", base, nil},
			{"PATCH", base, map[string]any{"active": false}},
			{"DELETE", base, nil},
			{"GET", base + "/deliveries", nil},
			{"POST", base + "/redeliver", map[string]any{"eventId": 1}},
		} {
			if status, raw := env.Do(t, otherAuth, req.method, req.path, req.body); status != 404 {
				t.Errorf("other tenant %s %s: %d %s, want 404", req.method, req.path, status, raw)
			}
		}
		// Nor through the first tenant's path with the other's token.
		if status, _ := env.Do(t, otherAuth, "GET", x.sp("/webhooks/%d", hook.ID), nil); status != 404 {
			t.Errorf("other tenant's token on this tenant's path: %d, want 404", status)
		}
		_, raw = env.Do(t, otherAuth, "GET", fmt.Sprintf("/settings/v2/tenant/%d/webhooks?active=Any", otherTID), nil)
		if strings.Contains(string(raw), "203.0.113.9") {
			t.Errorf("the other tenant lists this one's subscription: %s", raw)
		}
		if h := x.hook(t, hook.ID); !h.Active {
			t.Errorf("the other tenant's PATCH changed the subscription")
		}

		// An application needs the webhooks scope.
		operator := crewid.Actor{Type: crewid.ActorOperator, Name: "test"}
		app, secret, err := env.Server.Apps.Create(context.Background(), operator, env.Tenant.ID, "reader", []string{"people.read"})
		if err != nil {
			t.Fatal(err)
		}
		narrow := env.Authorize(t, servertest.Credentials{AppID: app.ID, AppKey: app.AppKey, ClientID: app.ClientID, ClientSecret: secret})
		if status, raw := env.Do(t, narrow, "GET", x.sp("/webhooks"), nil); status != 403 {
			t.Errorf("GET webhooks without the webhooks scope: %d %s", status, raw)
		}
	})
}

func mustTenants(t *testing.T, env *servertest.Env) []crewid.Tenant {
	t.Helper()
	ts, err := env.Store.Tenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestWebhookDeliveryOfPrunedEvent(t *testing.T) {
	eachHookBackend(t, func(t *testing.T, x *hookEnv, rcv *hookReceiver) {
		clock := x.clock
		hook, _ := x.subscribe(t, rcv.srv.URL+"/hook", "BusinessUnit.*")
		x.mustID(t, "POST", x.sp("/business-units"), map[string]any{"name": "Short-lived history"})
		// Retention removes the event before its delivery is attempted.
		clock.Advance(48 * time.Hour)
		x.mustID(t, "POST", x.sp("/tag-types"), map[string]any{"name": "Kept"})
		err := x.env.Store.Update(context.Background(), func(tx store.Tx) error {
			_, err := tx.PruneEvents(context.Background(), x.tid, clock.Now().Add(-time.Hour), 1000)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		x.drain(t)
		log := x.deliveryLog(t, hook.ID, "")
		if len(log) != 1 || log[0].Status != "Failed" || log[0].LastError == nil || !strings.Contains(*log[0].LastError, "no longer in history") {
			t.Errorf("delivery of a pruned event: %+v", log)
		}
		if n := len(rcv.deliveries("/hook")); n != 0 {
			t.Errorf("the receiver got %d requests for a pruned event", n)
		}
	})
}

// TestWebhookTwoNodes runs a second delivery worker, as another node on
// the same database would: every event is delivered, and (no node dying)
// exactly once, the leases keeping the workers apart.
func TestWebhookTwoNodes(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := startHooks(t, b, nil)
		rcv := newHookReceiver(t)
		hook, _ := x.subscribe(t, rcv.srv.URL+"/hook", "*")
		first := x.createdEventID(t, hook.ID)
		other := &webhooks.Worker{Store: x.env.Store, Encode: settings.EventJSON, AllowPrivate: true, Owner: "other-node",
			Interval: 5 * time.Millisecond, Batch: 3}
		x.env.Server.WebhookWorker.Batch = 3
		x.env.RunWebhooks(t, 5*time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); other.Run(ctx) }()
		defer func() { cancel(); <-done }()

		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				for j := range 15 {
					x.mustID(t, "POST", x.sp("/tag-types"), map[string]any{"name": fmt.Sprintf("Node tag %d-%d", i, j)})
				}
			})
		}
		wg.Wait()
		want := x.eventIDs(t, first, "")
		waitFor(t, "every event", func() bool { return slices.Equal(rcv.acceptedIDs("/hook"), want) })
		waitFor(t, "the results recorded", func() bool { return len(x.deliveryLog(t, hook.ID, "status=Pending")) == 0 })
		seen := map[string]int{}
		for _, d := range rcv.deliveries("/hook") {
			seen[d.eventID]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event %s delivered %d times", id, n)
			}
		}
		if len(seen) != len(want) {
			t.Errorf("%d events delivered, want %d", len(seen), len(want))
		}
	})
}
