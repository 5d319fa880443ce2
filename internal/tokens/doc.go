// Package tokens is the issuing core: every token request, whatever the
// dialect that parsed it, passes through Issuer.Issue, which authenticates
// the client, checks scope and audience, and mints the access token. The
// same Issuer introspects (RFC 7662) and revokes (RFC 7009) tokens and
// authenticates bearer credentials for the admin API.
//
// Errors are OAuth 2.0 error values (*Error) that the HTTP edge writes with
// one function. The hot path reads only the in-memory cache.Directory; it
// never touches the store. This package must not import net/http or
// database/sql.
package tokens
