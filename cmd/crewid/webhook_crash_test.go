package main

// The crash test of webhook delivery: while a backlog of deliveries is
// being sent to a receiver, the server is killed (SIGKILL); after a
// restart the receiver has every event at least once, each with a valid
// signature, and the delivery log shows every delivery done.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// crashReceiver takes webhook deliveries, a few at a time and slowly, so
// that a backlog drains over a second or two.
type crashReceiver struct {
	srv     *httptest.Server
	up      atomic.Bool // false: answer 503
	secret  atomic.Value
	slots   chan struct{}
	mu      sync.Mutex
	count   map[int64]int // 2xx answers per event id
	invalid []string      // deliveries whose signature did not verify
}

func newCrashReceiver(t *testing.T) *crashReceiver {
	r := &crashReceiver{count: map[int64]int{}, slots: make(chan struct{}, 4)}
	r.secret.Store("")
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if !r.up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.slots <- struct{}{}
		time.Sleep(15 * time.Millisecond)
		<-r.slots
		id, err := strconv.ParseInt(req.Header.Get("Crewid-Event-Id"), 10, 64)
		ok := err == nil && validSignature(r.secret.Load().(string), req.Header.Get("Crewid-Signature"), body)
		r.mu.Lock()
		if ok {
			r.count[id]++
		} else {
			r.invalid = append(r.invalid, fmt.Sprintf("event %q: %s", req.Header.Get("Crewid-Event-Id"), req.Header.Get("Crewid-Signature")))
		}
		r.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// validSignature checks Crewid-Signature as the contract defines it.
func validSignature(secret, header string, body []byte) bool {
	ts, sig, ok := strings.Cut(header, ",v1=")
	ts, ok2 := strings.CutPrefix(ts, "t=")
	if !ok || !ok2 || secret == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	return hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(sig))
}

func (r *crashReceiver) received() map[int64]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[int64]int, len(r.count))
	for k, v := range r.count {
		out[k] = v
	}
	return out
}

func TestCrashDuringWebhookDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test kills a server mid-delivery; skipped with -short")
	}
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			database := "sqlite:" + filepath.Join(dir, "crewid.db")
			if backend == "postgres" {
				database = pgDatabase(t)
			}
			crashWebhooks(t, dir, database)
		})
	}
}

