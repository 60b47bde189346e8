// Package smtp sends outbox emails over SMTP, with the SMTP client of
// github.com/wneessen/go-mail. It is configured by one URL (crewid serve
// --smtp, or CREWID_SMTP_URL):
//
//	smtp://[USER:PASSWORD@]HOST[:PORT][?OPTIONS]    port 587 by default;
//	                                                STARTTLS when the server offers it
//	smtps://[USER:PASSWORD@]HOST[:PORT][?OPTIONS]   TLS from the first byte
//	                                                (implicit TLS), port 465 by default
//
// USER and PASSWORD are percent-encoded as in any URL; with them the
// sender signs in with SMTP AUTH. OPTIONS, all optional:
//
//	from=ADDRESS      the From address; "Name <address>" is allowed
//	                  (percent-encoded). Default: crewid@ the host of the
//	                  public URL (--public-url), e.g. crewid@crewid.example.com.
//	tls=starttls      (smtp:// only; the default) STARTTLS when the server
//	                  offers it, plain text when it does not.
//	tls=required      (smtp:// only) STARTTLS or no delivery.
//	tls=none          (smtp:// only) never TLS: a relay on the same host or
//	                  network, or a test server.
//	auth=MECHANISM    plain, login, cram-md5, scram-sha-1 or scram-sha-256.
//	                  Default: the best mechanism the server offers, where
//	                  PLAIN and LOGIN are used only over TLS. Naming plain or
//	                  login with tls=none sends the password in clear text.
//	timeout=DURATION  bound on connecting and on each command (default 30s).
//	helo=NAME         the name given in EHLO (default: this machine's name).
//
// Examples:
//
//	smtp://apikey:SECRET@smtp.sendgrid.net:587?from=no-reply%40acme.example
//	smtps://postmaster%40acme.example:SECRET@smtp.mailgun.org
//	smtp://127.0.0.1:2525?tls=none
//
// Each email is plain text (UTF-8, quoted-printable) with the subject and
// body of the outbox message. Its Message-ID is derived from the outbox
// message (id and creation time), so an email sent again after a crash
// carries the same Message-ID as the first copy and can be recognised as
// a duplicate. A 5xx reply to the message (MAIL, RCPT, DATA) is permanent;
// everything else (4xx, network errors, timeouts, refused sign-in) is
// retried by the worker.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"crewid"
	"crewid/notify"
)

// DefaultTimeout bounds connecting and each SMTP command.
const DefaultTimeout = 30 * time.Second

// Sender sends emails through one SMTP server. It is safe for concurrent
// use: each Send opens its own connection.
type Sender struct {
	host        string
	port        int
	implicitTLS bool
	policy      mail.TLSPolicy
	user, pass  string
	auth        mail.SMTPAuthType
	from        string // as given, possibly with a display name
	domain      string // of the From address, for Message-IDs
	timeout     time.Duration
	helo        string
	redacted    string

	// TLSConfig, when set before the first Send, replaces the default TLS
	// settings (the system's roots, the server's host name). Tests use it
	// to trust their own certificate authority.
	TLSConfig *tls.Config
}

var _ notify.Sender = (*Sender)(nil)

// New parses an smtp:// or smtps:// URL (see the package documentation).
// publicURL, crewid's public base URL, gives the default From domain.
func New(rawURL, publicURL string) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("the SMTP URL is not a URL; use smtp://user:password@host:port")
	}
	s := &Sender{host: u.Hostname(), timeout: DefaultTimeout, redacted: u.Redacted()}
	switch u.Scheme {
	case "smtp":
		s.port, s.policy = mail.DefaultPortTLS, mail.TLSOpportunistic
	case "smtps":
		s.port, s.implicitTLS, s.policy = mail.DefaultPortSSL, true, mail.NoTLS
	default:
		return nil, fmt.Errorf("the SMTP URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	if s.host == "" {
		return nil, errors.New("the SMTP URL names no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("the SMTP URL's port %q is not a port number", p)
		}
		s.port = n
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("the SMTP URL takes no path; options go in the query, e.g. ?from=crewid%40example.com")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.auth = mail.SMTPAuthAutoDiscover
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("the SMTP URL's options cannot be read: %v", err)
	}
	from := ""
	var authName string
	for key, values := range q {
		v := values[len(values)-1]
		switch key {
		case "from":
			from = v
		case "tls":
			if s.implicitTLS {
				return nil, errors.New("tls= applies to smtp:// only; smtps:// is always TLS")
			}
			switch strings.ToLower(v) {
			case "starttls", "opportunistic":
				s.policy = mail.TLSOpportunistic
			case "required", "mandatory":
				s.policy = mail.TLSMandatory
			case "none", "off":
				s.policy = mail.NoTLS
			default:
				return nil, fmt.Errorf("tls=%s: use starttls, required or none", v)
			}
		case "auth":
			authName = strings.ToLower(v)
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("timeout=%s: use a duration such as 30s", v)
			}
			s.timeout = d
		case "helo":
			s.helo = v
		default:
			return nil, fmt.Errorf("unknown SMTP URL option %q; known: from, tls, auth, timeout, helo", key)
		}
	}
	if authName != "" {
		if s.user == "" {
			return nil, errors.New("auth= needs a user name and password in the URL")
		}
		if s.auth, err = authType(authName, s.policy == mail.NoTLS && !s.implicitTLS); err != nil {
			return nil, err
		}
	}
	if from == "" {
		from = "crewid@" + defaultDomain(publicURL)
		if _, err := netmail.ParseAddress(from); err != nil {
			from = "crewid@localhost" // an IPv6 literal, say
		}
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from=%s is not an email address", from)
	}
	s.from = addr.String()
	s.domain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	return s, nil
}

