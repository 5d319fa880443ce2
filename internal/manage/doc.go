// Package manage is the administration service layer: the one place where
// the rules of a credential's life (create, rotate with grace, renew,
// reveal, revoke, public keys, allowlist, scope and token-settings updates),
// of environments, accounts and dashboard users (invitations, roles, the
// last-owner rule) live, and where permissions are checked.
//
// Every front end calls it with an authenticated gatehouse.Principal: the
// admin API (an admin API client with scopes), the dashboard (a signed-in
// user with a role, or an operator), first-start bootstrap. Every change is
// written in one store transaction together with its audit record; a change
// that committed is reported as a success whatever happens after (the
// credential cache catches up from the change feed).
//
// It must not import net/http, database/sql or internal/sqlstore: it sees
// storage only through gatehouse.Store, and knows nothing of transports.
package manage
