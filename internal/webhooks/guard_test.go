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
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestSignatureFollowsTheDocumentedAlgorithm(t *testing.T) {
	secret, body := "whsec_0123456789abcdef", []byte(`{"id":"x","type":"order.created"}`)
	at := time.Unix(1_790_000_000, 0)
	header := Sign(secret, at, body)
	// the documented algorithm, written out: hex HMAC-SHA256(secret UTF-8 bytes, "t.body")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("1790000000." + string(body)))
	if want := "t=1790000000,v1=" + hex.EncodeToString(m.Sum(nil)); header != want {
		t.Fatalf("Sign = %s, want %s", header, want)
	}
	if err := Verify(secret, header, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
	}{
		"other body":   {secret, header, []byte(`{}`), at},
		"other secret": {"whsec_other-secret-xx", header, body, at},
		"too old":      {secret, header, body, at.Add(10 * time.Minute)},
		"no v1":        {secret, "t=1790000000", body, at},
		"garbage":      {secret, "nonsense", body, at},
	} {
		if err := Verify(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
}

func TestBlockedRanges(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1",
		"::ffff:10.0.0.1", "::ffff:8.8.8.8", "64:ff9b::a00:1", "2002:a00:1::1"} {
		if !Blocked(netip.MustParseAddr(s)) {
			t.Errorf("%s is not blocked", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"} {
		if Blocked(netip.MustParseAddr(s)) {
			t.Errorf("%s is blocked", s)
		}
	}
}

// fakeDNS resolves names from a table; nothing leaves the process.
func fakeDNS(table map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := table[host]; ok {
			return []netip.Addr{netip.MustParseAddr(a)}, nil
		}
		return nil, errors.New("no such host")
	}
}

func TestCheckURLRefusesInternalTargets(t *testing.T) {
	dns := fakeDNS(map[string]string{"hooks.example.com": "93.184.215.14", "internal.example.com": "10.0.0.1",
		"mapped.example.com": "::ffff:127.0.0.1"})
	off := Guard{Lookup: dns}
	ctx := context.Background()
	for _, u := range []string{"https://127.0.0.1/hook", "https://10.0.0.1/hook", "https://[::1]/", "https://localhost/x",
		"https://internal.example.com/x", "https://mapped.example.com/x", "https://[::ffff:10.0.0.1]/", "http://hooks.example.com/x",
		"https://user:pw@hooks.example.com/x", "ftp://hooks.example.com/", "/relative", "https://nowhere.example.com/"} {
		if msg, err := off.CheckURL(ctx, u); err == nil || msg == "" {
			t.Errorf("%s accepted with private targets off", u)
		}
	}
	if msg, err := off.CheckURL(ctx, "https://hooks.example.com/fieldops"); err != nil {
		t.Errorf("public https refused: %s (%v)", msg, err)
	}
	on := Guard{AllowPrivate: true, Lookup: dns}
	for _, u := range []string{"http://127.0.0.1:8080/hook", "https://10.0.0.1/hook"} {
		if msg, err := on.CheckURL(ctx, u); err != nil {
			t.Errorf("%s refused with private targets allowed: %s", u, msg)
		}
	}
}

// TestDeliveryRefusesBeforeConnecting proves the dial-time check: a literal
// 10.0.0.1, a name that resolves to 10.0.0.1 at delivery time (DNS
// rebinding) and a live loopback receiver are all refused by the dialer's
// Control function, which runs before connect — the loopback receiver sees
// no connection at all. No packet leaves for a non-loopback address.
func TestDeliveryRefusesBeforeConnecting(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	s := NewSender(Guard{Lookup: fakeDNS(map[string]string{"rebound.example.com": "10.0.0.1", "loop.example.com": "127.0.0.1"})})
	env := Envelope{ID: uuid.New(), Type: "order.created", CreatedAt: time.Now(), Data: []byte(`{}`)}
	for _, target := range []string{"http://10.0.0.1:81/hook", "https://rebound.example.com/hook", srv.URL + "/hook",
		"http://loop.example.com:" + port + "/hook", "http://[::ffff:127.0.0.1]:" + port + "/"} {
		r := s.Send(context.Background(), target, "whsec_0123456789abcdef", env, []byte(`{}`), time.Now(), 1)
		if r.OK() || !strings.Contains(r.Err, "refused before connecting") || r.StatusCode != 0 {
			t.Errorf("%s: result %+v, want refused before connecting", target, r)
		}
		if r.Duration > time.Second { // a refused dial never waits for a network
			t.Logf("%s: took %s", target, r.Duration)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the loopback receiver saw %d connections", n)
	}
	// and with private targets allowed the same receiver is reached
	open := NewSender(Guard{AllowPrivate: true})
	if r := open.Send(context.Background(), srv.URL+"/hook", "whsec_0123456789abcdef", env, []byte(`{}`), time.Now(), 1); !r.OK() {
		t.Errorf("allowed loopback: %+v", r)
	}
}

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
