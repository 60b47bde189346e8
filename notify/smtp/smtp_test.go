package smtp_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/notify"
	"crewid/notify/notifytest"
	"crewid/notify/smtp"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url, public string
		from        string // "" when New must fail
		str         string
	}{
		{"smtp://mail.example.com", "https://crewid.example.com/x", "<crewid@crewid.example.com>", "smtp://mail.example.com"},
		{"smtp://u:p%40ss@mail.example.com:2525?from=no-reply%40acme.example", "", "<no-reply@acme.example>", "smtp://u:xxxxx@mail.example.com:2525?from=no-reply%40acme.example"},
		{"smtps://u:p@mail.example.com", "http://127.0.0.1:8080", "<crewid@127.0.0.1>", "smtps://u:xxxxx@mail.example.com"},
		{"smtp://127.0.0.1:2525?tls=none", "", "<crewid@localhost>", "smtp://127.0.0.1:2525?tls=none"},
		{"smtp://h?from=Acme+Crew+%3Ccrew%40acme.example%3E", "", `"Acme Crew" <crew@acme.example>`, ""},
		{"smtp://h?tls=required&timeout=5s&helo=me.example", "http://[::1]:8080", "<crewid@localhost>", ""},
		{"smtp://u:p@h?tls=none&auth=plain", "", "<crewid@localhost>", ""},
		{"smtp://u:p@h?auth=scram-sha-256", "", "<crewid@localhost>", ""},
		{"smtp://h/", "", "<crewid@localhost>", ""},

		{"http://h", "", "", ""},
		{"smtp://", "", "", ""},
		{"smtp://h:99999", "", "", ""},
		{"smtp://h:x", "", "", ""},
		{"smtp://h/path", "", "", ""},
		{"smtp://h?tls=maybe", "", "", ""},
		{"smtps://h?tls=none", "", "", ""},
		{"smtp://h?from=not-an-address", "", "", ""},
		{"smtp://h?timeout=soon", "", "", ""},
		{"smtp://h?timeout=-1s", "", "", ""},
		{"smtp://h?auth=plain", "", "", ""},
		{"smtp://u:p@h?auth=magic", "", "", ""},
		{"smtp://h?fromm=x%40y.z", "", "", ""},
		{"::not a url", "", "", ""},
	} {
		s, err := smtp.New(tc.url, tc.public)
		if tc.from == "" {
			if err == nil {
				t.Errorf("New(%q) = %v, want an error", tc.url, s)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.url, err)
			continue
		}
		if s.From() != tc.from {
			t.Errorf("New(%q).From() = %q, want %q", tc.url, s.From(), tc.from)
		}
		if tc.str != "" && s.String() != tc.str {
			t.Errorf("New(%q).String() = %q, want %q", tc.url, s.String(), tc.str)
		}
		if strings.Contains(s.String(), "p%40ss") || strings.Contains(s.String(), ":p@") {
			t.Errorf("New(%q).String() = %q shows the password", tc.url, s.String())
		}
	}
}

func message(id int64, to string) crewid.Message {
	return crewid.Message{
		ID: id, TenantID: 7, Channel: crewid.ChannelEmail, Recipient: to,
		Subject:   "You're invited to create your Acme Heating & Cooling — Ünïcode account",
		Body:      "Hello Ann,\n\nOpen this link:\n\nhttps://crewid.example.com/invitations/accept?token=" + strings.Repeat("AbC_-9", 8) + "\n\nA long line " + strings.Repeat("word ", 40) + "\n",
		Status:    crewid.MessagePending,
		CreatedOn: time.Date(2025, 3, 4, 5, 6, 7, 891000, time.UTC),
	}
}

func newSender(t *testing.T, url string) *smtp.Sender {
	t.Helper()
	s, err := smtp.New(url, "https://crewid.example.com")
	if err != nil {
		t.Fatalf("New(%q): %v", url, err)
	}
	return s
}

