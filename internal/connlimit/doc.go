// Package connlimit caps the connections a server holds open: in total and
// per source address. It wraps a net.Listener, so the excess is refused at
// accept time, before a goroutine, a TLS handshake or a buffer is spent on
// it; one address flooding the server with idle or half-sent requests
// cannot exhaust the process's file descriptors and shut everyone else out.
//
// It must not import net/http, database/sql or other internal packages.
package connlimit
