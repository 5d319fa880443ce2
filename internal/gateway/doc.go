// Package gateway is the reverse proxy behind `gatehouse gateway`: it
// admits a request to the upstream API only with a valid access token that
// has the scopes its path requires, strips every incoming X-Gatehouse-*
// header (so a caller cannot forge an identity), and forwards the caller's
// identity as X-Gatehouse-Client-Id, X-Gatehouse-Account-Id and
// X-Gatehouse-Scope. Tokens are checked by the public verify package,
// which follows the server's revocation feed. It also serves /healthz and
// /metrics (from a Prometheus registry it is given).
//
// It must not import database/sql or Gatehouse's server packages
// (internal/app, internal/httpapi, internal/tokens, internal/sqlstore): a
// gateway runs next to the API it protects, not next to the server.
package gateway
