package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrBlockedAddress is returned (wrapped) when a webhook target is, or
// resolves to, an address that private targets being off forbids.
var ErrBlockedAddress = errors.New("webhooks: target address not allowed")

// blockedPrefixes are the ranges a webhook may not reach unless private
// targets are allowed: private, loopback, link-local, unspecified, multicast,
// CGNAT, and the IPv6 forms that embed an IPv4 address (IPv4-mapped and
// -compatible, IPv4-translated, NAT64, 6to4, Teredo) since they could smuggle
// a private one, and the deprecated site-local range.
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", unspecified
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // CGNAT (RFC 6598)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local (cloud metadata at 169.254.169.254)
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"::/96",           // IPv4-compatible (deprecated)
		"::ffff:0:0/96",   // IPv4-mapped
		"::ffff:0:0:0/96", // IPv4-translated (RFC 2765 SIIT)
		"64:ff9b::/96",    // NAT64
		"64:ff9b:1::/48",  // local NAT64
		"100::/64",        // discard
		"2001::/32",       // Teredo
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4
		"fc00::/7",        // unique local (private)
		"fe80::/10",       // link-local
		"fec0::/10",       // site-local (deprecated, still routed inside some networks)
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Blocked reports whether ip is in a range webhooks may not reach when
// private targets are off. IPv4-mapped IPv6 addresses are blocked as such
// (not unmapped first), so none slips through as IPv6.
func Blocked(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Guard decides which webhook targets are allowed.
type Guard struct {
	// AllowPrivate lets webhooks reach private and loopback addresses
	// (FIELDOPS_WEBHOOK_ALLOW_PRIVATE, dev mode) and plain http.
	AllowPrivate bool
	// Lookup resolves a host name (nil: net.DefaultResolver); tests replace it.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

func (g Guard) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if g.Lookup != nil {
		return g.Lookup(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// CheckURL validates a webhook URL at registration: absolute https (http
// only when private targets are allowed), a host, no user info or fragment,
// and — unless private targets are allowed — a host that is not, and does
// not resolve to, a blocked address. The returned message is for the
// caller's "url" field error.
func (g Guard) CheckURL(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "must be an absolute URL", errors.New("bad url")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && g.AllowPrivate:
	default:
		return "must use https", errors.New("bad scheme")
	}
	if u.User != nil {
		return "must not carry user information", errors.New("userinfo")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "must not have a fragment", errors.New("fragment")
	}
	host := u.Hostname()
	if host == "" {
		return "must name a host", errors.New("no host")
	}
	if g.AllowPrivate {
		return "", nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if Blocked(ip) {
			return "must not be a private, loopback, link-local, multicast or otherwise internal address", ErrBlockedAddress
		}
		return "", nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return "must not be a private, loopback, link-local, multicast or otherwise internal address", ErrBlockedAddress
	}
	addrs, err := g.lookup(ctx, host)
	if err != nil || len(addrs) == 0 {
		return "host does not resolve", fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if Blocked(a) {
			return "host resolves to a private, loopback, link-local, multicast or otherwise internal address", ErrBlockedAddress
		}
	}
	return "", nil
}

// Control is a net.Dialer Control function: it runs after the address is
// resolved and the socket created, right before connect, and refuses a
// blocked address (so a name that resolved to a public address at
// registration and to a private one now — DNS rebinding — is refused too).
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	if Blocked(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ap.Addr())
	}
	return nil
}