func TestSend(t *testing.T) {
	srv := notifytest.StartSMTP(t)
	s := newSender(t, srv.URL())
	m := message(42, "ann@example.com")
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails received, want 1", len(mails))
	}
	got := mails[0]
	if got.From != "crewid@crewid.example.com" || len(got.To) != 1 || got.To[0] != "ann@example.com" {
		t.Errorf("envelope: from %q to %v", got.From, got.To)
	}
	if got.Subject != m.Subject {
		t.Errorf("subject %q, want %q", got.Subject, m.Subject)
	}
	if got.Body != m.Body {
		t.Errorf("body:\n%q\nwant\n%q", got.Body, m.Body)
	}
	if got.MessageID != s.MessageID(m) || !strings.HasSuffix(got.MessageID, "@crewid.example.com") || !strings.Contains(got.MessageID, ".42.") {
		t.Errorf("Message-ID %q, want %q", got.MessageID, s.MessageID(m))
	}
	for header, want := range map[string]string{
		"To":             "<ann@example.com>",
		"From":           "<crewid@crewid.example.com>",
		"Auto-Submitted": "auto-generated",
		"Date":           "Tue, 04 Mar 2025 05:06:07 +0000",
	} {
		if v := got.Header.Get(header); v != want {
			t.Errorf("header %s: %q, want %q", header, v, want)
		}
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "UTF-8") {
		t.Errorf("Content-Type %q, want text/plain in UTF-8", ct)
	}

	// A second attempt at the same message carries the same Message-ID;
	// another message another.
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), message(43, "bob@example.com")); err != nil {
		t.Fatal(err)
	}
	mails = srv.Mails()
	if mails[1].MessageID != mails[0].MessageID || mails[2].MessageID == mails[0].MessageID {
		t.Errorf("Message-IDs %q, %q, %q: want the first two equal and the third different", mails[0].MessageID, mails[1].MessageID, mails[2].MessageID)
	}
	// The same id in another database (another creation time) differs.
	other := m
	other.CreatedOn = other.CreatedOn.Add(time.Microsecond)
	if s.MessageID(other) == s.MessageID(m) {
		t.Errorf("MessageID ignores the creation time: %q", s.MessageID(m))
	}
}

func TestSendAuth(t *testing.T) {
	srv := notifytest.StartSMTP(t, notifytest.WithAuth("crew", "s3cret:/@"))
	s := newSender(t, "smtp://crew:s3cret%3A%2F%40@"+srv.Addr+"?tls=none&auth=plain&from=ops%40acme.example")
	if err := s.Send(context.Background(), message(1, "ann@example.com")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.Mails(); len(got) != 1 || got[0].Auth != "crew" || got[0].From != "ops@acme.example" {
		t.Fatalf("mails %+v, want one sent by crew from ops@acme.example", got)
	}

	// Without naming the mechanism, the password is not sent in clear.
	s = newSender(t, "smtp://crew:s3cret%3A%2F%40@"+srv.Addr+"?tls=none")
	err := s.Send(context.Background(), message(2, "ann@example.com"))
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with PLAIN over clear text not asked for: %v, want a temporary error", err)
	}
	// Wrong password: not delivered, retried (the configuration is wrong,
	// not the message).
	s = newSender(t, "smtp://crew:wrong@"+srv.Addr+"?tls=none&auth=plain")
	err = s.Send(context.Background(), message(3, "ann@example.com"))
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with a wrong password: %v, want a temporary error", err)
	}
	if n := srv.Count(); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}
}

