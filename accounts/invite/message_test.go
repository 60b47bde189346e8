package invite

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const testLink = "https://crew.example.com/invitations/accept?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func TestSMSShortensLongNames(t *testing.T) {
	for _, tc := range []struct{ company, name string }{
		{"Acme", "Sam Ortiz"},
		{strings.Repeat("Company ", 40), "Sam Ortiz"},
		{"Acme", strings.Repeat("Name ", 60)},
		{strings.Repeat("Ç", 250), strings.Repeat("ñ", 255)},
	} {
		c := content{company: tc.company, name: tc.name, link: testLink, valid: DefaultTTL}
		msg := c.smsText()
		if n := utf8.RuneCountInString(msg); n > smsLimit {
			t.Errorf("SMS for %.20q/%.20q has %d characters, want at most %d", tc.company, tc.name, n, smsLimit)
		}
		if !strings.Contains(msg, " "+testLink+" ") {
			t.Errorf("SMS lacks the whole link: %s", msg)
		}
		if !strings.HasSuffix(msg, "The link expires in 7 days.") {
			t.Errorf("SMS lacks the expiry: %s", msg)
		}
		if !strings.HasPrefix(msg, oneLine(tc.company)[:min(len(oneLine(tc.company)), 4)]) {
			t.Errorf("SMS does not start with the company: %s", msg)
		}
	}
	short := content{company: "Acme", name: "Sam Ortiz", link: testLink, valid: DefaultTTL}.smsText()
	want := "Acme: Hi Sam Ortiz, you're invited to create your account. Choose a username and password here: " + testLink + " The link expires in 7 days."
	if short != want {
		t.Errorf("SMS:\n%s\nwant\n%s", short, want)
	}
}

func TestSMSWithHugeLinkKeepsTheLink(t *testing.T) {
	link := "https://" + strings.Repeat("x", 300) + ".example.com/invitations/accept?token=abc"
	msg := content{company: "Acme", name: "Sam", link: link, valid: DefaultTTL}.smsText()
	if !strings.Contains(msg, link) {
		t.Errorf("SMS lost the link: %s", msg)
	}
}

func TestEmailText(t *testing.T) {
	c := content{
		company: "Northwind\nHeating", name: "Maria  Lopez", email: "maria@example.com", link: testLink,
		valid: 7 * 24 * time.Hour, expires: time.Date(2025, 4, 8, 15, 4, 0, 0, time.FixedZone("X", 3600)),
	}
	subject, body := c.emailText()
	if subject != "You're invited to create your Northwind Heating account" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{
		"Hello Maria Lopez,\n",
		"Northwind Heating has invited you to create your account.",
		"\n" + testLink + "\n",
		"Your email address, maria@example.com, is your username by default. You can change it when you create your account.",
		"expires in 7 days, on April 8, 2025 at 14:04 UTC.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// A username proposed with the invitation is the one the message names.
func TestEmailTextProposedLogin(t *testing.T) {
	c := content{company: "Northwind", name: "Maria", email: "maria@example.com", login: "mlopez", link: testLink, valid: DefaultTTL}
	_, body := c.emailText()
	if want := "Your username is mlopez unless you choose another when you create your account."; !strings.Contains(body, want) {
		t.Errorf("body lacks %q:\n%s", want, body)
	}
	if strings.Contains(body, "by default") {
		t.Errorf("body still calls the email the default username:\n%s", body)
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour: "7 days",
		24 * time.Hour:     "1 day",
		36 * time.Hour:     "36 hours",
		time.Hour:          "1 hour",
		90 * time.Minute:   "90 minutes",
		time.Second:        "1 minute",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}
