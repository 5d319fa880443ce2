package client

import (
	"io"
	"net/http"

	"golang.org/x/oauth2"
)

// Transport is an http.RoundTripper that adds a token from Source to every
// request, in the form the source's dialect expects: "Authorization: Bearer
// <token>", or "Authorization: <token>" with no scheme word in the Lengow
// dialect. The caller's request is not modified.
//
// When the API answers 401, the token is invalidated at the source and the
// request is sent once more with a fresh token, provided the request can be
// replayed (no body, or a GetBody, which http.NewRequest sets for the usual
// body types) and the source gives a different token. A second 401 is
// returned as it is.
type Transport struct {
	// Source gives the tokens; required.
	Source *TokenSource
	// Base sends the requests; http.DefaultTransport when nil.
	Base http.RoundTripper
}

// NewHTTPClient returns an *http.Client whose requests carry tokens from
// src (through a Transport over http.DefaultTransport).
func NewHTTPClient(src *TokenSource) *http.Client {
	return &http.Client{Transport: &Transport{Source: src}}
}

// RoundTrip sends req with a token.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.Source.TokenContext(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base().RoundTrip(t.authorized(req, tok, req.Body))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !replayable(req) {
		return resp, err
	}
	t.Source.Invalidate(tok)
	fresh, err := t.Source.TokenContext(req.Context())
	if err != nil || fresh.AccessToken == tok.AccessToken {
		return resp, nil // no better token: the API's 401 stands
	}
	body := req.Body // nil or http.NoBody unless GetBody is set
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return t.base().RoundTrip(t.authorized(req, fresh, body))
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// authorized is a copy of req with body and tok's Authorization header.
func (t *Transport) authorized(req *http.Request, tok *oauth2.Token, body io.ReadCloser) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	if t.Source.Dialect() == Lengow {
		r.Header.Set("Authorization", tok.AccessToken)
	} else {
		r.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
	}
	return r
}

// replayable reports whether req can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
