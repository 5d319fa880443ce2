package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Headers a trusted proxy reports the client's address in.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded" // RFC 7239
)

// Proxies says which peers are trusted proxies and which header they
// append the client's address to. The zero value trusts no one: the client
// is the TCP peer and forwarding headers are ignored.
type Proxies struct {
	Trusted []netip.Prefix
	// Header is HeaderXForwardedFor (the default) or HeaderForwarded. Only
	// this header is read: a proxy that appends to X-Forwarded-For passes a
	// client's own Forwarded header through untouched, so reading both
	// would let the client choose its address.
	Header string
}

func (p Proxies) trusts(ip netip.Addr) bool {
	for _, t := range p.Trusted {
		if t.Contains(ip) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client that sent r: the TCP peer,
// unless the peer is a trusted proxy; then the rightmost address in the
// forwarding header that is not a trusted proxy (everything left of it was
// written by the client or proxies it chose, and can be forged). If every
// hop is trusted, the leftmost one is the client. A hop that cannot be
// parsed ends the walk at the trusted hop to its right.
func (p Proxies) ClientIP(r *http.Request) netip.Addr {
	peer := peerIP(r.RemoteAddr)
	if !peer.IsValid() || !p.trusts(peer) {
		return peer
	}
	var hops []string
	if p.Header == HeaderForwarded {
		hops = forwardedFor(r.Header.Values(HeaderForwarded))
	} else {
		hops = splitList(r.Header.Values(HeaderXForwardedFor))
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip := parseHop(hops[i])
		if !ip.IsValid() {
			return client
		}
		client = ip
		if !p.trusts(ip) {
			return ip
		}
	}
	return client
}

// withClientIP serves next with r.RemoteAddr set to the client's address
// when the request came through a trusted proxy, so that every handler
// (token endpoints, admin API audit records) sees the same client address.
func withClientIP(p Proxies, next http.Handler) http.Handler {
	if len(p.Trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := p.ClientIP(r)
		if ip.IsValid() && ip != peerIP(r.RemoteAddr) {
			r2 := *r
			r2.RemoteAddr = netip.AddrPortFrom(ip, 0).String()
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}

// peerIP parses a RemoteAddr ("ip:port", or a bare ip).
func peerIP(remoteAddr string) netip.Addr {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}

// splitList splits comma-separated header values into trimmed elements.
func splitList(values []string) []string {
	var list []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			list = append(list, strings.TrimSpace(e))
		}
	}
	return list
}

// forwardedFor returns the for= parameter of every element of Forwarded
// header values (RFC 7239 §4), in order; "" for an element without one.
func forwardedFor(values []string) []string {
	var hops []string
	for _, element := range splitList(values) {
		hop := ""
		for _, pair := range strings.Split(element, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "for") {
				hop = strings.Trim(strings.TrimSpace(value), `"`)
			}
		}
		hops = append(hops, hop)
	}
	return hops
}

// parseHop parses one hop: "192.0.2.1", "192.0.2.1:4711", "2001:db8::1",
// "[2001:db8::1]" or "[2001:db8::1]:4711". Anything else ("unknown", an
// obfuscated identifier, garbage) is invalid.
func parseHop(s string) netip.Addr {
	if ip, err := netip.ParseAddr(s); err == nil {
		return ip.WithZone("").Unmap()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if ip, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return ip.WithZone("").Unmap()
		}
	}
	return netip.Addr{}
}
