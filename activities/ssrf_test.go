package activities

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDefaultHTTPPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr    string
		wantErr string // "" = allowed
	}{
		{"127.0.0.1", "address 127.0.0.1 is blocked by the outbound HTTP policy (loopback)"},
		{"127.8.9.10", "address 127.8.9.10 is blocked by the outbound HTTP policy (loopback)"},
		{"::1", "address ::1 is blocked by the outbound HTTP policy (loopback)"},
		{"::ffff:127.0.0.1", "address 127.0.0.1 is blocked by the outbound HTTP policy (loopback)"},
		{"64:ff9b::7f00:1", "address 64:ff9b::7f00:1 is blocked by the outbound HTTP policy (loopback)"},
		{"0.0.0.0", "address 0.0.0.0 is blocked by the outbound HTTP policy (unspecified)"},
		{"::", "address :: is blocked by the outbound HTTP policy (unspecified)"},
		{"169.254.169.254", "address 169.254.169.254 is blocked by the outbound HTTP policy (cloud metadata)"},
		{"169.254.10.1", "address 169.254.10.1 is blocked by the outbound HTTP policy (link-local)"},
		{"100.100.100.200", "address 100.100.100.200 is blocked by the outbound HTTP policy (cloud metadata)"},
		{"fd00:ec2::254", "address fd00:ec2::254 is blocked by the outbound HTTP policy (cloud metadata)"},
		{"fe80::1", "address fe80::1 is blocked by the outbound HTTP policy (link-local)"},
		{"fe80::1%eth0", "address fe80::1 is blocked by the outbound HTTP policy (link-local)"},
		{"224.0.0.1", "address 224.0.0.1 is blocked by the outbound HTTP policy (multicast)"},
		{"ff02::1", "address ff02::1 is blocked by the outbound HTTP policy (multicast)"},
		{"255.255.255.255", "address 255.255.255.255 is blocked by the outbound HTTP policy (broadcast)"},
		// Private ranges are allowed by default: intranet services.
		{"10.1.2.3", ""},
		{"172.16.0.1", ""},
		{"192.168.1.1", ""},
		{"fc00::1", ""},
		{"fd00::1", ""},
		{"100.100.100.201", ""},
		{"8.8.8.8", ""},
		{"2001:db8::1", ""},
	}
	p := DefaultHTTPPolicy()
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			err := p.Check(netip.MustParseAddr(tt.addr))
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
			var blocked *BlockedAddressError
			require.ErrorAs(t, err, &blocked)
		})
	}
}

func TestHTTPPolicyAllowAndCustomDeny(t *testing.T) {
	t.Parallel()
	p := DefaultHTTPPolicy()
	p.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	p.Deny = append(p.Deny, netip.MustParsePrefix("10.0.0.0/8"))

	require.NoError(t, p.Check(netip.MustParseAddr("127.0.0.1")))
	require.NoError(t, p.Check(netip.MustParseAddr("::ffff:127.0.0.1")))
	require.EqualError(t, p.Check(netip.MustParseAddr("127.0.0.2")),
		"address 127.0.0.2 is blocked by the outbound HTTP policy (loopback)")
	require.EqualError(t, p.Check(netip.MustParseAddr("10.2.3.4")),
		"address 10.2.3.4 is blocked by the outbound HTTP policy (denied range 10.0.0.0/8)")
	require.NoError(t, HTTPPolicy{}.Check(netip.MustParseAddr("127.0.0.1")), "an empty policy allows everything")
}

// allowLoopback is the default policy plus 127.0.0.1, for httptest servers.
func allowLoopback() HTTPPolicy {
	p := DefaultHTTPPolicy()
	p.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	return p
}

func TestHTTPClientPolicy(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-denied":
			// 127.0.0.2 is loopback too, but not allowed.
			http.Redirect(w, r, strings.Replace(srvURL(r), "127.0.0.1", "127.0.0.2", 1)+"/ok", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	tests := []struct {
		name    string
		policy  HTTPPolicy
		url     string
		wantErr string // substring; "" = success
	}{
		{"denied by default", DefaultHTTPPolicy(), srv.URL, "address 127.0.0.1 is blocked by the outbound HTTP policy (loopback)"},
		{"resolved name is checked", DefaultHTTPPolicy(), "http://localhost:" + port, "is blocked by the outbound HTTP policy (loopback)"},
		{"allowed", allowLoopback(), srv.URL, ""},
		{"redirect to a denied address", allowLoopback(), srv.URL + "/to-denied", "address 127.0.0.2 is blocked by the outbound HTTP policy (loopback)"},
		{"redirect loop is capped", allowLoopback(), srv.URL + "/loop", "stopped after 10 redirects"},
		{"redirect to another scheme", allowLoopback(), srv.URL + "/to-file", "only http and https URLs are allowed"},
		{"file scheme", allowLoopback(), "file:///etc/passwd", "only http and https URLs are allowed"},
		{"ftp scheme", allowLoopback(), "ftp://127.0.0.1:" + port + "/", "only http and https URLs are allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := NewHTTPClient(tt.policy, 5*time.Second)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.url, nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, "ok", string(body))
		})
	}
}

func TestHTTPClientBlockedErrorIsTyped(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	_, err = NewHTTPClient(DefaultHTTPPolicy(), time.Second).Do(req)
	var blocked *BlockedAddressError
	require.ErrorAs(t, err, &blocked)
	require.Equal(t, netip.MustParseAddr("127.0.0.1"), blocked.Addr)
	require.Equal(t, "loopback", blocked.Reason)
}

func srvURL(r *http.Request) string { return "http://" + r.Host }
