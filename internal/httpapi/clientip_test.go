package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	xff := Proxies{Trusted: proxies}
	fwd := Proxies{Trusted: proxies, Header: HeaderForwarded}
	cases := []struct {
		name    string
		proxies Proxies
		peer    string
		headers map[string][]string
		want    string
	}{
		{"a direct client is its peer address", xff, "203.0.113.9:5555", nil, "203.0.113.9"},
		{"an untrusted peer cannot spoof X-Forwarded-For", xff, "203.0.113.9:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "203.0.113.9"},
		{"an untrusted peer cannot spoof Forwarded", fwd, "203.0.113.9:5555",
			map[string][]string{"Forwarded": {"for=198.51.100.1"}}, "203.0.113.9"},
		{"without trusted proxies headers are ignored", Proxies{}, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "10.0.0.1"},
		{"a trusted proxy's client is the address it appended", xff, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "198.51.100.1"},
		{"a forged hop left of the real client is ignored", xff, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1"}}, "198.51.100.1"},
		{"trusted hops are skipped from the right", xff, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1, 10.1.1.1, 10.2.2.2"}}, "198.51.100.1"},
		{"several header lines form one list", xff, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1", "10.1.1.1"}}, "198.51.100.1"},
		{"a proxy without the header leaves the peer", xff, "10.0.0.1:5555", nil, "10.0.0.1"},
		{"if every hop is trusted the leftmost is the client", xff, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.1.1.1"}}, "10.9.9.9"},
		{"garbage stops the walk at the trusted hop to its right", xff, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1, garbage, 10.1.1.1"}}, "10.1.1.1"},
		{"an address with a port is parsed", xff, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1:4711"}}, "198.51.100.1"},
		{"IPv6 peers and hops work", xff, "[2001:db8:ffff::1]:5555",
			map[string][]string{"X-Forwarded-For": {"2001:db8:1::7"}}, "2001:db8:1::7"},
		{"IPv4-mapped addresses become IPv4", xff, "[::ffff:10.0.0.1]:5555",
			map[string][]string{"X-Forwarded-For": {"::ffff:198.51.100.1"}}, "198.51.100.1"},
		{"X-Forwarded-For is ignored when proxies speak Forwarded", fwd, "10.0.0.1:5555",
			map[string][]string{"X-Forwarded-For": {"198.51.100.1"}}, "10.0.0.1"},
		{"Forwarded is ignored when proxies speak X-Forwarded-For", xff, "10.0.0.1:5555",
			map[string][]string{"Forwarded": {"for=198.51.100.1"}}, "10.0.0.1"},
		{"Forwarded for= is read with quotes, brackets, ports and other pairs", fwd, "10.0.0.1:5555",
			map[string][]string{"Forwarded": {`for=1.2.3.4, for="[2001:db8:1::7]:4711";proto=https;by=10.0.0.1`}}, "2001:db8:1::7"},
		{"Forwarded elements are walked from the right", fwd, "10.0.0.1:5555",
			map[string][]string{"Forwarded": {"for=1.2.3.4", "For=198.51.100.1;proto=http, for=10.3.3.3"}}, "198.51.100.1"},
		{"an obfuscated Forwarded hop stops at the trusted hop", fwd, "10.0.0.1:5555",
			map[string][]string{"Forwarded": {"for=_hidden, for=10.3.3.3"}}, "10.3.3.3"},
		{"a Forwarded element without for= stops at the peer", fwd, "10.0.0.1:5555",
			map[string][]string{"Forwarded": {"proto=https"}}, "10.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.RemoteAddr = tc.peer
			for k, vs := range tc.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			if got := tc.proxies.ClientIP(r); got != netip.MustParseAddr(tc.want) {
				t.Fatalf("ClientIP = %v, want %s", got, tc.want)
			}
			var seen string
			withClientIP(tc.proxies, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				seen = remoteIP(r).String()
			})).ServeHTTP(httptest.NewRecorder(), r)
			if seen != tc.want {
				t.Fatalf("a handler behind withClientIP sees %s, want %s", seen, tc.want)
			}
		})
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:1", "1.2.3.4, 10.1.1.1", `for="[2001:db8::1]:80";proto=https`)
	f.Add("garbage", ",,,", `for=""`)
	p := Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	f.Fuzz(func(t *testing.T, peer, xff, fwd string) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("Forwarded", fwd)
		for _, h := range []string{HeaderXForwardedFor, HeaderForwarded} {
			p.Header = h
			ip := p.ClientIP(r)
			if !peerIP(peer).IsValid() && ip.IsValid() {
				t.Fatalf("no valid peer, yet client %v", ip)
			}
			if pip := peerIP(peer); pip.IsValid() && !p.trusts(pip) && ip != pip {
				t.Fatalf("untrusted peer %v, yet client %v", pip, ip)
			}
		}
	})
}
