// Package httpapi is the public HTTP surface of Gatehouse: the per-environment
// OAuth 2.0 endpoints (discovery, token, JWKS, introspection,
// revocation) under /realms/{env}/ and /auth/realms/{env}/, and /healthz and
// /readyz. It parses requests into tokens.Request values, calls the issuing
// core (internal/tokens), and writes responses and OAuth errors with one
// function each. It mounts the admin API handler it is given.
//
// It must not import database/sql or internal/sqlstore: it sees storage only
// through the Ping function it is given.
package httpapi
