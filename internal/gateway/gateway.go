package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse-dev/gatehouse/verify"
)

// Identity headers set on every forwarded request.
const (
	HeaderClientID  = "X-Gatehouse-Client-Id"
	HeaderAccountID = "X-Gatehouse-Account-Id"
	HeaderScope     = "X-Gatehouse-Scope"
	headerPrefix    = "X-Gatehouse-"
)

// Authorizer checks the token of a request; *verify.Verifier is one.
type Authorizer interface {
	Authorize(r *http.Request, requiredScopes ...string) (*verify.Claims, error)
	WriteError(w http.ResponseWriter, err error, scopes string)
}

// Config configures a Gateway.
type Config struct {
	Upstream *url.URL
	Verifier Authorizer
	// RequireScopes are required of every request.
	RequireScopes []string
	Rules         Rules
	// Registry serves /metrics and receives the gateway's metrics.
	Registry *prometheus.Registry
	// Transport reaches the upstream (if nil, UpstreamTransport()).
	Transport http.RoundTripper
	Logger    *slog.Logger
}

// Gateway is the proxy's handler.
type Gateway struct {
	cfg     Config
	proxy   *httputil.ReverseProxy
	metrics http.Handler
	logger  *slog.Logger

	admitted, refused, upstreamErrors prometheus.Counter
}

// New returns a gateway to cfg.Upstream.
func New(cfg Config) (*Gateway, error) {
	if cfg.Upstream == nil || cfg.Upstream.Scheme == "" || cfg.Upstream.Host == "" {
		return nil, errors.New("gateway: an absolute upstream URL is required")
	}
	if cfg.Verifier == nil || cfg.Registry == nil {
		return nil, errors.New("gateway: a verifier and a metrics registry are required")
	}
	if err := cfg.Rules.validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{cfg: cfg, logger: cfg.Logger,
		metrics: promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry})}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_gateway_requests_total", Help: "Requests by outcome: admitted, refused, upstream_error.",
	}, []string{"outcome"})
	g.admitted = requests.WithLabelValues("admitted")
	g.refused = requests.WithLabelValues("refused")
	g.upstreamErrors = requests.WithLabelValues("upstream_error")
	if err := cfg.Registry.Register(requests); err != nil {
		return nil, err
	}
	if cfg.Transport == nil {
		cfg.Transport = UpstreamTransport()
	}
	g.proxy = &httputil.ReverseProxy{
		Rewrite:      g.rewrite,
		Transport:    cfg.Transport,
		ErrorHandler: g.upstreamError,
	}
	return g, nil
}

// UpstreamTransport is http.DefaultTransport's configuration with room for
// 256 idle connections to the upstream (the default keeps 2, so a busy
// gateway would open and close connections all the time).
func UpstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	return t
}

// ServeHTTP serves /healthz and /metrics itself and proxies everything
// else once the token is admitted.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
		return
	case "/metrics":
		g.metrics.ServeHTTP(w, r)
		return
	}
	scopes := g.cfg.RequireScopes
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if clean := path.Clean(p); clean != r.URL.Path && clean+"/" != r.URL.Path {
		// Rules match clean paths; a path with dot segments or doubled
		// slashes could mean another path to the upstream.
		g.refused.Inc()
		http.Error(w, "the request path is not in canonical form", http.StatusBadRequest)
		return
	}
	if rule := g.cfg.Rules.match(p); rule != nil {
		if !rule.allows(r.Method) {
			g.refused.Inc()
			w.Header().Set("Allow", strings.Join(rule.Methods, ", "))
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		scopes = append(scopes[:len(scopes):len(scopes)], rule.Scopes...)
	} else if g.cfg.Rules.DenyUnlisted {
		g.refused.Inc()
		http.NotFound(w, r)
		return
	}
	c, err := g.cfg.Verifier.Authorize(r, scopes...)
	if err != nil {
		g.refused.Inc()
		g.cfg.Verifier.WriteError(w, err, strings.Join(scopes, " "))
		return
	}
	g.admitted.Inc()
	setIdentity(r.Header, c)
	g.proxy.ServeHTTP(w, r)
}

// setIdentity drops every X-Gatehouse-* header the caller sent, in any
// spelling, and sets the caller's identity. The proxy copies the headers
// of the inbound request to the upstream request.
func setIdentity(h http.Header, c *verify.Claims) {
	for name := range h {
		if len(name) >= len(headerPrefix) && strings.EqualFold(name[:len(headerPrefix)], headerPrefix) {
			delete(h, name)
		}
	}
	h[HeaderClientID] = []string{c.ClientID}
	h[HeaderAccountID] = []string{strconv.FormatInt(c.AccountID, 10)}
	h[HeaderScope] = []string{c.Scope}
}

// rewrite points the request at the upstream.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(g.cfg.Upstream)
	pr.SetXForwarded()
	pr.Out.Host = pr.In.Host
}

// upstreamError answers 502 when the upstream cannot be reached.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, err error) {
	g.upstreamErrors.Inc()
	if !errors.Is(err, context.Canceled) {
		g.logger.Warn("gateway: upstream request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	http.Error(w, "bad gateway", http.StatusBadGateway)
}

// Serve serves h on ln until ctx ends, then shuts down gracefully: requests
// in flight get shutdownTimeout to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