func TestSendTLS(t *testing.T) {
	serverTLS, clientTLS := notifytest.SelfSignedTLS(t)
	for _, tc := range []struct {
		name string
		opts []notifytest.SMTPOption
		url  func(addr string) string
	}{
		{"implicit", []notifytest.SMTPOption{notifytest.WithImplicitTLS(serverTLS), notifytest.WithAuth("u", "p")},
			func(addr string) string { return "smtps://u:p@" + addr }},
		{"starttls required", []notifytest.SMTPOption{notifytest.WithSTARTTLS(serverTLS), notifytest.WithAuth("u", "p")},
			func(addr string) string { return "smtp://u:p@" + addr + "?tls=required" }},
		{"starttls when offered", []notifytest.SMTPOption{notifytest.WithSTARTTLS(serverTLS), notifytest.WithAuth("u", "p")},
			func(addr string) string { return "smtp://u:p@" + addr }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := notifytest.StartSMTP(t, tc.opts...)
			s := newSender(t, tc.url(srv.Addr))
			s.TLSConfig = clientTLS
			if err := s.Send(context.Background(), message(1, "ann@example.com")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Mails()
			if len(got) != 1 || !got[0].TLS || got[0].Auth != "u" {
				t.Fatalf("mails %+v, want one over TLS, signed in as u", got)
			}
			// The default TLS settings do not trust the test's authority.
			s = newSender(t, tc.url(srv.Addr))
			if err := s.Send(context.Background(), message(2, "ann@example.com")); err == nil || notify.IsPermanent(err) {
				t.Errorf("Send to an untrusted certificate: %v, want a temporary error", err)
			}
		})
	}

	// Opportunistic STARTTLS to a server without it: plain text.
	srv := notifytest.StartSMTP(t)
	s := newSender(t, "smtp://"+srv.Addr)
	if err := s.Send(context.Background(), message(1, "ann@example.com")); err != nil {
		t.Fatalf("Send (no STARTTLS offered): %v", err)
	}
	// Required STARTTLS to a server without it: not sent.
	s = newSender(t, "smtp://"+srv.Addr+"?tls=required")
	if err := s.Send(context.Background(), message(2, "ann@example.com")); err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with tls=required to a server without STARTTLS: %v, want a temporary error", err)
	}
	if n := srv.Count(); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}
}

func TestSendFailures(t *testing.T) {
	srv := notifytest.StartSMTP(t)
	s := newSender(t, srv.URL())
	ctx := context.Background()

	srv.Reject(451, "try again later")
	err := s.Send(ctx, message(1, "ann@example.com"))
	if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "451") {
		t.Errorf("Send on a 451: %v, want a temporary error naming 451", err)
	}
	srv.Reject(550, "no such user")
	err = s.Send(ctx, message(1, "ann@example.com"))
	if !notify.IsPermanent(err) || !strings.Contains(err.Error(), "550") {
		t.Errorf("Send on a 550: %v, want a permanent error naming 550", err)
	}
	srv.Reject(0, "")

	if err := s.Send(ctx, message(1, "not an address")); !notify.IsPermanent(err) {
		t.Errorf("Send to an invalid address: %v, want a permanent error", err)
	}
	sms := message(1, "+15550001111")
	sms.Channel = crewid.ChannelSMS
	if err := s.Send(ctx, sms); !notify.IsPermanent(err) {
		t.Errorf("Send of an SMS: %v, want a permanent error", err)
	}

	// Nothing listening: a temporary failure.
	srv.Stop()
	if err := s.Send(ctx, message(1, "ann@example.com")); err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with the server down: %v, want a temporary error", err)
	}
	if n := srv.Count(); n != 0 {
		t.Errorf("%d mails, want none", n)
	}
}

func TestSendTimeout(t *testing.T) {
	// A server that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	s := newSender(t, "smtp://"+ln.Addr().String()+"?tls=none&timeout=300ms")
	start := time.Now()
	err = s.Send(context.Background(), message(1, "ann@example.com"))
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send to a silent server: %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send to a silent server took %v; the timeout is 300ms", d)
	}

	// The context's deadline bounds the send too.
	s = newSender(t, "smtp://"+ln.Addr().String()+"?tls=none")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = s.Send(ctx, message(1, "ann@example.com"))
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send with a deadline: %v, want a temporary error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send with a 300ms deadline took %v", d)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if err := s.Send(expired, message(1, "ann@example.com")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send past the deadline: %v, want context.DeadlineExceeded", err)
	}
}
