// Package adminclient is a small typed Go client of the Gatehouse admin API
// (/admin/v1/, internal/adminapi). The command line uses it.
//
// The JSON shapes come from internal/adminapi/wire, a leaf package that both
// the server and this client import, so a field is spelled in one place and
// the command line pulls in no server code. This package re-exports those
// types under its own names (adminclient.Client, adminclient.Account, ...).
//
// It must not import internal/adminapi itself, the storage, or the domain
// package: it speaks HTTP and nothing else.
package adminclient
