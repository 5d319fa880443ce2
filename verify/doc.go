// Package verify checks Gatehouse access tokens on the resource-server
// side: the APIs a provider protects with Gatehouse.
//
// # Quick start
//
//	v, err := verify.New(ctx, verify.Config{
//		Issuer:            "https://auth.example.com/realms/production",
//		Audience:          "https://api.example.com/ledger",
//		ClientID:          os.Getenv("LEDGER_CLIENT_ID"),     // a client of the environment,
//		ClientSecret:      os.Getenv("LEDGER_CLIENT_SECRET"), // for opaque tokens and the feed
//		FollowRevocations: true,
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer v.Close()
//	mux.Handle("/ledger/", v.Middleware("ledger:read")(ledgerHandler))
//
// and in the handler:
//
//	claims, _ := verify.ClaimsFrom(r.Context())
//	log.Println(claims.ClientID, claims.AccountID, claims.Scopes())
//
// # What is checked
//
// A JWT (RFC 9068 profile) is checked locally, with no call to the server:
//
//   - the compact JWS is parsed strictly (three base64url parts, no "crit");
//   - its kid must name a key of the issuer's JWKS, found through
//     {issuer}/.well-known/openid-configuration and cached; an unknown kid
//     refetches the JWKS, but at most once per Config.KeyRefetchFloor, so
//     tokens with random kids cannot cause a fetch storm;
//   - its alg must be exactly the algorithm of that key (ES256 for a P-256
//     key, EdDSA for Ed25519, RS256 for RSA unless the JWK says otherwise):
//     "none" and HMAC algorithms never match a key, so a public key can
//     never be used as an HMAC secret;
//   - typ is at+jwt; iss is Config.Issuer; aud contains Config.Audience;
//     exp is in the future and nbf in the past, give or take Config.Leeway;
//   - its jti, client_id and secret_id are not on the revocation lists.
//
// A token starting with OpaquePrefix ("gatehouse_at_"; "gho_" from earlier
// versions) is an opaque token and is checked by RFC 7662 introspection,
// authenticated as Config.ClientID. The answer is cached (bounded by Config.IntrospectionCacheSize) for at most
// Config.IntrospectionCacheTTL and never past the token's exp; revocations
// from the feed remove cached answers.
//
// Verify is the plain function; Middleware does the same for net/http and
// answers as RFC 6750 says: 401 with WWW-Authenticate: Bearer realm="…"
// alone for a request without a token, 401 error="invalid_token" (with
// error_description) for a bad one, 403 error="insufficient_scope" when a
// required scope is missing, 400 error="invalid_request" for a malformed
// Authorization header. Clients of the Lengow-style dialect send
// "Authorization: <token>" without a scheme; set
// Config.AllowRawAuthorization to accept that form too.
//
// # Revocations
//
// With Config.FollowRevocations the verifier holds a connection to the
// environment's revocation feed (the gatehouse_revocation_feed_endpoint of
// the discovery document, a Server-Sent Events stream; its format is in the
// repository's docs/revocation-feed.md). It authenticates as Config.ClientID
// like introspection does, starts from a snapshot of every unexpired
// revocation, applies each later event as it arrives (a revoked client,
// secret or token is refused well within a second of the revocation,
// without a call per request), drops signing keys that leave the JWKS,
// reconnects with jittered backoff and resumes with Last-Event-ID.
//
// When the feed's connection has been lost for longer than
// Config.MaxStaleness (a silent connection is given up after three missed
// heartbeats, which the server sends every 15 seconds), Config.WhenStale
// decides: keep accepting on what is known (AcceptWhenStale, the default),
// refuse with 503 (RefuseWhenStale), or introspect every token
// (IntrospectWhenStale). The metrics say so either way.
//
// # Metrics
//
// With Config.Registerer the verifier exports
// gatehouse_verify_tokens_total{outcome}, gatehouse_verify_jwks_fetches_total,
// gatehouse_verify_introspections_total,
// gatehouse_verify_revocation_feed_connected,
// gatehouse_verify_revocation_feed_staleness_seconds,
// gatehouse_verify_revocation_feed_events_total and
// gatehouse_verify_revocation_feed_reconnects_total.
//
// # Cost
//
// Verifying an ES256 token with a warm key cache costs little more than the
// ECDSA verification itself: the header segment of a known key is looked up
// as a string, the signature is checked with crypto/ecdsa directly, and the
// claims are decoded once (go-jose is used only to parse the JWKS). See
// BenchmarkVerifyOverBareECDSA. A token seen before (a client sends the
// same token until it expires) is answered from a bounded cache of
// verified tokens (Config.TokenCacheSize) in a fraction of a microsecond;
// expiry, revocations and the feed's state are checked on every call, and
// a cached token counts only while the key set it was verified with is
// current.
//
// This package must not import Gatehouse's server packages (internal/...):
// it is what third-party APIs link.
package verify
