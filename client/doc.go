// Package client gets OAuth 2.0 access tokens from a Gatehouse server (or
// any server speaking the same flows) for programs that call APIs, and
// keeps them: one token request per token lifetime, not one per API call.
//
// # Why
//
// A token is meant to be reused until it expires. A client that asks for a
// new token before every API call doubles its latency, loads the
// authorization server, and on servers that defend themselves (Gatehouse
// among them) ends up rate limited or with its IP banned. The usual fixes
// each miss something: golang.org/x/oauth2's ReuseTokenSource refreshes
// only once the token has expired, so a caller waits for every refresh; it
// holds a lock across the network request; and it takes its HTTP client
// from a context. A TokenSource here refreshes ahead of expiry in the
// background, lets a single request serve all concurrent callers, backs off
// after failures, and takes its HTTP client as a field.
//
// # Quick start
//
//	src, err := client.New(client.Config{
//		TokenURL:     client.EnvironmentTokenURL("https://auth.example.com", "production"),
//		ClientID:     os.Getenv("CLIENT_ID"),
//		ClientSecret: os.Getenv("CLIENT_SECRET"),
//		Scopes:       []string{"ledger:read"},
//	})
//	if err != nil {
//		return err
//	}
//	api := client.NewHTTPClient(src) // adds the token, retries once on a 401
//	resp, err := api.Get("https://api.example.com/ledger/v1/entries")
//
// Create one TokenSource per set of credentials and share it: it is safe
// for concurrent use, and sharing is what makes the cache work. A
// *TokenSource is an oauth2.TokenSource, so it also fits oauth2.NewClient,
// gRPC's oauth credentials and anything else built on x/oauth2.
//
// # Flows
//
// Config.Dialect chooses the shape of the token request; Gatehouse serves
// all of them, so a program written for one of these providers keeps its
// server and changes only its library.
//
//   - Standard (the default): the client credentials grant of RFC 6749 §4.4
//     at {server}/realms/{env}/protocol/openid-connect/token (or the older
//     {server}/auth/realms/{env}/… of Keycloak deployments). The client
//     authenticates with ClientSecretBasic (default), ClientSecretPost
//     (client_id and client_secret in the form, as Keycloak's curl example
//     does) or PrivateKeyJWT: an RFC 7523 assertion signed by Config.Signer,
//     any crypto.Signer (a key in memory, an HSM, a cloud KMS) with
//     SigningAlgorithm ES256, ES384, EdDSA, RS256 or PS256, with a fresh
//     random jti and a one-minute expiry. Scopes and Audience are sent as
//     scope and audience. The token goes to APIs as "Authorization: Bearer".
//   - Lengow: POST access_token=<client id>&secret=<secret> to
//     {server}/access/get_token; the answer {"token","account_id","user_id"}
//     has no lifetime, so DefaultLifetime (one hour, Lengow's documented
//     lifetime) applies. The token goes to APIs as "Authorization: <token>",
//     with no scheme word. The answer's fields are available through
//     Token().Extra("account_id").
//   - Lemonway: POST Grant_type=client_credentials to
//     {server}/oauth/api/v1/oauth/token with "Authorization: basic <api key>"
//     (the key itself, not base64). The answer
//     {"token_Type","access_token","expires_in"} usually gives a 90-day token,
//     and the server hands back the same token while it is valid.
//
// # Refresh
//
// While a token is valid, Token returns it at once, with no request and no
// allocation. After Config.RefreshAt (80 % by default) of its lifetime, the
// next call starts one refresh in the background and keeps returning the
// current token, so callers never wait for a refresh; the new token replaces
// the old one when it arrives. A token is no longer handed out
// Config.ExpiryMargin before its expiry (by default 10 s, or a tenth of a
// short lifetime), so it does not expire on the way to the API. Only when
// there is no valid token do callers wait, all for the same request; a
// caller's context bounds its own wait, not the request. No lock is held
// while a request is in flight. The lifetime counts from when the request
// was sent, on the source's clock (Config.Now).
//
// # Failures and backoff
//
// A refused request becomes a *RetrieveError carrying the status and the
// RFC 6749 §5.2 error code (invalid_client, slow_down,
// temporarily_unavailable, …). After any failure the source sends no request
// for a while: Config.MinBackoff (1 s) after the first failure, doubling
// after each further one up to Config.MaxBackoff (5 min), minus a random
// part of up to half (jitter, drawn from Config.Rand), so that many clients
// that failed together do not come back together. A Retry-After header (on
// 429 and 503 answers) is honoured when it asks for longer.
//
// During the backoff a still-valid token keeps being served: a failing
// refresh costs callers nothing until the token really runs out. With no
// valid token, Token returns a *BackoffError at once (no request is sent),
// which unwraps to the last failure.
//
// # Calling APIs
//
// NewHTTPClient and Transport add the token in the form the dialect
// expects. When an API answers 401 (a token revoked or signed with a key
// the API does not know yet), the Transport invalidates the token and sends
// the request once more with a fresh one, provided the request body can be
// replayed (http.Request.GetBody).
//
// # Observing
//
// Config.Hooks are called when a token request starts, succeeds or fails,
// and with each backoff, for metrics and logs. They never receive a secret,
// an API key, an assertion or a token.
//
// This package imports only the standard library and golang.org/x/oauth2; it
// must not import Gatehouse's server packages (the module root or anything
// under internal/), so that API clients depend on nothing else.
package client
