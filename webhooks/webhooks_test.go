package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"crewid"
)

func TestPublicAddress(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"203.0.113.9", true},
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"2001:4860:4860::8888", true},
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.10.10", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fc00::5", false},
		{"fd12:3456::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"0.1.2.3", false},
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"64:ff9b::a00:1", false},  // NAT64 of 10.0.0.1
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
	} {
		if got := PublicAddress(netip.MustParseAddr(tc.ip)); got != tc.public {
			t.Errorf("PublicAddress(%s) = %v, want %v", tc.ip, got, tc.public)
		}
	}
}

// fakeResolver answers from a table, as DNS would.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	resolver := fakeResolver{
		"hooks.example.com": {"203.0.113.10"},
		"internal.example":  {"10.0.0.7"},
		"mixed.example":     {"203.0.113.11", "127.0.0.1"},
	}
	s := &Service{Resolver: resolver}
	for _, tc := range []struct {
		url, want string
		ok        bool
	}{
		{"https://hooks.example.com/crewid", "https://hooks.example.com/crewid", true},
		{"  http://hooks.example.com:8443/a?b=c  ", "http://hooks.example.com:8443/a?b=c", true},
		{"https://203.0.113.12/x", "https://203.0.113.12/x", true},
		{"https://internal.example/x", "", false},
		{"https://mixed.example/x", "", false}, // any private answer is refused
		{"https://nowhere.example/x", "", false},
		{"http://127.0.0.1:8080/", "", false},
		{"http://[fd00::1]/", "", false},
		{"gopher://hooks.example.com/", "", false},
		{"https:///path", "", false},
		{"https://hooks.example.com/#frag", "", false},
		{"mailto:ops@example.com", "", false},
		{"https://hooks.example.com:99999/x", "", false},
		{"https://hooks.example.com:0/x", "", false},
		{"https://user:pass@hooks.example.com/x", "", false},
		{"https://token@hooks.example.com/x", "", false},
		{"https://hooks.example.com/\x00", "", false},
		{"https://hooks.example.com/" + strings.Repeat("a", 2100), "", false},
	} {
		p := crewid.Problems{}
		got := s.checkURL(context.Background(), p, tc.url)
		if tc.ok != (p.Err() == nil) || got != tc.want {
			t.Errorf("checkURL(%q) = %q, problems %v; want %q, ok %v", tc.url, got, p, tc.want, tc.ok)
		}
	}
	// With private destinations allowed, nothing is resolved.
	open := &Service{AllowPrivate: true, Resolver: fakeResolver{}}
	p := crewid.Problems{}
	if got := open.checkURL(context.Background(), p, "http://localhost:8080/hook"); got == "" || p.Err() != nil {
		t.Errorf("with AllowPrivate, a loopback URL was refused: %v", p)
	}
}

func TestCleanFilter(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
		ok   bool
	}{
		{[]string{"Technician.Created", "Employee.*", "Technician.Created"}, []string{"Employee.*", "Technician.Created"}, true},
		{[]string{"Technician.*", "*"}, []string{"*"}, true},
		{[]string{" Zone.Deleted "}, []string{"Zone.Deleted"}, true},
		{[]string{"Technician.Account.Locked"}, []string{"Technician.Account.Locked"}, true},
		{nil, nil, false},
		{[]string{}, nil, false},
		{[]string{"Technician"}, nil, false},
		{[]string{"*.Created"}, nil, false},
		{[]string{"Technician.Cre*"}, nil, false},
		{[]string{"Technician.\"Created\""}, nil, false},
		{[]string{"Tech nician.Created"}, nil, false},
		{[]string{".Created"}, nil, false},
		{[]string{"1Tech.Created"}, nil, false},
		{[]string{"Technician."}, nil, false},
		{[]string{"Bogus.Thing"}, nil, false},
		{[]string{"employee.created"}, nil, false},
		{[]string{"Nope.*"}, nil, false},
		{[]string{"Permission.Denied", "Invitation.*", "History.Pruned"}, []string{"History.Pruned", "Invitation.*", "Permission.Denied"}, true},
	} {
		p := crewid.Problems{}
		got := cleanFilter(p, tc.in)
		if tc.ok != (p.Err() == nil) || (tc.ok && !slices.Equal(got, tc.want)) {
			t.Errorf("cleanFilter(%q) = %q, problems %v; want %q, ok %v", tc.in, got, p, tc.want, tc.ok)
		}
	}
	many := make([]string, maxFilterItems+1)
	for i := range many {
		many[i] = "Technician.Created"
	}
	p := crewid.Problems{}
	cleanFilter(p, many)
	if p.Err() == nil {
		t.Errorf("a filter of %d entries was accepted", len(many))
	}
}

// TestClientRefusesPrivateAtDialTime shows the guard that DNS rebinding
// cannot pass: the check runs on the address dialled, after resolution.
func TestClientRefusesPrivateAtDialTime(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	guarded := NewClient(false)
	for _, u := range []string{srv.URL, "http://localhost:" + strconv.Itoa(port) + "/"} {
		resp, err := guarded.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Errorf("POST %s: got %d, want the connection refused", u, resp.StatusCode)
			continue
		}
		var private errPrivateAddress
		if !errors.As(err, &private) || !strings.Contains(err.Error(), "not a public address") {
			t.Errorf("POST %s: %v, want a refusal naming the address", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests through the guard", n)
	}
	// Allowed, the same client setup connects and does not follow
	// redirects.
	redirect := httptest.NewServer(http.RedirectHandler(srv.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	resp, err := NewClient(true).Post(redirect.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || hits.Load() != 0 {
		t.Errorf("redirect: status %d, %d requests to its target; want 307 and none", resp.StatusCode, hits.Load())
	}
}

func TestSignAndVerify(t *testing.T) {
	body := []byte(`{"id":42,"eventType":"Technician.Created"}`)
	at := time.Unix(1_700_000_000, 0)
	header := Sign("whsec_test", at, body)
	// The contract's formula, computed here on its own.
	mac := hmac.New(sha256.New, []byte("whsec_test"))
	mac.Write([]byte("1700000000." + string(body)))
	if want := "t=1700000000,v1=" + hex.EncodeToString(mac.Sum(nil)); header != want {
		t.Fatalf("Sign = %q, want %q", header, want)
	}
	if err := Verify("whsec_test", header, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify of a good signature: %v", err)
	}
	for what, err := range map[string]error{
		"another secret":    Verify("whsec_other", header, body, at, 0),
		"another body":      Verify("whsec_test", header, append(body, ' '), at, 0),
		"too old":           Verify("whsec_test", header, body, at.Add(time.Hour), 5*time.Minute),
		"no signature":      Verify("whsec_test", "t=1700000000", body, at, 0),
		"no timestamp":      Verify("whsec_test", strings.TrimPrefix(header, "t=1700000000,"), body, at, 0),
		"another timestamp": Verify("whsec_test", strings.Replace(header, "t=1700000000", "t=1700000001", 1), body, at, 0),
	} {
		if err == nil {
			t.Errorf("Verify with %s succeeded", what)
		}
	}
}

func TestSecretsDiffer(t *testing.T) {
	a, err := newSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") || len(a) < 40 {
		t.Errorf("secrets %q and %q", a, b)
	}
}
