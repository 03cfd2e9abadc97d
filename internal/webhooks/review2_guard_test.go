package webhooks

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// TestBlockedIPv6TranslationForms: the IPv6 forms that carry an IPv4
// address or a site-internal one are refused too — IPv4-translated
// (::ffff:0:a.b.c.d, RFC 2765 SIIT), deprecated site-local fec0::/10 (still
// routed inside some networks) — at registration and at dial time.
func TestBlockedIPv6TranslationForms(t *testing.T) {
	g := Guard{Lookup: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("no DNS in tests") }}
	for _, s := range []string{"::ffff:0:7f00:1", "::ffff:0:a00:1", "fec0::1", "feff::1", "192.88.99.1"} {
		ip := netip.MustParseAddr(s)
		if !Blocked(ip) {
			t.Errorf("%s is not blocked", s)
		}
		if _, err := g.CheckURL(context.Background(), "https://"+netip.AddrPortFrom(ip, 443).String()+"/hook"); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("registration of %s: %v", s, err)
		}
		if err := g.Control("tcp", netip.AddrPortFrom(ip, 443).String(), nil); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("dial to %s: %v", s, err)
		}
	}
	for _, s := range []string{"2606:4700:4700::1111", "2a00:1450:4001:80b::200e"} {
		if Blocked(netip.MustParseAddr(s)) {
			t.Errorf("public %s is blocked", s)
		}
	}
}
