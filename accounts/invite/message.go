package invite

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// smsLimit is the most characters an invitation SMS has (two segments of
// concatenated GSM text, near enough).
const smsLimit = 320

// content is what an invitation message says.
type content struct {
	company string // the tenant's name
	name    string // the invited person's name
	email   string // their email, the default username; "" for SMS
	login   string // a username proposed when they were invited ("" for none)
	link    string
	valid   time.Duration
	expires time.Time
}

// emailText returns the subject and plain-text body of an invitation email.
func (c content) emailText() (subject, body string) {
	company := oneLine(c.company)
	subject = "You're invited to create your " + company + " account"
	var b strings.Builder
	b.WriteString("Hello " + oneLine(c.name) + ",\n\n")
	b.WriteString(company + " has invited you to create your account. " +
		"Open this link to choose your username and password:\n\n")
	b.WriteString(c.link + "\n\n")
	if c.login != "" {
		b.WriteString("Your username is " + oneLine(c.login) + " unless you choose another when you create your account.\n\n")
	} else {
		b.WriteString("Your email address, " + c.email + ", is your username by default. " +
			"You can change it when you create your account.\n\n")
	}
	b.WriteString("The link can be used once and expires in " + span(c.valid) + ", on " +
		c.expires.UTC().Format("January 2, 2006 at 15:04 UTC") + ". " +
		"If it has expired, ask your administrator to send you a new invitation.\n\n")
	b.WriteString("If you were not expecting this invitation, you can ignore this email.\n")
	return subject, b.String()
}

// smsText returns the text of an invitation SMS: at most smsLimit characters,
// the link always whole. Long company or person names are shortened to fit.
func (c content) smsText() string {
	company, name := oneLine(c.company), oneLine(c.name)
	build := func(company, name string) string {
		var b strings.Builder
		if company != "" {
			b.WriteString(company + ": ")
		}
		b.WriteString("Hi")
		if name != "" {
			b.WriteString(" " + name)
		}
		b.WriteString(", you're invited to create your account. Choose a username and password here: " +
			c.link + " The link expires in " + span(c.valid) + ".")
		return b.String()
	}
	msg := build(company, name)
	// Too long: shorten the longer name by the excess, then the other.
	for i := 0; i < 3 && utf8.RuneCountInString(msg) > smsLimit; i++ {
		over := utf8.RuneCountInString(msg) - smsLimit
		if n := utf8.RuneCountInString(name); n >= utf8.RuneCountInString(company) {
			name = shorten(name, n-over)
		} else {
			company = shorten(company, utf8.RuneCountInString(company)-over)
		}
		msg = build(company, name)
	}
	if utf8.RuneCountInString(msg) > smsLimit {
		// Only an absurdly long public URL gets here: the link matters most.
		return "Create your account: " + c.link
	}
	return msg
}

// oneLine collapses whitespace, line breaks included, to single spaces, so
// a name can go in a subject or a one-line text.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shorten cuts s to at most n characters, marking the cut with "...".
// (ASCII dots: a single non-GSM character would halve an SMS segment.)
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 3 {
		return string([]rune(s)[:max(n, 0)])
	}
	return strings.TrimSpace(string([]rune(s)[:n-3])) + "..."
}

// span says how long d is in words: "7 days", "12 hours", "30 minutes".
func span(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(max(int(d/time.Minute), 1), "minute")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
