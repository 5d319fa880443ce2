// Package keys generates, parses and uses environment signing keys: it turns
// a stored gatehouse.SigningKey into a Signer for access tokens, verifies
// tokens against an environment's published keys, and renders the JWKS.
// JOSE work is done by github.com/go-jose/go-jose/v4; this package only
// holds Gatehouse's choices (algorithms, key ids, the at+jwt type).
//
// It must not import net/http, database/sql or other internal packages.
package keys
