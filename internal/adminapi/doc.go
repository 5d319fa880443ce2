// Package adminapi is the admin API of Gatehouse: JSON over HTTP
// under /admin/v1/ for environments, accounts and clients, described by the
// OpenAPI document it serves at /admin/v1/openapi.json (openapi.json in this
// directory, embedded in the binary).
//
// Every handler has the same shape: decode the request, validate it, call the
// gatehouse.Store, render the answer. Errors are *gatehouse.Error values,
// written by one function (writeError) through one table of HTTP statuses.
// Who the caller is comes from Config.Authenticate; this package only checks
// the admin:read / admin:write scopes of the principal it returns.
//
// It depends only on the root gatehouse package and internal/adminapi/wire. It
// must not import internal/sqlstore (it is given a gatehouse.Store), nor the
// token issuing core, nor the command line.
package adminapi
