// Package cli is the gatehouse command line (cobra): `serve` and `migrate`
// run the server side; client, account, token and bench are thin clients of a
// running server's HTTP APIs.
//
// It wires packages together and parses flags; it holds no domain logic and
// must not be imported by any other package of the module.
package cli