// authType maps an auth= value to go-mail's mechanism. Over a connection
// that is never encrypted, plain and login are taken as the explicit
// choice to send the password in clear text.
func authType(name string, clear bool) (mail.SMTPAuthType, error) {
	switch name {
	case "plain":
		if clear {
			return mail.SMTPAuthPlainNoEnc, nil
		}
		return mail.SMTPAuthPlain, nil
	case "login":
		if clear {
			return mail.SMTPAuthLoginNoEnc, nil
		}
		return mail.SMTPAuthLogin, nil
	case "cram-md5":
		return mail.SMTPAuthCramMD5, nil
	case "scram-sha-1":
		return mail.SMTPAuthSCRAMSHA1, nil
	case "scram-sha-256":
		return mail.SMTPAuthSCRAMSHA256, nil
	case "auto", "":
		return mail.SMTPAuthAutoDiscover, nil
	}
	return "", fmt.Errorf("auth=%s: use plain, login, cram-md5, scram-sha-1 or scram-sha-256", name)
}

// defaultDomain is the host of the public URL, or localhost.
func defaultDomain(publicURL string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// String is the URL without its password, for logs.
func (s *Sender) String() string { return s.redacted }

// From is the From address of every email.
func (s *Sender) From() string { return s.from }

// MessageID is the Message-ID (without angle brackets) of the email of an
// outbox message: the same for every attempt at the same message, and
// different for different messages, also across databases (the creation
// time is part of it).
func (s *Sender) MessageID(m crewid.Message) string {
	return fmt.Sprintf("crewid.%d.%s@%s", m.ID, strconv.FormatInt(m.CreatedOn.UnixMicro(), 36), s.domain)
}

// Send delivers one email message.
func (s *Sender) Send(ctx context.Context, m crewid.Message) error {
	if m.Channel != crewid.ChannelEmail {
		return notify.Permanent(fmt.Errorf("the SMTP sender sends email, not %s", m.Channel))
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return notify.Permanent(fmt.Errorf("from address %q: %w", s.from, err))
	}
	if err := msg.To(m.Recipient); err != nil {
		return notify.Permanent(fmt.Errorf("recipient %q is not a valid email address", m.Recipient))
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(s.MessageID(m))
	date := m.CreatedOn
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetUserAgent("crewid")
	msg.SetBodyString(mail.TypeTextPlain, m.Body)

	timeout := s.timeout
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return context.DeadlineExceeded
		}
		timeout = min(timeout, left)
	}
	opts := []mail.Option{mail.WithPort(s.port), mail.WithTimeout(timeout), mail.WithTLSPolicy(s.policy)}
	if s.implicitTLS {
		opts = append(opts, mail.WithSSL())
	}
	if s.TLSConfig != nil {
		cfg := s.TLSConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = s.host
		}
		opts = append(opts, mail.WithTLSConfig(cfg))
	}
	if s.user != "" {
		opts = append(opts, mail.WithSMTPAuth(s.auth), mail.WithUsername(s.user), mail.WithPassword(s.pass))
	}
	if s.helo != "" {
		opts = append(opts, mail.WithHELO(s.helo))
	}
	client, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		// The server took the message; a failure after that (QUIT, a
		// reset) must not send it again.
		return nil
	}
	if err == nil {
		return errors.New("smtp: the message was not delivered")
	}
	return classify(err)
}

// classify marks a 5xx reply to the message as permanent.
func classify(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return notify.Permanent(err)
		}
	}
	return err
}
