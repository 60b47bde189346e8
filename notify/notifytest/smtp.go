// Package notifytest runs real message receivers for tests: an SMTP server
// (github.com/emersion/go-smtp) and an HTTP receiver of the Twilio
// Messages API, both on 127.0.0.1, keeping what they receive. Tests of
// any package use them to watch crewid deliver its outbox.
package notifytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one email the SMTP server accepted.
type Mail struct {
	From string   // MAIL FROM
	To   []string // RCPT TO
	Raw  []byte   // the message as received
	// Header and Body are Raw parsed; Body is decoded (quoted-printable or
	// base64) and has CRLF line ends turned into LF.
	Header    mail.Header
	Body      string
	Subject   string // decoded
	MessageID string // without angle brackets
	// TLS tells whether the session was encrypted; Auth is the user name
	// it signed in with, if any.
	TLS  bool
	Auth string
}

// SMTPServer is an SMTP server on 127.0.0.1. Its zero value is not usable;
// use StartSMTP.
type SMTPServer struct {
	// Addr is host:port; it stays the same across Stop and Start.
	Addr string

	tlsConfig   *tls.Config
	implicitTLS bool
	user, pass  string

	mu        sync.Mutex
	server    *smtp.Server
	mails     []Mail
	rejectErr *smtp.SMTPError
	delay     time.Duration
	sessions  int
	changed   chan struct{}
}

// SMTPOption configures StartSMTP.
type SMTPOption func(*SMTPServer)

// WithAuth makes the server demand SMTP AUTH PLAIN with these credentials
// before MAIL (allowed without TLS, as test servers do).
func WithAuth(user, pass string) SMTPOption {
	return func(s *SMTPServer) { s.user, s.pass = user, pass }
}

// WithSTARTTLS makes the server offer STARTTLS with cfg.
func WithSTARTTLS(cfg *tls.Config) SMTPOption {
	return func(s *SMTPServer) { s.tlsConfig = cfg }
}

// WithImplicitTLS makes the server speak TLS from the first byte (smtps).
func WithImplicitTLS(cfg *tls.Config) SMTPOption {
	return func(s *SMTPServer) { s.tlsConfig, s.implicitTLS = cfg, true }
}

// StartSMTP starts a server on a free port of 127.0.0.1 and stops it when
// the test ends.
func StartSMTP(t testing.TB, opts ...SMTPOption) *SMTPServer {
	t.Helper()
	s := &SMTPServer{changed: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("notifytest: listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL is the --smtp URL of the server: smtp://127.0.0.1:PORT?tls=none
// (smtps:// with implicit TLS; with STARTTLS, tls=required). With
// WithAuth, the credentials are in it.
func (s *SMTPServer) URL() string {
	user := ""
	if s.user != "" {
		user = s.user + ":" + s.pass + "@"
	}
	switch {
	case s.implicitTLS:
		return "smtps://" + user + s.Addr
	case s.tlsConfig != nil:
		return "smtp://" + user + s.Addr + "?tls=required"
	case s.user != "":
		return "smtp://" + user + s.Addr + "?tls=none&auth=plain"
	}
	return "smtp://" + s.Addr + "?tls=none"
}

func (s *SMTPServer) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.mu.Unlock()
		_, isTLS := c.TLSConnectionState()
		return &session{srv: s, tls: isTLS}, nil
	}))
	srv.Domain = "notifytest.localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = discardLog{}
	if s.tlsConfig != nil {
		srv.TLSConfig = s.tlsConfig
		if s.implicitTLS {
			ln = tls.NewListener(ln, s.tlsConfig)
		}
	}
	s.mu.Lock()
	s.server = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the server: connections are refused until Start.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv := s.server
	s.server = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Start listens again on the same address after Stop.
func (s *SMTPServer) Start(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("notifytest: listen again on %s: %v", s.Addr, err)
	}
	s.serve(ln)
}

// Reject makes the server answer every MAIL command with code and text
// (e.g. 421 or 451 for a temporary failure, 550 for a permanent one) until
// Reject(0, "").
func (s *SMTPServer) Reject(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.rejectErr = nil
		return
	}
	s.rejectErr = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: text}
}

// SetDelay makes the server wait d before accepting each message.
func (s *SMTPServer) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Mails returns what the server has accepted so far, in order.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Sessions counts the SMTP sessions started (EHLO received).
func (s *SMTPServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Count returns how many mails the server has accepted.
func (s *SMTPServer) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mails)
}

// WaitFor waits until the server holds at least n mails and returns them;
// the test fails after timeout.
func (s *SMTPServer) WaitFor(t testing.TB, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, changed := len(s.mails), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Mails()
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("notifytest: %d mails after %v, want %d", got, timeout, n)
		}
	}
}

func (s *SMTPServer) add(m Mail) {
	s.mu.Lock()
	s.mails = append(s.mails, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

type session struct {
	srv  *SMTPServer
	tls  bool
	auth string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || ss.srv.user == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.srv.user || password != ss.srv.pass {
			return smtp.ErrAuthFailed
		}
		ss.auth = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && ss.auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.srv.mu.Lock()
	rejectErr := ss.srv.rejectErr
	ss.srv.mu.Unlock()
	if rejectErr != nil {
		return rejectErr
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.srv.mu.Lock()
	delay := ss.srv.delay
	ss.srv.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	m := Mail{From: ss.from, To: append([]string(nil), ss.to...), Raw: raw, TLS: ss.tls, Auth: ss.auth}
	if err := m.parse(); err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "notifytest: " + err.Error()}
	}
	ss.srv.add(m)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// parse fills Header, Body, Subject and MessageID from Raw.
func (m *Mail) parse() error {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return fmt.Errorf("unreadable message: %w", err)
	}
	m.Header = msg.Header
	var body io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		return errors.New("base64 bodies are not expected from crewid")
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("unreadable body: %w", err)
	}
	m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	var dec mime.WordDecoder
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return fmt.Errorf("unreadable subject: %w", err)
	}
	m.MessageID = strings.Trim(strings.TrimSpace(msg.Header.Get("Message-ID")), "<>")
	return nil
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// SelfSignedTLS makes a certificate for 127.0.0.1 and localhost and returns
// a server configuration with it and a client configuration that trusts it.
func SelfSignedTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "notifytest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}
