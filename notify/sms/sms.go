// Package sms sends outbox text messages through a Twilio-compatible
// Messages API. It is configured by one URL (crewid serve --sms, or
// CREWID_SMS_URL):
//
//	https://ACCOUNT_SID:AUTH_TOKEN@HOST[:PORT][/PREFIX]?from=+15550001111
//
// Each message is an HTTP POST, form-encoded (To, From, Body), to
//
//	https://HOST[:PORT][/PREFIX]/2010-04-01/Accounts/ACCOUNT_SID/Messages.json
//
// with HTTP Basic authentication ACCOUNT_SID:AUTH_TOKEN. For Twilio itself
// HOST is api.twilio.com and there is no prefix. Options:
//
//	from=NUMBER                 the sending number, E.164 (percent-encode
//	                            the plus as %2B, or write it as is: a plus
//	                            in this option is kept, not read as a space)
//	messagingServiceSid=MG...   send through a Messaging Service instead
//	                            of from (one of the two is required)
//	timeout=DURATION            bound on each request (default 20s)
//
// http:// is accepted too, for a provider stub on a private network or a
// test; the token then travels in clear text.
//
// A 2xx answer means sent. 429 and 5xx answers, network errors and
// timeouts are retried by the worker; any other 4xx answer (a bad number,
// refused credentials) fails the message at once, with the provider's
// error code and text. Each request carries an Idempotency-Key header
// derived from the outbox message, the same on every attempt.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/notify"
)

// DefaultTimeout bounds each request.
const DefaultTimeout = 20 * time.Second

// Sender posts messages to one account of a Twilio-compatible API. It is
// safe for concurrent use.
type Sender struct {
	endpoint   string
	accountSID string
	authToken  string
	from       string
	service    string
	client     *http.Client
	redacted   string
}

var _ notify.Sender = (*Sender)(nil)

// New parses an SMS URL (see the package documentation).
func New(rawURL string) (*Sender, error) {
	// A literal plus in from= is a phone number, not a space: keep it.
	raw := rawURL
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i+1] + strings.ReplaceAll(raw[i+1:], "+", "%2B")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("the SMS URL is not a URL; use https://ACCOUNT_SID:AUTH_TOKEN@host?from=+15550001111")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("the SMS URL must start with https://, not %q", u.Scheme+"://")
	}
	if u.Host == "" {
		return nil, errors.New("the SMS URL names no host")
	}
	s := &Sender{redacted: u.Redacted()}
	if u.User != nil {
		s.accountSID = u.User.Username()
		s.authToken, _ = u.User.Password()
	}
	if s.accountSID == "" || s.authToken == "" {
		return nil, errors.New("the SMS URL needs the account SID and auth token: https://ACCOUNT_SID:AUTH_TOKEN@host")
	}
	timeout := DefaultTimeout
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("the SMS URL's options cannot be read: %v", err)
	}
	for key, values := range q {
		v := strings.TrimSpace(values[len(values)-1])
		switch key {
		case "from":
			s.from = v
		case "messagingServiceSid":
			s.service = v
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("timeout=%s: use a duration such as 20s", v)
			}
			timeout = d
		default:
			return nil, fmt.Errorf("unknown SMS URL option %q; known: from, messagingServiceSid, timeout", key)
		}
	}
	if s.from == "" && s.service == "" {
		return nil, errors.New("the SMS URL needs the sending number, e.g. ?from=+15550001111 (or ?messagingServiceSid=MG...)")
	}
	base := url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.Path, "/")}
	s.endpoint = base.String() + "/2010-04-01/Accounts/" + url.PathEscape(s.accountSID) + "/Messages.json"
	s.client = &http.Client{
		Timeout: timeout,
		// A redirect would turn the POST into a GET: report it instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s, nil
}

// String is the URL without the auth token, for logs.
func (s *Sender) String() string { return s.redacted }

// Endpoint is the URL messages are posted to.
func (s *Sender) Endpoint() string { return s.endpoint }

// IdempotencyKey is the Idempotency-Key header of an outbox message's
// requests: the same for every attempt at one message.
func IdempotencyKey(m crewid.Message) string {
	return "crewid." + strconv.FormatInt(m.ID, 10) + "." + strconv.FormatInt(m.CreatedOn.UnixMicro(), 36)
}

// Send posts one text message.
func (s *Sender) Send(ctx context.Context, m crewid.Message) error {
	if m.Channel != crewid.ChannelSMS {
		return notify.Permanent(fmt.Errorf("the SMS sender sends sms, not %s", m.Channel))
	}
	form := url.Values{"To": {m.Recipient}, "Body": {m.Body}}
	if s.from != "" {
		form.Set("From", s.from)
	} else {
		form.Set("MessagingServiceSid", s.service)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.SetBasicAuth(s.accountSID, s.authToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "crewid")
	req.Header.Set("Idempotency-Key", IdempotencyKey(m))
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("sms: provider answered %s%s", resp.Status, detail(body))
	case code >= 400:
		return notify.Permanent(fmt.Errorf("sms: provider refused the message: %s%s", resp.Status, detail(body)))
	}
	return fmt.Errorf("sms: unexpected answer %s%s", resp.Status, detail(body))
}

// detail is the provider's error from an answer body: Twilio's JSON
// {code, message}, or the start of whatever else it sent.
func detail(body []byte) string {
	var e struct {
		Code    json.Number `json:"code"`
		Message string      `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && (e.Message != "" || e.Code != "") {
		out := ":"
		if e.Code != "" {
			out += " error " + e.Code.String()
		}
		if e.Message != "" {
			out += " " + e.Message
		}
		return out
	}
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if text == "" {
		return ""
	}
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return ": " + text
}
