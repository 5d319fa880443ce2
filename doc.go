// Package gatehouse is the domain of the Gatehouse authorization server:
// environments, accounts, clients (credentials) and signing keys, the
// application error type, and the storage interfaces the edges implement.
//
// It imports neither net/http nor database/sql. Storage (internal/sqlstore),
// the issuing core (internal/tokens), the HTTP surfaces (internal/httpapi,
// internal/adminapi) and the command line (cmd/gatehouse) depend on it, never
// the other way round.
package gatehouse
