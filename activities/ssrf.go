package activities

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// HTTPPolicy decides which addresses outbound HTTP requests of components may
// connect to. An address inside an Allow prefix is allowed; otherwise one
// inside a Deny prefix is refused; anything else is allowed. The check runs
// on the resolved IP at connect time, so DNS answers (and rebinding) cannot
// get around it, and it applies to every redirect hop too.
type HTTPPolicy struct {
	Deny  []netip.Prefix `json:"deny"`
	Allow []netip.Prefix `json:"allow"`
}

// deniedRange is one range of the default policy and why it is denied.
type deniedRange struct {
	prefix netip.Prefix
	reason string
}

// defaultDenied lists the default policy's ranges, most specific first so a
// refusal names the narrowest reason (the metadata addresses sit inside the
// link-local and unique-local ranges).
func defaultDenied() []deniedRange {
	ranges := []struct{ cidr, reason string }{
		{"169.254.169.254/32", "cloud metadata"},
		{"100.100.100.200/32", "cloud metadata"},
		{"fd00:ec2::254/128", "cloud metadata"},
		{"127.0.0.0/8", "loopback"},
		{"::1/128", "loopback"},
		{"0.0.0.0/8", "unspecified"},
		{"::/128", "unspecified"},
		{"169.254.0.0/16", "link-local"},
		{"fe80::/10", "link-local"},
		{"224.0.0.0/4", "multicast"},
		{"ff00::/8", "multicast"},
		{"255.255.255.255/32", "broadcast"},
	}
	out := make([]deniedRange, len(ranges))
	for i, r := range ranges {
		out[i] = deniedRange{prefix: netip.MustParsePrefix(r.cidr), reason: r.reason}
	}
	return out
}

// DefaultHTTPPolicy denies loopback, unspecified, link-local (which holds the
// cloud metadata address 169.254.169.254), other cloud metadata addresses
// (Alibaba 100.100.100.200, AWS fd00:ec2::254), multicast and broadcast.
// Private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7) stay
// allowed: calling intranet services is what BKFlow's HTTP plugin is mostly
// used for. Add them to Deny to lock a deployment down further.
func DefaultHTTPPolicy() HTTPPolicy {
	var p HTTPPolicy
	for _, r := range defaultDenied() {
		p.Deny = append(p.Deny, r.prefix)
	}
	return p
}

// BlockedAddressError is the error of a connection the policy refused.
type BlockedAddressError struct {
	Addr   netip.Addr
	Reason string
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("address %s is blocked by the outbound HTTP policy (%s)", e.Addr, e.Reason)
}

// nat64 is the well-known NAT64 prefix; the IPv4 address it embeds is checked
// too, so 64:ff9b::7f00:1 does not reach 127.0.0.1 through a NAT64 gateway.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Check returns a *BlockedAddressError if the policy refuses addr.
func (p HTTPPolicy) Check(addr netip.Addr) error {
	addr = addr.Unmap().WithZone("")
	candidates := []netip.Addr{addr}
	if addr.Is6() && nat64.Contains(addr) {
		b := addr.As16()
		candidates = append(candidates, netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, a := range candidates {
		if containsAddr(p.Allow, a) {
			return nil
		}
	}
	for _, a := range candidates {
		for _, deny := range p.Deny {
			if deny.Contains(a) {
				return &BlockedAddressError{Addr: addr, Reason: denyReason(deny, a)}
			}
		}
	}
	return nil
}

func containsAddr(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// denyReason names why a is in the denied prefix.
func denyReason(deny netip.Prefix, a netip.Addr) string {
	for _, r := range defaultDenied() {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	return "denied range " + deny.String()
}

// maxRedirects caps the redirects an outbound request follows.
const maxRedirects = 10

// NewHTTPClient returns an HTTP client that enforces p when it connects
// (every dial, including redirects), speaks only http and https, follows at
// most 10 redirects and ignores proxy environment variables (a proxy would
// make the connect-time check see only the proxy's address). timeout bounds
// each request as a whole; 0 means no limit beyond the request's context.
func NewHTTPClient(p HTTPPolicy, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("outbound HTTP policy: cannot parse address %q: %w", address, err)
			}
			return p.Check(ap.Addr())
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: schemeGuard{next: transport},
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return checkScheme(req)
		},
	}
}

// schemeGuard refuses requests that are not http or https.
type schemeGuard struct{ next http.RoundTripper }

func (g schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkScheme(req); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// errScheme is returned for a URL that is not http or https.
var errScheme = errors.New("only http and https URLs are allowed")

func checkScheme(req *http.Request) error {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		scheme := ""
		if req.URL != nil {
			scheme = req.URL.Scheme
		}
		return fmt.Errorf("scheme %q: %w", scheme, errScheme)
	}
	return nil
}

// CloseIdleConnections lets owners of a client made by NewHTTPClient release
// its pooled connections.
func (g schemeGuard) CloseIdleConnections() {
	if c, ok := g.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
