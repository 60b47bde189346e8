package main

// The crash test of message delivery: a bulk invitation of 1,000 people is
// being delivered when the server is killed (SIGKILL); after a restart
// every person has received exactly one invitation.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/accounts/invite"
	"crewid/notify/notifytest"
	smtpsender "crewid/notify/smtp"
	"crewid/store"
	"crewid/store/sqlite"
)

const crashPublicURL = "https://crewid.crash.example"

var crashTokenRE = regexp.MustCompile(`/invitations/accept\?token=([A-Za-z0-9_-]+)`)

// crashClient has room for a bulk action on 1,000 people.
var crashClient = &http.Client{Timeout: 3 * time.Minute}

// crashCall calls the Settings API and returns the status and body; it may
// run on any goroutine.
func crashCall(method, url, accessToken, appKey string, body any) (int, []byte, error) {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("ST-App-Key", appKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := crashClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), err
}

func TestCrashDuringBulkInvitation(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test invites 1,000 people; skipped with -short")
	}
	t.Parallel()
	const people = 1000
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crewid.db")
	database := "sqlite:" + dbPath

	// The mail server is up but answers 421 (try later) until every
	// invitation is queued, so that the drain starts with all 1,000.
	mail := notifytest.StartSMTP(t)
	mail.Reject(421, "Service not available, try again later")

	tenant := tenantCreateCmd(t, dir, database, "--name", "Crash Test Heating & Cooling",
		"--admin-login", "crash.admin", "--admin-email", "admin@crash.example", "--admin-password", "Sturdy-Crash-Pass-2025")
	app := appCreateCmd(t, dir, database, tenant.TenantID)
	serveArgs := func(addr string) []string {
		return []string{"serve", "--database", database, "--addr", addr, "--public-url", crashPublicURL,
			"--smtp", mail.URL(), "--message-retry", "1s", "--message-lease", "3s"}
	}
	addr := freeAddr(t)
	first := start(t, "first node", dir, addr, nil, serveArgs(addr)...)
	tok := token(t, first.base, app).AccessToken
	role := roleID(t, first.base, tenant.TenantID, tok, app.AppKey, "Office Staff", "Employee")
	settings := fmt.Sprintf("%s/settings/v2/tenant/%d", first.base, tenant.TenantID)

	// 1,000 office employees without an account, eight clients at once.
	began := time.Now()
	emails := make([]string, people)
	ids := make([]int64, people)
	var (
		wg       sync.WaitGroup
		errsMu   sync.Mutex
		failures []string
		next     = make(chan int)
	)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				emails[i] = fmt.Sprintf("person%04d@crash.example", i)
				status, body, err := crashCall("POST", settings+"/employees", tok, app.AppKey, map[string]any{
					"name": fmt.Sprintf("Crash Person %04d", i), "email": emails[i], "roleIds": []int64{role},
					"positions": []string{}, "accountCreationMethod": "CreateLater",
				})
				var created struct{ ID int64 }
				if err == nil && status == http.StatusOK {
					err = json.Unmarshal(body, &created)
				}
				if err != nil || status != http.StatusOK || created.ID == 0 {
					errsMu.Lock()
					failures = append(failures, fmt.Sprintf("create %s: %d %s %v", emails[i], status, body, err))
					errsMu.Unlock()
					continue
				}
				ids[i] = created.ID
			}
		})
	}
	for i := range people {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d creations failed, the first: %s", len(failures), failures[0])
	}
	created := time.Since(began)

	// One bulk invitation of all of them.
	began = time.Now()
	status, body, err := crashCall("POST", settings+"/employees/account-actions", tok, app.AppKey,
		map[string]any{"action": "SendInvite", "ids": ids})
	if err != nil || status != http.StatusOK {
		t.Fatalf("bulk SendInvite: %d %s %v", status, body, err)
	}
	var bulk struct {
		Results []struct {
			ID     int64           `json:"id"`
			Status string          `json:"status"`
			Error  json.RawMessage `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &bulk); err != nil || len(bulk.Results) != people {
		t.Fatalf("bulk SendInvite answer (%v): %.500s", err, body)
	}
	for _, r := range bulk.Results {
		if r.Status != "Success" {
			t.Fatalf("bulk SendInvite of %d: %s %s", r.ID, r.Status, r.Error)
		}
	}
	invited := time.Since(began)
	if n := mail.Count(); n != 0 {
		t.Fatalf("%d mails delivered while the server answered 421", n)
	}
	triedWhileDown := mail.Sessions()

	// The mail server comes back; kill the node once some, not all, of
	// the invitations have arrived.
	mail.SetDelay(10 * time.Millisecond)
	mail.Reject(0, "")
	began = time.Now()
	killAt := people * 3 / 10
	for distinctIDs(mail.Mails()) < killAt {
		select {
		case <-first.done:
			t.Fatalf("the first node ended by itself: %v\n%s", first.err, first.stderr.String())
		default:
		}
		if time.Since(began) > 2*time.Minute {
			t.Fatalf("only %d mails after 2 minutes", mail.Count())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-first.done
	beforeKill := time.Since(began)
	atKill := mail.Mails()
	if distinctIDs(atKill) >= people {
		t.Fatalf("all %d invitations arrived before the kill; the test did not crash the drain", people)
	}

	// A new node on the same database finishes the drain.
	began = time.Now()
	addr = freeAddr(t)
	second := start(t, "second node", dir, addr, nil, serveArgs(addr)...)
	pending := fmt.Sprintf("%s/settings/v2/tenant/%d/outbox?status=Pending&pageSize=1", second.base, tenant.TenantID)
	for {
		status, body, err := crashCall("GET", pending, tok, app.AppKey, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("outbox: %d %s %v", status, body, err)
		}
		if strings.Contains(string(body), `"data":[]`) {
			break
		}
		if time.Since(began) > 3*time.Minute {
			t.Fatalf("messages still pending 3 minutes after the restart (%d mails received)", mail.Count())
		}
		time.Sleep(50 * time.Millisecond)
	}
	drained := time.Since(began)
	time.Sleep(200 * time.Millisecond) // a late duplicate would arrive now
	if code := second.stop(); code != 0 {
		t.Fatalf("second node exit %d\n%s", code, second.stderr.String())
	}

	// Every person received mail for exactly one invitation: one
	// Message-ID, every copy with the same token, and that token is their
	// live invitation.
	mails := mail.Mails()
	byRecipient := map[string][]notifytest.Mail{}
	for _, m := range mails {
		if len(m.To) != 1 {
			t.Fatalf("a mail to %v", m.To)
		}
		byRecipient[m.To[0]] = append(byRecipient[m.To[0]], m)
	}
	st, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	sender, err := smtpsender.New(mail.URL(), crashPublicURL)
	if err != nil {
		t.Fatal(err)
	}
	outbox := allMessages(t, st, tenant.TenantID)
	if len(outbox) != people {
		t.Errorf("%d outbox messages, want %d (one invitation each)", len(outbox), people)
	}
	messageOf := map[string]crewid.Message{}
	attempts := map[int]int{}
	for _, m := range outbox {
		if m.Status != crewid.MessageSent {
			t.Errorf("message %d to %s: status %s (%s), want sent", m.ID, m.Recipient, m.Status, m.LastError)
		}
		if _, dup := messageOf[m.Recipient]; dup {
			t.Errorf("two outbox messages to %s", m.Recipient)
		}
		messageOf[m.Recipient] = m
		attempts[m.Attempts]++
	}
	resent := 0
	for i, email := range emails {
		got := byRecipient[email]
		if len(got) == 0 {
			t.Errorf("%s received no invitation", email)
			continue
		}
		resent += len(got) - 1
		token := ""
		for _, m := range got {
			if m.MessageID != got[0].MessageID {
				t.Errorf("%s received two different emails: Message-IDs %s and %s", email, got[0].MessageID, m.MessageID)
			}
			match := crashTokenRE.FindStringSubmatch(m.Body)
			if match == nil || !strings.Contains(m.Body, crashPublicURL+"/invitations/accept?token=") || !strings.Contains(m.Body, "Crash Test Heating & Cooling") {
				t.Errorf("%s: the email lacks the company or the link:\n%s", email, m.Body)
				continue
			}
			if token != "" && match[1] != token {
				t.Errorf("%s received two different tokens", email)
			}
			token = match[1]
		}
		if om, ok := messageOf[email]; ok && got[0].MessageID != sender.MessageID(om) {
			t.Errorf("%s: Message-ID %s, want the one of outbox message %d, %s", email, got[0].MessageID, om.ID, sender.MessageID(om))
		}
		if token == "" {
			continue
		}
		inv, err := st.InvitationByTokenHash(ctx, invite.HashToken(token))
		if err != nil || inv.PersonID != ids[i] || !inv.UsedOn.IsZero() || !inv.VoidedOn.IsZero() || !inv.ExpiresOn.After(time.Now()) {
			t.Errorf("%s: the emailed token is not their live invitation: %+v, %v", email, inv, err)
		}
	}
	if len(byRecipient) != people {
		t.Errorf("mail went to %d addresses, want the %d people", len(byRecipient), people)
	}

	keys := make([]int, 0, len(attempts))
	for k := range attempts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var hist []string
	for _, k := range keys {
		hist = append(hist, fmt.Sprintf("%d attempts: %d", k, attempts[k]))
	}
	t.Logf("crash test: %d people created in %v; bulk SendInvite in %v; %d SMTP sessions refused (421) while they were queued",
		people, created.Round(time.Millisecond), invited.Round(time.Millisecond), triedWhileDown)
	t.Logf("crash test: SIGKILL after %v of delivery, with %d of %d invitations received (%d emails)",
		beforeKill.Round(time.Millisecond), distinctIDs(atKill), people, len(atKill))
	t.Logf("crash test: restarted node drained the rest in %v; %d emails received in all, %d distinct Message-IDs, %d re-sent copies of an already received Message-ID",
		drained.Round(time.Millisecond), len(mails), distinctIDs(mails), resent)
	t.Logf("crash test: outbox attempts: %s", strings.Join(hist, ", "))
}

// distinctIDs counts the distinct Message-IDs among mails.
func distinctIDs(mails []notifytest.Mail) int {
	seen := map[string]bool{}
	for _, m := range mails {
		seen[m.MessageID] = true
	}
	return len(seen)
}

// allMessages reads a tenant's whole outbox.
func allMessages(t *testing.T, st store.Reader, tenantID int64) []crewid.Message {
	t.Helper()
	var out []crewid.Message
	for {
		page, err := st.Messages(context.Background(), tenantID, store.MessageQuery{Offset: len(out), Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 500 {
			return out
		}
	}
}
