package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Webhook URLs are chosen by tenants, so without a guard a subscription
// could make crewid POST to its own network (a database's HTTP port, a
// cloud metadata service). Unless private destinations are allowed, a URL
// is refused when its host resolves to such an address, both when the
// subscription is saved (so the mistake is seen at once) and on every
// connection (so a name that resolves differently later, DNS rebinding,
// gains nothing).

// nonPublic are the ranges refused besides what netip classifies as
// loopback, private, link-local, multicast or unspecified.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo, ORCHID …)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
}

// PublicAddress reports whether a webhook may be delivered to ip when
// private destinations are not allowed: not loopback, private (RFC 1918,
// unique local), link-local, multicast, unspecified, nor another range
// that does not reach the public internet.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsMulticast() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	// NAT64 (64:ff9b::/96) carries an IPv4 address: judge that one.
	if nat64 := netip.MustParsePrefix("64:ff9b::/96"); nat64.Contains(ip) {
		b := ip.As16()
		return PublicAddress(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	return true
}

// errPrivateAddress is the error of a refused connection.
type errPrivateAddress struct{ addr netip.Addr }

func (e errPrivateAddress) Error() string {
	return fmt.Sprintf("%s is not a public address; webhooks to loopback or private addresses are not allowed", e.addr)
}

// dialControl refuses connections to addresses that are not public. It
// runs after name resolution, on the address actually dialled.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("cannot check the address %q: %w", address, err)
	}
	if !PublicAddress(ap.Addr()) {
		return errPrivateAddress{ap.Addr().Unmap()}
	}
	return nil
}

// Timeouts of a delivery attempt.
const (
	dialTimeout   = 10 * time.Second
	headerTimeout = 15 * time.Second
	// DefaultAttemptTimeout bounds a whole attempt: connecting, sending
	// and reading the answer.
	DefaultAttemptTimeout = 20 * time.Second
)

// NewClient returns the HTTP client deliveries use: no proxy (a proxy
// would reach what the guard refuses), no redirects followed (a 3xx is a
// failed attempt), bounded timeouts, and, unless allowPrivate, connections
// only to public addresses.
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = dialControl
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  headerTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   DefaultAttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Resolver looks up the addresses of a host name.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// checkHost refuses a host that is, or resolves to, an address that is
// not public. A literal address is judged without a lookup.
func checkHost(ctx context.Context, r Resolver, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !PublicAddress(ip) {
			return errPrivateAddress{ip.Unmap()}
		}
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return fmt.Errorf("the host %s does not exist", host)
		}
		return fmt.Errorf("the host %s could not be resolved", host)
	}
	for _, ip := range addrs {
		if !PublicAddress(ip) {
			return fmt.Errorf("the host %s resolves to %s: %w", host, ip.Unmap(), errPrivateAddress{ip.Unmap()})
		}
	}
	return nil
}
