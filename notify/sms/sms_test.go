package sms_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/notify"
	"crewid/notify/notifytest"
	"crewid/notify/sms"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url      string
		endpoint string // "" when New must fail
	}{
		{"https://AC123:tok@api.twilio.com?from=+15550001111", "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"},
		{"https://AC123:tok@api.twilio.com/?from=%2B15550001111", "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"},
		{"https://AC123:tok@sms.example.com:8443/twilio/?from=+15550001111&timeout=5s", "https://sms.example.com:8443/twilio/2010-04-01/Accounts/AC123/Messages.json"},
		{"http://AC123:tok@127.0.0.1:9000/x?messagingServiceSid=MG1", "http://127.0.0.1:9000/x/2010-04-01/Accounts/AC123/Messages.json"},

		{"https://api.twilio.com?from=+15550001111", ""},
		{"https://AC123@api.twilio.com?from=+15550001111", ""},
		{"https://AC123:tok@api.twilio.com", ""},
		{"ftp://AC123:tok@api.twilio.com?from=+15550001111", ""},
		{"https://AC123:tok@?from=+15550001111", ""},
		{"https://AC123:tok@api.twilio.com?from=+15550001111&timeout=later", ""},
		{"https://AC123:tok@api.twilio.com?from=+15550001111&to=+1", ""},
		{"::", ""},
	} {
		s, err := sms.New(tc.url)
		if tc.endpoint == "" {
			if err == nil {
				t.Errorf("New(%q) succeeded, want an error", tc.url)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.url, err)
			continue
		}
		if s.Endpoint() != tc.endpoint {
			t.Errorf("New(%q).Endpoint() = %q, want %q", tc.url, s.Endpoint(), tc.endpoint)
		}
		if strings.Contains(s.String(), "tok") {
			t.Errorf("New(%q).String() = %q shows the token", tc.url, s.String())
		}
	}
}

func text(id int64, to string) crewid.Message {
	return crewid.Message{
		ID: id, TenantID: 3, Channel: crewid.ChannelSMS, Recipient: to,
		Body:      "Acme Heating: Hi Bob, you're invited. Choose a username and password here: https://crewid.example.com/invitations/accept?token=abc_-+&= The link expires in 7 days.",
		Status:    crewid.MessagePending,
		CreatedOn: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestSend(t *testing.T) {
	r := notifytest.StartSMS(t)
	s, err := sms.New(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	m := text(9, "+15550001111")
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := r.Texts()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1 (problems %v)", len(got), r.Problems())
	}
	want := notifytest.Text{To: m.Recipient, From: notifytest.SMSFrom, Body: m.Body, Key: sms.IdempotencyKey(m), Status: http.StatusCreated}
	if got[0] != want {
		t.Errorf("request %+v, want %+v", got[0], want)
	}
	if sms.IdempotencyKey(m) == sms.IdempotencyKey(text(10, "+15550001111")) {
		t.Error("two messages share an idempotency key")
	}
}

func TestSendAnswers(t *testing.T) {
	r := notifytest.StartSMS(t)
	s, err := sms.New(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status    int
		body      string
		permanent bool
		mention   string
	}{
		{200, `{}`, false, ""},
		{201, `{"sid":"SM1"}`, false, ""},
		{202, ``, false, ""},
		{400, `{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`, true, "21211 The 'To' number +1555 is not a valid phone number."},
		{401, `{"code": 20003, "message": "Authenticate"}`, true, "401"},
		{404, `not json at all`, true, "not json at all"},
		{429, `{"code": 20429, "message": "Too Many Requests"}`, false, "20429"},
		{500, ``, false, "500"},
		{503, `<html>busy</html>`, false, "busy"},
		{302, ``, false, "302"},
	} {
		r.Respond(tc.status, tc.body)
		err := s.Send(context.Background(), text(1, "+15550001111"))
		switch {
		case tc.status < 300:
			if err != nil {
				t.Errorf("answer %d: %v, want success", tc.status, err)
			}
		case err == nil:
			t.Errorf("answer %d: success, want an error", tc.status)
		case notify.IsPermanent(err) != tc.permanent:
			t.Errorf("answer %d: %v (permanent %v), want permanent %v", tc.status, err, notify.IsPermanent(err), tc.permanent)
		case !strings.Contains(err.Error(), tc.mention):
			t.Errorf("answer %d: %q, want it to mention %q", tc.status, err, tc.mention)
		}
	}

	email := text(1, "ann@example.com")
	email.Channel = crewid.ChannelEmail
	if err := s.Send(context.Background(), email); !notify.IsPermanent(err) {
		t.Errorf("Send of an email: %v, want a permanent error", err)
	}
}

func TestSendWrongCredentials(t *testing.T) {
	r := notifytest.StartSMS(t)
	s, err := sms.New(strings.Replace(r.URL(), notifytest.SMSAuthToken, "wrong", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), text(1, "+15550001111")); !notify.IsPermanent(err) || !strings.Contains(err.Error(), "401") {
		t.Errorf("Send with a wrong token: %v, want a permanent 401 error", err)
	}
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	base := strings.Replace(slow.URL, "http://", "http://AC1:tok@", 1)

	s, err := sms.New(base + "?from=+15550001111&timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Send(context.Background(), text(1, "+15550001111")); err == nil || notify.IsPermanent(err) {
		t.Errorf("Send to a silent provider: %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v; the timeout is 200ms", d)
	}

	s, err = sms.New(base + "?from=+15550001111")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := s.Send(ctx, text(1, "+15550001111")); err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with a deadline: %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send with a 200ms deadline took %v", d)
	}

	// Nothing listening at all.
	close(release)
	slow.Close()
	s, _ = sms.New(base + "?from=+15550001111")
	if err := s.Send(context.Background(), text(1, "+15550001111")); err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with the provider down: %v, want a temporary error", err)
	}
}
