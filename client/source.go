package client

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// TokenSource is an oauth2.TokenSource for the client credentials grant
// that caches its token. It is safe for concurrent use, and one should be
// shared by everything that calls APIs with the same credentials.
//
// A call returns the cached token while it is valid, without a request, a
// lock or an allocation. Once RefreshAt of the token's lifetime has passed, the
// first call starts a refresh in the background and every call keeps
// getting the cached token until the new one arrives. Only when there is no
// valid token (at the start, after expiry or after Invalidate) do callers
// wait, and then all of them wait for the same single request.
//
// After a failed request no other is sent before a backoff has passed
// (exponential from MinBackoff to MaxBackoff with jitter, or the server's
// Retry-After when longer). Meanwhile a still-valid token keeps being
// served; with no valid token a call returns a *BackoffError at once.
type TokenSource struct {
	cfg Config

	// cur is the cached token, read without a lock on the hot path and
	// replaced (under mu) when a token arrives or is invalidated.
	cur atomic.Pointer[cached]

	mu       sync.Mutex
	call     *call     // the request in flight, if any
	failures int       // consecutive failed requests
	retryAt  time.Time // no request before this
	lastErr  error     // the last failure, while failures > 0
}

// cached is a token with the times that govern it.
type cached struct {
	tok       *oauth2.Token
	refreshAt time.Time // when a background refresh starts
	staleAt   time.Time // when tok stops being handed out
}

// call is one token request that callers may wait for.
type call struct {
	done    chan struct{}
	attempt int
	tok     *oauth2.Token
	err     error
}

// New returns a token source for cfg, or an error when cfg is incomplete
// or inconsistent. It sends no request: the first call to Token does.
func New(cfg Config) (*TokenSource, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &TokenSource{cfg: c}, nil
}

// Dialect is the dialect the source speaks, which decides how a Transport
// sends its tokens.
func (s *TokenSource) Dialect() Dialect { return s.cfg.Dialect }

// Token returns a valid token, fetching one when the source holds none.
// It implements oauth2.TokenSource.
func (s *TokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext is Token, but stops waiting for a token request when ctx is
// done (the request itself goes on for the other callers). The returned
// token is shared: callers must not modify it.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	now := s.cfg.Now()
	if cur := s.cur.Load(); cur != nil && now.Before(cur.refreshAt) && now.Before(cur.staleAt) {
		return cur.tok, nil // the hot path: no lock, no allocation
	}
	s.mu.Lock()
	if cur := s.cur.Load(); cur != nil && now.Before(cur.staleAt) {
		var bg *call
		if s.call == nil && !now.Before(s.retryAt) {
			bg = s.newCall()
		}
		s.mu.Unlock()
		s.launch(bg, true)
		return cur.tok, nil
	}
	c := s.call
	var started *call
	if c == nil {
		if now.Before(s.retryAt) {
			err := &BackoffError{Until: s.retryAt, Err: s.lastErr}
			s.mu.Unlock()
			return nil, err
		}
		c = s.newCall()
		started = c
	}
	s.mu.Unlock()
	s.launch(started, false)
	select {
	case <-c.done:
		return c.tok, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Invalidate tells the source that an API refused tok (a 401), so that the
// next call fetches a new token rather than handing tok out again. It does
// nothing when the source already holds another token, so many callers
// refused at once cause one request.
func (s *TokenSource) Invalidate(tok *oauth2.Token) {
	if tok == nil {
		return
	}
	s.mu.Lock()
	if cur := s.cur.Load(); cur != nil && cur.tok.AccessToken == tok.AccessToken {
		s.cur.Store(nil)
	}
	s.mu.Unlock()
}

// newCall records a token request about to start; s.mu is held.
func (s *TokenSource) newCall() *call {
	c := &call{done: make(chan struct{}), attempt: s.failures + 1}
	s.call = c
	return c
}

// launch calls the FetchStart hook and sends c's request in a goroutine;
// it does nothing when c is nil. s.mu is not held.
func (s *TokenSource) launch(c *call, background bool) {
	if c == nil {
		return
	}
	f := Fetch{Dialect: s.cfg.Dialect, TokenURL: s.cfg.TokenURL, Background: background, Attempt: c.attempt}
	if s.cfg.Hooks.FetchStart != nil {
		s.cfg.Hooks.FetchStart(f)
	}
	go s.run(c, f)
}

// run sends the request of c, records its outcome and wakes its waiters.
func (s *TokenSource) run(c *call, f Fetch) {
	h := s.cfg.Hooks
	sent := s.cfg.Now()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.FetchTimeout)
	got, err := s.cfg.fetch(ctx, sent)
	cancel()
	now := s.cfg.Now()

	var wait time.Duration
	s.mu.Lock()
	s.call = nil
	if err != nil {
		s.failures++
		wait = s.backoff(s.failures, err)
		s.retryAt = now.Add(wait)
		s.lastErr = err
		c.err = err
	} else {
		s.failures, s.retryAt, s.lastErr = 0, time.Time{}, nil
		s.keep(got, sent)
		c.tok = got.token
	}
	s.mu.Unlock()
	close(c.done)

	took := now.Sub(sent)
	switch {
	case err == nil && h.FetchSuccess != nil:
		h.FetchSuccess(f, took, got.lifetime)
	case err != nil:
		if h.FetchFailure != nil {
			h.FetchFailure(f, took, err)
		}
		if h.Backoff != nil {
			h.Backoff(f, wait)
		}
	}
}

// keep makes a fetched token the current one. Its lifetime counts from when
// the request was sent, which errs on the early side. s.mu is held.
func (s *TokenSource) keep(got fetched, sent time.Time) {
	expiry := sent.Add(got.lifetime)
	got.token.Expiry = expiry
	margin := s.cfg.ExpiryMargin
	if margin == 0 {
		margin = min(DefaultExpiryMargin, got.lifetime/10)
	}
	margin = min(margin, got.lifetime/2)
	s.cur.Store(&cached{
		tok:       got.token,
		staleAt:   expiry.Add(-margin),
		refreshAt: sent.Add(time.Duration(float64(got.lifetime) * s.cfg.RefreshAt)),
	})
}

// backoff is the wait after the n-th consecutive failure: MinBackoff
// doubled n-1 times, at most MaxBackoff, of which a random half is taken
// off ("equal jitter", so many clients that failed together do not retry
// together), or the server's Retry-After when that is longer. s.mu is held.
func (s *TokenSource) backoff(n int, err error) time.Duration {
	d := s.cfg.MinBackoff
	for i := 1; i < n && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.cfg.MaxBackoff)
	d = d/2 + time.Duration(s.random()*float64(d-d/2))
	var re *RetrieveError
	if errors.As(err, &re) && re.RetryAfter > d {
		d = re.RetryAfter
	}
	return d
}

// random is a number in [0, 1) from cfg.Rand, or 1 (no jitter) when Rand
// fails.
func (s *TokenSource) random() float64 {
	var b [8]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		return 1
	}
	return float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
}