func crashWebhooks(t *testing.T, dir, database string) {
	const changes = 300
	rcv := newCrashReceiver(t)
	tenant := tenantCreateCmd(t, dir, database, "--name", "Hook Crash Plumbing",
		"--admin-login", "hook.crash.admin."+strconv.FormatInt(time.Now().UnixNano(), 36), "--admin-email", "admin@hookcrash.example",
		"--admin-password", "Sturdy-Crash-Pass-2025")
	app := appCreateCmd(t, dir, database, tenant.TenantID)
	serveArgs := func(addr string) []string {
		return []string{"serve", "--database", database, "--addr", addr, "--public-url", crashPublicURL, "--allow-private-webhooks=true",
			"--webhook-lease", "8s", "--webhook-retry", "1s"}
	}
	addr := freeAddr(t)
	first := start(t, "first node", dir, addr, nil, serveArgs(addr)...)
	tok := token(t, first.base, app).AccessToken
	settings := func(base string) string { return fmt.Sprintf("%s/settings/v2/tenant/%d", base, tenant.TenantID) }

	var hook struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	mustAPI(t, 200, "POST", settings(first.base)+"/webhooks", tok, app.AppKey,
		map[string]any{"url": rcv.srv.URL + "/crewid", "events": []string{"*"}}).json(t, &hook)
	rcv.secret.Store(hook.Secret)

	// A backlog: the receiver answers 503 while the changes are made.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []string
		next   = make(chan int)
	)
	for range 6 {
		wg.Go(func() {
			for i := range next {
				status, body, err := crashCall("POST", settings(first.base)+"/business-units", tok, app.AppKey,
					map[string]any{"name": fmt.Sprintf("Branch %04d", i)})
				if err != nil || status != http.StatusOK {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("%d %s %v", status, body, err))
					mu.Unlock()
				}
			}
		})
	}
	for i := range changes {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d changes failed, the first: %s", len(failed), failed[0])
	}

	// Every event since the subscription (its own creation included).
	var want []int64
	from := ""
	for {
		var page struct {
			HasMore      bool   `json:"hasMore"`
			ContinueFrom string `json:"continueFrom"`
			Data         []struct {
				ID        int64  `json:"id"`
				EventType string `json:"eventType"`
				RecordID  int64  `json:"recordId"`
			} `json:"data"`
		}
		mustAPI(t, 200, "GET", settings(first.base)+"/export/history?from="+from, tok, app.AppKey, nil).json(t, &page)
		for _, e := range page.Data {
			if len(want) > 0 || (e.EventType == "Webhook.Created" && e.RecordID == hook.ID) {
				want = append(want, e.ID)
			}
		}
		from = page.ContinueFrom
		if !page.HasMore {
			break
		}
	}
	if len(want) != changes+1 {
		t.Fatalf("%d events to deliver, want %d", len(want), changes+1)
	}

	// The receiver comes up; kill the node part way through.
	rcv.up.Store(true)
	began := time.Now()
	for len(rcv.received()) < len(want)*3/10 {
		select {
		case <-first.done:
			t.Fatalf("the first node ended by itself: %v\n%s", first.err, first.stderr.String())
		default:
		}
		if time.Since(began) > 2*time.Minute {
			t.Fatalf("only %d events received after 2 minutes", len(rcv.received()))
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.done
	atKill := len(rcv.received())
	if atKill >= len(want) {
		t.Fatalf("all %d events arrived before the kill; the test did not crash the delivery", len(want))
	}

	// A new node on the same database delivers the rest.
	began = time.Now()
	addr = freeAddr(t)
	second := start(t, "second node", dir, addr, nil, serveArgs(addr)...)
	pending := settings(second.base) + fmt.Sprintf("/webhooks/%d/deliveries?status=Pending&pageSize=1", hook.ID)
	for {
		resp := mustAPI(t, 200, "GET", pending, tok, app.AppKey, nil)
		if strings.Contains(string(resp.body), `"data":[]`) {
			break
		}
		if time.Since(began) > 3*time.Minute {
			t.Fatalf("deliveries still pending 3 minutes after the restart (%d events received)", len(rcv.received()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	drained := time.Since(began)

	// Every event arrived, at least once; the log says each was delivered.
	got := rcv.received()
	duplicates := 0
	for _, id := range want {
		if got[id] == 0 {
			t.Errorf("event %d never arrived", id)
		}
		duplicates += max(got[id]-1, 0)
	}
	for id := range got {
		if !slices.Contains(want, id) {
			t.Errorf("event %d arrived but is not one of the subscription's", id)
		}
	}
	rcv.mu.Lock()
	if len(rcv.invalid) > 0 {
		t.Errorf("%d deliveries with a bad signature, the first: %s", len(rcv.invalid), rcv.invalid[0])
	}
	rcv.mu.Unlock()
	var log struct {
		TotalCount *int `json:"totalCount"`
	}
	mustAPI(t, 200, "GET", settings(second.base)+fmt.Sprintf("/webhooks/%d/deliveries?status=Delivered&includeTotal=true&pageSize=1", hook.ID),
		tok, app.AppKey, nil).json(t, &log)
	if log.TotalCount == nil || *log.TotalCount != len(want) {
		t.Errorf("delivered deliveries in the log: %v, want %d", log.TotalCount, len(want))
	}
	if code := second.stop(); code != 0 {
		t.Fatalf("second node exit %d\n%s", code, second.stderr.String())
	}
	raw, _ := json.Marshal(map[string]int{"events": len(want), "atKill": atKill, "duplicates": duplicates})
	t.Logf("webhook crash test: %s; the restarted node delivered the rest in %v", raw, drained.Round(time.Millisecond))
}
